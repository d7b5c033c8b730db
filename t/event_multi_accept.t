#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# multi_accept: on or off, a burst of connections queued at once on the
# listener is accepted and every one is answered (off takes one per
# readiness of the level-triggered listener, on drains the queue).
# accept_mutex_delay, nginx's, is accepted (it has nothing to delay) and
# checked like any time.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Socket::INET;
use IO::Select;

my $t = Test::Portico->new->has(qw/http/)->plan(4)
    ->allow_errors(qr/"accept_mutex_delay" directive invalid value/);

my $conf = <<'EOF2';
worker_processes 1;
events { multi_accept %%MULTI%%; worker_connections 512; %%DELAY%% }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%% backlog=511;
        location / { return 200 "ok $connection\n"; }
    }
}
EOF2

sub burst {
    my @s;
    for (1 .. 200) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $t->port(8080)) or last;
        syswrite($s, "GET / HTTP/1.0\r\n\r\n");
        push @s, $s;
    }
    my ($ok, %conn) = (0);
    for my $s (@s) {
        my ($buf, $sel) = ('', IO::Select->new($s));
        while ($sel->can_read(5)) {
            my $n = sysread($s, $buf, 4096, length $buf);
            last unless $n;
        }
        $ok++ if $buf =~ /^HTTP\/1\.1 200 .*ok (\d+)/s && !$conn{$1}++;
    }
    return $ok;
}

for my $mode (qw/off on/) {
    (my $c = $conf) =~ s/%%MULTI%%/$mode/;
    $c =~ s/%%DELAY%%/accept_mutex_delay 100ms;/;
    $t->write_conf($c);
    $t->run;
    is(burst(), 200, "multi_accept $mode: 200 queued connections all answered");
    $t->stop;
}

(my $bad = $conf) =~ s/%%MULTI%%/off/;
$bad =~ s/%%DELAY%%/accept_mutex_delay soon;/;
$t->write_conf($bad);
my ($rc, $out) = $t->conf_test;
isnt($rc, 0, 'accept_mutex_delay with a bad time is refused');
like($out, qr/"accept_mutex_delay" directive invalid value|invalid value "soon"/,
     '... saying why') or diag($out);
