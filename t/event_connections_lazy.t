#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# worker_connections: the table is set up as connections first need its
# entries, not when the worker starts.  A worker with room for 200000
# connections starts small (its resident memory does not hold the
# 77 MB table: nginx's does), and serves connections in turn, again and
# again, from the entries it has used.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Socket::INET;

my $t = Test::Portico->new->has(qw/http/)->plan(5);

$t->write_conf(<<'EOF2');
worker_processes 1;
events { worker_connections 200000; }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / { return 200 "ok\n"; }
    }
}
EOF2
$t->run;

sub worker_rss_kb {
    my ($w) = $t->worker_pids;
    open my $f, '<', "/proc/$w/status" or return -1;
    my ($kb) = join('', <$f>) =~ /^VmRSS:\s+(\d+) kB/m;
    return $kb // -1;
}

# Answered: the worker is past its start.
like(http_get('/'), qr{^HTTP/1\.1 200 }, 'first request');
portico_only(1, 'nginx writes its whole connection table at start', sub {
    my $kb = worker_rss_kb();
    ok($kb > 0 && $kb < 30 * 1024, 'a fresh worker does not hold the table')
        or diag("worker VmRSS $kb kB");
});

# 50 connections open at once, three times over: the first round takes
# never-used entries, the later ones the entries given back.
my $answered = 0;
for my $round (1 .. 3) {
    my @s = grep { defined } map {
        IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                              PeerPort => $t->port(8080), Timeout => 5)
    } 1 .. 50;
    for my $s (@s) {
        syswrite($s, "GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    }
    for my $s (@s) {
        local $/;
        $s->timeout(5);
        my $r = <$s> // '';
        $answered++ if $r =~ m{^HTTP/1\.1 200 .*\r\n\r\nok\n\z}s;
    }
}
is($answered, 150, '3 x 50 simultaneous connections all answered');
like(http_get('/'), qr{^HTTP/1\.1 200 }, 'then one more');

portico_only(1, 'nginx writes its whole connection table at start', sub {
    my $kb = worker_rss_kb();
    ok($kb > 0 && $kb < 30 * 1024, 'the worker still does not hold the table')
        or diag("worker VmRSS $kb kB");
});
