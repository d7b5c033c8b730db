#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# proxy_cache_lock (nginx semantics), across two workers: 50 simultaneous
# requests for one missing key reach a slow backend once and all get the
# answer; without the lock they all succeed too; with
# proxy_cache_lock_timeout the waiters stop waiting and go to the backend
# themselves (MISS) before the first answer has come.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use Time::HiRes qw/time/;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(13);

my $be = Test::Portico::Backend->new($t, 'be', handler => sub {
    my ($req) = @_;
    my $delay = $req->{uri} =~ m{^/timeout/} ? 4 : 1;
    return { delay => $delay, headers => [ 'Content-Type' => 'text/plain' ],
        body => "answer for $req->{uri}\n" };
})->start;

$t->write_conf(<<'EOF');
worker_processes 2;
events { worker_connections 1024; }
http {
    access_log off;
    proxy_cache_path %%TESTDIR%%/cache levels=1:2 keys_zone=lk:1m;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        add_header X-Cache-Status $upstream_cache_status always;
        proxy_cache lk;
        proxy_cache_valid 200 10m;
        proxy_read_timeout 10s;

        location /lock/ {
            proxy_cache_lock on;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /nolock/ {
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /timeout/ {
            proxy_cache_lock on;
            proxy_cache_lock_timeout 1s;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
    }
}
EOF
$t->run;

sub seen { my ($u) = @_; scalar grep { $_->{uri} eq $u } $be->requests }

# Sends N requests for URI at once (N connections), returns the sockets.
sub start_many {
    my ($uri, $n) = @_;
    my @s;
    for (1 .. $n) {
        my $s = http_get($uri, start => 1) or die "connect failed\n";
        push @s, $s;
    }
    return @s;
}

# Reads every answer: (number of 200s with the right body, statuses by
# cache status).
sub finish_many {
    my ($uri, @s) = @_;
    my ($good, %cs) = (0);
    for my $s (@s) {
        my $raw = http_read($s, timeout => 10, complete => 1);
        my $r = parse_response($raw);
        close $s;
        if ($r && $r->{status} == 200 && $r->{body} eq "answer for $uri\n") {
            $good++;
        } else {
            diag('bad answer: ' . (($raw // '') =~ /^(.*)/ ? $1 : 'nothing'));
        }
        $cs{ $r ? $r->{headers}{'x-cache-status'} // '' : 'none' }++;
    }
    return ($good, \%cs);
}

sub fmt { my ($h) = @_; join ' ', map { "$_=$h->{$_}" } sort keys %$h }

# proxy_cache_lock on: one backend request for 50 clients.
my @s = start_many('/lock/one', 50);
my ($good, $cs) = finish_many('/lock/one', @s);
is($good, 50, 'lock: all 50 clients got 200 with the body');
is(seen('/lock/one'), 1, 'lock: the backend was asked exactly once');
is($cs->{MISS}, 1, 'lock: one MISS (the request that filled the entry)')
    or diag(fmt($cs));
is($cs->{HIT}, 49, 'lock: the 49 waiters were answered from the cache')
    or diag(fmt($cs));
my $after = parse_response(http_get('/lock/one')) // { headers => {} };
is($after->{headers}{'x-cache-status'}, 'HIT', 'lock: stored');

# Without the lock: every client is answered (several backend requests may
# be made; their number is not part of the contract).
@s = start_many('/nolock/one', 20);
($good, $cs) = finish_many('/nolock/one', @s);
is($good, 20, 'no lock: all 20 clients got 200 with the body');
cmp_ok(seen('/nolock/one'), '>=', 1, 'no lock: the backend was asked');
$after = parse_response(http_get('/nolock/one')) // { headers => {} };
is($after->{headers}{'x-cache-status'}, 'HIT', 'no lock: stored');

# proxy_cache_lock_timeout 1s, backend takes 4 s: the 3 waiters give up
# waiting after about 1 s and go to the backend themselves.
my $t0 = time;
@s = start_many('/timeout/one', 1);
ok(wait_until(sub { seen('/timeout/one') >= 1 }, 3), 'lock timeout: the first request reached the backend');
push @s, start_many('/timeout/one', 3);
ok(wait_until(sub { seen('/timeout/one') >= 4 }, 3.5)
    && time - $t0 < 3.9,
    'lock timeout: the waiters reached the backend before the first answer');
($good, $cs) = finish_many('/timeout/one', @s);
is($good, 4, 'lock timeout: all 4 clients got 200 with the body');
is($cs->{MISS}, 4, 'lock timeout: the waiters are MISSes too') or diag(fmt($cs));
is(seen('/timeout/one'), 4, 'lock timeout: 4 backend requests');
