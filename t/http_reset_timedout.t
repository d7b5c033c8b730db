#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# reset_timedout_connection: a client cut by send_timeout gets a reset (so
# the server's queued data is dropped at once); without it, a plain close.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Socket::INET;
use Socket qw/SOL_SOCKET SO_RCVBUF pack_sockaddr_in inet_aton/;
use Errno qw/ECONNRESET/;

my $t = Test::Portico->new->has(qw/http/)->plan(2);

$t->write_conf(<<'EOF');
events { }
http {
    access_log off;
    send_timeout 1s;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/html;
        location /reset/ { reset_timedout_connection on; }
    }
}
EOF
$t->write_file('html/reset/big.bin', 'x' x (8 * 1024 * 1024));
$t->write_file('html/plain/big.bin', 'x' x (8 * 1024 * 1024));
$t->run;

sub stalled_client {
    my ($uri) = @_;
    my $s = IO::Socket::INET->new(Proto => 'tcp') or die "socket: $!";
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, pack('i', 4096));
    $s->connect(pack_sockaddr_in($t->port(8080), inet_aton('127.0.0.1')))
        or die "connect: $!";
    print $s "GET $uri HTTP/1.1\r\nHost: x\r\n\r\n";
    sleep 3;                      # send_timeout passes while we do not read
    my $err = 0;
    while (1) {
        my $n = sysread($s, my $buf, 65536);
        if (!defined $n) { $err = $!{ECONNRESET} ? 'reset' : "error $!"; last }
        if ($n == 0) { $err = 'close'; last }
    }
    return $err;
}

is(stalled_client('/reset/big.bin'), 'reset', 'reset_timedout_connection on: reset');
is(stalled_client('/plain/big.bin'), 'close', 'off: the connection just closes');
