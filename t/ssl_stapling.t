#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# OCSP stapling from a file: ssl_stapling on with ssl_stapling_file sends
# the response to clients that ask for it (status_request); without the
# file the directive is ignored with a warning, as nginx does when it has
# no responder to ask.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::TLS;

my $t = Test::Portico->new->has(qw/http ssl/)->plan(4);
my $dir = $t->testdir;

make_ca($dir);
make_cert($dir, 'server', cn => 'localhost');
openssl($dir, 'ocsp -index ca.index -rsigner ca.crt -rkey ca.key -CA ca.crt'
    . ' -issuer ca.crt -cert server.crt -respout ocsp.der -ndays 1');

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    ssl_certificate server.crt;
    ssl_certificate_key server.key;

    server {
        listen 127.0.0.1:%%PORT_STAPLE%% ssl;
        ssl_stapling on;
        ssl_stapling_file ocsp.der;
        location / { return 200 "ok\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_PLAIN%% ssl;
        location / { return 200 "ok\n"; }
    }
}
EOF2
$t->run;

my $out = s_client('-connect 127.0.0.1:' . $t->port('STAPLE') . ' -status');
like($out, qr/OCSP Response Status: successful/, 'response stapled');
like($out, qr/Cert Status: good/, 'the file\'s response');
$out = s_client('-connect 127.0.0.1:' . $t->port('PLAIN') . ' -status');
like($out, qr/OCSP response: no response sent/, 'no stapling by default');
like(https_get('/', port => $t->port('STAPLE')), qr/^HTTP\/1\.1 200/,
    'requests still served');
