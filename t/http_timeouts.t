#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Timeouts (DESIGN §10: every wait has one): keepalive_timeout,
# send_timeout against a client that stops reading, client_body_timeout.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Socket::INET;
use Socket qw/SOL_SOCKET SO_RCVBUF pack_sockaddr_in inet_aton/;
use Time::HiRes qw/time sleep/;

my $t = Test::Portico->new->has(qw/http/)->plan(9);

$t->write_conf(<<'EOF');
events { }
http {
    types { text/html html; }
    access_log off;
    keepalive_timeout 1s;
    send_timeout 1s;
    client_body_timeout 1s;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/html;

        location /nokeep/ { keepalive_timeout 0; }
    }
}
EOF

my $size = 16 * 1024 * 1024;   # more than the socket buffers hold
$t->write_file('html/a.html', "hello\n");
$t->write_file('html/nokeep/a.html', "hello\n");
$t->write_file('html/big.html', 'x' x $size);
$t->run;

# keepalive_timeout: an idle kept-alive connection is closed after ~1s.
my $s = http("GET /a.html HTTP/1.1\r\nHost: localhost\r\n\r\n", start => 1);
my $r = http_read($s, complete => 1);
like($r, qr{^HTTP/1\.1 200 .*^Connection: keep-alive\r$}ms, 'kept alive');
my $t0 = time;
my $rest = http_read($s, timeout => 4);
my $el = time - $t0;
ok($el > 0.7 && $el < 3, 'keepalive_timeout closes the idle connection')
    or diag("closed after $el s");
is($rest, '', 'nothing sent on keep-alive close');

like(http("GET /nokeep/a.html HTTP/1.1\r\nHost: localhost\r\n\r\n", timeout => 3),
    qr{^Connection: close\r$}m, 'keepalive_timeout 0 disables keep-alive');

# send_timeout: a client that stops reading is dropped.
$s = IO::Socket::INET->new(Proto => 'tcp') or die "socket: $!";
setsockopt($s, SOL_SOCKET, SO_RCVBUF, pack('i', 8192));
$s->connect(pack_sockaddr_in($t->port(8080), inet_aton('127.0.0.1')))
    or die "connect: $!";
print $s "GET /big.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
sleep 3;
$r = http_read($s, timeout => 3);
my $got = length(http_body($r) // '');
ok($got > 0 && $got < $size, 'send_timeout: transfer cut')
    or diag("received $got of $size");

# client_body_timeout: a body that stops arriving.  The static file answers
# 405 at once; the rest of the body is then discarded, and its wait is bounded.
$t0 = time;
$r = http("POST /a.html HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nabc",
    timeout => 8);
$el = time - $t0;
# (nginx bounds this wait by lingering_timeout, 5s, instead)
ok($el > 0.7 && $el < ($t->is_nginx ? 7 : 3),
    'client_body_timeout ends the discarding wait')
    or diag("after $el s");
like($r, qr{^HTTP/1\.1 405 }, 'the answer came before the body ended');
like($r, qr{^Connection: keep-alive\r$}m,
    'the connection would have been kept had the body arrived');

like(http_get('/a.html'), qr{^HTTP/1\.1 200 }, 'still serving');
