#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The reload handoff carries client connections between generations, so no
# other local process may receive them.  A squatter binds every unix socket
# name a handoff could plausibly use (the abstract "portico-handoff-PID-GEN"
# of earlier versions) before a reload: the kept connection is still served
# by the new workers and the squatter receives nothing.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Socket::INET;
use IO::Select;
use Socket qw(AF_UNIX SOCK_DGRAM pack_sockaddr_un);

my $t = Test::Portico->new->has(qw/http/)->plan(3);

my $conf = <<'EOF2';
worker_processes 1;
events { worker_connections 256; }
http {
    access_log off;
    keepalive_timeout 60s;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / { return 200 "gen %%GEN%%\n"; }
    }
}
EOF2
(my $c1 = $conf) =~ s/%%GEN%%/1/;
$t->write_conf($c1);
$t->run;

my @squat;
for my $gen (0 .. 8) {
    socket(my $u, AF_UNIX, SOCK_DGRAM, 0) or die "socket: $!";
    bind($u, pack_sockaddr_un("\0portico-handoff-" . $t->pid . "-$gen"))
        and push @squat, $u;
}

my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port(8080))
    or die "connect: $!";
syswrite($s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
like(http_read($s, complete => 1), qr/gen 1/, 'served by the first generation');

my @old = $t->worker_pids;
(my $c2 = $conf) =~ s/%%GEN%%/2/;
$t->write_conf($c2);
kill 'HUP', $t->pid;
wait_until(sub {
    my %now = map { $_ => 1 } $t->worker_pids;
    !grep { $now{$_} } @old;
}, 15);

my $got = 0;
my $sel = IO::Select->new(@squat);
$got++ for $sel->can_read(0.5);
is($got, 0, 'no squatting socket received anything');

portico_only(1, 'nginx closes idle connections on reload', sub {
    syswrite($s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    like(http_read($s, complete => 1), qr/^HTTP\/1\.1 200 .*gen 2/s,
         'the kept connection is served by the new generation');
});
