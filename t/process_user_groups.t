#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Started as root with `user`, workers run with that user's IDs and its
# supplementary groups alone (those of `id -G USER`, never root's), after
# a start and after every reload, including one that changes the user:
# the groups looked up for the previous user are not reused for another.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;

plan(skip_all => 'needs root') if $> != 0;
for my $u (qw/nobody daemon/) {
    plan(skip_all => "no user $u") unless defined getpwnam($u);
}

my $t = Test::Portico->new->has(qw/http/)->plan(6);

my $conf = <<'EOF2';
user %%USER%%;
worker_processes 2;
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / { return 200 "ok\n"; }
    }
}
EOF2

sub conf_for {
    my ($user) = @_;
    (my $c = $conf) =~ s/%%USER%%/$user/;
    return $c;
}

# "UID GID GROUPS" of each worker, from /proc.
sub worker_ids {
    my @ids;
    for my $w ($t->worker_pids) {
        open(my $f, '<', "/proc/$w/status") or next;
        my %s = map { /^(\w+):\s*(.*?)\s*$/ ? ($1, $2) : () } <$f>;
        my ($uid) = split /\s+/, $s{Uid} // '';
        my ($gid) = split /\s+/, $s{Gid} // '';
        push @ids, join ' ', $uid // '', $gid // '',
                             join ',', sort { $a <=> $b } split /\s+/, $s{Groups} // '';
    }
    return @ids;
}

sub expected {
    my ($user) = @_;
    my (undef, undef, $uid) = getpwnam($user);
    my $gid = ($user eq 'nobody') ? (getgrnam('nogroup'))[2] // (getpwnam($user))[3]
                                  : (getgrnam($user))[2] // (getpwnam($user))[3];
    my @g = sort { $a <=> $b } split ' ', `id -G $user`;
    return join ' ', $uid, $gid, join ',', @g;
}

sub all_workers_are {
    my ($want) = @_;
    my @ids = worker_ids();
    return @ids == 2 && !grep { $_ ne $want } @ids;
}

sub new_workers {
    my (@old) = @_;
    return wait_until(sub {
        my %old = map { $_ => 1 } @old;
        my @w = $t->worker_pids;
        @w == 2 && !grep { $old{$_} } @w;
    }, 15);
}

$t->write_conf(conf_for('nobody'));
$t->run;
like(http_get('/'), qr/\bok\b/, 'serving as nobody');
ok(all_workers_are(expected('nobody')), 'workers have nobody\'s IDs and groups')
    or diag(join "\n", worker_ids(), 'want ' . expected('nobody'));

my @old = $t->worker_pids;
kill 'HUP', $t->pid;
ok(new_workers(@old), 'reloaded');
ok(all_workers_are(expected('nobody')), '... groups the same after a reload')
    or diag(join "\n", worker_ids());

@old = $t->worker_pids;
$t->write_conf(conf_for('daemon'));
kill 'HUP', $t->pid;
new_workers(@old);
like(http_get('/'), qr/\bok\b/, 'serving as daemon after a reload');
ok(all_workers_are(expected('daemon')), '... with daemon\'s groups, not nobody\'s')
    or diag(join "\n", worker_ids(), 'want ' . expected('daemon'));
