#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Static files: conditional requests, byte ranges, expires, add_header,
# etag, if_modified_since, charset, and exact large-file round trips with
# sendfile on and off.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use POSIX qw/strftime/;

my $t = Test::Portico->new->has(qw/http/)->plan(55);

$t->write_conf(<<'EOF');
events { }
http {
    types { text/html html; text/plain txt; application/octet-stream bin; }
    access_log off;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/html;
        sendfile off;

        location /exp/ { expires 1h; }
        location /hdr/ { add_header X-Test yes; add_header X-Always yes always; }
        location /noetag/ { etag off; }
        location /imsoff/ { if_modified_since off; }
        location /imsbefore/ { if_modified_since before; }
        location /cs/ { charset utf-8; }
        location /sf/ { sendfile on; }
    }
}
EOF

my $data = join '', map { chr(($_ * 7 + 3) % 256) } 0 .. 99;
$t->write_file('html/a.bin', $data);
for my $d (qw/exp hdr noetag imsoff imsbefore/) {
    $t->write_file("html/$d/a.html", "hello\n");
}
$t->write_file('html/cs/a.html', "hi\n");
$t->write_file('html/cs/a.txt', "hi\n");
$t->write_file('html/cs/a.bin', "hi\n");

my $big = '';
srand 7;
$big .= pack('N', int rand 2**32) for 1 .. 256 * 1024;        # 1 MiB
$t->write_file('html/big.bin', $big);
$t->write_file('html/sf/big.bin', $big);

# A fixed old mtime keeps If-Modified-Since comparisons simple.
my $mtime = 1_600_000_000;
utime $mtime, $mtime, map { $t->testdir . "/html/$_" }
    qw{a.bin exp/a.html imsoff/a.html imsbefore/a.html noetag/a.html};
my $lm = strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime $mtime);
my $older = strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime($mtime - 3600));
my $newer = strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime($mtime + 3600));

$t->run;

my $r = http_get('/a.bin');
my ($etag) = $r =~ /^ETag: (\S+)\r$/m;
ok(defined $etag, 'ETag present');
$etag //= '"x"';
like($r, qr{^Last-Modified: \Q$lm\E\r$}m, 'Last-Modified');

# Conditional GET.
like(http_get('/a.bin', 'If-None-Match' => $etag), qr{^HTTP/1\.1 304 }, 'If-None-Match 304');
$r = http_get('/a.bin', 'If-None-Match' => $etag);
is(http_body($r), '', '304 has no body');
like($r, qr{^ETag: \Q$etag\E\r$}m, '304 repeats the ETag');
like(http_get('/a.bin', 'If-None-Match' => '"other", ' . $etag), qr{^HTTP/1\.1 304 },
    'If-None-Match list');
like(http_get('/a.bin', 'If-None-Match' => '*'), qr{^HTTP/1\.1 304 }, 'If-None-Match *');
like(http_get('/a.bin', 'If-None-Match' => '"other"'), qr{^HTTP/1\.1 200 },
    'If-None-Match mismatch 200');
like(http_get('/a.bin', 'If-Modified-Since' => $lm), qr{^HTTP/1\.1 304 },
    'If-Modified-Since exact 304');
like(http_get('/a.bin', 'If-Modified-Since' => $older), qr{^HTTP/1\.1 200 },
    'If-Modified-Since older 200');
like(http_get('/a.bin', 'If-None-Match' => '"other"', 'If-Modified-Since' => $lm),
    qr{^HTTP/1\.1 200 }, 'If-None-Match takes precedence over If-Modified-Since');
like(http_get('/a.bin', 'If-Match' => '"other"'), qr{^HTTP/1\.1 412 }, 'If-Match mismatch 412');
like(http_get('/a.bin', 'If-Match' => $etag), qr{^HTTP/1\.1 200 }, 'If-Match match 200');
like(http_get('/a.bin', 'If-Unmodified-Since' => $older), qr{^HTTP/1\.1 412 },
    'If-Unmodified-Since older 412');
like(http_get('/a.bin', 'If-Unmodified-Since' => $lm), qr{^HTTP/1\.1 200 },
    'If-Unmodified-Since equal 200');
like(http_get('/imsoff/a.html', 'If-Modified-Since' => $lm), qr{^HTTP/1\.1 200 },
    'if_modified_since off');
like(http_get('/a.bin', 'If-Modified-Since' => $newer), qr{^HTTP/1\.1 200 },
    'if_modified_since exact: a later date is 200');
like(http_get('/imsbefore/a.html', 'If-Modified-Since' => $newer),
    qr{^HTTP/1\.1 304 }, 'if_modified_since before: a later date is 304');

# Ranges.
$r = http_get('/a.bin', Range => 'bytes=0-9');
like($r, qr{^HTTP/1\.1 206 }, 'range: 206');
like($r, qr{^Content-Range: bytes 0-9/100\r$}m, 'range: Content-Range');
like($r, qr{^Content-Length: 10\r$}m, 'range: Content-Length');
is(http_body($r), substr($data, 0, 10), 'range: bytes');

$r = http_get('/a.bin', Range => 'bytes=-10');
like($r, qr{^Content-Range: bytes 90-99/100\r$}m, 'suffix range');
is(http_body($r), substr($data, 90), 'suffix range bytes');

$r = http_get('/a.bin', Range => 'bytes=95-');
like($r, qr{^Content-Range: bytes 95-99/100\r$}m, 'open range');
is(http_body($r), substr($data, 95), 'open range bytes');

$r = http_get('/a.bin', Range => 'bytes=50-1000');
like($r, qr{^Content-Range: bytes 50-99/100\r$}m, 'range end clamped');

$r = http_get('/a.bin', Range => 'bytes=0-1,5-6');
like($r, qr{^HTTP/1\.1 206 }, 'multi range: 206');
my ($boundary) = $r =~ m{^Content-Type: multipart/byteranges; boundary=(\S+)\r$}m;
ok(defined $boundary, 'multi range: multipart/byteranges with boundary');
$boundary //= 'none';
my $expect = "\r\n--$boundary\r\nContent-Type: application/octet-stream\r\n"
    . "Content-Range: bytes 0-1/100\r\n\r\n" . substr($data, 0, 2)
    . "\r\n--$boundary\r\nContent-Type: application/octet-stream\r\n"
    . "Content-Range: bytes 5-6/100\r\n\r\n" . substr($data, 5, 2)
    . "\r\n--$boundary--\r\n";
is(http_body($r), $expect, 'multi range: body');
my ($cl) = $r =~ /^Content-Length: (\d+)\r$/m;
is($cl, length $expect, 'multi range: Content-Length');

$r = http_get('/a.bin', Range => 'bytes=200-300');
like($r, qr{^HTTP/1\.1 416 }, 'unsatisfiable: 416');
like($r, qr{^Content-Range: bytes \*/100\r$}m, 'unsatisfiable: Content-Range */size');

like(http_get('/a.bin', Range => 'bytes=abc'), qr{^HTTP/1\.1 (200|416) },
    'malformed range ignored or refused');

like(http_get('/a.bin', Range => 'bytes=0-9', 'If-Range' => $etag),
    qr{^HTTP/1\.1 206 }, 'If-Range matching ETag: 206');
like(http_get('/a.bin', Range => 'bytes=0-9', 'If-Range' => '"other"'),
    qr{^HTTP/1\.1 200 .*^Content-Length: 100\r$}ms, 'If-Range other ETag: full 200');
like(http_get('/a.bin', Range => 'bytes=0-9', 'If-Range' => $lm),
    qr{^HTTP/1\.1 206 }, 'If-Range matching date: 206');
like(http_get('/a.bin', Range => 'bytes=0-9', 'If-Range' => $older),
    qr{^HTTP/1\.1 200 }, 'If-Range other date: 200');

$r = http_head('/a.bin', Range => 'bytes=0-9');
like($r, qr{^HTTP/1\.1 206 .*^Content-Range: bytes 0-9/100\r$}ms, 'HEAD range: 206');
is(http_body($r), '', 'HEAD range: no body');

# expires, add_header, etag off, charset.
$r = http_get('/exp/a.html');
like($r, qr{^Cache-Control: max-age=3600\r$}m, 'expires: Cache-Control');
like($r, qr{^Expires: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT\r$}m, 'expires: Expires');

$r = http_get('/hdr/a.html');
like($r, qr{^X-Test: yes\r$}m, 'add_header on 200');
like($r, qr{^X-Always: yes\r$}m, 'add_header always on 200');
$r = http_get('/hdr/missing.html');
unlike($r, qr{^X-Test:}m, 'add_header not on 404');
like($r, qr{^X-Always: yes\r$}m, 'add_header always on 404');

$r = http_get('/noetag/a.html');
unlike($r, qr{^ETag:}m, 'etag off');
like($r, qr{^Last-Modified:}m, 'etag off keeps Last-Modified');

like(http_get('/cs/a.html'), qr{^Content-Type: text/html; charset=utf-8\r$}m,
    'charset on text/html');
like(http_get('/cs/a.txt'), qr{^Content-Type: text/plain; charset=utf-8\r$}m,
    'charset on text/plain');
like(http_get('/cs/a.bin'), qr{^Content-Type: application/octet-stream\r$}m,
    'no charset on binary types');

# 1 MiB exact round trip, sendfile off and on.
$r = http_get('/big.bin', timeout => 10);
like($r, qr{^Content-Length: 1048576\r$}m, 'big file: length');
ok(http_body($r) eq $big, 'big file, sendfile off: exact bytes');
$r = http_get('/sf/big.bin', timeout => 10);
ok(http_body($r) eq $big, 'big file, sendfile on: exact bytes');
$r = http_get('/sf/big.bin', Range => 'bytes=1000-500999', timeout => 10);
ok(http_body($r) eq substr($big, 1000, 500000), 'big file range, sendfile on');
