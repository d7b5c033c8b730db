#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Upstream keepalive: backend connections reused (counted at the backend),
# keepalive_requests, no reuse without the keepalive directive, and a
# stale cached connection retried on a fresh one without a client error.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use Time::HiRes qw/sleep/;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(11);

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    upstream ka { server 127.0.0.1:%%PORT_a%%; keepalive 4; }
    upstream kr {
        server 127.0.0.1:%%PORT_b%%;
        keepalive 4;
        keepalive_requests 5;
    }
    upstream nok { server 127.0.0.1:%%PORT_c%%; }
    upstream ka2 { server 127.0.0.1:%%PORT_e%%; keepalive 4; }
    upstream stale { server 127.0.0.1:%%PORT_d%%; keepalive 4; }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_read_timeout 3s;
        location /ka/ { proxy_pass http://ka; }
        location /kr/ { proxy_pass http://kr; }
        location /nok/ { proxy_pass http://nok; }
        location /stale/ { proxy_pass http://stale; }
        location /ka10/ {
            proxy_pass http://ka2;
            proxy_http_version 1.0;
            proxy_set_header Connection close;
        }
    }
}
EOF2

my %b = map { $_ => Test::Portico::Backend->new($t, $_)->start } qw/a b c e/;
# d drops every second request of a connection unanswered (a stale
# connection from the proxy's point of view).
$b{d} = Test::Portico::Backend->new($t, 'd', handler => sub {
    my ($req, $conn) = @_;
    return { raw => '' } if $conn->{requests} == 2;
    return { body => "d\n" };
})->start;
$t->run;

sub ok200 {
    my ($uri, $n) = @_;
    my ($good, $bad) = (0, 0);
    for (1 .. $n) {
        my $r = http_get("$uri$_", timeout => 2) // '';
        if ($r =~ m{^HTTP/1\.1 200 }) {
            $good++;
        } else {
            diag("$uri$_: " . (($r =~ /^(.*)/)[0] // 'nothing'));
            # keep the file bounded in time when requests hang
            last if ++$bad >= 2;
        }
    }
    return $good;
}

is(ok200('/ka/', 20), 20, 'keepalive: 20 requests answered');
is($b{a}->accepts, 1, 'keepalive 4: 20 sequential requests, 1 connection');
my $q = $b{a}->last_request // {};
is($q->{version}, '1.1', 'keepalive: HTTP/1.1 to the backend');
ok(!exists $q->{headers}{connection}, 'keepalive: no Connection header');

is(ok200('/kr/', 20), 20, 'keepalive_requests: 20 requests answered');
is($b{b}->accepts, 4, 'keepalive_requests 5: 20 requests, 4 connections');

is(ok200('/nok/', 10), 10, 'no keepalive: 10 requests answered');
is($b{c}->accepts, 10, 'no keepalive directive: one connection each');

ok200('/ka10/', 5);
is($b{e}->accepts, 5, 'HTTP/1.0 with Connection: close: no reuse');

is(ok200('/stale/', 10), 10, 'stale cached connection: zero client errors');
cmp_ok($b{d}->accepts, '>=', 5, 'stale connections replaced by fresh ones');
