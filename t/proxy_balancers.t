#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# upstream balancers: least_conn with a slow backend, ip_hash (IPv4 /24 and
# IPv6), hash KEY and hash KEY consistent (stability, nginx's exact peer
# choice, ~1/N remapped when a peer goes), random and random two, each
# respecting down, max_fails and max_conns; weighted round robin's exact
# distribution next to them.
# The expected peers are computed here with nginx's algorithms, so the same
# file passes against nginx (PORTICO_BINARY=/usr/sbin/nginx).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use Compress::Zlib qw/crc32/;
use Time::HiRes qw/sleep/;

my $t = Test::Portico->new->has(qw/http proxy realip upstream_hash
    upstream_ip_hash upstream_least_conn upstream_random/)->plan(25);

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Real-IP;
    upstream wrr {
        server 127.0.0.1:%%PORT_a%% weight=5;
        server 127.0.0.1:%%PORT_b%%;
        keepalive 8;
    }
    upstream lc {
        least_conn;
        server 127.0.0.1:%%PORT_s%%;
        server 127.0.0.1:%%PORT_f%%;
    }
    upstream iph {
        ip_hash;
        server 127.0.0.1:%%PORT_a%%;
        server 127.0.0.1:%%PORT_b%% weight=2;
        server 127.0.0.1:%%PORT_c%%;
        keepalive 8;
    }
    upstream iphdown {
        ip_hash;
        server 127.0.0.1:%%PORT_a%%;
        server 127.0.0.1:%%PORT_b%% weight=2;
        server 127.0.0.1:%%PORT_c%% down;
        keepalive 8;
    }
    upstream h {
        hash $arg_k;
        server 127.0.0.1:%%PORT_a%%;
        server 127.0.0.1:%%PORT_b%%;
        server 127.0.0.1:%%PORT_c%%;
        keepalive 8;
    }
    upstream ch3 {
        hash "k=$arg_k" consistent;
        server 127.0.0.1:%%PORT_a%%;
        server 127.0.0.1:%%PORT_b%%;
        server 127.0.0.1:%%PORT_c%%;
        keepalive 8;
    }
    upstream ch2 {
        hash "k=$arg_k" consistent;
        server 127.0.0.1:%%PORT_a%%;
        server 127.0.0.1:%%PORT_b%%;
        keepalive 8;
    }
    upstream chdown {
        hash "k=$arg_k" consistent;
        server 127.0.0.1:%%PORT_a%%;
        server 127.0.0.1:%%PORT_b%%;
        server 127.0.0.1:%%PORT_c%% down;
        keepalive 8;
    }
    upstream rnd {
        random;
        server 127.0.0.1:%%PORT_a%%;
        server 127.0.0.1:%%PORT_b%%;
        server 127.0.0.1:%%PORT_c%% down;
        keepalive 8;
    }
    upstream rnd2 {
        random two least_conn;
        server 127.0.0.1:%%PORT_s%%;
        server 127.0.0.1:%%PORT_f%%;
    }
    upstream hfail {
        hash $arg_k;
        server 127.0.0.1:%%PORT_e%% max_fails=1 fail_timeout=30s;
        server 127.0.0.1:%%PORT_a%%;
        server 127.0.0.1:%%PORT_b%%;
    }
    upstream ipmc {
        ip_hash;
        server 127.0.0.1:%%PORT_s%% max_conns=1;
        server 127.0.0.1:%%PORT_f%%;
    }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location /hfail/ { proxy_pass http://hfail;
                           proxy_next_upstream error http_500; }
        location /ipmc/ { proxy_pass http://ipmc; }
        location /wrr/ { proxy_pass http://wrr; proxy_http_version 1.1;
                         proxy_set_header Connection ""; }
        location /lc/ { proxy_pass http://lc; }
        location /iph/ { proxy_pass http://iph; proxy_http_version 1.1;
                         proxy_set_header Connection ""; }
        location /iphdown/ { proxy_pass http://iphdown;
                             proxy_http_version 1.1;
                             proxy_set_header Connection ""; }
        location /h/ { proxy_pass http://h; proxy_http_version 1.1;
                       proxy_set_header Connection ""; }
        location /ch3/ { proxy_pass http://ch3; proxy_http_version 1.1;
                         proxy_set_header Connection ""; }
        location /ch2/ { proxy_pass http://ch2; proxy_http_version 1.1;
                         proxy_set_header Connection ""; }
        location /chdown/ { proxy_pass http://chdown; proxy_http_version 1.1;
                            proxy_set_header Connection ""; }
        location /rnd/ { proxy_pass http://rnd; proxy_http_version 1.1;
                         proxy_set_header Connection ""; }
        location /rnd2/ { proxy_pass http://rnd2; }
    }
}
EOF2

my %b = map { $_ => Test::Portico::Backend->new($t, $_, record => 0)->start }
    qw/a b c f/;
$b{e} = Test::Portico::Backend->new($t, 'e',
    response => { status => 500, body => "e\n" })->start;
$b{s} = Test::Portico::Backend->new($t, 's',
    response => { delay => 1.5, body => "s\n" })->start;
$t->run;

sub who {
    my ($uri, @h) = @_;
    my $r = http_get($uri, @h);
    return 'none' unless defined $r;
    my ($st) = $r =~ m{^HTTP/1\.1 (\d+)};
    return $st // 'garbage' unless ($st // 0) == 200;
    my $body = http_body($r) // '';
    chomp $body;
    return $body;
}

sub tally {
    my %n;
    $n{$_}++ for @_;
    return join(',', map { "$_=$n{$_}" } sort keys %n);
}

# nginx's algorithms, to know which peer each key must reach.

my @abc = qw/a b c/;

sub ip_hash_peer {
    my ($bytes, $weights, $usable) = @_;
    my $total = 0;
    $total += $_ for @$weights;
    my $h = 89;
    for (1 .. 20) {
        $h = ($h * 113 + $_) % 6271 for @$bytes;
        my ($w, $i) = ($h % $total, 0);
        $w -= $weights->[$i++] while $w >= $weights->[$i];
        return $abc[$i] if $usable->[$i];
    }
    return undef;
}

sub hash_peer {
    my ($key, $n) = @_;
    my $h = 0;
    for my $try (0 .. 19) {
        my $crc = crc32(($try ? $try : '') . $key);
        $h += ($crc >> 16) & 0x7fff;
        return $abc[$h % $n];
    }
}

sub ring {
    my (@names) = @_;
    my @points;
    for my $name (@names) {
        my $base = "127.0.0.1\0" . $t->port($name);
        my $prev = 0;
        for (1 .. 160) {
            $prev = crc32($base . pack('V', $prev));
            push @points, [ $prev, $name ];
        }
    }
    return [ sort { $a->[0] <=> $b->[0] } @points ];
}

sub chash_peer {
    my ($ring, $key, %down) = @_;
    my $h = crc32($key);
    my $i = 0;
    $i++ while $i < @$ring && $ring->[$i][0] < $h;
    for (0 .. 20) {
        my $name = $ring->[($i++) % @$ring][1];
        return $name unless $down{$name};
    }
}

# Weighted round robin: exactly 5:1.
is(tally(map { who("/wrr/$_") } 1 .. 60), 'a=50,b=10',
    'round robin: exact 5:1 over 60 requests');

# least_conn: while the slow backend holds one request, the fast one gets
# every other; plain ties alternate.
my $slow = http_get('/lc/1', start => 1);
$b{s}->wait_requests(1, 3);
is(tally(map { who("/lc/$_") } 1 .. 10), 'f=10',
    'least_conn: the busy slow backend gets no new request');
like(http_read($slow, timeout => 5), qr/\r\n\r\ns\n$/, 'least_conn: slow '
    . 'request answered');

# ip_hash: IPv4 hashes its first three octets; IPv6 the whole address.
my (@got, @want, @again);
for my $n (1 .. 40) {
    my $ip = "10.$n.7.9";
    push @got, who('/iph/x', 'X-Real-IP' => $ip);
    push @again, who('/iph/y', 'X-Real-IP' => "10.$n.7.200");
    push @want, ip_hash_peer([ 10, $n, 7 ], [ 1, 2, 1 ], [ 1, 1, 1 ]);
}
is("@got", "@want", 'ip_hash: nginx\'s peer for each IPv4 client');
is("@again", "@got", 'ip_hash: the last octet does not matter');
like(tally(@got), qr/^a=\d+,b=\d+,c=\d+$/, 'ip_hash: every peer used');

(@got, @want) = ();
for my $n (1 .. 30) {
    my $ip = sprintf('2001:db8::%x:1', $n);
    push @got, who('/iph/x', 'X-Real-IP' => $ip);
    my @bytes = unpack('C16', pack('n8', 0x2001, 0xdb8, 0, 0, 0, 0, $n, 1));
    push @want, ip_hash_peer(\@bytes, [ 1, 2, 1 ], [ 1, 1, 1 ]);
}
is("@got", "@want", 'ip_hash: nginx\'s peer for each IPv6 client');

(@got, @want) = ();
for my $n (1 .. 40) {
    push @got, who('/iphdown/x', 'X-Real-IP' => "10.$n.7.9");
    push @want, ip_hash_peer([ 10, $n, 7 ], [ 1, 2, 1 ], [ 1, 1, 0 ]);
}
is("@got", "@want", 'ip_hash: a down peer\'s clients rehash, others stay');
unlike("@got", qr/c/, 'ip_hash: the down peer is never used');

# hash KEY: stable, nginx's choice.
(@got, @want, @again) = ();
for my $n (1 .. 60) {
    push @got, who("/h/?k=key$n");
    push @again, who("/h/?k=key$n");
    push @want, hash_peer("key$n", 3);
}
is("@got", "@want", 'hash: nginx\'s peer for each key');
is("@again", "@got", 'hash: stable');

# hash KEY consistent: 300 keys; dropping c moves c's keys only (~1/3).
my ($ring3, $ring2) = (ring(qw/a b c/), ring(qw/a b/));
my (@g3, @g2, @gd, @w3, @w2);
for my $n (1 .. 300) {
    push @g3, who("/ch3/?k=$n");
    push @g2, who("/ch2/?k=$n");
    push @gd, who("/chdown/?k=$n");
    push @w3, chash_peer($ring3, "k=$n");
    push @w2, chash_peer($ring2, "k=$n");
}
is("@g3", "@w3", 'consistent hash: nginx\'s peer for each key');
is("@g2", "@w2", 'consistent hash: nginx\'s peer with one peer fewer');
my $moved = grep { $g3[$_] ne $g2[$_] } 0 .. 299;
my $on_c = grep { $_ eq 'c' } @g3;
is($moved, $on_c, 'consistent hash: only the removed peer\'s keys move');
cmp_ok(abs($moved / 300 - 1 / 3), '<', 0.12,
    "consistent hash: about 1/N remapped ($moved of 300)");
is("@gd", "@g2", 'consistent hash: a down peer remaps like a removed one');
my $hmoved = grep { hash_peer("k=$_", 3) ne hash_peer("k=$_", 2) } 1 .. 300;
cmp_ok($hmoved, '>', $moved, "plain hash would move more ($hmoved)");

# hash with a failing peer (max_fails=1): tried once, its keys rehash.
my $hf = tally(map { who("/hfail/?k=$_") } 1 .. 40);
like($hf, qr/^a=\d+,b=\d+$/, "hash: a failed peer's keys go elsewhere ($hf)");
is($b{e}->count, 1, 'hash: the failed peer is tried once in fail_timeout');

# ip_hash with max_conns=1: a client of the busy peer goes elsewhere.
# A client whose peer is the first one, s.
my ($n) = grep { ip_hash_peer([ 10, $_, 1 ], [ 1, 1 ], [ 1, 1 ]) eq $abc[0] }
    1 .. 50;
$b{s}->reset;
$slow = http_get('/ipmc/1', 'X-Real-IP' => "10.$n.1.1", start => 1);
$b{s}->wait_requests(1, 3);
is(who('/ipmc/2', 'X-Real-IP' => "10.$n.1.1"), 'f',
    'ip_hash: max_conns reached, the client goes to another peer');
like(http_read($slow, timeout => 5), qr/\r\n\r\ns\n$/,
    'ip_hash: the first request stayed on its peer');

# random: both live peers, never the down one.
my $r = tally(map { who("/rnd/$_") } 1 .. 60);
like($r, qr/^a=\d+,b=\d+$/, "random: live peers only ($r)");

# random two least_conn: the busier of two is avoided.
my $held;
for (1 .. 30) {
    my $before = $b{s}->count;
    my $sock = http_get('/rnd2/x', start => 1);
    sleep 0.2;
    if ($b{s}->count > $before) { $held = $sock; last }
    http_read($sock, timeout => 3);
}
ok($held, 'random two: a request held by the slow backend');
is(tally(map { who("/rnd2/$_") } 1 .. 10), 'f=10',
    'random two least_conn: the fast backend takes the rest');
http_read($held, timeout => 5) if $held;

# Configuration: backup after a hashing balancer is refused, as nginx.
$t->write_file('bad.conf', <<"EOF2");
events { }
http { upstream u { ip_hash; server 127.0.0.1:1; server 127.0.0.1:2 backup; } }
EOF2
$t->allow_errors(qr/does not support parameter "backup"/);
my ($rc, $out) = $t->binary_run('-t', '-p', $t->testdir . '/', '-c',
    $t->testdir . '/bad.conf');
like($out, qr/balancing method does not support parameter "backup"/,
    'ip_hash with a backup server: error');
