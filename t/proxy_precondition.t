#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Conditional requests on proxied responses: when the not-modified filter
# turns a backend's 200 into 412 Precondition Failed, the client gets a
# whole 412 response (status line and head), never the backend's body
# bare, and the connection stays in step for the next request.
#
# As nginx, If-Match/If-Unmodified-Since are judged again only for
# responses that go into the cache; otherwise the backend's answer stands
# (a PUT with If-Match that the backend carried out is not turned into a
# 412 because the new ETag differs).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;

my $t = Test::Portico->new->has(qw/http proxy proxy_cache/)->plan(8);

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    proxy_cache_path %%TESTDIR%%/cache keys_zone=one:1m;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location /nolm/ { proxy_pass http://127.0.0.1:%%PORT_nolm%%; }
        location /lm/ { proxy_pass http://127.0.0.1:%%PORT_lm%%; }
        location /c/ {
            proxy_pass http://127.0.0.1:%%PORT_nolm%%;
            proxy_cache one;
            proxy_cache_valid 200 1m;
        }
    }
}
EOF2

Test::Portico::Backend->new($t, 'nolm',
    response => { body => "backend body\n" })->start;
Test::Portico::Backend->new($t, 'lm', response => { headers => [
    'Last-Modified' => 'Mon, 01 Jan 2024 00:00:00 GMT', 'ETag' => '"abc"' ],
    body => "backend body\n" })->start;
$t->run;

my $ius = 'Fri, 01 Jan 2100 00:00:00 GMT';

# Without Last-Modified, If-Unmodified-Since cannot hold (RFC 9110 13.1.4).
# A cacheable miss: nginx answers 412 here too.
my $r = http_get('/c/x', 'If-Unmodified-Since' => $ius);
like($r, qr{^HTTP/1\.1 412 }, 'cache miss: 412 with a status line');
unlike($r, qr/backend body/, 'and not the backend body');

# The 412 is framed: whatever follows it is a whole response (nginx closes
# the connection after it, Portico answers the next request).
my @r = http_pipeline(
    "GET /c/y HTTP/1.1\r\nHost: localhost\r\n"
        . "If-Unmodified-Since: $ius\r\n\r\n",
    "GET /lm/b HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
like($r[0] // '', qr{^HTTP/1\.1 412 }, 'pipelined: first is 412');
like($r[1] // '', qr{^(?:HTTP/1\.1 200 .*backend body\n)?\z}s,
    'then nothing, or a whole response');

$r = http_get('/lm/x', 'If-Unmodified-Since' => $ius);
like($r, qr{^HTTP/1\.1 200 .*backend body}s, 'unmodified since: 200');

# Not cached: the backend has judged the conditions, its answer stands
# (as nginx).  A PUT with If-Match, done by the backend and answered with
# the new ETag, is a success, not a 412.
$r = http_get('/nolm/x', 'If-Unmodified-Since' => $ius);
like($r, qr{^HTTP/1\.1 200 .*backend body}s, 'uncached: the backend answers');
$r = http_get('/lm/x', 'If-Match' => '"other"');
like($r, qr{^HTTP/1\.1 200 .*backend body}s, 'uncached If-Match: the backend answers');
$r = http("PUT /lm/doc HTTP/1.1\r\nHost: localhost\r\nIf-Match: \"old\"\r\n"
    . "Content-Length: 3\r\nConnection: close\r\n\r\nnew");
like($r, qr{^HTTP/1\.1 200 }, 'PUT If-Match done by the backend: 200, not 412');
