#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# A graceful stop is not held up by idle backend connections kept for
# reuse (upstream keepalive): QUIT ends the server at once.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use Time::HiRes qw/time/;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(2);
my $be = Test::Portico::Backend->new($t, 'be')->start;

$t->write_conf(<<'EOF');
events { }
http {
    access_log off;
    upstream app { server 127.0.0.1:%%PORT_be%%; keepalive 16; }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
    }
}
EOF
$t->run;

like(http_get('/x'), qr{^HTTP/1\.1 200 }, 'proxied, backend connection kept');
my $t0 = time;
kill 'QUIT', $t->pid;
my $done = defined $t->wait_exit(5);
ok($done && time - $t0 < 2, 'QUIT ends the server at once')
    or diag(sprintf 'after %.1f s', time - $t0);
