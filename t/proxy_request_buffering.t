#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# proxy_request_buffering off: the body goes to the backend while the
# client still sends it (the backend is connected before the body ends;
# with buffering on it is not), without a temporary file, with the
# worker's memory bounded; a chunked body goes chunked over HTTP/1.1 and
# is buffered for HTTP/1.0 (as nginx).  And 200 MiB through the proxy
# both ways (an unbuffered upload, a streamed download) with bounded RSS.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use IO::Socket::INET;
use IO::Select;
use Digest::MD5 qw/md5_hex/;
use Time::HiRes qw/time sleep/;
use POSIX ();

my $t = Test::Portico->new->has(qw/http proxy/)->plan(20);

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    client_max_body_size 0;
    client_body_buffer_size 16k;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location /off/ {
            proxy_request_buffering off;
            proxy_http_version 1.1;
            proxy_pass http://127.0.0.1:%%PORT_up%%;
        }
        location /off10/ {
            proxy_request_buffering off;
            proxy_pass http://127.0.0.1:%%PORT_up%%;
        }
        location /on/ {
            proxy_pass http://127.0.0.1:%%PORT_on%%;
        }
        location /down/ {
            proxy_pass http://127.0.0.1:%%PORT_down%%;
        }
        location /slow/ {
            proxy_request_buffering off;
            proxy_pass http://127.0.0.1:%%PORT_slow%%;
        }
    }
}
EOF2

my $DOWN = 200 * 1024 * 1024;
my %be;
$be{$_} = Test::Portico::Backend->new($t, $_, record_max => 256)->start
    for qw/up on/;
$be{down} = Test::Portico::Backend->new($t, 'down', record => 0,
    response => { body_size => $DOWN })->start;
# A backend that reads the body slowly, so sending to it stalls while the
# client goes on sending: what came meanwhile must not overwrite what is
# still on its way.  It answers with the MD5 and length of what it got.
my $slow_port = $t->port('slow');
my $slow_pid = fork // die "fork: $!";
if ($slow_pid == 0) {
    my $ls = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $slow_port,
        Listen => 4, ReuseAddr => 1) or POSIX::_exit(1);
    while (my $c = $ls->accept) {
        my $head = '';
        while ($head !~ /\r\n\r\n/) { sysread($c, $head, 1, length $head) or last }
        my ($len) = $head =~ /Content-Length: (\d+)/i;
        my ($got, $md5, $buf) = (0, Digest::MD5->new, '');
        while ($got < ($len // 0)) {
            my $n = sysread($c, $buf, 65536) or last;
            $got += $n;
            $md5->add($buf);
            select(undef, undef, undef, 0.002);
        }
        my $body = $md5->hexdigest . " $got\n";
        print $c "HTTP/1.1 200 OK\r\nContent-Length: " . length($body)
            . "\r\nConnection: close\r\n\r\n$body";
        close $c;
    }
    POSIX::_exit(0);
}
END { kill 'TERM', $slow_pid if $slow_pid; }

$t->run;

my ($worker) = $t->worker_pids;
sub rss_kb {
    open my $fh, '<', "/proc/$worker/status" or return 0;
    while (<$fh>) { return $1 if /^VmRSS:\s+(\d+) kB/ }
    return 0;
}
sub connect8080 {
    IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port(8080))
        or die "connect: $!";
}

# Half a body, then a pause: who has the backend heard from?
for my $case ([ 'off', 1, 'unbuffered: the backend is connected before '
                         . 'the body ends' ],
              [ 'on', 0, 'buffered: the backend waits for the whole body' ]) {
    my ($loc, $want, $name) = @$case;
    my $be = $be{$loc eq 'off' ? 'up' : 'on'};
    my $before = $be->accepts;
    my $s = connect8080();
    print $s "POST /$loc/half HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        . "Content-Length: 200000\r\n\r\n" . ('h' x 100000);
    my $seen = 0;
    my $t0 = time;
    while (time - $t0 < 1.5) {
        $seen = $be->accepts - $before;
        last if $seen && $want;
        sleep 0.1;
    }
    is($seen ? 1 : 0, $want, $name);
    print $s 'h' x 100000;
    my $r = http_read($s, timeout => 10) // '';
    like($r, qr{^HTTP/1\.1 200 }, "$loc: the request completes");
    is(($be->last_request // {})->{body_len}, 200000, "$loc: every byte arrived");
}

# A chunked body: chunked upstream over HTTP/1.1, buffered over HTTP/1.0.
my $cb = 'c' x 50000;
my $chunked = sprintf("%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n", 20000,
    substr($cb, 0, 20000), 30000, substr($cb, 20000));
for my $case ([ 'off', 'chunked' ], [ 'off10', 'length' ]) {
    my ($loc, $how) = @$case;
    my $r = http("POST /$loc/chunked HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        . "Transfer-Encoding: chunked\r\n\r\n$chunked", timeout => 10) // '';
    like($r, qr{^HTTP/1\.1 200 }, "$loc: chunked request body proxied");
    my $q = $be{up}->last_request // {};
    if ($how eq 'chunked') {
        is($q->{headers}{'transfer-encoding'}, 'chunked',
           'HTTP/1.1 upstream: the body stays chunked');
    } else {
        is($q->{headers}{'content-length'}, 50000,
           'HTTP/1.0 upstream: buffered, sent with Content-Length');
    }
    is($q->{body_md5}, md5_hex($cb), "$loc: the body intact");
}

# 20 MiB to the slow reader, sent as fast as the proxy takes it.
{
    my $size = 20 * 1024 * 1024;
    my $piece = join('', map { chr(ord('a') + ($_ * 7) % 26) } 0 .. 65535);
    my $s = connect8080();
    print $s "POST /slow/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        . "Content-Length: $size\r\n\r\n";
    print $s $piece for 1 .. $size / 65536;
    my $r = http_read($s, timeout => 60) // '';
    is(http_body($r), md5_hex($piece x ($size / 65536)) . " $size\n",
       'a backend reading slowly gets every byte, in order');
}

# 200 MiB up, unbuffered, written in pieces while RSS is watched.
my $UP = 200 * 1024 * 1024;
my $piece = join('', map { chr(ord('A') + $_ % 26) } 0 .. 65535);
my $s = connect8080();
print $s "POST /off/up HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    . "Content-Length: $UP\r\n\r\n";
my $peak = 0;
for (1 .. $UP / 65536) {
    print $s $piece;
    if ($_ % 128 == 0) { my $k = rss_kb(); $peak = $k if $k > $peak }
}
my $r = http_read($s, timeout => 60) // '';
like($r, qr{^HTTP/1\.1 200 }, '200 MiB upload, unbuffered: 200')
    or diag(substr($r, 0, 200));
cmp_ok($peak, '<', 30 * 1024, "... worker RSS bounded (peak $peak kB)");
my $q = $be{up}->last_request // {};
is($q->{body_len}, $UP, '... the backend got every byte');
is($q->{body_md5}, md5_hex($piece x ($UP / 65536)), '... intact');
unlike($t->error_log, qr/temporary file.*"POST \/off\/up/,
       '... and no temporary file was used');

# 200 MiB down, read at once, RSS watched.
$s = connect8080();
print $s "GET /down/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
my $sel = IO::Select->new($s);
my ($got, $head, $buf, $maxrss) = (0, '', '', 0);
my $t0 = time;
while (time - $t0 < 60 && $sel->can_read(10)) {
    my $n = sysread($s, $buf, 1 << 20);
    last unless $n;
    if ($head !~ /\r\n\r\n/) {
        $head .= $buf;
        my $p = index($head, "\r\n\r\n");
        next if $p < 0;
        $n = length($head) - $p - 4;
        $head = substr($head, 0, $p + 4);
    }
    $got += $n;
    if (($got >> 24) != (($got - $n) >> 24)) {
        my $k = rss_kb();
        $maxrss = $k if $k > $maxrss;
    }
}
is($got, $DOWN, '200 MiB download: every byte');
cmp_ok($maxrss, '<', 30 * 1024, "... worker RSS bounded (peak $maxrss kB)");
