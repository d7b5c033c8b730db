#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# proxy_cache freshness (nginx semantics): X-Accel-Expires over
# Cache-Control over Expires over proxy_cache_valid; s-maxage over max-age;
# answers that are never stored (X-Accel-Expires: 0, no-cache, no-store,
# private, Expires in the past, Set-Cookie, Vary: *, no validity at all);
# proxy_cache_valid per status code and "any"; proxy_ignore_headers; Vary
# variants stored side by side; X-Accel-Expires kept from the client.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use POSIX qw/strftime/;
use Time::HiRes qw/sleep/;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(70);

sub http_date { strftime('%a, %d %b %Y %H:%M:%S GMT', gmtime($_[0])) }

# The answer is picked by the last path segment.
my %CASE = (
    xae1     => [ 'X-Accel-Expires' => '1', 'Cache-Control' => 'max-age=100' ],
    xae0     => [ 'X-Accel-Expires' => '0' ],
    ma1      => [ 'Cache-Control' => 'max-age=1' ],
    ma100    => [ 'Cache-Control' => 'max-age=100' ],
    smax1    => [ 'Cache-Control' => 'max-age=100, s-maxage=1' ],
    smax100  => [ 'Cache-Control' => 'max-age=1, s-maxage=100' ],
    nocache  => [ 'Cache-Control' => 'no-cache' ],
    nostore  => [ 'Cache-Control' => 'no-store' ],
    private  => [ 'Cache-Control' => 'private' ],
    cookie   => [ 'Set-Cookie' => 'session=abc; Path=/' ],
    varystar => [ 'Vary' => '*' ],
    plain    => [],
);

my $be;
$be = Test::Portico::Backend->new($t, 'be', handler => sub {
    my ($req) = @_;
    my $n = $be->count;
    my ($name) = $req->{uri} =~ m{/([^/?]+)(?:\?.*)?$};
    $name //= '';

    return { status => $1, body => "status $1 #$n\n" } if $name =~ /^(\d{3})$/;
    return { headers => [ 'Expires' => http_date(time - 3600) ],
        body => "past #$n\n" } if $name eq 'past';
    return { headers => [ 'Expires' => http_date(time + 2) ],
        body => "future #$n\n" } if $name eq 'future';
    if ($name eq 'vary2') {
        my $ae = ($req->{headers}{'accept-encoding'} // '') =~ /gzip/ ? 'gzip' : 'identity';
        my $lang = $req->{headers}{'x-lang'} // '-';
        return { headers => [ 'Vary' => 'Accept-Encoding', 'Vary' => 'X-Lang' ],
            body => "$ae $lang #$n\n" };
    }
    if ($name eq 'vary') {
        my $ae = $req->{headers}{'accept-encoding'} // '';
        return { headers => [ 'Vary' => 'Accept-Encoding' ],
            body => ($ae =~ /gzip/ ? 'gzip' : 'identity') . " variant #$n\n" };
    }
    return { headers => $CASE{$name} // [], body => "$name #$n\n" };
});
$be->start;

$t->write_conf(<<'EOF');
events { }
http {
    access_log off;
    proxy_cache_path %%TESTDIR%%/cache levels=1:2 keys_zone=f:1m;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        add_header X-Cache-Status $upstream_cache_status always;
        proxy_cache f;

        location /v/ {
            proxy_cache_valid 200 10m;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /nv/ {
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /codes/ {
            proxy_cache_valid 200 10m;
            proxy_cache_valid 404 1s;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /any/ {
            proxy_cache_valid any 10m;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /ign-cookie/ {
            proxy_cache_valid 200 10m;
            proxy_ignore_headers Set-Cookie;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /ign-cc/ {
            proxy_cache_valid 200 10m;
            proxy_ignore_headers Cache-Control;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /ign-xae/ {
            proxy_cache_valid 200 10m;
            proxy_ignore_headers X-Accel-Expires;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /ign-expires/ {
            proxy_cache_valid 200 10m;
            proxy_ignore_headers Expires;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
    }
}
EOF
$t->run;

sub get { get_response(@_) }
sub cs { $_[0]{headers}{'x-cache-status'} // '' }
sub seen { my ($u) = @_; scalar grep { $_->{uri} eq $u } $be->requests }

# Entries with a short life: stored now, checked again after they expired.
my @timed = (
    # uri, what decides, status after ~3 s
    [ '/v/xae1', 'X-Accel-Expires: 1 over Cache-Control max-age=100', 'EXPIRED' ],
    [ '/v/ma1', 'Cache-Control max-age=1 over proxy_cache_valid 10m', 'EXPIRED' ],
    [ '/v/smax1', 's-maxage=1 over max-age=100', 'EXPIRED' ],
    [ '/v/smax100', 's-maxage=100 over max-age=1', 'HIT' ],
    [ '/nv/future', 'Expires 2 s ahead, no Cache-Control', 'EXPIRED' ],
    [ '/codes/404', 'proxy_cache_valid 404 1s', 'EXPIRED' ],
    [ '/codes/200', 'proxy_cache_valid 200 10m', 'HIT' ],
    [ '/ign-cc/ma1', 'proxy_ignore_headers Cache-Control: max-age=1 ignored', 'HIT' ],
);

for my $c (@timed) {
    my ($uri, $why) = @$c;
    my $a = get($uri);
    my $b = get($uri);
    is(cs($a) . ' ' . cs($b), 'MISS HIT', "$why: MISS, then HIT");
}

# X-Accel-Expires is for the proxy only.
my $x = get('/v/xae1');
ok(!exists $x->{headers}{'x-accel-expires'}, 'X-Accel-Expires not passed to the client');
is($x->{headers}{'cache-control'}, 'max-age=100', 'Cache-Control is passed');

# Never stored (each asked twice, both reach the backend).
for my $c (
    [ '/v/xae0', 'X-Accel-Expires: 0' ],
    [ '/v/nocache', 'Cache-Control: no-cache' ],
    [ '/v/nostore', 'Cache-Control: no-store' ],
    [ '/v/private', 'Cache-Control: private' ],
    [ '/v/past', 'Expires in the past' ],
    [ '/v/cookie', 'Set-Cookie' ],
    [ '/v/varystar', 'Vary: *' ],
    [ '/nv/plain', 'no proxy_cache_valid and no freshness headers' ],
    [ '/codes/500', 'a status proxy_cache_valid does not list' ],
) {
    my ($uri, $why) = @$c;
    my $a = get($uri);
    my $b = get($uri);
    is(cs($a) . ' ' . cs($b), 'MISS MISS', "$why: not stored");
    is(seen($uri), 2, "$why: the backend answered both");
}

# Cacheable without proxy_cache_valid: Cache-Control max-age alone.
is(cs(get('/nv/ma100')) . ' ' . cs(get('/nv/ma100')), 'MISS HIT',
    'max-age without proxy_cache_valid: stored');

# proxy_cache_valid any.
my $e1 = get('/any/500');
my $e2 = get('/any/500');
is($e2->{status}, 500, 'proxy_cache_valid any: a 500 ...');
is(cs($e1) . ' ' . cs($e2), 'MISS HIT', '... is stored');
is($e2->{body}, $e1->{body}, '... and replayed');
is(cs(get('/any/404')) . ' ' . cs(get('/any/404')), 'MISS HIT',
    'proxy_cache_valid any: a 404 is stored');
my $c404 = get('/codes/404');
is($c404->{status}, 404, 'a stored 404 is answered as 404');

# proxy_ignore_headers.
my $k1 = get('/ign-cookie/cookie');
my $k2 = get('/ign-cookie/cookie');
is(cs($k1) . ' ' . cs($k2), 'MISS HIT', 'proxy_ignore_headers Set-Cookie: stored');
is($k2->{headers}{'set-cookie'}, 'session=abc; Path=/',
    '... and the stored Set-Cookie is replayed');
is(cs(get('/ign-cc/nocache')) . ' ' . cs(get('/ign-cc/nocache')), 'MISS HIT',
    'proxy_ignore_headers Cache-Control: no-cache ignored');
is(cs(get('/ign-cc/private')) . ' ' . cs(get('/ign-cc/private')), 'MISS HIT',
    'proxy_ignore_headers Cache-Control: private ignored');
is(cs(get('/ign-xae/xae0')) . ' ' . cs(get('/ign-xae/xae0')), 'MISS HIT',
    'proxy_ignore_headers X-Accel-Expires: X-Accel-Expires: 0 ignored');
is(cs(get('/ign-expires/past')) . ' ' . cs(get('/ign-expires/past')), 'MISS HIT',
    'proxy_ignore_headers Expires: a past Expires ignored');

# Vary: Accept-Encoding: one variant per Accept-Encoding value.
my $vg = get('/v/vary', 'Accept-Encoding' => 'gzip');
my $vi = get('/v/vary');
is(cs($vg), 'MISS', 'Vary: gzip variant MISS');
is(cs($vi), 'MISS', 'Vary: identity variant MISS (not the gzip one)');
like($vi->{body}, qr/^identity variant/, 'Vary: identity body');
my $vg2 = get('/v/vary', 'Accept-Encoding' => 'gzip');
my $vi2 = get('/v/vary');
is(cs($vg2), 'HIT', 'Vary: gzip variant HIT');
is($vg2->{body}, $vg->{body}, 'Vary: gzip variant has its own body');
is(cs($vi2), 'HIT', 'Vary: identity variant HIT');
is($vi2->{body}, $vi->{body}, 'Vary: identity variant has its own body');
is($vg2->{headers}{vary}, 'Accept-Encoding', 'Vary: the header is replayed');
is(seen('/v/vary'), 2, 'Vary: the backend was asked once per variant');

# An HTTP/1.0 request with no header at all picks its variant too.
my $bare = http("GET /v/vary HTTP/1.0\r\n\r\n") // '';
like($bare, qr{^HTTP/1\.1 200 }, 'Vary: a request without headers is answered');
like(http_body($bare), qr/^identity variant/, '... with the variant of no header');

# Two Vary lines: both fields pick the variant.
my @v2 = map { get('/v/vary2', @$_) } (
    [ 'Accept-Encoding' => 'gzip', 'X-Lang' => 'de' ],
    [ 'X-Lang' => 'de' ],
    [ 'Accept-Encoding' => 'gzip', 'X-Lang' => 'de' ]);
is(cs($v2[1]) . ' ' . ($v2[1]{body} =~ /^(\S+ \S+)/)[0], 'MISS identity de',
   'two Vary lines: the first line\'s field counts too');
is(cs($v2[2]) . ' ' . ($v2[2]{body} =~ /^(\S+ \S+)/)[0], 'HIT gzip de',
   'two Vary lines: each variant is a HIT of its own');

# After expiry.
sleep 3.2;
for my $c (@timed) {
    my ($uri, $why, $want) = @$c;
    my $before = seen($uri);
    my $r = get($uri);
    is(cs($r), $want, "$why: $want after 3 s");
    is(seen($uri), $before + ($want eq 'HIT' ? 0 : 1),
        $want eq 'HIT' ? '... not asked again' : '... asked the backend again');
}
my $x2 = get('/v/xae1');
is(cs($x2), 'HIT', 'X-Accel-Expires: the refreshed entry is stored again');
