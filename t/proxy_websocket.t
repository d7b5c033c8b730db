#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Upgrade/websocket tunnelling with nginx's usual idiom (map $http_upgrade
# $connection_upgrade): the backend's 101 reaches the client, then bytes
# flow both ways until one side closes; without the idiom no switch.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Socket::INET;
use IO::Select;
use POSIX qw/:sys_wait_h/;

my $t = Test::Portico->new->has(qw/http proxy map/)->plan(7);

my $bport = $t->port('ws');
my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $bport,
    Listen => 8, ReuseAddr => 1) or die "listen: $!";

# An echo backend: answers 101 when asked to upgrade, then echoes.
my $pid = fork() // die "fork: $!";
if ($pid == 0) {
    local $SIG{ALRM} = sub { exit 0 };
    alarm 20;
    while (my $c = $listen->accept) {
        my $head = '';
        while (<$c>) { $head .= $_; last if $_ eq "\r\n"; }
        if ($head =~ /^Upgrade: websocket\r$/mi && $head =~ /^Connection: upgrade\r$/mi) {
            print $c "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                . "Connection: Upgrade\r\n\r\n";
            $c->autoflush(1);
            while (sysread($c, my $buf, 4096)) { syswrite($c, "echo:$buf"); }
        } else {
            print $c "HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nno-ws-\r\n";
        }
        close $c;
    }
    exit 0;
}
close $listen;

$t->write_conf(<<'EOF');
events { }
http {
    access_log off;
    map $http_upgrade $connection_upgrade {
        default upgrade;
        ''      close;
    }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location /ws/ {
            proxy_pass http://127.0.0.1:%%PORT_ws%%;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 5s;
        }
        location /plain/ { proxy_pass http://127.0.0.1:%%PORT_ws%%; }
    }
}
EOF
$t->run;

my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port(8080))
    or die "connect: $!";
$s->autoflush(1);
print $s "GET /ws/chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";

my $head = '';
my $sel = IO::Select->new($s);
while ($sel->can_read(5)) {
    sysread($s, my $buf, 4096) or last;
    $head .= $buf;
    last if $head =~ /\r\n\r\n/;
}
like($head, qr{^HTTP/1\.1 101 }, '101 relayed');
like($head, qr{^Upgrade: websocket\r$}mi, 'Upgrade passed');
like($head, qr{^Connection: upgrade\r$}mi, 'Connection: upgrade');
unlike($head, qr{^Content-Length:}mi, 'no Content-Length on a 101 (RFC 9110 8.6)');

syswrite($s, "ping");
my $got = '';
while ($got !~ /ping/ && $sel->can_read(5)) { sysread($s, my $b, 4096) or last; $got .= $b; }
is($got, 'echo:ping', 'bytes flow both ways');
close $s;

# The client speaks at once, more than proxy_buffer_size, with its head:
# every byte reaches the backend.
my $s2 = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port(8080))
    or die "connect: $!";
my $early = 'e' x 6000;
# (a head over 1 KiB makes the server read into a large buffer, 8 KiB,
# which then holds most of those bytes too)
syswrite($s2, "GET /ws/chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
    . "X-Pad: " . ('p' x 1500) . "\r\nConnection: Upgrade\r\n\r\n$early");
my $sel2 = IO::Select->new($s2);
my $all = '';
while ($sel2->can_read(3)) { sysread($s2, my $b, 65536) or last; $all .= $b; }
(my $data = $all) =~ s/echo://g;
my $echoed = 0;
$echoed += length for $data =~ /(e{10,})/g;
is($echoed, 6000, 'bytes sent with the upgrade request all reach the backend');
close $s2;

like(http_get('/plain/x', Upgrade => 'websocket', Connection => 'Upgrade'),
    qr{^HTTP/1\.1 200 .*no-ws-}s, 'without the idiom, no switch');

kill 'TERM', $pid;
waitpid($pid, 0);
