#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Expired entries (nginx semantics): proxy_cache_use_stale serves the old
# answer (STALE) when the backend is down, times out or answers 500/503,
# but not for a status it does not list; without it, 502.
# proxy_cache_use_stale updating with proxy_cache_background_update
# answers at once from the stale entry (STALE, then UPDATING) while one
# background request refreshes it.  proxy_cache_revalidate asks with
# If-None-Match / If-Modified-Since and keeps the body on 304 (REVALIDATED).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use Time::HiRes qw/sleep time/;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(42);
$t->allow_errors(qr/connect\(\) failed|upstream timed out/);

# What the backend answers for a path, changed by the test while it runs:
# "STATUS DELAY VERSION" (default "200 0 v1").
sub mode_file { my ($p) = @_; $p =~ s{\W}{_}g; $t->testdir . "/mode$p" }
sub set_mode { my ($p, $m) = @_; $t->write_file(mode_file($p), $m) }

my $handler = sub {
    my ($req) = @_;
    (my $path = $req->{uri}) =~ s/\?.*//;
    my $m = $t->read_file(mode_file($path)) // '200 0 v1';
    my ($status, $delay, $ver) = split ' ', $m;
    my $etag = qq{"$ver"};
    my @h = ('ETag' => $etag, 'Last-Modified' => 'Mon, 01 Jan 2024 00:00:00 GMT',
        'Content-Type' => 'text/plain');

    if ($path =~ m{^/reval/} && ($req->{headers}{'if-none-match'} // '') eq $etag) {
        return { status => 304, delay => $delay, headers => [ 'ETag' => $etag ] };
    }
    return { status => $status, delay => $delay, headers => \@h,
        body => "$path $ver status $status\n" };
};
my $be = Test::Portico::Backend->new($t, 'be', handler => $handler)->start;
my $down = Test::Portico::Backend->new($t, 'down', handler => $handler)->start;

$t->write_conf(<<'EOF');
events { }
http {
    access_log off;
    proxy_cache_path %%TESTDIR%%/cache levels=1:2 keys_zone=st:1m;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        add_header X-Cache-Status $upstream_cache_status always;
        proxy_cache st;
        proxy_cache_valid 200 1s;
        proxy_read_timeout 1s;

        location /stale/ {
            proxy_cache_use_stale error timeout http_500 http_502 http_503 http_504;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /down/ {
            proxy_cache_use_stale error timeout http_500 http_502 http_503 http_504;
            proxy_pass http://127.0.0.1:%%PORT_down%%;
        }
        location /nostale/ {
            proxy_pass http://127.0.0.1:%%PORT_down%%;
        }
        location /bg/ {
            proxy_read_timeout 10s;
            proxy_cache_use_stale updating;
            proxy_cache_background_update on;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /reval/ {
            proxy_cache_revalidate on;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
    }
}
EOF
$t->run;

sub get { get_response(@_) }
sub cs { $_[0]{headers}{'x-cache-status'} // '' }
sub seen { my ($b, $u) = @_; grep { $_->{uri} eq $u } $b->requests }

# Fill everything, then let it expire (valid 1s) once for all cases.
my @paths = qw{/stale/500 /stale/503 /stale/slow /stale/404 /down/x
    /nostale/x /bg/x /bg/cond /reval/same /reval/changed};
my %first;
for my $p (@paths) {
    my $r = get($p);
    $first{$p} = $r->{body};
    is($r->{status} . ' ' . cs($r), '200 MISS', "$p: filled");
}

set_mode('/stale/500', '500 0 v2');
set_mode('/stale/503', '503 0 v2');
set_mode('/stale/slow', '200 3 v2');
set_mode('/stale/404', '404 0 v2');
set_mode('/bg/x', '200 2 v2');
set_mode('/reval/changed', '200 0 v2');
$down->stop;
sleep 2.2;

# proxy_cache_use_stale error timeout http_500 http_503.
for my $c ([ '/stale/500', 'backend answers 500' ],
           [ '/stale/503', 'backend answers 503' ],
           [ '/stale/slow', 'backend times out' ],
           [ '/down/x', 'backend down' ]) {
    my ($p, $why) = @$c;
    my $r = get($p);
    is($r->{status} . ' ' . cs($r), '200 STALE', "use_stale, $why: 200 STALE");
    is($r->{body}, $first{$p}, "use_stale, $why: the old body");
}
my $r404 = get('/stale/404');
is($r404->{status} . ' ' . cs($r404), '404 EXPIRED',
    'use_stale does not cover 404: the new answer is passed');
my $ns = get('/nostale/x');
is($ns->{status}, 502, 'no use_stale, expired, backend down: 502');

# proxy_cache_use_stale updating + proxy_cache_background_update: the
# backend now takes 2 s and has a new version.
my $t0 = time;
my $sraw = http_get('/bg/x', complete => 1);
my $el = time - $t0;
my $s1 = parse_response($sraw) // { headers => {}, body => '' };
is(($s1->{status} // 0) . ' ' . cs($s1), '200 STALE', 'background update: STALE');
is($s1->{body}, $first{'/bg/x'}, 'background update: the old body');
cmp_ok($el, '<', 1.5, 'background update: answered without waiting for the backend')
    or diag("took ${el}s");
my $s2raw = http_get('/bg/x', complete => 1);
my $s2 = parse_response($s2raw) // { headers => {}, body => '' };
is(($s2->{status} // 0) . ' ' . cs($s2), '200 UPDATING',
    'during the background update: UPDATING');
is($s2->{body}, $first{'/bg/x'}, '... with the old body');
ok(wait_until(sub { seen($be, '/bg/x') >= 2 }, 3),
    'background update: the backend was asked');
my $s3;
ok(wait_until(sub { $s3 = get('/bg/x'); cs($s3) eq 'HIT' }, 6),
    'after the background update: HIT');
is($s3->{body}, "/bg/x v2 status 200\n", 'after the background update: the new body');
is(scalar seen($be, '/bg/x'), 2, 'background update: one backend request');

# A stale answer a filter refuses (If-Match fails: 412) is a whole 412
# response, not an empty one while the background update runs.
my $c412 = http("GET /bg/cond HTTP/1.1\r\nHost: localhost\r\nIf-Match: \"nope\"\r\n"
    . "Connection: close\r\n\r\n") // '';
like($c412, qr{^HTTP/1\.1 412 }, 'stale, background update, If-Match fails: 412');
like(http_get('/bg/cond'), qr{^HTTP/1\.1 200 }, '... then the entry still answers');

# proxy_cache_revalidate.
my $v1 = get('/reval/same');
is($v1->{status} . ' ' . cs($v1), '200 REVALIDATED', 'revalidate, 304: REVALIDATED');
is($v1->{body}, $first{'/reval/same'}, 'revalidate, 304: the stored body');
my @rq = seen($be, '/reval/same');
is(scalar @rq, 2, 'revalidate: the backend was asked');
is($rq[-1]{headers}{'if-none-match'}, '"v1"', 'revalidate: with If-None-Match');
is($rq[-1]{headers}{'if-modified-since'}, 'Mon, 01 Jan 2024 00:00:00 GMT',
    'revalidate: with If-Modified-Since');
ok(!exists $rq[0]{headers}{'if-none-match'}, 'the first request had no validator');
my $v2 = get('/reval/same');
is(cs($v2), 'HIT', 'revalidated entry: HIT within its validity');
is($v2->{body}, $first{'/reval/same'}, '... with the stored body');

my $c1 = get('/reval/changed');
is($c1->{status} . ' ' . cs($c1), '200 EXPIRED', 'revalidate, changed: EXPIRED');
is($c1->{body}, "/reval/changed v2 status 200\n", 'revalidate, changed: the new body');
is(cs(get('/reval/changed')), 'HIT', 'revalidate, changed: the new body is stored');
