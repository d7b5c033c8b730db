#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# TLS and the SIGHUP reload: a TLS session cannot be handed to the new
# workers, so an idle TLS keep-alive connection stays with its old worker:
# a request sent on it after the reload is answered, with
# "Connection: close", and a silent one is closed after keepalive_timeout.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::TLS;
use Time::HiRes qw/time sleep/;

my $t = Test::Portico->new->has(qw/http ssl/)->plan(6);
my $dir = $t->testdir;

make_ca($dir);
make_cert($dir, 'server', type => 'ec', cn => 'localhost');

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    keepalive_timeout 6s;
    ssl_certificate server.crt;
    ssl_certificate_key server.key;
    server {
        listen 127.0.0.1:%%PORT_TLS%% ssl;
        location / { return 200 "pid=$pid\n"; }
    }
}
EOF2
$t->run;

my $port = $t->port('TLS');

sub request {
    my ($s) = @_;
    $s->print("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    my $data = '';
    my $sel = IO::Select->new($s);
    while ($data !~ /\r\n\r\npid=\d+\n/) {
        last unless $s->pending || $sel->can_read(5);
        my $n = $s->sysread($data, 4096, length $data);
        last unless $n;
    }
    return $data;
}

my $busy = https(undef, port => $port, start => 1);
my $idle = https(undef, port => $port, start => 1);
my $r = request($busy);
like($r, qr/^HTTP\/1\.1 200.*Connection: keep-alive/s, 'keep-alive before');
my ($old) = $r =~ /pid=(\d+)/;
request($idle);

$t->reload;

$r = request($busy);
like($r, qr/^HTTP\/1\.1 200/, 'request on a TLS connection after reload');
like($r, qr/Connection: close/, 'answered with Connection: close');
like($r, qr/pid=$old\b/, 'by the old worker');

my $t0 = time;
my $n = IO::Select->new($idle)->can_read(9) ? $idle->sysread(my $b, 100) : -1;
ok(!$n, 'idle TLS connection closed');
ok(time - $t0 < 8, "after keepalive_timeout");
