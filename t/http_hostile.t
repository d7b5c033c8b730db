#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Hostile clients (DESIGN §10): 1,000 slowloris connections trickling
# headers a byte at a time do not stop a normal request from being
# answered promptly and are each closed by client_header_timeout; a full
# worker_connections sheds new connections cleanly and logs it once per
# pause, not once per connection.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw/time sleep/;

my $t = Test::Portico->new->has(qw/http/)->plan(8);

$t->write_conf(<<'EOF');
worker_processes 1;
events { worker_connections 4096; }
http {
    access_log off;
    client_header_timeout 3s;
    root %%TESTDIR%%/html;
    server { listen 127.0.0.1:%%PORT_8080%% backlog=2048; }
}
EOF
$t->write_file('html/a.html', "ok\n");
$t->run;

my $N = 1000;
my @slow;
for (1 .. $N) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port(8080), Blocking => 0) or last;
    push @slow, $s;
}
is(scalar @slow, $N, "$N slow connections opened");

# Trickle: one byte per connection per round, checking for closes.
my $sel = IO::Select->new(@slow);
my %closed;
my $start = time;
my $head = "GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: " . ('a' x 100);
my $round = 0;
my ($normal_ok, $normal_time);

while (time - $start < 6 && keys %closed < $N) {
    my $byte = substr($head, $round % length($head), 1);
    for my $s (@slow) {
        next if $closed{$s};
        syswrite($s, $byte);
    }
    $round++;

    if (!defined $normal_time && time - $start > 1) {
        my $t0 = time;
        my $r = http_get('/a.html');
        $normal_time = time - $t0;
        $normal_ok = ($r // '') =~ m{^HTTP/1\.1 200 };
    }

    for my $s ($sel->can_read(0.2)) {
        my $n = sysread($s, my $buf, 4096);
        if (!$n) {
            $closed{$s} = time - $start;
            $sel->remove($s);
        }
    }
}

ok($normal_ok, 'normal request answered among slowloris connections');
ok(defined $normal_time && $normal_time < 0.5, 'and promptly')
    or diag('took ' . ($normal_time // 'forever'));
is(scalar keys %closed, $N, 'every slow connection closed')
    or diag(scalar(keys %closed) . ' closed');
my @late = grep { $_ < 2.5 || $_ > 5 } values %closed;
is(scalar @late, 0, 'closed by client_header_timeout (3s)')
    or diag(scalar(@late) . ' closed outside 2.5..5s');
close $_ for @slow;
$t->stop;

# A full worker_connections: new connections are shed, the log says so a
# few times (once per accept pause), and service resumes once they go.
my $t2 = Test::Portico->new;
$t2->write_conf(<<'EOF');
worker_processes 1;
events { worker_connections 16; }
http {
    access_log off;
    root %%TESTDIR%%/html;
    server { listen 127.0.0.1:%%PORT_8080%%; }
}
EOF
$t2->write_file('html/a.html', "ok\n");
$t2->run;

my @idle = grep { defined } map {
    IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t2->port(8080))
} 1 .. 60;
sleep 0.5;
my $eof = 0;
my $sel2 = IO::Select->new(@idle);
for my $s ($sel2->can_read(1)) {
    $eof++ if !sysread($s, my $buf, 10);
}
ok($eof >= 40, 'connections beyond worker_connections are shed')
    or diag("$eof closed");
my $warns = () = $t2->read_file('logs/error.log') =~ /worker_connections are not enough/g;
ok($warns >= 1 && $warns <= 5, 'logged once per pause, not per connection')
    or diag("$warns warnings");
close $_ for @idle;
ok(wait_until(sub { (http_get('/a.html') // '') =~ m{^HTTP/1\.1 200 } }, 5),
    'service resumes');
