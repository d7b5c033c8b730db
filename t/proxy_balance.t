#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# upstream balancing: smooth weighted round robin (exact distribution and
# order), backup and down servers, failover past a peer that refuses
# connections, max_fails/fail_timeout, 502 fast when every peer refuses.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use Time::HiRes qw/time sleep/;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(17);

# Ports "dead*" are allocated but nothing listens there.
$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    upstream weighted {
        server 127.0.0.1:%%PORT_a%% weight=3;
        server 127.0.0.1:%%PORT_b%%;
        server 127.0.0.1:%%PORT_c%% weight=2;
    }
    upstream equal {
        server 127.0.0.1:%%PORT_a%%;
        server 127.0.0.1:%%PORT_b%%;
    }
    upstream withbackup {
        server 127.0.0.1:%%PORT_a%%;
        server 127.0.0.1:%%PORT_c%% down;
        server 127.0.0.1:%%PORT_b%% backup;
    }
    upstream deadbackup {
        server 127.0.0.1:%%PORT_dead1%%;
        server 127.0.0.1:%%PORT_b%% backup;
    }
    upstream failover {
        server 127.0.0.1:%%PORT_dead1%%;
        server 127.0.0.1:%%PORT_a%%;
        server 127.0.0.1:%%PORT_dead2%%;
        server 127.0.0.1:%%PORT_b%%;
    }
    upstream maxfails {
        server 127.0.0.1:%%PORT_e%% max_fails=1 fail_timeout=2s;
        server 127.0.0.1:%%PORT_a%%;
    }
    upstream alldead {
        server 127.0.0.1:%%PORT_dead1%%;
        server 127.0.0.1:%%PORT_dead2%%;
    }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location /w/ { proxy_pass http://weighted; }
        location /eq/ { proxy_pass http://equal; }
        location /bk/ { proxy_pass http://withbackup; }
        location /db/ { proxy_pass http://deadbackup; }
        location /fo/ { proxy_pass http://failover; }
        location /mf/ {
            proxy_pass http://maxfails;
            proxy_next_upstream error timeout http_500;
        }
        location /dead/ { proxy_pass http://alldead; }
        location /dead1/ { proxy_pass http://127.0.0.1:%%PORT_dead1%%; }
    }
}
EOF2

$t->port($_) for qw/dead1 dead2/;
my %b = map { $_ => Test::Portico::Backend->new($t, $_)->start } qw/a b c/;
$b{e} = Test::Portico::Backend->new($t, 'e',
    response => { status => 500, body => "e\n" })->start;
$t->allow_errors(qr/no live upstreams/);
$t->run;

sub who {
    my ($uri) = @_;
    my $r = http_get($uri);
    return 'none' unless defined $r;
    my ($st) = $r =~ m{^HTTP/1\.1 (\d+)};
    return $st // 'garbage' unless ($st // 0) == 200;
    my $body = http_body($r) // '';
    chomp $body;
    return $body;
}

# Smooth weighted round robin: 3:1:2, interleaved.
my @seq = map { who("/w/$_") } 1 .. 12;
is(join(' ', @seq), 'a c a b c a a c a b c a', 'weighted: smooth order');
my %n;
$n{$_}++ for map { who("/w/$_") } 1 .. 60;
is(join(',', map { "$_=" . ($n{$_} // 0) } qw/a b c/), 'a=30,b=10,c=20',
    'weighted: exact 3:1:2 over 60 requests');

@seq = map { who("/eq/$_") } 1 .. 6;
is(join(' ', @seq), 'a b a b a b', 'equal weights alternate');

# backup and down
%n = ();
$n{$_}++ for map { who("/bk/$_") } 1 .. 10;
is(join(',', map { "$_=" . ($n{$_} // 0) } sort keys %n), 'a=10',
    'backup unused and down never used while the primary lives');
%n = ();
$n{$_}++ for map { who("/db/$_") } 1 .. 5;
is(join(',', map { "$_=" . ($n{$_} // 0) } sort keys %n), 'b=5',
    'backup used when the primary refuses');

# failover: two of four refuse connections, clients never see an error.
%n = ();
$n{$_}++ for map { who("/fo/$_") } 1 .. 40;
is(join(',', map { "$_=" . ($n{$_} // 0) } sort keys %n), 'a=20,b=20',
    'failover: zero client errors, live peers share the load');

# max_fails=1 fail_timeout=2s with http_500 counted as a failure.
$b{e}->reset;
%n = ();
$n{$_}++ for map { who("/mf/$_") } 1 .. 10;
is($n{a} // 0, 10, 'max_fails: every client got the good peer');
is($b{e}->count, 1, 'max_fails=1: the failing peer tried once in fail_timeout');
sleep 2.3;
%n = ();
$n{$_}++ for map { who("/mf/$_") } 1 .. 10;
is($n{a} // 0, 10, 'after fail_timeout: clients still fine');
cmp_ok($b{e}->count, '>=', 2, 'after fail_timeout: failing peer tried again');

# Every peer refuses: 502, quickly, every time.
my $t0 = time;
my @st = map { who("/dead/$_") } 1 .. 5;
my $el = time - $t0;
is(join(' ', @st), '502 502 502 502 502', 'all peers refuse: 502');
cmp_ok($el, '<', 1.5, 'all peers refuse: answered fast');
$t0 = time;
is(who('/dead1/x'), '502', 'single address refusing: 502');
cmp_ok(time - $t0, '<', 0.5, 'single address refusing: fast');

# A peer that stops: the others take over with no client error.
$b{b}->stop;
%n = ();
$n{$_}++ for map { who("/eq/$_") } 1 .. 10;
is(join(',', map { "$_=" . ($n{$_} // 0) } sort keys %n), 'a=10',
    'peer stopped: the survivor answers all');
$b{b}->start;
sleep 0.1;
%n = ();
$n{$_}++ for map { who("/fo/$_") } 1 .. 20;
ok(($n{a} // 0) + ($n{b} // 0) == 20, 'peer restarted: zero errors');
my $log = $t->error_log;
like($log, qr/\[error\] .*connect\(\) failed \(111: Connection refused\) while connecting to upstream/,
    'refused connects logged as such');
