#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# DESIGN §4 under load: clients keep 50 connections busy (keep-alive and
# new connections, GETs and POSTs, static and proxied) while the master
# gets SIGHUP every second: no failed request, no reset, no refused
# connection; the master's PID never changes; the old workers are gone at
# the end.  Also: a broken binary changes nothing; a new binary copied over
# the program file answers after SIGHUP, same PID; listeners follow the
# config across a reload.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use IO::Socket::INET;
use IO::Select;
use File::Copy qw/copy/;
use POSIX qw/:sys_wait_h/;
use Time::HiRes qw/time sleep/;

my $t = Test::Portico->new->has(qw/http proxy/);
plan(skip_all => 'binary upgrade by SIGHUP is Portico\'s') if is_nginx();
$t->plan(11);
$t->allow_errors(qr/execv\(\) .* failed|reload/);

# A private copy of the binary, so the test can replace it.
my $bin = $t->testdir . '/portico-bin';
copy(Test::Portico::binary(), $bin) or die "copy: $!";
chmod 0755, $bin;
$Test::Portico::BINARY = $bin;   # the server runs from the copy

my $be = Test::Portico::Backend->new($t, 'be', record => 0)->start;

my $conf = <<'EOF';
worker_processes 2;
events { worker_connections 1024; }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location /s { return 200 "static\n"; }
        location /p { proxy_pass http://127.0.0.1:%%PORT_be%%; }
    }
    %%EXTRA%%
}
EOF
sub conf_with { my $c = $conf; $c =~ s/%%EXTRA%%/$_[0] \/\/ ''/e; $c }
$t->write_conf(conf_with());
$t->run;
my $master = $t->pid;

# The load: 50 client processes for ~8 s, each alternating keep-alive and
# new connections, GET and POST, static and proxied; counts failures.
my $dur = 8;
my @kids;
for my $k (1 .. 50) {
    my $pid = fork() // die "fork: $!";
    if ($pid == 0) {
        my ($okc, $bad, $last) = (0, 0, undef);
        my $end = time + $dur;
        my $s;
        while (time < $end) {
            $s = undef if $okc % 5 == 0;
            $s //= IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                PeerPort => $t->port(8080), Timeout => 3);
            unless ($s) { $bad++; print STDERR "# connect: $!\n"; next }
            my $path = $okc % 2 ? '/s' : '/p';
            my $req = $okc % 3
                ? "GET $path HTTP/1.1\r\nHost: x\r\n\r\n"
                : "POST $path HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
            unless (syswrite($s, $req)) { $bad++; $s = undef; next }
            my $t0 = time;
            my ($buf, $sel) = ('', IO::Select->new($s));
            while ($buf !~ /\r\n\r\n/ || length($buf) < index($buf, "\r\n\r\n") + 4
                   + (($buf =~ /Content-Length: (\d+)/i)[0] // 0))
            {
                last unless $sel->can_read(10);
                my $n = sysread($s, $buf, 65536, length $buf);
                last unless $n;
            }
            if ($buf =~ m{^HTTP/1\.1 200 }) { $okc++; $last = $buf }
            else {
                $bad++;
                my ($conn) = ($last // '') =~ /^(Connection: .*?)\r$/m;
                printf STDERR "# %s after %d (%.2fs): %s; previous %s\n", $path, $okc,
                    time - $t0, ($buf =~ /^(.*)/)[0] // 'nothing', $conn // '-';
                $s = undef;
            }
        }
        exit($bad ? 1 : 0) if $okc;
        exit 2;
    }
    push @kids, $pid;
}

my $same_pid = 1;
for (1 .. $dur - 1) {
    sleep 1;
    kill 'HUP', $master;
    $same_pid = 0 unless kill(0, $master);
}

my @bad;
for my $pid (@kids) {
    waitpid($pid, 0);
    push @bad, $pid if $?;
}
is(scalar @bad, 0, '50 busy clients across 7 reloads: no failed request')
    or diag(scalar(@bad) . ' clients saw failures');
ok($same_pid && kill(0, $master), 'the master PID never changed');
sleep 1;
ok(wait_until(sub { scalar($t->worker_pids) == 2 }, 10), 'old workers all gone');

# A broken binary: the reload changes nothing but the error log.
# (Files are replaced by rename, as installers do: a running program's
# file cannot be written.)
copy($bin, "$bin.good");
open(my $fh, '>', "$bin.new") or die "$bin.new: $!";
print $fh "not a program\n";
close $fh;
chmod 0755, "$bin.new";
rename("$bin.new", $bin) or die "rename: $!";
kill 'HUP', $master;
ok(wait_until(sub { $t->error_log =~ /reload failed/ }, 10), 'a broken binary is refused');
like(http_get('/s'), qr{^HTTP/1\.1 200 .*static}s, '... and the old one serves on');
ok(kill(0, $master), '... same master');

# An upgrade: a binary whose -v differs, copied over the program file.
copy("$bin.good", "$bin.new") or die "copy: $!";
open($fh, '>>', "$bin.new") or die;  # same program, other bytes: a new build
print $fh "\0portico-test-build-marker\0";
close $fh;
chmod 0755, "$bin.new";
my $ino_before = (stat("/proc/$master/exe"))[1];
rename("$bin.new", $bin) or die "rename: $!";
my @old = $t->worker_pids;
kill 'HUP', $master;
ok(wait_until(sub {
    my %now = map { $_ => 1 } $t->worker_pids;
    !grep { $now{$_} } @old;
}, 10), 'SIGHUP after replacing the binary starts new workers');
ok(kill(0, $master) && (stat("/proc/$master/exe"))[1] != $ino_before,
    'same master PID, now running the new file');
like(http_get('/s'), qr{^HTTP/1\.1 200 }, 'served by the upgraded program');

# Listeners: add one by reload, then take the first one away.
$t->write_conf(conf_with("server { listen 127.0.0.1:%%PORT_8082%%; return 200 \"new\\n\"; }"));
kill 'HUP', $master;
ok(wait_until(sub { (http_get('/', port => $t->port(8082)) // '') =~ /new/ }, 10),
    'a listener added by reload serves');
(my $only = $conf) =~ s/listen 127\.0\.0\.1:%%PORT_8080%%;/listen 127.0.0.1:%%PORT_8082%%;/;
$only =~ s/%%EXTRA%%//;
$t->write_conf($only);
kill 'HUP', $master;
ok(wait_until(sub {
    !IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port(8080),
        Timeout => 1);
}, 10), 'a listener removed by reload is closed');
