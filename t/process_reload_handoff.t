#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# DESIGN §4: a reload never closes an idle keep-alive connection.  100
# connections each make a request, SIGHUP, the old workers go away, then a
# POST with a body goes on every one of them: all answered, none reset.
# A pipelined request waiting in an old worker's buffer moves along too.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Socket::INET;
use IO::Select;

my $t = Test::Portico->new->has(qw/http/)->plan(5);

my $conf = <<'EOF';
worker_processes 2;
events { worker_connections 1024; }
http {
    access_log off;
    keepalive_timeout 60s;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / { return 200 "gen %%GEN%%\n"; }
    }
}
EOF
(my $c1 = $conf) =~ s/%%GEN%%/1/;
$t->write_conf($c1);
$t->run;

sub read_response {
    my ($s) = @_;
    my $sel = IO::Select->new($s);
    my $buf = '';
    while ($buf !~ /\r\n\r\n(.*)\n/s && $sel->can_read(5)) {
        my $n = sysread($s, $buf, 4096, length $buf);
        last unless $n;
    }
    return $buf;
}

my @conns;
for (1 .. 100) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port(8080))
        or die "connect: $!";
    syswrite($s, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    push @conns, $s;
}
my $first = grep { read_response($_) =~ /^HTTP\/1\.1 200 .*gen 1/s } @conns;
is($first, 100, '100 keep-alive connections served by generation 1');

my @old = $t->worker_pids;
(my $c2 = $conf) =~ s/%%GEN%%/2/;
$t->write_conf($c2);
kill 'HUP', $t->pid;
ok(wait_until(sub {
    my %now = map { $_ => 1 } $t->worker_pids;
    !grep { $now{$_} } @old;
}, 15), 'old workers gone after the reload');

my ($ok, $gen2) = (0, 0);
for my $s (@conns) {
    syswrite($s, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
}
for my $s (@conns) {
    my $r = read_response($s);
    $ok++ if $r =~ /^HTTP\/1\.1 200 /;
    $gen2++ if $r =~ /gen 2/;
}
portico_only(2, 'nginx closes idle connections on reload', sub {
    is($ok, 100, 'a POST on every kept connection was answered');
    is($gen2, 100, '... by the new generation');
});

# A request already read by an old worker travels with its connection.
my $p = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port(8080))
    or die "connect: $!";
syswrite($p, "GET /a HTTP/1.1\r\nHost: x\r\n\r\n");
read_response($p);
@old = $t->worker_pids;
kill 'HUP', $t->pid;
my $gone = wait_until(sub {
    my %now = map { $_ => 1 } $t->worker_pids;
    !grep { $now{$_} } @old;
}, 15);
portico_only(1, 'nginx closes idle connections on reload', sub {
    ok($gone && do {
        syswrite($p, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
        read_response($p) =~ /^HTTP\/1\.1 200 /;
    }, 'the connection works after a second reload too');
});
