#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# proxy_cache basics (nginx semantics): MISS then HIT with the backend asked
# once, the stored head and body replayed exactly (chunked and 1 MiB bodies
# included), one key per URI, HEAD served from a GET's entry and turned
# into a GET on a miss, proxy_cache_methods, proxy_cache_key,
# proxy_cache_bypass / proxy_no_cache, proxy_cache_min_uses, a zone chosen
# by a variable ("off" disables), conditional and range requests answered
# from the cache, validators and Range kept from the backend on a miss, and
# $upstream_cache_status empty without a cache.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use Digest::MD5 qw/md5_hex/;

my $t = Test::Portico->new->has(qw/http proxy map/)->plan(86);

# 1 MiB of bytes that are not a short repeating pattern.
my $big = join('', map { pack('N', ($_ * 2654435761) % 4294967291) }
    0 .. 262143);

my $be;
$be = Test::Portico::Backend->new($t, 'be', handler => sub {
    my ($req) = @_;
    my $n = $be->count;             # this request is already recorded
    my $uri = $req->{uri};
    my %h = %{ $req->{headers} };

    if ($uri =~ m{^/chunked/}) {
        return { framing => 'chunked', chunk => 1000,
            headers => [ 'Content-Type' => 'text/plain' ],
            body => join('', map { sprintf("%05d chunked line\n", $_) } 1 .. 300) };
    }
    if ($uri =~ m{^/large/}) {
        return { headers => [ 'Content-Type' => 'application/octet-stream' ],
            body => $big };
    }
    if ($uri =~ m{^/cond/}) {
        # honours validators and ranges, as an origin would: had the proxy
        # passed them on, the answer could not be stored as the full 200
        return { status => 304, headers => [ 'ETag' => '"c1"' ] }
            if defined $h{'if-none-match'} || defined $h{'if-modified-since'};
        return { status => 206, headers => [
            'Content-Range' => 'bytes 0-1/20', 'ETag' => '"c1"' ],
            body => 'co' } if defined $h{range};
        return { headers => [ 'ETag' => '"c1"', 'Content-Type' => 'text/plain',
            'Last-Modified' => 'Mon, 01 Jan 2024 00:00:00 GMT',
            'Accept-Ranges' => 'bytes' ],
            body => "conditional body #$n\n" };
    }
    return { headers => [
            'Content-Type' => 'text/x-test; charset=utf-8',
            'ETag' => '"etag-1"',
            'Last-Modified' => 'Tue, 02 Jan 2024 03:04:05 GMT',
            'X-App' => "app-$n",
        ],
        body => "$req->{method} $uri #$n\n" };
});
$be->start;     # after the assignment: the forked listener needs $be

$t->write_conf(<<'EOF');
events { }
http {
    access_log off;
    proxy_cache_path %%TESTDIR%%/cache levels=1:2 keys_zone=one:1m;
    proxy_cache_path %%TESTDIR%%/cache2 keys_zone=two:1m;

    map $arg_zone $zone {
        default  one;
        two      two;
        off      off;
    }

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        add_header X-Cache-Status $upstream_cache_status;
        proxy_cache one;
        proxy_cache_valid 200 10m;

        location / { proxy_pass http://127.0.0.1:%%PORT_be%%; }
        location /nohead/ {
            proxy_cache_convert_head off;
            proxy_cache_key $request_method$uri;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /postc/ {
            proxy_cache_methods POST;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /key/ {
            proxy_cache_key $uri;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /bypass/ {
            proxy_cache_key $uri;
            proxy_cache_bypass $arg_nocache;
            proxy_no_cache $arg_nostore;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /minuses/ {
            proxy_cache_min_uses 2;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /var/ {
            proxy_cache $zone;
            proxy_cache_key $uri;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /off/ {
            proxy_cache off;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
    }
}
EOF
$t->run;

# The parsed response (body de-chunked), never undef.
sub req {
    my ($method, $uri, @h) = @_;
    my $raw = $method eq 'GET' ? http_get($uri, @h)
        : $method eq 'HEAD' ? http_head($uri, @h)
        : http("$method $uri HTTP/1.1\r\nHost: localhost\r\n"
            . "Connection: close\r\nContent-Length: 4\r\n\r\nbody");
    my $r = parse_response($raw) // { status => 0, headers => {}, body => '' };
    $r->{body} = http_body($raw) if $r->{status};
    return $r;
}
sub get { req('GET', @_) }
sub cs { $_[0]{headers}{'x-cache-status'} // '' }
# how many requests the backend saw for exactly this URI (or matching a
# regex)
sub seen {
    my ($uri) = @_;
    return scalar grep { ref $uri ? $_->{uri} =~ $uri : $_->{uri} eq $uri }
        $be->requests;
}

# MISS, then HIT with the same head and body; the backend asked once.
my $r1 = get('/plain/a');
is($r1->{status}, 200, 'first request: 200');
is(cs($r1), 'MISS', 'first request: MISS');
my $r2 = get('/plain/a');
is(cs($r2), 'HIT', 'second request: HIT');
is(seen('/plain/a'), 1, 'the backend was asked once');
is($r2->{body}, $r1->{body}, 'HIT: the same body');
for my $h (qw/content-type etag last-modified x-app/) {
    is($r2->{headers}{$h}, $r1->{headers}{$h}, "HIT: $h replayed");
}
is($r2->{headers}{'content-length'}, length $r1->{body},
    'HIT: Content-Length of the stored body');

# Another URI is another key.
my $r3 = get('/plain/b');
is(cs($r3), 'MISS', 'another URI: MISS');
like($r3->{body}, qr{^GET /plain/b #}, '... with its own body');
is(cs(get('/plain/a?q=1')), 'MISS', 'the query string is part of the default key');

# HEAD after GET: from the cache, no body.
my $h1 = req('HEAD', '/plain/a');
is($h1->{status}, 200, 'HEAD after GET: 200');
is(cs($h1), 'HIT', 'HEAD after GET: HIT');
is($h1->{body}, '', 'HEAD after GET: no body');
is($h1->{headers}{'x-app'}, $r1->{headers}{'x-app'}, 'HEAD after GET: stored headers');
is(seen('/plain/a'), 1, 'HEAD after GET: the backend was not asked');

# HEAD first: sent to the backend as GET (proxy_cache_convert_head on), and
# the stored entry serves a later GET.
my $h2 = req('HEAD', '/headfirst/x');
is(cs($h2), 'MISS', 'HEAD first: MISS');
is($h2->{body}, '', 'HEAD first: no body to the client');
my ($hq) = grep { $_->{uri} eq '/headfirst/x' } $be->requests;
is($hq && $hq->{method}, 'GET', 'HEAD first: the backend saw a GET');
my $g2 = get('/headfirst/x');
is(cs($g2), 'HIT', 'GET after HEAD: HIT');
like($g2->{body}, qr{^GET /headfirst/x #\d+\n\z}, 'GET after HEAD: the full body');

# proxy_cache_convert_head off: the backend sees the HEAD.
req('HEAD', '/nohead/x');
my ($nq) = grep { $_->{uri} eq '/nohead/x' } $be->requests;
is($nq && $nq->{method}, 'HEAD', 'convert_head off: the backend saw a HEAD');

# POST is not cached by default.
my $p1 = req('POST', '/post/x');
is($p1->{status}, 200, 'POST: 200');
is(cs($p1), '', 'POST: no cache status (not a cached method)');
req('POST', '/post/x');
is(seen('/post/x'), 2, 'POST: every POST reaches the backend');
is(cs(get('/post/x')), 'MISS', 'a POST answer was not stored for GET');

# proxy_cache_methods POST: POST answers are stored and served.
is(cs(req('POST', '/postc/x')), 'MISS', 'proxy_cache_methods POST: MISS');
is(cs(req('POST', '/postc/x')), 'HIT', 'proxy_cache_methods POST: HIT');
is(seen('/postc/x'), 1, 'proxy_cache_methods POST: backend asked once');

# proxy_cache_key $uri: the query string does not count.
is(cs(get('/key/a?x=1')), 'MISS', 'key $uri: MISS');
my $k2 = get('/key/a?x=2');
is(cs($k2), 'HIT', 'key $uri: another query string is a HIT');
like($k2->{body}, qr{^GET /key/a\?x=1 }, '... with the first body');

# proxy_cache_bypass: asked the backend, BYPASS; the answer replaces the
# stored one.  proxy_no_cache: not stored.
my $b1 = get('/bypass/a');
is(cs($b1), 'MISS', 'bypass location: MISS');
is(cs(get('/bypass/a')), 'HIT', 'bypass location: HIT');
my $b3 = get('/bypass/a?nocache=1');
is(cs($b3), 'BYPASS', 'proxy_cache_bypass: BYPASS');
is(seen(qr{^/bypass/a(\?|\z)}), 2, 'proxy_cache_bypass: the backend was asked');
isnt($b3->{body}, $b1->{body}, 'proxy_cache_bypass: a fresh body');
my $b4 = get('/bypass/a');
is(cs($b4), 'HIT', 'after a bypass: HIT');
is($b4->{body}, $b3->{body}, 'the bypassed answer was stored');

is(cs(get('/bypass/n?nostore=1')), 'MISS', 'proxy_no_cache: MISS');
is(cs(get('/bypass/n')), 'MISS', 'proxy_no_cache: the answer was not stored');
is(cs(get('/bypass/n')), 'HIT', '... the next one was');
is(cs(get('/bypass/n?nostore=1')), 'HIT',
    'proxy_no_cache does not keep a request from the cache');

# proxy_cache_min_uses 2.
is(cs(get('/minuses/a')), 'MISS', 'min_uses 2: first MISS');
is(cs(get('/minuses/a')), 'MISS', 'min_uses 2: second MISS');
is(cs(get('/minuses/a')), 'HIT', 'min_uses 2: third HIT');
is(seen('/minuses/a'), 2, 'min_uses 2: backend asked twice');

# proxy_cache $variable.
is(cs(get('/var/a')), 'MISS', 'zone from a variable: MISS');
is(cs(get('/var/a')), 'HIT', 'zone from a variable: HIT');
is(cs(get('/var/a?zone=two')), 'MISS', 'another zone: its own entries');
is(cs(get('/var/a?zone=two')), 'HIT', 'another zone: HIT');
my $v5 = get('/var/a?zone=off');
is($v5->{status}, 200, 'zone "off" from a variable: 200');
is(cs($v5), '', 'zone "off": no cache status');
is(seen(qr{^/var/a(\?|\z)}), 3, 'zone "off": the backend was asked');

# proxy_cache off: $upstream_cache_status is empty.
my $o1 = get('/off/a');
is($o1->{status}, 200, 'proxy_cache off: 200');
ok(!exists $o1->{headers}{'x-cache-status'},
    'proxy_cache off: $upstream_cache_status empty (header not added)');
get('/off/a');
is(seen('/off/a'), 2, 'proxy_cache off: every request reaches the backend');

# A chunked answer is stored and replayed (with Content-Length by Portico).
my $c1raw = http_get('/chunked/a');
my $c1 = get('/chunked/a');
like($c1raw, qr{\r\nTransfer-Encoding: chunked\r\n}i, 'chunked: MISS passed chunked');
is(cs($c1), 'HIT', 'chunked: HIT');
my $cbody = join('', map { sprintf("%05d chunked line\n", $_) } 1 .. 300);
is($c1->{body}, $cbody, 'chunked: stored body exact');
portico_only(2, 'nginx replays a stored chunked answer chunked', sub {
    is($c1->{headers}{'content-length'}, length $cbody,
        'chunked: HIT has Content-Length');
    ok(!exists $c1->{headers}{'transfer-encoding'}, 'chunked: HIT is not chunked');
});

# 1 MiB, byte-exact.
my $l1 = get('/large/a');
my $l2 = get('/large/a');
is(md5_hex($l1->{body}), md5_hex($big), '1 MiB: MISS body exact');
is(cs($l2), 'HIT', '1 MiB: HIT');
is(md5_hex($l2->{body}), md5_hex($big), '1 MiB: HIT body exact');

# On a MISS the client's validators and Range are not passed on (nginx
# clears them when caching), so the full 200 is stored; the client still
# gets what it asked for, cut from that 200.
my $m1 = get('/cond/a', 'If-None-Match' => '"other"',
    'If-Modified-Since' => 'Mon, 01 Jan 2024 00:00:00 GMT');
is($m1->{status}, 200, 'MISS with validators that do not match: 200');
my ($cq) = grep { $_->{uri} eq '/cond/a' } $be->requests;
ok($cq && !exists $cq->{headers}{'if-none-match'}
    && !exists $cq->{headers}{'if-modified-since'},
    'MISS: If-None-Match / If-Modified-Since not passed to the backend');

my $m2 = get('/cond/b', Range => 'bytes=2-5');
($cq) = grep { $_->{uri} eq '/cond/b' } $be->requests;
ok($cq && !exists $cq->{headers}{range}, 'MISS: Range not passed to the backend');
is($m2->{status}, 206, 'MISS with Range (backend sent Accept-Ranges): 206');
is($m2->{body}, 'ndit', '... cut from the full answer');
my $m3 = get('/cond/b');
is(cs($m3), 'HIT', 'after a MISS with Range: HIT');
like($m3->{body}, qr{^conditional body #\d+\n\z}, '... the full 200 was stored');

my $m4 = get('/cond/c', 'If-None-Match' => '"c1"');
($cq) = grep { $_->{uri} eq '/cond/c' } $be->requests;
ok($cq && !exists $cq->{headers}{'if-none-match'},
    'MISS with a matching If-None-Match: not passed to the backend');
is($m4->{status}, 304, '... the client gets 304 all the same');
my $m5 = get('/cond/c');
is($m5->{status} . ' ' . cs($m5), '200 HIT', '... and the full 200 was stored');

# Conditional and range requests answered from the cache.
my $n1 = get('/cond/a', 'If-None-Match' => '"c1"');
is($n1->{status}, 304, 'HIT with a matching If-None-Match: 304');
is(cs($n1), 'HIT', '... from the cache');
is($n1->{body}, '', '... without a body');
my $rg = get('/cond/a', Range => 'bytes=0-10');
is($rg->{status}, 206, 'HIT with Range: 206');
is($rg->{body}, 'conditional', '... the requested bytes');
like($rg->{headers}{'content-range'} // '', qr{^bytes 0-10/\d+$}, '... Content-Range');
is(seen('/cond/a'), 1, 'conditional and range HITs: backend asked once');

# nginx serves ranges from the cache only when the stored answer had
# Accept-Ranges (or with proxy_force_ranges): a Range on such a HIT is
# ignored.
my $nr = get('/plain/a', Range => 'bytes=0-2');
is($nr->{status} . ' ' . cs($nr), '200 HIT',
    'Range on a HIT stored without Accept-Ranges: the whole 200');
is($nr->{body}, $r1->{body}, '... the full body');
