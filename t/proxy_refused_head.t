#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# A backend head that Portico refuses (two Content-Lengths, a 101 to a
# request that asked for no upgrade) leaves nothing behind: the 502 that
# answers instead, from the built-in page or from error_page, has its own
# status line and none of the refused head's headers.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(10);

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location /bad/ { proxy_pass http://127.0.0.1:%%PORT_bad%%; }
        location /badnamed/ {
            proxy_pass http://127.0.0.1:%%PORT_bad%%;
            error_page 502 @fallback;
        }
        location /badpage/ {
            proxy_pass http://127.0.0.1:%%PORT_bad%%;
            error_page 502 /err.html;
        }
        location /switch/ {
            proxy_pass http://127.0.0.1:%%PORT_switch%%;
            error_page 502 @fallback;
        }
        location @fallback { return 502 "fallback\n"; }
        location = /err.html { root %%TESTDIR%%; }
    }
}
EOF2
$t->write_file('err.html', "error page\n");

Test::Portico::Backend->new($t, 'bad', response => { raw =>
    "HTTP/1.1 200 OK\r\nSet-Cookie: s=refused\r\nContent-Length: 5\r\n"
    . "Content-Length: 6\r\n\r\nhello" })->start;
Test::Portico::Backend->new($t, 'switch', response => { raw =>
    "HTTP/1.1 101 Switching Protocols\r\nSet-Cookie: s=refused\r\n\r\n" })
    ->start;
$t->run;

# nginx 1.22 takes the last of two Content-Lengths and relays an
# unrequested 101; Portico refuses both heads (DESIGN §10).
portico_only(10, 'nginx 1.22 relays both heads', sub {
    my $r = http_get('/bad/x');
    like($r, qr{^HTTP/1\.1 502 }, 'two Content-Lengths: 502');
    unlike($r, qr/refused/, 'without the refused head\'s headers');

    $r = http_get('/badnamed/x');
    like($r, qr{^HTTP/1\.1 502 .*fallback}s, 'error_page to a named location');
    unlike($r, qr/refused/, 'without the refused head\'s headers');

    $r = http_get('/badpage/x');
    like($r, qr{^HTTP/1\.1 502 .*error page}s, 'error_page to a file');
    unlike($r, qr/refused/, 'without the refused head\'s headers');

    $r = http_get('/switch/x');
    like($r, qr{^HTTP/1\.1 502 .*fallback}s, 'unrequested 101: 502');
    unlike($r, qr/refused|Switching/, 'without the refused head');

    # The connection stays in step: the next request gets its own answer.
    my @r = http_pipeline("GET /switch/a HTTP/1.1\r\nHost: localhost\r\n\r\n",
        "GET /err.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    like($r[0] // '', qr{^HTTP/1\.1 502 }, 'pipelined: 502 first');
    like($r[1] // '', qr{^HTTP/1\.1 200 .*error page}s, 'then the next one');
});
