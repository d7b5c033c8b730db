#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# CA files named in many places are read once: every context trusting the
# same files shares one certificate store.  Verification stays per
# context: locations and servers trusting other files are not mixed up,
# on the proxy side (proxy_ssl_trusted_certificate) and on the server side
# (ssl_client_certificate, ssl_crl).  With the system bundle and 300
# locations, the master stays small (nginx parses the bundle 300 times).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use Test::Portico::TLS;

my $t = Test::Portico->new->has(qw/http proxy ssl/)->plan(8);
my $dir = $t->testdir;

make_ca($dir);
make_cert($dir, 'backend', cn => 'backend.test');
make_cert($dir, 'server', cn => 'localhost');
make_cert($dir, 'alice', cn => 'alice', client => 1);
make_cert($dir, 'mallory', cn => 'mallory', client => 1);
revoke_cert($dir, 'mallory');
mkdir "$dir/other";
make_ca("$dir/other");

# Our CA inside the system bundle when there is one (a big file), alone
# otherwise.
my $system = '/etc/ssl/certs/ca-certificates.crt';
my $bundle = (-r $system ? $t->read_file($system) : '')
    . $t->read_file('ca.crt');
$t->write_file('bundle.pem', $bundle);

my $b1 = Test::Portico::Backend->new($t, 'b1', handler => sub { { body => "b1\n" } },
    tls => { SSL_cert_file => "$dir/backend.crt",
             SSL_key_file => "$dir/backend.key" })->start;

my $many = join "\n", map {
    "        location /l$_/ { proxy_pass https://backend.test; }"
} 1 .. 300;

$t->write_conf(<<"EOF2");
worker_processes 1;
events { }
http {
    access_log off;
    upstream backend.test { server 127.0.0.1:%%PORT_b1%%; }
    ssl_certificate server.crt;
    ssl_certificate_key server.key;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        proxy_ssl_session_reuse off;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate bundle.pem;
$many
        location /other/ {
            proxy_pass https://backend.test;
            proxy_ssl_trusted_certificate other/ca.crt;
        }
        location /alone/ {
            proxy_pass https://backend.test;
            proxy_ssl_trusted_certificate ca.crt;
        }
    }
    server {
        listen 127.0.0.1:%%PORT_CA%% ssl;
        ssl_verify_client on;
        ssl_client_certificate ca.crt;
        ssl_crl ca.crl;
        location / { return 200 "verify=\$ssl_client_verify\\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_OTHER%% ssl;
        ssl_verify_client optional;
        ssl_client_certificate other/ca.crt;
        location / { return 200 "verify=\$ssl_client_verify\\n"; }
    }
}
EOF2
$t->run;

like(http_get('/l1/'), qr/^HTTP\/1\.1 200 .*b1$/s, 'first location verifies');
like(http_get('/l300/'), qr/^HTTP\/1\.1 200 .*b1$/s, 'last location verifies');
like(http_get('/alone/'), qr/^HTTP\/1\.1 200 /, 'another file, same CA');
like(http_get('/other/'), qr/^HTTP\/1\.1 502 /, 'another CA: refused');

sub client {
    my ($port, $who) = @_;
    return https_get('/', port => $t->port($port),
        SSL_cert_file => "$dir/$who.crt", SSL_key_file => "$dir/$who.key") // '';
}

like(client('CA', 'alice'), qr/verify=SUCCESS/, 'server: client of its CA');
like(client('CA', 'mallory'), qr/^HTTP\/1\.1 400 /, 'server: its CRL applies');
like(client('OTHER', 'alice'), qr/^HTTP\/1\.1 400 .*certificate error/s,
    'server trusting another CA: client refused');

# Memory: the same server with one location instead of 300, side by side
# (a sanitizer build has a large base of its own, and keeps freed memory
# for a while: 300 locations cost it ~60 MB even with one store).  Each
# location that parsed the system bundle again cost about 0.85 MB: 250 MB.
sub rss_kb {
    open my $f, '<', '/proc/' . shift . '/status' or return -1;
    my ($kb) = join('', <$f>) =~ /^VmRSS:\s+(\d+) kB/m;
    return $kb // -1;
}

my $one = Test::Portico->new->has(qw/http proxy ssl/);
$one->write_file('bundle.pem', $bundle);
$one->write_conf(<<"EOF2");
worker_processes 1;
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        proxy_ssl_verify on;
        proxy_ssl_trusted_certificate bundle.pem;
        location /l1/ { proxy_pass https://127.0.0.1:%%PORT_8080%%; }
    }
}
EOF2
$one->run;

portico_only(1, 'nginx reads the bundle once per location', sub {
    # Without the system bundle the file is one certificate: nothing to see.
    SKIP: {
    skip "no $system: the bundle is too small to weigh", 1 unless -r $system;
    my ($many, $single) = (rss_kb($t->pid), rss_kb($one->pid));
    ok($many > 0 && $single > 0 && $many - $single < 128 * 1024,
        'master: 300 locations cost little more than one')
        or diag("master VmRSS: 300 locations $many kB, one $single kB");
    }
});
