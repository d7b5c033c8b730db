#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# A SIGHUP while a graceful quit drains is ignored (as nginx): no new
# image or workers, the request in flight is finished, the master exits.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use IO::Socket::INET;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(4);

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
    return { delay => 2, body => "slow\n" };
})->start;
$t->run;

my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port(8080))
    or die "connect: $!";
print $s "GET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
sleep 0.5;
$t->signal('QUIT');
sleep 0.2;
$t->signal('HUP');

my $r = http_read($s, timeout => 10) // '';
like($r, qr{^HTTP/1\.1 200 .*slow}s, 'the request in flight is finished');
ok(defined $t->wait_exit(10), 'the master exits');
like($t->error_log, qr/reload ignored: shutting down/, 'the SIGHUP is logged as ignored');
my $log = $t->error_log;
my ($after) = $log =~ /(graceful|gracefully|shutting down).*\z/s;
unlike($after // '', qr/start worker process/, 'no worker was started after the quit');
