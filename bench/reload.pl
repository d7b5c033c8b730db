#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Reload cost (issue 8): requests/s with SIGHUP every 0.5 s vs none, and the
# time from SIGHUP until the new configuration answers (median of 20).
# Usage: bench/reload.pl NAME BINARY PORT  (e.g. portico objs/portico 19500;
# nginx /usr/sbin/nginx 19501).  Loopback only; stops what it started.
# the time from SIGHUP until the new generation answers (median of 20).
use strict; use warnings;
use Time::HiRes qw/time sleep/;
use IO::Socket::INET;
my ($name, $bin, $port) = @ARGV;
my $dir = "/tmp/portico-reload-bench-$name"; system("rm -rf $dir; mkdir -p $dir/logs");
sub conf { my $g = shift; open(my $f, '>', "$dir/c.conf"); print $f "worker_processes 1;\nevents {}\nhttp { access_log off; server { listen 127.0.0.1:$port; location / { return 200 \"gen $g\\n\"; } } }\n"; close $f }
conf(0);
system("$bin -p $dir/ -c $dir/c.conf -g 'daemon on; pid $dir/logs/p.pid; error_log $dir/logs/e.log;'") == 0 or die;
sleep 0.5;
my $pid = `cat $dir/logs/p.pid`; chomp $pid;
sub get { my $s = IO::Socket::INET->new("127.0.0.1:$port") or return ''; print $s "GET / HTTP/1.0\r\n\r\n"; local $/; my $r = <$s> // ''; return $r }
sub wrk { my $o = `wrk -t1 -c20 -d5s http://127.0.0.1:$port/ 2>&1`; my ($r) = $o =~ /Requests\/sec:\s+([\d.]+)/; my ($e) = $o =~ /Non-2xx or 3xx responses: (\d+)/; my ($se) = $o =~ /Socket errors: (.*)/; return ($r, $e // 0, $se // 'none') }
my ($base) = wrk();
my $kid = fork(); if (!$kid) { for (1 .. 10) { sleep 0.5; kill 'HUP', $pid } exit 0 }
my ($during, $non2xx, $serr) = wrk(); waitpid($kid, 0);
sleep 2;
my @t;
for my $g (1 .. 20) {
    conf($g); my $t0 = time; kill 'HUP', $pid;
    while (time - $t0 < 5) { last if get() =~ /gen $g/; sleep 0.002 }
    push @t, time - $t0; sleep 0.3;
}
@t = sort { $a <=> $b } @t;
printf "%s: req/s no reloads %.0f, with a reload every 0.5 s %.0f (ratio %.3f), non-2xx %d, socket errors %s; SIGHUP->new config serving median %.1f ms (min %.1f, max %.1f)\n",
    $name, $base, $during, $during / $base, $non2xx, $serr, 1000 * $t[10], 1000 * $t[0], 1000 * $t[-1];
kill 'QUIT', $pid; sleep 1;
