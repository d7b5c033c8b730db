#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Static files on both sides of the small-file threshold (16 KiB: read and
# sent from memory with the head; larger: sendfile) arrive byte-exact, with
# ranges and HEAD answered alike.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Digest::MD5 qw/md5_hex/;

my @sizes = (0, 1, 16383, 16384, 16385, 1 << 20);
my $t = Test::Portico->new->has(qw/http/)->plan(3 * @sizes + 2);

my %body;
for my $n (@sizes) {
    $body{$n} = join('', map { chr(($_ * 7 + $n) % 251) } 0 .. $n - 1);
    $t->write_file("www/f$n", $body{$n});
}

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/www;
    }
}
EOF2
$t->run;

for my $n (@sizes) {
    my $r = http_get("/f$n", timeout => 10) // '';
    my ($len) = $r =~ /^Content-Length: (\d+)/mi;
    is($len, $n, "$n bytes: Content-Length");
    is(md5_hex(http_body($r)), md5_hex($body{$n}), "$n bytes: the body intact");
    my $h = http_head("/f$n") // '';
    ok($h =~ /\r\n\r\n\z/ && $h =~ m{^HTTP/1\.1 200 }, "$n bytes: HEAD without a body");
}

my $r = http_get('/f16384', 'Range' => 'bytes=100-199') // '';
like($r, qr{^HTTP/1\.1 206 .*Content-Range: bytes 100-199/16384}s,
     'a range of a small file: 206');
is(http_body($r), substr($body{16384}, 100, 100), '... the bytes asked for');
