#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# worker_shutdown_timeout bounds what a retiring worker waits for: a held
# websocket tunnel is closed that long after a reload, and the old worker
# goes away; without the bound it would live as long as the tunnel.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw/time sleep/;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(3);

my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
    LocalPort => $t->port('ws'), Listen => 4, ReuseAddr => 1) or die "listen: $!";
my $bpid = fork() // die "fork: $!";
if ($bpid == 0) {
    local $SIG{ALRM} = sub { exit 0 };
    alarm 20;
    while (my $c = $listen->accept) {
        while (<$c>) { last if $_ eq "\r\n"; }
        print $c "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
            . "Connection: Upgrade\r\n\r\n";
        $c->autoflush(1);
        while (sysread($c, my $b, 4096)) { syswrite($c, $b) }
        close $c;
    }
    exit 0;
}
close $listen;

$t->write_conf(<<'EOF');
worker_shutdown_timeout 1s;
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / {
            proxy_pass http://127.0.0.1:%%PORT_ws%%;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection "upgrade";
            proxy_read_timeout 60s;
        }
    }
}
EOF
$t->run;

my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port(8080))
    or die "connect: $!";
print $s "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
my $sel = IO::Select->new($s);
my $head = '';
while ($head !~ /\r\n\r\n/ && $sel->can_read(5)) { sysread($s, $head, 4096, length $head) or last }
like($head, qr{^HTTP/1\.1 101 }, 'tunnel open');

my @old = $t->worker_pids;
kill 'HUP', $t->pid;
my $t0 = time;
my $closed;
while ($sel->can_read(8)) {
    my $n = sysread($s, my $buf, 4096);
    if (!$n) { $closed = time - $t0; last }
}
ok(defined $closed && $closed < 5, 'the held tunnel ends about worker_shutdown_timeout after the reload')
    or diag('closed after ' . ($closed // 'never'));
ok(wait_until(sub {
    my %now = map { $_ => 1 } $t->worker_pids;
    !grep { $now{$_} } @old;
}, 5), 'and the old worker is gone');

kill 'TERM', $bpid;
waitpid($bpid, 0);
