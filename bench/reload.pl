#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Reload cost (issue 8), Portico and nginx in the same run:
#  - requests/s (wrk, 20 connections, 5 s) with a SIGHUP every 0.5 s, as a
#    ratio of requests/s without reloads, with the failed requests;
#  - the time from SIGHUP until the new configuration answers, in rounds
#    that alternate the two servers (the machine's noise hits both), as
#    medians and as the median of the per-round ratios portico/nginx.
# Usage: bench/reload.pl [--rounds N] [--worker-connections N]
#                        [--locations N] [PORTICO [NGINX [PORT]]]
#   defaults: objs/portico /usr/sbin/nginx 19500 (nginx gets PORT+1).
# Loopback only; stops what it started (by PID).
use strict; use warnings;
use Time::HiRes qw/time sleep/;
use IO::Socket::INET;
use Getopt::Long;

my ($rounds, $wc, $nloc) = (20, 0, 0);
GetOptions('rounds=i' => \$rounds, 'worker-connections=i' => \$wc,
           'locations=i' => \$nloc)
    or die "usage: $0 [--rounds N] [--worker-connections N] [--locations N] "
         . "[PORTICO [NGINX [PORT]]]\n";
# --locations N: a bigger configuration, N prefix and N regex locations.
my $more = join '', map { "location /p$_/ { add_header X-L $_; return 200 \"p\\n\"; } "
                          . "location ~ ^/r$_/(.*)\$ { return 301 /p$_/\$1; }\n" } 1 .. $nloc;
my $events = $wc ? "events { worker_connections $wc; }" : 'events {}';
my ($pbin, $nbin, $port) = (@ARGV, 'objs/portico', '/usr/sbin/nginx', 19500)[0 .. 2];
$port = 19500 unless $port =~ /^\d+$/;

sub conf {
    my ($s, $g) = @_;
    open(my $f, '>', "$s->{dir}/c.conf") or die "$s->{dir}/c.conf: $!";
    print $f "worker_processes 1;\n$events\nhttp { access_log off; server { "
        . "listen 127.0.0.1:$s->{port}; location / { return 200 \"gen $g\\n\"; }\n$more} }\n";
    close $f;
}

sub start {
    my ($name, $bin, $p) = @_;
    my $s = { name => $name, port => $p, dir => "/tmp/portico-reload-bench-$name" };
    system("rm -rf $s->{dir}; mkdir -p $s->{dir}/logs") == 0 or die;
    conf($s, 0);
    system("$bin -p $s->{dir}/ -c $s->{dir}/c.conf -g 'daemon on; pid $s->{dir}/logs/p.pid; "
        . "error_log $s->{dir}/logs/e.log;'") == 0 or die "$name did not start\n";
    for (1 .. 50) { last if -s "$s->{dir}/logs/p.pid"; sleep 0.1 }
    open(my $f, '<', "$s->{dir}/logs/p.pid") or die "$name: no pid file\n";
    ($s->{pid}) = <$f> =~ /(\d+)/;
    return $s;
}

sub get {
    my $p = shift;
    my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$p", Timeout => 1) or return '';
    print $s "GET / HTTP/1.0\r\n\r\n";
    local $/;
    return <$s> // '';
}

sub wrk {
    my $p = shift;
    my $o = `wrk -t1 -c20 -d5s http://127.0.0.1:$p/ 2>&1`;
    my ($r) = $o =~ /Requests\/sec:\s+([\d.]+)/;
    my ($e) = $o =~ /Non-2xx or 3xx responses: (\d+)/;
    my ($se) = $o =~ /Socket errors: (.*)/;
    return ($r // 0, $e // 0, $se // 'none');
}

sub under_reloads {
    my $s = shift;
    my ($base) = wrk($s->{port});
    my $kid = fork() // die;
    if (!$kid) { for (1 .. 10) { sleep 0.5; kill 'HUP', $s->{pid} } exit 0 }
    my ($during, $non2xx, $serr) = wrk($s->{port});
    waitpid($kid, 0);
    printf "%s: req/s no reloads %.0f, with a reload every 0.5 s %.0f (ratio %.3f), "
        . "non-2xx %d, socket errors %s\n", $s->{name}, $base, $during,
        $base ? $during / $base : 0, $non2xx, $serr;
}

# ms from SIGHUP until the configuration of generation $g answers.
sub reload_time {
    my ($s, $g) = @_;
    conf($s, $g);
    my $t0 = time;
    kill 'HUP', $s->{pid};
    while (time - $t0 < 5) { return 1000 * (time - $t0) if get($s->{port}) =~ /gen $g\b/; sleep 0.002 }
    return 5000;
}

sub median { my @s = sort { $a <=> $b } @_; return @s % 2 ? $s[$#s / 2] : ($s[@s / 2 - 1] + $s[@s / 2]) / 2 }

my @srv = (start('portico', $pbin, $port), start('nginx', $nbin, $port + 1));
sleep 0.5;
under_reloads($_) for @srv;
sleep 1;

my (@pt, @nt, @ratio);
for my $g (1 .. $rounds) {
    my @order = $g % 2 ? (0, 1) : (1, 0);   # who goes first alternates
    my %t;
    for my $i (@order) { $t{$i} = reload_time($srv[$i], $g); sleep 0.3 }
    push @pt, $t{0}; push @nt, $t{1}; push @ratio, $t{0} / $t{1};
}
printf "rounds (ms, portico/nginx): %s\n", join(" ", map { sprintf "%.0f/%.0f", $pt[$_], $nt[$_] } 0 .. $#pt) if $ENV{VERBOSE};
printf "SIGHUP->new config serving, %d alternating rounds: portico median %.1f ms "
    . "(min %.1f, max %.1f), nginx median %.1f ms (min %.1f, max %.1f); "
    . "median of per-round ratios portico/nginx %.2f\n", $rounds,
    median(@pt), (sort { $a <=> $b } @pt)[0, -1], median(@nt), (sort { $a <=> $b } @nt)[0, -1],
    median(@ratio);

for my $s (@srv) { kill 'QUIT', $s->{pid} }
sleep 1;
