#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# proxy_next_upstream_tries and proxy_next_upstream_timeout (nginx
# semantics): the tries, the first included, are capped by the directive
# (0: by the number of servers); once the time since the first try has
# reached the timeout no further server is tried; the client then gets the
# last failure (502 on an error, 504 on a timeout, or the last server's
# own answer for a listed status); the try under way is not cut short.
# Servers are counted at the backends.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use Time::HiRes qw/time/;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(33);

$t->write_conf(<<'EOF');
worker_processes 1;
events { }
http {
    access_log off;

    upstream closing {
        server 127.0.0.1:%%PORT_c1%% max_fails=0;
        server 127.0.0.1:%%PORT_c2%% max_fails=0;
        server 127.0.0.1:%%PORT_c3%% max_fails=0;
    }
    upstream busy {
        server 127.0.0.1:%%PORT_b1%% max_fails=0;
        server 127.0.0.1:%%PORT_b2%% max_fails=0;
        server 127.0.0.1:%%PORT_b3%% max_fails=0;
    }
    upstream mixed {
        server 127.0.0.1:%%PORT_c1%% max_fails=0;
        server 127.0.0.1:%%PORT_c2%% max_fails=0;
        server 127.0.0.1:%%PORT_good%% max_fails=0;
    }
    upstream slow {
        server 127.0.0.1:%%PORT_s1%% max_fails=0;
        server 127.0.0.1:%%PORT_s2%% max_fails=0;
        server 127.0.0.1:%%PORT_s3%% max_fails=0;
        server 127.0.0.1:%%PORT_s4%% max_fails=0;
    }
    upstream mute {
        server 127.0.0.1:%%PORT_m1%% max_fails=0;
        server 127.0.0.1:%%PORT_m2%% max_fails=0;
        server 127.0.0.1:%%PORT_m3%% max_fails=0;
    }

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        proxy_read_timeout 5s;

        location /tries0/ { proxy_pass http://closing; }
        location /tries1/ {
            proxy_next_upstream_tries 1;
            proxy_pass http://closing;
        }
        location /tries2/ {
            proxy_next_upstream_tries 2;
            proxy_pass http://closing;
        }
        location /tries9/ {
            proxy_next_upstream_tries 9;
            proxy_pass http://closing;
        }
        location /status2/ {
            proxy_next_upstream error http_503;
            proxy_next_upstream_tries 2;
            proxy_pass http://busy;
        }
        location /mixed3/ {
            proxy_next_upstream_tries 3;
            proxy_pass http://mixed;
        }

        location /slow/ { proxy_pass http://slow; }
        location /slow1s/ {
            proxy_next_upstream_timeout 1s;
            proxy_pass http://slow;
        }
        location /slow1s2/ {
            proxy_next_upstream_timeout 10s;
            proxy_next_upstream_tries 2;
            proxy_pass http://slow;
        }

        location /late/ {
            proxy_next_upstream_timeout 300ms;
            proxy_pass http://127.0.0.1:%%PORT_late%%;
        }

        location /mute/ {
            proxy_read_timeout 400ms;
            proxy_pass http://mute;
        }
        location /mute700/ {
            proxy_read_timeout 400ms;
            proxy_next_upstream_timeout 700ms;
            proxy_pass http://mute;
        }
    }
}
EOF

# Servers that close at once without an answer ("error"), that answer 503,
# that close after 0.6 s, that say nothing for 3 s; and a good one.
my %be;
$be{$_} = Test::Portico::Backend->new($t, $_, response => { raw => '' })->start
    for qw/c1 c2 c3/;
$be{$_} = Test::Portico::Backend->new($t, $_, response => {
    status => 503, body => "busy $_\n" })->start for qw/b1 b2 b3/;
$be{$_} = Test::Portico::Backend->new($t, $_, response => { hang => 0.6 })->start
    for qw/s1 s2 s3 s4/;
$be{$_} = Test::Portico::Backend->new($t, $_, response => { hang => 3 })->start
    for qw/m1 m2 m3/;
$be{good} = Test::Portico::Backend->new($t, 'good')->start;
$be{late} = Test::Portico::Backend->new($t, 'late', response => {
    delay => 1, body => "late\n" })->start;

$t->allow_errors(qr/upstream prematurely closed|upstream timed out/);
$t->run;

# Connections accepted by a group of backends since the last reset.
sub tried {
    my $n = 0;
    $n += $be{$_}->accepts for @_;
    return $n;
}
sub reset_all { $_->reset for values %be }

my @closing = qw/c1 c2 c3/;

# proxy_next_upstream_tries on "error": three servers that all fail.
for my $case ([ 'tries0', 3, 'tries 0 (default): every server tried' ],
              [ 'tries1', 1, 'tries 1: only one server tried' ],
              [ 'tries2', 2, 'tries 2: two of the three servers tried' ],
              [ 'tries9', 3, 'tries 9: at most the number of servers' ]) {
    my ($loc, $want, $name) = @$case;
    for my $i (1 .. 2) {
        reset_all();
        my $r = http_get("/$loc/$i") // '';
        like($r, qr{^HTTP/1\.1 502 }, "$loc: 502 when every try failed ($i)");
        is(tried(@closing), $want, "$name ($i)");
    }
}

# A listed status: after the last try the server's answer is passed on.
reset_all();
my $r = http_get('/status2/a') // '';
like($r, qr{^HTTP/1\.1 503 .*\r\n\r\nbusy b\d\n\z}s,
    'tries 2 on http_503: the last server\'s 503 is passed on');
is(tried(qw/b1 b2 b3/), 2, 'tries 2 on http_503: two servers asked');

# Enough tries to get past the two failing servers, whatever the order.
reset_all();
my $ok = grep { (get_response("/mixed3/$_")->{body} // '') eq "good\n" } 1 .. 3;
is($ok, 3, 'tries 3, two failing servers and a good one: always answered');
is($be{good}->count, 3, '... by the good server');

# proxy_next_upstream_timeout: each server fails after 0.6 s.  Without a
# limit all four are tried (about 2.4 s); with 1s a try starts at 0.6 s,
# none at 1.2 s.
my @slow = qw/s1 s2 s3 s4/;
reset_all();
my $t0 = time;
$r = http_get('/slow/a', timeout => 10) // '';
my $el = time - $t0;
like($r, qr{^HTTP/1\.1 502 }, 'no next_upstream_timeout: 502 in the end');
is(tried(@slow), 4, 'no next_upstream_timeout: all four servers tried');
cmp_ok($el, '>=', 2.2, 'no next_upstream_timeout: took the four tries');

reset_all();
$t0 = time;
$r = http_get('/slow1s/a', timeout => 10) // '';
$el = time - $t0;
like($r, qr{^HTTP/1\.1 502 }, 'next_upstream_timeout 1s: 502');
is(tried(@slow), 2, 'next_upstream_timeout 1s: two tries (the second began '
    . 'at 0.6 s, a third would have begun at 1.2 s)');
ok($el >= 1.1 && $el < 2.0, 'next_upstream_timeout 1s: answered after the '
    . 'second try') or diag("took $el s");

# Both limits: the tries cap wins before a generous timeout.
reset_all();
$r = http_get('/slow1s2/a', timeout => 10) // '';
is(tried(@slow) . ' ' . ($r =~ m{^HTTP/1\.1 (\d+)} ? $1 : 'none'), '2 502',
    'next_upstream_timeout 10s with tries 2: two tries, 502');

# The limit only stops further tries: it does not cut the try under way.
$r = get_response('/late/a');
is("$r->{status} $r->{body}", "200 late\n",
    'next_upstream_timeout 300ms, a server answering after 1 s: its answer');

# Read timeouts of 400 ms: 504; the 700 ms limit stops the tries after the
# second one (0.8 s), instead of after all three (1.2 s).
my @mute = qw/m1 m2 m3/;
reset_all();
$r = http_get('/mute/a', timeout => 10) // '';
like($r, qr{^HTTP/1\.1 504 }, 'read timeouts, no limit: 504');
is(tried(@mute), 3, 'read timeouts, no limit: three tries');

reset_all();
$t0 = time;
$r = http_get('/mute700/a', timeout => 10) // '';
$el = time - $t0;
like($r, qr{^HTTP/1\.1 504 }, 'read timeouts, next_upstream_timeout 700ms: 504');
is(tried(@mute), 2, 'read timeouts, next_upstream_timeout 700ms: two tries');
ok($el >= 0.7 && $el < 1.15, 'read timeouts, next_upstream_timeout 700ms: '
    . 'answered after the second timeout') or diag("took $el s");
