#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# health_check in upstream { } (Portico's, beyond nginx open source): worker 0
# probes each peer every interval, and the verdict, kept in the upstream's
# zone, steers the balancers of both workers.  A peer whose probe answers
# 500 (or that stops listening) gets no client request once marked down;
# it gets traffic again after it passes.  Backends count what they see.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use Time::HiRes qw/sleep/;

plan(skip_all => 'health_check is beyond nginx open source') if is_nginx();

my $t = Test::Portico->new->has(qw/http proxy upstream_zone/)->plan(21)
    ->allow_errors(qr/health_check requires a zone|"passes=0"/);

my $conf = <<'EOF2';
worker_processes 2;
events { }
http {
    access_log off;
    upstream pool {
        zone peers 64k;
        server 127.0.0.1:%%PORT_a%%;
        server 127.0.0.1:%%PORT_b%% max_fails=0;
        health_check interval=200ms timeout=2s fails=2 passes=2
            uri=/health?x=1;
    }
    upstream defaults {
        zone peers;
        server 127.0.0.1:%%PORT_c%%;
        health_check;
    }
    upstream lone {
        zone peers;
        server 127.0.0.1:%%PORT_d%%;
        health_check interval=200ms timeout=2s;
    }
    server {
        listen 127.0.0.1:%%PORT_8080%% reuseport;
        add_header X-Worker $pid;
        location / { proxy_pass http://pool; }
        location /d/ { proxy_pass http://defaults; }
        location /l/ { proxy_pass http://lone; }
    }
}
EOF2
$t->write_conf($conf);

my $dir = $t->testdir;

# /health answers 500 while the file sick-NAME exists.
sub backend {
    my ($name) = @_;
    return Test::Portico::Backend->new($t, $name, handler => sub {
        my ($req) = @_;
        return { status => -e "$dir/sick-$name" ? 500 : 200,
                 body => "$name\n" };
    })->start;
}

my %b = map { $_ => backend($_) } qw/a b c d/;
$t->run;

sub clients {
    my ($b) = @_;
    return scalar grep { $_->{uri} !~ m{^/health} } $b->requests;
}

# Fresh connections until both workers answered a few times.
sub spread {
    my (%workers, %bodies);
    for my $i (1 .. 200) {
        my $r = http_get("/r$i") // '';
        my ($pid) = $r =~ /^X-Worker: (\d+)/mi;
        $workers{$pid // 'none'}++;
        $bodies{ $r =~ m{^HTTP/1\.1 200} ? http_body($r) : 'bad' }++;
        last if $i >= 20 && keys %workers >= 2
            && !grep { $_ < 3 } values %workers;
    }
    return (scalar(keys %workers), \%bodies);
}

sub log_has {
    my ($re, $n) = @_;
    return wait_until(sub {
        my @m = $t->error_log =~ /$re/g;
        return @m >= ($n // 1);
    }, 5);
}

# Probes: one process, HTTP/1.0 GET of the uri, the default uri is /.
ok(wait_until(sub { $b{a}->count >= 3 && $b{c}->count >= 1 }, 5),
    'peers are probed');
my @p = grep { $_->{uri} =~ m{^/health} } $b{a}->requests;
is($p[0]{method} . ' ' . $p[0]{uri} . ' ' . $p[0]{version},
    'GET /health?x=1 1.0', 'probe request line');
is(($b{c}->requests)[0]{uri}, '/', 'default probe uri');

# One process probes: about 5 probes a second, not 10 with two workers.
$b{a}->reset;
sleep 1.1;
my $np = grep { $_->{uri} =~ m{^/health} } $b{a}->requests;
ok($np >= 3 && $np <= 7, "one prober ($np probes in 1.1s)");

my ($nw, $bodies) = spread();
is($nw, 2, 'both workers serve');
ok($bodies->{"a\n"} && $bodies->{"b\n"} && !$bodies->{bad},
    'healthy: both peers get traffic');

# b turns sick: two failed probes (fails=2) take it out.
$t->write_file("sick-b", '');
ok(log_has(qr/upstream server 127\.0\.0\.1:\d+ in upstream "pool" is down by health check/),
    'down by health check is logged');
$b{$_}->reset for qw/a b/;
($nw, $bodies) = spread();
is($nw, 2, 'sick: both workers serve');
is(clients($b{b}), 0, 'sick: no client request reaches the sick peer');
ok(!$bodies->{bad} && !$bodies->{"b\n"}, 'sick: every client got a');
ok($b{b}->count > 0, 'sick: the sick peer is still probed');

# It recovers: two good probes (passes=2) bring it back.
unlink "$dir/sick-b";
ok(log_has(qr/upstream server 127\.0\.0\.1:\d+ in upstream "pool" is up/),
    'up is logged');
$b{$_}->reset for qw/a b/;
($nw, $bodies) = spread();
ok(clients($b{b}) > 0 && $bodies->{"b\n"}, 'recovered: traffic again');

# b stops listening: taken out before a client meets it.
$b{b}->stop;
ok(log_has(qr/is down by health check/, 2), 'refused probes take it out');
my $before = length $t->error_log;
($nw, $bodies) = spread();
ok(!$bodies->{bad} && !$bodies->{"b\n"}, 'stopped: every client got a');
unlike(substr($t->error_log, $before), qr/connect\(\) failed.*client:/,
    'stopped: no client tried the dead peer');

# A lone server failing its check is not used (unlike after max_fails).
like(http_get('/l/1'), qr{^HTTP/1\.1 200}, 'lone: healthy');
$t->write_file("sick-d", '');
ok(log_has(qr/in upstream "lone" is down by health check/), 'lone: down');
like(http_get('/l/2'), qr{^HTTP/1\.1 502}, 'lone: 502 while down');

# Configuration.
my $bad = $conf;
$bad =~ s/zone peers 64k;//;
$bad =~ s/zone peers;/zone peers 64k;/;
$t->write_conf($bad);
my ($rc, $out) = $t->conf_test;
like($out, qr/health_check requires a zone in upstream "pool"/,
    'health_check without a zone is refused');

$bad = $conf;
$bad =~ s/passes=2/passes=0/;
$t->write_conf($bad);
($rc, $out) = $t->conf_test;
like($out, qr/invalid parameter "passes=0"/, 'invalid parameter refused');
$t->write_conf($conf);
