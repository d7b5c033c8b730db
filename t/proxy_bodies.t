#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Bodies through the proxy: chunked and close-delimited responses relayed,
# trailers dropped, HEAD/204/304 without bodies (the next response on the
# connection intact), request bodies (Content-Length and chunked from the
# client: the backend gets Content-Length and the exact bytes), and a
# 50 MiB response streamed with the worker's RSS bounded.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::MD5 ();
use IO::Select;
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use Time::HiRes qw/time sleep/;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(20);

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / { proxy_pass http://127.0.0.1:%%PORT_b%%; }
        location /big/ {
            proxy_pass http://127.0.0.1:%%PORT_big%%;
        }
    }
}
EOF2

my $chunk_body = join('', map { "line $_\n" } 1 .. 2000);
my $be = Test::Portico::Backend->new($t, 'b', handler => sub {
    my ($req) = @_;
    my $u = $req->{uri};
    return { framing => 'chunked', chunk => 1000, body => $chunk_body,
        trailers => "X-Trailer: t\r\n" } if $u =~ m{^/chunked};
    return { framing => 'close', body => "closed body\n" } if $u =~ m{^/close};
    return { status => 204, headers => [ 'X-A' => 1 ] } if $u =~ m{^/204};
    return { status => 304, headers => [ ETag => '"x"' ] } if $u =~ m{^/304};
    return { body => 'len=' . length($req->{body}) . ' md5='
        . Digest::MD5::md5_hex($req->{body}) } if $u =~ m{^/echo};
    return { body => "hello head\n" };
})->start;
my $big = 50 * 1024 * 1024;
Test::Portico::Backend->new($t, 'big', record => 0,
    response => { body_size => $big })->start;
$t->run;

# Chunked response.
my $r = http_get('/chunked');
like($r, qr{^HTTP/1\.1 200 .*\r\nTransfer-Encoding: chunked\r\n}s,
    'chunked: relayed chunked to an HTTP/1.1 client');
is(http_body($r), $chunk_body, 'chunked: body intact');
unlike($r, qr/X-Trailer/, 'chunked: trailer dropped');
$r = http_get('/chunked', version => '1.0');
my $p = parse_response($r) // {};
is($p->{body}, $chunk_body, 'chunked: HTTP/1.0 client gets the plain body');

# Close-delimited response.
$r = http_get('/close');
is(http_body($r), "closed body\n", 'close-delimited: body intact');

# HEAD, 204 and 304 have no body; pipelined, the next response must follow.
my @r = split_responses(http("HEAD /h HTTP/1.1\r\nHost: x\r\n\r\n"
    . "GET /204 HTTP/1.1\r\nHost: x\r\n\r\n"
    . "GET /304 HTTP/1.1\r\nHost: x\r\n\r\n"
    . "GET /h HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), head => 0);
# split_responses would read a body for HEAD: cut by hand instead.
my $all = join '', @r;
my @heads = $all =~ m{(HTTP/1\.1 \d{3} )}g;
is(scalar @heads, 4, 'HEAD/204/304 then GET on one connection: 4 responses');
like($all, qr{^HTTP/1\.1 200 [^\r]*\r\n(?:[^\r\n]+\r\n)*Content-Length: 11\r\n(?:[^\r\n]+\r\n)*\r\nHTTP/1\.1 204 }s,
    'HEAD: Content-Length kept, no body');
like($all, qr{HTTP/1\.1 204 [^\r]*\r\n(?:[^\r\n]+\r\n)*\r\nHTTP/1\.1 304 }s,
    '204: no body');
my ($h204) = $all =~ m{(HTTP/1\.1 204 .*?\r\n\r\n)}s;
unlike($h204 // '', qr{^Content-Length:}mi, '204: no Content-Length (RFC 9110 8.6)');
like($all, qr{HTTP/1\.1 304 [^\r]*\r\n(?:[^\r\n]+\r\n)*\r\nHTTP/1\.1 200 .*\r\n\r\nhello head\n\z}s,
    '304: no body; the last response intact');
unlike($all, qr{HTTP/1\.1 20[04] [^\r]*\r\n(?:[^\r\n]+\r\n)*Transfer-Encoding}s,
    'no Transfer-Encoding on bodyless responses');

# Request bodies.
my $data = join('', map { chr($_ % 256) } 0 .. 99999);
my $md5 = Digest::MD5::md5_hex($data);
$r = http("POST /echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    . "Content-Length: 100000\r\n\r\n", body => $data);
is(http_body($r), "len=100000 md5=$md5", 'Content-Length body: exact bytes');
my ($q) = grep { $_->{uri} eq '/echo' } $be->requests;
is(($q // {})->{headers}{'content-length'}, 100000,
    'Content-Length body: length passed');

my $chunked = '';
for (my $o = 0; $o < length $data; $o += 7000) {
    my $piece = substr($data, $o, 7000);
    $chunked .= sprintf("%x\r\n", length $piece) . $piece . "\r\n";
}
$chunked .= "0\r\n\r\n";
$r = http("POST /echo2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    . "Transfer-Encoding: chunked\r\n\r\n", body => $chunked);
is(http_body($r), "len=100000 md5=$md5", 'chunked request body: exact bytes');
($q) = grep { $_->{uri} eq '/echo2' } $be->requests;
$q //= { headers => {} };
is($q->{headers}{'content-length'}, 100000,
    'chunked request body: the backend gets Content-Length');
ok(!exists $q->{headers}{'transfer-encoding'},
    'chunked request body: no Transfer-Encoding to the backend');

# 50 MiB streamed through; the client reads in bursts with pauses, the
# worker's resident set size is sampled meanwhile.
my ($worker) = $t->worker_pids;
sub rss_kb {
    open my $fh, '<', "/proc/$worker/status" or return 0;
    while (<$fh>) { return $1 if /^VmRSS:\s+(\d+) kB/ }
    return 0;
}
my $rss0 = rss_kb();
my $s = http("GET /big/x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    start => 1);
my $sel = IO::Select->new($s);
my ($got, $head, $maxrss, $buf) = (0, '', 0, '');
my $ctx = Digest::MD5->new;
my $t0 = time;
my $pattern = join('', map { chr(ord('a') + $_ % 26) } 0 .. 65535);
my $pending = '';
while (time - $t0 < 20) {
    last unless $sel->can_read(5);
    my $n = sysread($s, $buf, 262144);
    last unless $n;
    if (!length $head || $head !~ /\r\n\r\n/) {
        $head .= $buf;
        my $p = index($head, "\r\n\r\n");
        next if $p < 0;
        $buf = substr($head, $p + 4);
        $head = substr($head, 0, $p + 4);
    }
    $got += length $buf;
    $pending .= $buf;
    while (length $pending >= 65536) {
        $ctx->add(substr($pending, 0, 65536, ''));
    }
    if (int($got / (8 << 20)) != int(($got - length $buf) / (8 << 20))) {
        # a pause every 8 MiB: the proxy must stop reading the backend
        sleep 0.3;
        my $r = rss_kb();
        $maxrss = $r if $r > $maxrss;
    }
    my $r = rss_kb();
    $maxrss = $r if $r > $maxrss;
}
$ctx->add($pending);
my $exp = Digest::MD5->new;
for (my $o = 0; $o < $big; $o += 65536) { $exp->add($pattern) }
like($head, qr{^HTTP/1\.1 200 .*\r\nContent-Length: $big\r\n}s,
    'big: head with the length');
is($got, $big, 'big: 50 MiB received');
is($ctx->hexdigest, $exp->hexdigest, 'big: content intact');
cmp_ok($maxrss, '<', 40 * 1024, "big: worker RSS bounded (start ${rss0} kB, max ${maxrss} kB)");
