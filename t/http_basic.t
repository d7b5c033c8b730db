#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Basic HTTP/1.x serving of static files: headers, keep-alive, pipelining,
# request bodies, Expect: 100-continue, server_tokens, keepalive_requests.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use POSIX qw/strftime/;
use Time::HiRes qw/time/;

my $t = Test::Portico->new->has(qw/http/)->plan(32);

$t->write_conf(<<'EOF');
events { }
http {
    types { text/html html; text/plain txt; }
    default_type application/octet-stream;
    access_log off;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/html;

        location /k/ { keepalive_requests 2; }
    }

    server {
        listen 127.0.0.1:%%PORT_8081%%;
        root %%TESTDIR%%/html;
        server_tokens off;
    }
}
EOF

$t->write_file('html/a.html', 'A' x 100);
$t->write_file('html/b.txt', "bee\n");
$t->write_file('html/c.bin', "\0\1\2");
$t->write_file('html/k/x.html', 'x');
$t->run;

my $mtime = (stat($t->testdir . '/html/a.html'))[9];
my $lm = strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime $mtime);

# GET of a static file: every standard header.
my $r = http_get('/a.html');
like($r, qr{^HTTP/1\.1 200 OK\r\n}, 'GET 200');
like($r, qr{^Server: \w+/\d+\.\d+\.\d+\r$}m, 'Server with version');
like($r, qr{^Date: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r$}m, 'Date');
like($r, qr{^Content-Type: text/html\r$}m, 'Content-Type from types');
like($r, qr{^Content-Length: 100\r$}m, 'Content-Length');
like($r, qr{^Last-Modified: \Q$lm\E\r$}m, 'Last-Modified is the mtime');
like($r, qr{^ETag: "[0-9a-f]+-[0-9a-f]+"\r$}m, 'ETag');
like($r, qr{^Accept-Ranges: bytes\r$}m, 'Accept-Ranges');
is(http_body($r), 'A' x 100, 'body');
like(http_get('/c.bin'), qr{^Content-Type: application/octet-stream\r$}m,
    'default_type');

# HEAD: the same head, no body.
$r = http_head('/a.html');
like($r, qr{^HTTP/1\.1 200 .*^Content-Length: 100\r$}ms, 'HEAD 200 with length');
is(http_body($r), '', 'HEAD has no body');

like(http_get('/nope.html'), qr{^HTTP/1\.1 404 }, 'missing file: 404');

# Keep-alive: two requests on one connection.
$r = http("GET /a.html HTTP/1.1\r\nHost: localhost\r\n\r\n"
    . "GET /b.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
my @r = split_responses($r);
is(scalar @r, 2, 'keep-alive: two responses');
like($r[0] // '', qr{^Connection: keep-alive\r$}m, 'keep-alive: first kept');
is(http_body($r[1] // ''), "bee\n", 'keep-alive: second body');

# HTTP/1.0 closes by default; "Connection: close" closes.
my $t0 = time;
$r = http("GET /b.txt HTTP/1.0\r\n\r\n");
ok(time - $t0 < 2, 'HTTP/1.0 closed at once');
unlike($r, qr{^Connection: keep-alive}mi, 'HTTP/1.0 not kept alive');

$t0 = time;
$r = http("GET /b.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
ok(time - $t0 < 2, 'Connection: close honoured');
like($r, qr{^Connection: close\r$}m, 'Connection: close echoed');
portico_only(1, 'nginx takes the last Connection line', sub {
    my $r2 = http("GET /b.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        . "Connection: keep-alive\r\n\r\n");
    like($r2, qr{^Connection: close\r$}m,
        'close in one Connection line, keep-alive in the next: closed');
});

# Pipelining: three requests in one write, three responses in order.
@r = http_pipeline(
    "GET /b.txt HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "GET /a.html HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "GET /c.bin HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
is(scalar @r, 3, 'pipelining: three responses');
is(join('|', map { length(http_body($_) // '') } @r), '4|100|3',
    'pipelining: in order');

# A body to a static file: 405, body read and discarded either way.
like(http("POST /a.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    . "Content-Length: 3\r\n\r\nabc"), qr{^HTTP/1\.1 405 }, 'POST static 405');
like(http("POST /a.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    . "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"),
    qr{^HTTP/1\.1 405 }, 'POST chunked static 405');

# The body is discarded correctly: the next request on the connection works.
@r = http_pipeline(
    "POST /a.html HTTP/1.1\r\nHost: localhost\r\nContent-Length: 6\r\n\r\n"
    . "GET /x",
    "GET /b.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
is(http_body($r[1] // ''), "bee\n", 'discarded body does not leak');

# Expect: 100-continue.
my $s = http("GET /b.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    . "Expect: 100-continue\r\nContent-Length: 3\r\n\r\n", start => 1);
my $first = http_read($s, timeout => 1);
like($first, qr{^HTTP/1\.1 100 Continue\r\n\r\n}, '100 Continue before body');
$r = http('abc', socket => $s);
like($first . $r, qr{^HTTP/1\.1 100 Continue\r\n\r\nHTTP/1\.1 200 .*bee\n\z}s,
    'final response after 100');

# server_tokens off: no version anywhere.
$r = http_get('/a.html', port => 8081);
like($r, qr{^Server: \w+\r$}m, 'server_tokens off: Server without version');
$r = http_get('/nope', port => 8081);
unlike($r, qr{\d+\.\d+\.\d+}, 'server_tokens off: error page without version');

# keepalive_requests 2: the second response closes the connection.
@r = http_pipeline(("GET /k/x.html HTTP/1.1\r\nHost: localhost\r\n\r\n") x 3);
is(scalar @r, 2, 'keepalive_requests: two answered');
like($r[1] // '', qr{^Connection: close\r$}m,
    'keepalive_requests: last says close');
