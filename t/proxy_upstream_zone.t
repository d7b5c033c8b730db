#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# upstream zone: with `zone`, a peer that failed in one worker is skipped
# by the other workers too; without it each worker learns on its own (as
# nginx).  Two workers with reuseport listeners spread fresh connections
# over both; a backend answering 500 (counted as a failure through
# proxy_next_upstream http_500, max_fails=1) must be tried once in all.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;

my $t = Test::Portico->new->has(qw/http proxy upstream_zone/)->plan(11);

my $conf = <<'EOF2';
worker_processes 2;
events { }
http {
    access_log off;
    upstream shared {
        zone peers 64k;
        server 127.0.0.1:%%PORT_e%% max_fails=1 fail_timeout=30s;
        server 127.0.0.1:%%PORT_a%%;
    }
    upstream alsoshared {
        zone peers;
        server 127.0.0.1:%%PORT_e2%% max_fails=1 fail_timeout=30s;
        server 127.0.0.1:%%PORT_a%%;
    }
    upstream local {
        server 127.0.0.1:%%PORT_e3%% max_fails=1 fail_timeout=30s;
        server 127.0.0.1:%%PORT_a%%;
    }
    server {
        listen 127.0.0.1:%%PORT_8080%% reuseport;
        proxy_next_upstream error timeout http_500;
        add_header X-Worker $pid;
        location /shared/ { proxy_pass http://shared; }
        location /also/ { proxy_pass http://alsoshared; }
        location /local/ { proxy_pass http://local; }
    }
}
EOF2
$t->write_conf($conf);

my %b = (a => Test::Portico::Backend->new($t, 'a')->start);
$b{$_} = Test::Portico::Backend->new($t, $_,
    response => { status => 500, body => "$_\n" })->start for qw/e e2 e3/;
$t->run;

# Requests on fresh connections until both workers answered twice.
sub spread {
    my ($prefix) = @_;
    my (%workers, %bodies, $bad);
    for my $i (1 .. 200) {
        my $r = http_get("$prefix$i") // '';
        my ($pid) = $r =~ /^X-Worker: (\d+)/mi;
        $bad++ unless $r =~ m{^HTTP/1\.1 200} && http_body($r) eq "a\n";
        $workers{$pid // 'none'}++;
        last if $i >= 20 && keys %workers >= 2
            && !grep { $_ < 2 } values %workers;
    }
    return (scalar(keys %workers), $bad // 0);
}

my ($nw, $bad) = spread('/shared/');
is($nw, 2, 'zone: both workers served requests');
is($bad, 0, 'zone: every client got the good peer');
is($b{e}->count, 1, 'zone: the failed peer was tried once by all workers');

($nw, $bad) = spread('/also/');
is($bad, 0, 'zone shared by two upstreams: clients fine');
is($b{e2}->count, 1, 'zone shared by two upstreams: state kept apart');

($nw, $bad) = spread('/local/');
is($bad, 0, 'no zone: clients fine');
is($b{e3}->count, $nw, 'no zone: each worker tries the failing peer once');

# nginx re-creates upstream zones on reload; Portico's re-exec keeps them.
portico_only(1, 'zones survive a reload', sub {
    $t->reload;
    $b{e}->reset;
    spread('/shared/');
    is($b{e}->count, 0, 'zone: a reload keeps the failure (same peers)');
});

# Other peer parameters: the state starts afresh (as nginx, always).
$conf =~ s/(PORT_e%% max_fails=1)/$1 weight=2/;
$t->write_conf($conf);
$t->reload;
$b{e}->reset;
($nw, $bad) = spread('/shared/');
is($bad, 0, 'zone: changed peers after a reload, clients fine');
is($b{e}->count, 1, 'zone: changed peers start with a fresh state');

# Reloads in a row, changing the peers each time: old nodes are freed.
$conf =~ s/zone peers 64k/zone peers 32k/;
for my $w (3 .. 8) {
    $conf =~ s/weight=\d+/weight=$w/;
    $t->write_conf($conf);
    $t->reload;
}
($nw, $bad) = spread('/shared/');
is($bad, 0, 'zone: six reloads with other peers, clients fine');
