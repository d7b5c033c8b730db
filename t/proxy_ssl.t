#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Upstream TLS: proxy_pass https://, proxy_ssl_server_name and
# proxy_ssl_name (SNI), proxy_ssl_verify with the right and a wrong CA,
# the name check, keepalive over TLS, session reuse, a client certificate,
# proxy_ssl_protocols and a failed handshake.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use Test::Portico::TLS;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(24);
my $dir = $t->testdir;

make_ca($dir);
make_cert($dir, 'backend', cn => 'backend.test');
make_cert($dir, 'client', cn => 'portico', client => 1);
mkdir "$dir/other";
make_ca("$dir/other");

my %tls = (SSL_cert_file => "$dir/backend.crt",
    SSL_key_file => "$dir/backend.key");

my $echo = sub {
    my ($req, $st) = @_;
    return { status => 302, headers => [ 'Location' =>
        "https://$req->{headers}{host}/ip/moved" ], body => "" }
        if $req->{uri} =~ m{/redirect$};
    return { body => "sni=$st->{sni} reused=$st->{reused} conn=$st->{conn}"
        . " host=$req->{headers}{host} $req->{method} $req->{uri}"
        . " body=$req->{body}\n" };
};

my $b1 = Test::Portico::Backend->new($t, 'b1', tls => \%tls,
    handler => $echo)->start;
my $b2 = Test::Portico::Backend->new($t, 'b2', tls => \%tls,
    handler => $echo)->start;
my $b3 = Test::Portico::Backend->new($t, 'b3', handler => $echo,
    tls => { %tls, SSL_verify_mode => 0x03, SSL_ca_file => "$dir/ca.crt" })
    ->start;
my $b4 = Test::Portico::Backend->new($t, 'b4', handler => $echo,
    tls => { %tls, SSL_version => 'TLSv1_3' })->start;
# A plain backend: it waits for a request head the handshake never gives.
my $b5 = Test::Portico::Backend->new($t, 'b5')->start;

$t->write_conf(<<'EOF');
worker_processes 1;
events { }
http {
    access_log off;
    upstream backend.test { server 127.0.0.1:%%PORT_b1%%; }
    upstream ka.test { server 127.0.0.1:%%PORT_b1%%; keepalive 4; }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        # nginx keeps one session per peer for all locations: a resumed
        # session would hide the SNI and verification under test.
        proxy_ssl_session_reuse off;
        location /ip/ { proxy_pass https://127.0.0.1:%%PORT_b1%%; }
        location /nosni/ { proxy_pass https://backend.test; }
        location /sni/ {
            proxy_pass https://backend.test;
            proxy_ssl_server_name on;
        }
        location /name/ {
            proxy_pass https://backend.test;
            proxy_ssl_server_name on;
            proxy_ssl_name named.test:8443;
        }
        location /verify/ {
            proxy_pass https://backend.test;
            proxy_ssl_verify on;
            proxy_ssl_verify_depth 2;
            proxy_ssl_trusted_certificate ca.crt;
        }
        location /badca/ {
            proxy_pass https://backend.test;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate other/ca.crt;
        }
        location /badname/ {
            proxy_pass https://backend.test;
            proxy_ssl_verify on;
            proxy_ssl_trusted_certificate ca.crt;
            proxy_ssl_name wrong.test;
        }
        location /ka/ {
            proxy_pass https://ka.test;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }
        location /resume/ {
            proxy_pass https://127.0.0.1:%%PORT_b2%%;
            proxy_ssl_session_reuse on;
        }
        location /noresume/ {
            proxy_pass https://127.0.0.1:%%PORT_b2%%;
            proxy_ssl_session_reuse off;
        }
        location /cert/ {
            proxy_pass https://127.0.0.1:%%PORT_b3%%;
            proxy_ssl_certificate client.crt;
            proxy_ssl_certificate_key client.key;
        }
        location /nocert/ { proxy_pass https://127.0.0.1:%%PORT_b3%%; }
        location /tls12/ {
            proxy_pass https://127.0.0.1:%%PORT_b4%%;
            proxy_ssl_protocols TLSv1.2;
            proxy_ssl_ciphers HIGH:!aNULL;
        }
        location /stall/ {
            proxy_pass https://127.0.0.1:%%PORT_b5%%;
            proxy_connect_timeout 500ms;
        }
        location /var/ {
            set $b backend.test;
            proxy_pass https://$b;
            proxy_ssl_server_name on;
        }
        location /tls13/ {
            proxy_pass https://127.0.0.1:%%PORT_b4%%;
            proxy_ssl_protocols TLSv1.2 TLSv1.3;
        }
    }
}
EOF
$t->run;

my $r = http_get('/ip/a?x=1');
like($r, qr/^HTTP\/1\.1 200/, 'GET over TLS');
like($r, qr/sni= .*host=127\.0\.0\.1:\d+ GET \/ip\/a\?x=1 body=$/m,
    'no SNI for an address');

$r = http("POST /ip/p HTTP/1.0\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
    . "hello");
like($r, qr/POST \/ip\/p body=hello$/m, 'POST body over TLS');

like(http_get('/nosni/'), qr/sni= .*host=backend\.test /m,
    'proxy_ssl_server_name off by default');
like(http_get('/sni/'), qr/sni=backend\.test /m,
    'proxy_ssl_server_name on sends $proxy_host');
like(http_get('/name/'), qr/sni=named\.test /m,
    'proxy_ssl_name, without its port');

like(http_get('/verify/'), qr/^HTTP\/1\.1 200/, 'verify with the right CA');
like(http_get('/badca/'), qr/^HTTP\/1\.1 502/, 'verify with a wrong CA: 502');
my $hs = qr/ while SSL handshaking to upstream/;
like($t->error_log, qr/certificate verify error: \(\d+:[^)]+\)$hs/,
    'verify error logged');
like(http_get('/badname/'), qr/^HTTP\/1\.1 502/, 'name mismatch: 502');
like($t->error_log, qr/certificate does not match "wrong\.test"$hs/,
    'mismatch logged');

# Keepalive: one TLS connection serves every request.
$b1->reset;
my @conns;
for (1 .. 3) {
    my $res = http_get('/ka/');
    push @conns, $res =~ /conn=(\d+)/ ? $1 : 'none';
}
is($b1->accepts, 1, 'keepalive over TLS: one accept');
is(scalar(grep { $_ eq $conns[0] } @conns), 3, 'same backend connection');

# Sessions: new connections resume the last session.
my @reused = map { http_get('/resume/') =~ /reused=(\d)/ ? $1 : 'x' } 1 .. 3;
is("@reused", "0 1 1", 'proxy_ssl_session_reuse resumes');
@reused = map { http_get('/noresume/') =~ /reused=(\d)/ ? $1 : 'x' } 1 .. 2;
is("@reused", "0 0", 'proxy_ssl_session_reuse off');

like(http_get('/cert/'), qr/^HTTP\/1\.1 200/, 'client certificate accepted');
like(http_get('/nocert/'), qr/^HTTP\/1\.1 502/, 'no client certificate: 502');

like(http_get('/tls12/'), qr/^HTTP\/1\.1 502/, 'protocol mismatch: 502');
like($t->error_log, qr/\[error\] .*SSL_do_handshake\(\) failed .*$hs.*"https:/,
    'handshake failure logged');
like(http_get('/tls13/'), qr/^HTTP\/1\.1 200/, 'proxy_ssl_protocols');

like(http_get('/stall/'), qr/^HTTP\/1\.1 504/, 'stalled handshake: 504');
like($t->error_log, qr/upstream timed out .*$hs/, 'handshake timeout logged');
like(http_get('/var/x'), qr/^HTTP\/1\.1 200.*sni=backend\.test .*GET \/var\/x/s,
    'https with variables');

# proxy_redirect default with proxy_pass https://: the backend's own
# https URL is rewritten to the client's view.
like(http_get('/ip/redirect') // '', qr{^Location: http://localhost(?::\d+)?/ip/moved\r$}m,
     'proxy_redirect default matches an https:// proxy_pass');
