#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# A stop after a reload also stops the old generation's workers still
# draining (they are the master's children, as nginx's are): none is
# left behind without a master.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use IO::Socket::INET;
use Time::HiRes qw/sleep/;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(3);

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / { proxy_pass http://127.0.0.1:%%PORT_be%%; }
    }
}
EOF2
Test::Portico::Backend->new($t, 'be', handler => sub {
    return { delay => 5, body => "slow\n" };
})->start;
$t->run;

# A request held by the first worker across the reload.
my ($old) = $t->worker_pids;
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port(8080))
    or die "connect: $!";
print $s "GET /x HTTP/1.1\r\nHost: x\r\n\r\n";
sleep 0.5;

$t->signal('HUP');
ok(wait_until(sub { grep { $_ != $old } $t->worker_pids }, 10),
   'reload: a new worker runs while the old one drains');

$t->signal('TERM');
ok(defined $t->wait_exit(10), 'the master exits on TERM');
ok(wait_until(sub { !kill 0, $old }, 5),
   'the old generation\'s worker is gone too');
