#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# proxy_next_upstream on statuses and invalid heads, as nginx: with no
# other server left, a listed status (503) is passed to the client as the
# backend sent it, and the server is not taken out; a retry after an
# invalid head keeps nothing of it (status, headers, framing).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(7)
    ->allow_errors(qr/upstream sent invalid header/);

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    upstream one { server 127.0.0.1:%%PORT_busy%%; }
    upstream pair {
        server 127.0.0.1:%%PORT_bad%%;
        server 127.0.0.1:%%PORT_good%%;
    }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location /one/ {
            proxy_pass http://one;
            proxy_next_upstream error http_503;
        }
        location /pair/ {
            proxy_pass http://pair;
            proxy_next_upstream error invalid_header;
        }
    }
}
EOF2

my $busy = Test::Portico::Backend->new($t, 'busy', response => {
    status => 503, headers => [ 'Retry-After' => '5' ], body => "busy\n" })->start;
Test::Portico::Backend->new($t, 'bad', response => { raw =>
    "HTTP/1.1 299 Odd\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n"
    . "X-Bad: 1\r\n\r\n3\r\nabc\r\n0\r\n\r\n" })->start;
Test::Portico::Backend->new($t, 'good', response => { body => "good\n" })->start;
$t->run;

my $r = http_get('/one/a') // '';
like($r, qr{^HTTP/1\.1 503 }, 'the only server answers 503: passed on');
like($r, qr/^Retry-After: 5\r$/m, '... with its headers');
is(http_body($r), "busy\n", '... and its body');
like(http_get('/one/b') // '', qr{^HTTP/1\.1 503 .*busy}s,
     'the server was not taken out: it answers again');

my @p = map { http_get("/pair/$_") // '' } 1 .. 4;
is(scalar(grep { m{^HTTP/1\.1 200 OK\r\n} } @p), 4,
   'after an invalid head, the next server\'s answer: 200 each time');
is(scalar(grep { http_body($_) eq "good\n" } @p), 4, '... with its body');
is(scalar(grep { /X-Bad/ } @p), 0, '... and nothing of the invalid head');
