#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Client certificates (mTLS): ssl_verify_client on|optional|optional_no_ca,
# ssl_client_certificate, ssl_verify_depth, ssl_crl (a revoked client is
# refused), nginx's 400 pages (495, 496), and the $ssl_client_* variables.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::TLS;

my $t = Test::Portico->new->has(qw/http ssl/)->plan(15);
my $dir = $t->testdir;

make_ca($dir);
make_cert($dir, 'server', cn => 'localhost');
make_cert($dir, 'alice', cn => 'alice', client => 1);
make_cert($dir, 'mallory', cn => 'mallory', client => 1);
revoke_cert($dir, 'mallory');

# A client certificate from another CA.
mkdir "$dir/other";
make_ca("$dir/other");
make_cert("$dir/other", 'eve', cn => 'eve', client => 1);

$t->write_conf(<<'EOF');
worker_processes 1;
events { }
http {
    access_log off;
    ssl_certificate server.crt;
    ssl_certificate_key server.key;
    ssl_client_certificate ca.crt;

    server {
        listen 127.0.0.1:%%PORT_ON%% ssl;
        ssl_verify_client on;
        ssl_crl ca.crl;
        location / {
            return 200 "verify=$ssl_client_verify s=$ssl_client_s_dn i=$ssl_client_i_dn serial=$ssl_client_serial fp=$ssl_client_fingerprint\n";
        }
        location /cert { return 200 "$ssl_client_escaped_cert"; }
    }
    server {
        listen 127.0.0.1:%%PORT_ON%% ssl;
        server_name other.test;
        location / { return 200 "other\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_OPT%% ssl;
        ssl_verify_client optional;
        location / { return 200 "verify=$ssl_client_verify\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_NOCA%% ssl;
        ssl_verify_client optional_no_ca;
        location / { return 200 "verify=$ssl_client_verify s=$ssl_client_s_dn\n"; }
    }
}
EOF
$t->run;

sub get {
    my ($port, $who, $d, $uri) = @_;
    $d //= $dir;
    return https_get($uri // '/', port => $t->port($port),
        ($who ? (SSL_cert_file => "$d/$who.crt",
                 SSL_key_file => "$d/$who.key") : ()));
}

my $r = get('ON', 'alice');
like($r, qr/^HTTP\/1\.1 200/, 'verify on: good client accepted');
like($r, qr/verify=SUCCESS s=CN=alice i=CN=Portico Test CA serial=[0-9A-F]+ fp=[0-9a-f]{40}$/m,
    '$ssl_client_* variables');

my $alice = openssl($dir, 'x509 -in alice.crt -noout -fingerprint -sha1');
$alice =~ s/.*=//s; $alice =~ s/[:\s]//g;
like($r, qr/fp=\L$alice\E/, '$ssl_client_fingerprint is the SHA-1 of the cert');

$r = get('ON', 'alice', undef, '/cert');
like($r, qr/-----BEGIN%20CERTIFICATE-----%0A/, '$ssl_client_escaped_cert');

$r = get('ON');
like($r, qr/^HTTP\/1\.1 400/, 'verify on: no certificate: 400');
like($r, qr/No required SSL certificate was sent/, 'nginx 496 message');

$r = get('ON', 'mallory');
like($r, qr/^HTTP\/1\.1 400.*The SSL certificate error/s,
    'revoked certificate (ssl_crl): 400');

$r = get('ON', 'eve', "$dir/other");
like($r, qr/The SSL certificate error/, 'certificate of an unknown CA: 400');

$r = get('OPT');
like($r, qr/verify=NONE/, 'optional: no certificate is fine');
$r = get('OPT', 'alice');
like($r, qr/verify=SUCCESS/, 'optional: a good certificate verified');
$r = get('OPT', 'eve', "$dir/other");
like($r, qr/The SSL certificate error/, 'optional: a bad certificate refused');

$r = get('NOCA', 'eve', "$dir/other");
like($r, qr/verify=FAILED:.* s=CN=eve/, 'optional_no_ca: unknown CA passed on');
$r = get('NOCA');
like($r, qr/verify=NONE/, 'optional_no_ca: no certificate');

# A server that verifies clients is not reached under another SNI name.
$r = https("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    port => $t->port('ON'), host => 'other.test',
    SSL_cert_file => "$dir/alice.crt", SSL_key_file => "$dir/alice.key");
like($r, qr/^HTTP\/1\.1 421/, 'verifying server under another SNI name: 421');

# nginx 1.22 logs a stale OpenSSL error as an alert here; Portico must not.
$t->allow_errors(qr/ignoring stale global SSL error/) if is_nginx();
unlike($t->error_log, is_nginx() ? qr/\[(crit|error)\]/
    : qr/\[(crit|alert|error)\]/, 'no errors logged');
