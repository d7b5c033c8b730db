#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# proxy_bind: the backend sees connections from the configured local
# address (fixed, from a variable, or the kernel's choice with off or an
# empty value); an address the host does not have is an error logged
# with the address, and the client gets an error status, not a hang.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;

my $t = Test::Portico->new->has(qw/http proxy map/)->plan(7);

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    map $arg_from $from { default ""; two 127.0.0.2; three 127.0.0.3; }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        proxy_bind 127.0.0.2;
        location /fixed/ { proxy_pass http://127.0.0.1:%%PORT_be%%; }
        location /var/ {
            proxy_bind $from;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /off/ {
            proxy_bind off;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /bad/ {
            proxy_bind 192.0.2.1;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
    }
}
EOF2

my $be = Test::Portico::Backend->new($t, 'be', handler => sub {
    my ($req, $st) = @_;
    return { body => "from $st->{peer}\n" };
})->start;
$t->run;

sub body { my $r = http_get(shift) // ''; $r =~ /\r\n\r\n(.*)\z/s ? $1 : $r }

is(body('/fixed/x'), "from 127.0.0.2\n", 'proxy_bind address: used');
is(body('/var/x?from=three'), "from 127.0.0.3\n", 'proxy_bind $var: its value');
is(body('/var/x'), "from 127.0.0.1\n", 'proxy_bind $var empty: the kernel picks');
is(body('/off/x'), "from 127.0.0.1\n", 'proxy_bind off in a location: inherited one cancelled');
my $bad = http_get('/bad/x', timeout => 5) // '';
like($bad, qr{^HTTP/1\.1 50[02] }, 'address not on this host: an error status');
like($t->error_log, qr/bind\(192\.0\.2\.1\) failed/, '... logged with the address');

$t->allow_errors(qr/bind\(192\.0\.2\.1\) failed|invalid address/);
$t->stop;
$t->write_conf(<<'EOF2');
events { }
http { server { listen 127.0.0.1:%%PORT_8081%%; proxy_bind not-an-address; } }
EOF2
my ($rc, $out) = $t->conf_test;
like($out, qr/invalid address "not-an-address" in .*:\d+/,
     'proxy_bind with a bad literal address: config error with file:line');
