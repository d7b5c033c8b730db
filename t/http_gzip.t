#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The gzip filter: round trips at every size that matters, Accept-Encoding
# negotiation, what must never be compressed, ETag/Vary/Content-Length,
# gzip_types, gzip_disable, gzip_http_version, gzip_proxied (a Via header),
# small gzip_buffers (back-pressure), keep-alive reuse and $gzip_ratio.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Uncompress::Gunzip qw/gunzip $GunzipError/;

my $t = Test::Portico->new->has(qw/http gzip/)->plan(63);

$t->write_conf(<<'EOF');
events { }
http {
    types { text/html html; text/plain txt; application/octet-stream bin; }
    log_format ratio '$uri $gzip_ratio';
    access_log %%TESTDIR%%/logs/ratio.log ratio;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/html;
        gzip on;
        gzip_min_length 100;
        gzip_vary on;
        gzip_types text/plain;

        location /small/ { gzip_comp_level 9; gzip_buffers 2 1k; }
        location /any/ { gzip_types *; }
        location /nomin/ { gzip_min_length 0; }
        location /off/ { gzip off; }
        location /dis/ { gzip_disable "curl/\d" msie6; }
        location /v10/ { gzip_http_version 1.0; }
        location /prox/ { gzip_proxied any; }
        location /proxetag/ { gzip_proxied no_etag; }
        location /proxlm/ { gzip_proxied no_last_modified auth; }
        location /novary/ { gzip_vary off; }
    }
}
EOF

# Compressible but not trivial: words with a varying counter.
sub text {
    my ($n) = @_;
    my $s = '';
    my $i = 0;
    $s .= "line " . $i++ . " of some html text <p>\n" while length $s < $n;
    return substr($s, 0, $n);
}

my %size = (s0 => 0, s1 => 1, s99 => 99, s100 => 100, s64k => 65536,
    s10m => 10 * 1024 * 1024);
$t->write_file("html/$_.html", text($size{$_})) for keys %size;
$t->write_file("html/nomin/$_.html", text($size{$_})) for qw/s0 s1/;
$t->write_file('html/a.txt', text(500));
$t->write_file('html/a.bin', text(500));
$t->write_file("html/$_/a.html", text(500))
    for qw/small any off dis v10 prox proxetag proxlm novary/;
$t->write_file('html/any/a.bin', text(500));
$t->write_file('html/small/big.html', text(1024 * 1024));
$t->run;

# (parsed response, decoded body) of a GET with the given headers.
sub get {
    my ($uri, @h) = @_;
    my $raw = http_get($uri, @h);
    my $r = parse_response($raw) or return ({ headers => {} }, undef);
    my $body = http_body($raw);
    if (($r->{headers}{'content-encoding'} // '') eq 'gzip') {
        my $plain;
        gunzip(\$body => \$plain) or return ($r, "gunzip: $GunzipError");
        $body = $plain;
    }
    return ($r, $body);
}

sub gzipped { (($_[0]{headers}{'content-encoding'} // '') eq 'gzip') ? 1 : 0 }

my @ae = ('Accept-Encoding' => 'gzip');
my ($r, $b);

# Sizes: below gzip_min_length stays plain with its length; from it on,
# gzip, chunked, and the bytes come back exactly.
for my $k (qw/s0 s1 s99/) {
    ($r, $b) = get("/$k.html", @ae);
    ok(!gzipped($r) && $r->{headers}{'content-length'} == $size{$k},
        "$k: below gzip_min_length not compressed");
    is($b, text($size{$k}), "$k: body");
}

for my $k (qw/s100 s64k s10m/) {
    ($r, $b) = get("/$k.html", @ae);
    ok(gzipped($r), "$k: compressed");
    ok(!exists $r->{headers}{'content-length'}, "$k: no Content-Length");
    is($r->{headers}{'transfer-encoding'}, 'chunked', "$k: chunked");
    ok(defined $b && $b eq text($size{$k}), "$k: round trip");
}

for my $k (qw/s0 s1/) {
    ($r, $b) = get("/nomin/$k.html", @ae);
    ok(gzipped($r) && $b eq text($size{$k}),
        "gzip_min_length 0: $k round trip");
}

# The 10 MiB response comes in many chunks with well-formed framing.
my $raw = http_get('/s10m.html', @ae);
my $body = substr($raw, index($raw, "\r\n\r\n") + 4);
my ($chunks, $ok) = (0, 1);
while ($body =~ s/^([0-9a-f]+)\r\n//) {
    my $n = hex $1;
    $chunks++;
    if ($n == 0) { $ok = $body eq "\r\n"; last }
    substr($body, $n, 2) eq "\r\n" or do { $ok = 0; last };
    substr($body, 0, $n + 2) = '';
}
ok($ok && $chunks > 2, "10 MiB: $chunks well-formed chunks");

# Small gzip_buffers: the filter waits for the client to drain them.
($r, $b) = get('/small/big.html', @ae);
ok(gzipped($r) && $b eq text(1024 * 1024), 'gzip_buffers 2 1k: round trip');

# Accept-Encoding: q-values, "*", case, x-gzip.
my %accept = ('gzip;q=0' => 0, 'gzip; q=0.000' => 0, 'GZIP' => 1,
    'deflate, gzip;q=0.1' => 1, 'identity' => 0, '*;q=0' => 0,
    'gzip;q=0, *' => 0, 'br;q=1, gzip ; q=1.0' => 1, 'gzip;q=garbage' => 0);
for my $v (sort keys %accept) {
    ($r, $b) = get('/s100.html', 'Accept-Encoding' => $v);
    is(gzipped($r), $accept{$v}, "Accept-Encoding: $v");
}
# RFC 9110 12.5.3: "*" stands for codings not listed; x-gzip is gzip.
portico_only(3, 'nginx ignores "*" and x-gzip', sub {
    for my $v ('*', 'br, *;q=0.5', 'x-gzip') {
        ($r, $b) = get('/s100.html', 'Accept-Encoding' => $v);
        is(gzipped($r), 1, "Accept-Encoding: $v");
    }
});

# Without Accept-Encoding: plain, length kept, but Vary says why.
($r, $b) = get('/s100.html');
ok(!gzipped($r) && $r->{headers}{'content-length'} == 100,
    'no Accept-Encoding: plain');
is($r->{headers}{vary}, 'Accept-Encoding', 'Vary on a plain response');

($r, $b) = get('/s100.html', @ae);
is(scalar(grep { lc $_->[0] eq 'vary' } @{ $r->{header_list} }), 1,
    'Vary once');
like($r->{headers}{etag}, qr{^W/"[0-9a-f]+-[0-9a-f]+"$}, 'ETag made weak');
ok(!exists $r->{headers}{'accept-ranges'}, 'no Accept-Ranges');
($r, $b) = get('/s100.html');
like($r->{headers}{etag}, qr{^"}, 'ETag strong when plain');
($r, $b) = get('/novary/a.html', @ae);
ok(gzipped($r) && !exists $r->{headers}{vary}, 'gzip_vary off');

# Never: HEAD, a range, gzip off, a type not listed.
portico_only(1, 'nginx labels a HEAD as it would the GET', sub {
    $raw = http_head('/s64k.html', @ae);
    ok($raw !~ /^Content-Encoding/mi
        && $raw =~ /^Content-Length: 65536\r$/mi, 'HEAD not compressed');
});
portico_only(2, 'nginx drops the range and compresses', sub {
    $raw = http_get('/s64k.html', @ae, Range => 'bytes=0-9');
    like($raw, qr{^HTTP/1.1 206 }, 'range: 206');
    ok($raw !~ /^Content-Encoding/mi
        && http_body($raw) eq substr(text(65536), 0, 10),
        'range not compressed');
});
($r, $b) = get('/off/a.html', @ae);
ok(!gzipped($r), 'gzip off');
($r, $b) = get('/a.txt', @ae);
ok(gzipped($r) && $b eq text(500), 'gzip_types text/plain');
($r, $b) = get('/a.bin', @ae);
ok(!gzipped($r), 'type not listed');
($r, $b) = get('/any/a.bin', @ae);
ok(gzipped($r) && $b eq text(500), 'gzip_types *');

# gzip_disable: a regex on User-Agent and msie6.
($r, $b) = get('/dis/a.html', @ae, 'User-Agent' => 'curl/8.5.0');
ok(!gzipped($r), 'gzip_disable regex');
($r, $b) = get('/dis/a.html', @ae,
    'User-Agent' => 'Mozilla/4.0 (compatible; MSIE 6.0; Windows NT 5.1)');
ok(!gzipped($r), 'gzip_disable msie6');
($r, $b) = get('/dis/a.html', @ae, 'User-Agent' => 'Mozilla/5.0 Firefox');
ok(gzipped($r), 'gzip_disable: other agents compressed');

# gzip_http_version.
($r, $b) = get('/a.txt', @ae, version => '1.0');
ok(!gzipped($r), 'HTTP/1.0 below gzip_http_version 1.1');
($r, $b) = get('/v10/a.html', @ae, version => '1.0');
ok(gzipped($r) && $b eq text(500), 'gzip_http_version 1.0');

# gzip_proxied: a Via header marks a proxied request.
($r, $b) = get('/a.txt', @ae, Via => '1.1 cache');
ok(!gzipped($r), 'gzip_proxied off (default)');
($r, $b) = get('/prox/a.html', @ae, Via => '1.1 cache');
ok(gzipped($r), 'gzip_proxied any');
($r, $b) = get('/proxetag/a.html', @ae, Via => '1.1 cache');
ok(!gzipped($r), 'gzip_proxied no_etag: has an ETag');
($r, $b) = get('/proxetag/a.html', @ae);
ok(gzipped($r), 'gzip_proxied applies only with Via');
portico_only(1, 'nginx sees no Last-Modified on static files here', sub {
    ($r, $b) = get('/proxlm/a.html', @ae, Via => '1.1 cache');
    ok(!gzipped($r), 'gzip_proxied no_last_modified: has Last-Modified');
});
($r, $b) = get('/proxlm/a.html', @ae, Via => '1.1 cache',
    Authorization => 'Basic eDp5');
ok(gzipped($r), 'gzip_proxied auth');

# Keep-alive: compressors are reused between requests on one connection.
my @resp = http_pipeline(
    "GET /s64k.html HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n",
    "GET /small/a.html HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n",
    "GET /s64k.html HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n"
    . "Connection: close\r\n\r\n");
my @plain = map {
    my $z = http_body($_) // '';
    my $p;
    gunzip(\$z => \$p) ? $p : '';
} @resp;
is(scalar @resp, 3, 'three pipelined responses');
ok($plain[0] eq text(65536) && $plain[1] eq text(500)
    && $plain[2] eq text(65536), 'pipelined round trips');

# $gzip_ratio: a ratio for compressed responses, "-" for the others.
$t->stop;
my $log = $t->read_file('logs/ratio.log') // '';
like($log, qr{^/s64k\.html \d+\.\d\d$}m, '$gzip_ratio logged');
like($log, qr{^/s1\.html -$}m, '$gzip_ratio empty when plain');
