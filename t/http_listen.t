#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The listen directive: IPv4, IPv6, unix sockets, a wildcard address shared
# with a specific one, default_server selection, name-based virtual servers
# on one port, backlog= and reuseport, and the errors: a duplicate default
# server and an address already in use.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Socket::INET;
use IO::Socket::IP;
use IO::Socket::UNIX;
use Socket qw/SOCK_STREAM/;
use Time::HiRes qw/time sleep/;

my $t = Test::Portico->new->has(qw/http/)->plan(36);
my $dir = $t->testdir;

# Is ::1 usable here?  (Containers without IPv6 skip those tests.)
my $have_v6 = do {
    my $s = IO::Socket::IP->new(LocalHost => '::1', LocalPort => 0,
        Proto => 'tcp', Listen => 1);
    $s ? do { close $s; 1 } : 0;
};

my $v6_server = $have_v6 ? <<'EOF' : '';
    server {
        listen [::1]:%%PORT_V6%%;
        server_name v6;
        location / { return 200 "v6 $remote_addr\n"; }
    }
EOF

$t->write_conf(<<"EOF");
worker_processes 1;
events { }
http {
    log_format addr '\$remote_addr|\$request';
    access_log off;

    # A plain IPv4 address.
    server {
        listen 127.0.0.1:%%PORT_V4%%;
        server_name v4;
        location / { return 200 "v4\\n"; }
    }

$v6_server
    # A unix-domain socket.
    server {
        listen unix:%%TESTDIR%%/s.sock;
        server_name unix;
        access_log logs/unix.log addr;
        location / { return 200 "unix [\$remote_addr]\\n"; }
    }

    # A wildcard listen (binds *:PORT) and a specific address on the same
    # port: connections to 127.0.0.1 belong to the specific address, whose
    # servers alone are candidates.
    server {
        listen %%PORT_W%%;
        server_name wild;
        location / { return 200 "wild\\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_W%%;
        server_name spec-a;
        location / { return 200 "spec-a\\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_W%% default_server;
        server_name spec-b;
        location / { return 200 "spec-b\\n"; }
    }

    # default_server picks the server for unknown names.
    server {
        listen 127.0.0.1:%%PORT_D%%;
        server_name first.test;
        location / { return 200 "first\\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_D%% default_server;
        server_name second.test;
        location / { return 200 "second\\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_D%%;
        server_name third.test;
        location / { return 200 "third\\n"; }
    }

    # Without default_server the first server of the address is the default.
    server {
        listen 127.0.0.1:%%PORT_N%%;
        server_name x.test;
        location / { return 200 "x\\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_N%%;
        server_name y.test;
        location / { return 200 "y\\n"; }
    }

    # Socket options.
    server {
        listen 127.0.0.1:%%PORT_B%% backlog=64;
        location / { return 200 "backlog\\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_R%% reuseport backlog=16;
        location / { return 200 "reuseport\\n"; }
    }
}
EOF
$t->run;

sub body_of {
    my ($port, $host, %o) = @_;
    my $r = http_get('/', port => $port, Host => $host, %o);
    return http_body($r) // '';
}

# IPv4.
is(body_of('V4', 'v4'), "v4\n", 'listen 127.0.0.1:PORT serves');

# IPv6.
SKIP: {
    skip 'no IPv6 on ::1', 3 unless $have_v6;
    my $r = http_get('/', host => '::1', port => $t->port('V6'), Host => 'v6');
    like($r, qr{^HTTP/1\.1 200 }, 'listen [::1]:PORT serves');
    is(http_body($r), "v6 ::1\n", '$remote_addr is ::1');
    ok(!IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port('V6'), Timeout => 1),
        '[::1]:PORT does not answer on 127.0.0.1');
}

# Unix-domain socket.
my $sock = "$dir/s.sock";
ok(-S $sock, 'unix socket created');
my $u = IO::Socket::UNIX->new(Peer => $sock, Type => SOCK_STREAM);
ok($u, 'unix socket accepts') or diag("connect $sock: $!");
SKIP: {
    skip 'no unix connection', 3 unless $u;
    $u->autoflush(1);
    my $r = http("GET /u HTTP/1.1\r\nHost: unix\r\nConnection: close\r\n\r\n",
        socket => $u);
    like($r, qr{^HTTP/1\.1 200 }, 'unix: 200');
    is(http_body($r), "unix [unix:]\n", 'unix: $remote_addr is "unix:"');
    ok(wait_until(sub { ($t->read_file('logs/unix.log') // '') =~ /\S/ }),
        'unix: access log written');
}
like($t->read_file('logs/unix.log') // '', qr{^unix:\|GET /u HTTP/1\.1$}m,
    'unix: logged as "unix:"');

# Wildcard + specific address on one port.
is(body_of('W', 'spec-a'), "spec-a\n", 'specific address: by name');
is(body_of('W', 'spec-b'), "spec-b\n", 'specific address: other name');
is(body_of('W', 'nobody.test'), "spec-b\n",
    'specific address: unknown name goes to its default_server');
is(body_of('W', 'wild'), "spec-b\n",
    'the wildcard server\'s name is not a candidate on 127.0.0.1');
ok(IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port('W'),
    Timeout => 1), 'wildcard port accepts on 127.0.0.1');

# default_server selection.
is(body_of('D', 'first.test'), "first\n", 'by name: first');
is(body_of('D', 'third.test'), "third\n", 'by name: third');
is(body_of('D', 'unknown.test'), "second\n", 'unknown name: default_server');
is(body_of('D', 'SECOND.TEST'), "second\n", 'names are case-insensitive');
is(http_body(http("GET / HTTP/1.0\r\n\r\n", port => 'D')) // '', "second\n",
    'no Host (HTTP/1.0): default_server');
is(body_of('D', 'first.test:8080'), "first\n", 'Host with a port: by name');

# Two servers, one port, no default_server: the first one is the default.
is(body_of('N', 'x.test'), "x\n", 'same port: x by name');
is(body_of('N', 'y.test'), "y\n", 'same port: y by name');
is(body_of('N', 'z.test'), "x\n", 'same port: first server is the default');

# backlog= and reuseport are accepted and the servers work.
is(body_of('B', 'localhost'), "backlog\n", 'backlog= accepted');
is(body_of('R', 'localhost'), "reuseport\n", 'reuseport accepted');

# Errors.  A second default_server on one address.
my $bad = Test::Portico->new->allow_errors;
$bad->write_conf(<<'EOF');
events { }
http {
    server {
        listen 127.0.0.1:%%PORT_X%% default_server;
    }
    server {
        listen 127.0.0.1:%%PORT_X%% default_server;
    }
}
EOF
my $bport = $bad->port('X');
my $bconf = $bad->conf_file;
my ($rc, $out) = $bad->conf_test;
is($rc, 1, 'duplicate default_server: -t exits 1');
like($out, qr{\[emerg\] .*a duplicate default server for 127\.0\.0\.1:$bport in \Q$bconf\E:\d+},
    'duplicate default_server: "a duplicate default server" with file:line');

# The same address twice in one server.
$bad->write_conf(<<'EOF');
events { }
http {
    server {
        listen 127.0.0.1:%%PORT_X%%;
        listen 127.0.0.1:%%PORT_X%%;
    }
}
EOF
($rc, $out) = $bad->conf_test;
is($rc, 1, 'duplicate listen in one server: -t exits 1');
like($out, qr{\[emerg\] .*a duplicate listen 127\.0\.0\.1:$bport in \Q$bconf\E:\d+},
    'duplicate listen in one server: "a duplicate listen"');

# Socket options given twice for one address.
$bad->write_conf(<<'EOF');
events { }
http {
    server {
        listen 127.0.0.1:%%PORT_X%% backlog=10;
    }
    server {
        listen 127.0.0.1:%%PORT_X%% backlog=20;
    }
}
EOF
($rc, $out) = $bad->conf_test;
is($rc, 1, 'duplicate listen options: -t exits 1');
like($out, qr{\[emerg\] .*duplicate listen options for 127\.0\.0\.1:$bport in \Q$bconf\E:\d+},
    'duplicate listen options: named');

# An address already in use: exit 1, bind() error on stderr, no pid file.
my $holder = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
    LocalPort => $bport, Proto => 'tcp', Listen => 5, ReuseAddr => 1)
    or die "cannot hold 127.0.0.1:$bport: $!\n";
$bad->write_conf(<<'EOF');
events { }
http {
    server {
        listen 127.0.0.1:%%PORT_X%%;
        location / { return 204; }
    }
}
EOF
my $t0 = time;
my ($stdout, $stderr);
($rc, $stdout, $stderr) = $bad->binary_run_split('-p', $bad->testdir . '/',
    '-c', $bconf);
my $el = time - $t0;
is($rc, 1, 'address in use: exit 1');
like($stderr,
    qr{bind\(\) to 127\.0\.0\.1:$bport failed \(98: Address already in use\)},
    'address in use: bind() error on stderr');
ok(!-e $bad->testdir . '/logs/portico.pid', 'address in use: no pid file');
ok($el < 8, 'address in use: gives up in bounded time') or diag("took $el s");
close $holder;
