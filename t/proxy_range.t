#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Range on a proxied 200 whose backend sent Accept-Ranges (and on a cache
# MISS, where Range is not passed on): the proxy cuts the range out of the
# streamed body, however deep in it the range starts, without stalling on
# the buffers it drops.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(5);

my $size = 1 << 20;
my $body = join('', map { chr(ord('a') + ($_ * 7) % 26) } 0 .. $size - 1);

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    proxy_cache_path %%TESTDIR%%/cache keys_zone=r:1m;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        proxy_read_timeout 5s;
        send_timeout 5s;
        location /plain/ { proxy_pass http://127.0.0.1:%%PORT_be%%; }
        location /cached/ {
            proxy_pass http://127.0.0.1:%%PORT_be%%;
            proxy_cache r;
            proxy_cache_valid 200 10m;
        }
    }
}
EOF2

Test::Portico::Backend->new($t, 'be', record => 0, response => {
    headers => [ 'Accept-Ranges' => 'bytes',
                 'Content-Type' => 'application/octet-stream' ],
    body => $body })->start;
$t->run;

for my $loc (qw/plain cached/) {
    for my $r ([ 0, 9 ], [ 900000, 900009 ]) {
        my ($a, $b) = @$r;
        my $resp = http_get("/$loc/x", 'Range' => "bytes=$a-$b",
                            timeout => 10) // '';
        my $ok = $resp =~ m{^HTTP/1\.1 206 } && http_body($resp) eq
                 substr($body, $a, $b - $a + 1);
        ok($ok, "$loc: bytes=$a-$b answered with the 10 bytes")
            or diag(substr($resp, 0, 200));
    }
}

# The connection is still usable after a range cut out of a long body.
my @two = http_pipeline(
    "GET /plain/y HTTP/1.1\r\nHost: x\r\nRange: bytes=900000-900001\r\n\r\n",
    "GET /plain/z HTTP/1.1\r\nHost: x\r\nRange: bytes=1-2\r\nConnection: close\r\n\r\n",
    { timeout => 10 });
my @n = grep { m{^HTTP/1\.1 206 } } @two;
is(scalar @n, 2, 'two ranged responses on one connection');
