#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# TLS termination: listen ... ssl beside a plain listener, RSA and ECDSA
# certificates in one server (chosen by what the client supports), the
# session variables, ALPN, TLS 1.0/1.1 refused by default, plain HTTP to
# the TLS port (nginx's 400), a TLS hello on the plain port, a large file
# and pipelined keep-alive requests over TLS, an encrypted key with
# ssl_password_file, ssl_ecdh_curve/ssl_dhparam/ssl_conf_command, and a
# handshake that stalls being timed out.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::TLS;
use IO::Socket::INET;
use Time::HiRes qw/time sleep/;

my $t = Test::Portico->new->has(qw/http ssl/)->plan(24);
my $dir = $t->testdir;

make_ca($dir);
make_cert($dir, 'rsa', cn => 'localhost');
make_cert($dir, 'ecdsa', type => 'ec', cn => 'localhost');
make_cert($dir, 'locked', cn => 'locked.test', pass => 'secret');
openssl($dir, 'genpkey -genparam -algorithm DH -pkeyopt group:ffdhe2048'
    . ' -out dh.pem');
$t->write_file('passwords', "wrong\nsecret\n");
$t->write_file('big.bin', join('', map { chr(($_ * 7) % 251) } 0 .. 999_999));

$t->write_conf(<<'EOF');
worker_processes 1;
events { }
http {
    access_log off;
    client_header_timeout 2s;

    server {
        listen 127.0.0.1:%%PORT_TLS%% ssl;
        listen 127.0.0.1:%%PORT_PLAIN%%;
        server_name localhost;

        ssl_certificate rsa.crt;
        ssl_certificate_key rsa.key;
        ssl_certificate ecdsa.crt;
        ssl_certificate_key ecdsa.key;

        location / {
            return 200 "scheme=$scheme https=$https proto=$ssl_protocol cipher=$ssl_cipher alpn=$ssl_alpn_protocol\n";
        }
        location /big.bin { root %%TESTDIR%%; }
    }

    server {
        listen 127.0.0.1:%%PORT_LOCKED%% ssl;
        ssl_certificate locked.crt;
        ssl_certificate_key locked.key;
        ssl_password_file passwords;
        ssl_protocols TLSv1.2;
        ssl_ciphers ECDHE-RSA-AES128-GCM-SHA256;
        ssl_prefer_server_ciphers on;
        ssl_ecdh_curve prime256v1;
        ssl_dhparam dh.pem;
        ssl_conf_command Options -SessionTicket;
        location / { return 200 "proto=$ssl_protocol cipher=$ssl_cipher curve=$ssl_curve\n"; }
    }
}
EOF
$t->run;

my $tls = $t->port('TLS');
my $plain = $t->port('PLAIN');

# 1-4: a handshake, the variables, ALPN; the plain listener of the server.
my $r = https_get('/', port => $tls, SSL_alpn_protocols => ['h2', 'http/1.1']);
like($r, qr/^HTTP\/1\.1 200/, 'TLS request answered');
like($r, qr/scheme=https https=on proto=TLSv1\.[23] cipher=[\w-]+ /,
    '$scheme, $https, $ssl_protocol, $ssl_cipher');
like($r, qr/alpn=http\/1\.1$/m, 'ALPN selects http/1.1');
like(http_get('/', port => 'PLAIN'), qr/scheme=http https= proto= /,
    'plain listener of the same server');

# 5-6: RSA or ECDSA, as the client's signature algorithms allow.
my $out = s_client("-connect 127.0.0.1:$tls -sigalgs ECDSA+SHA256");
like($out, qr/Peer signature type: ECDSA/, 'ECDSA certificate for ECDSA');
$out = s_client("-connect 127.0.0.1:$tls -sigalgs RSA-PSS+SHA256:RSA+SHA256");
like($out, qr/Peer signature type: RSA/, 'RSA certificate for RSA');

# 7-8: old protocols are refused unless configured.
$out = s_client("-connect 127.0.0.1:$tls -tls1_1 -cipher DEFAULT\@SECLEVEL=0");
like($out, qr/alert protocol version|alert internal error|no protocols available/,
    'TLS 1.1 refused by default');
$out = s_client("-connect 127.0.0.1:$tls -tls1 -cipher DEFAULT\@SECLEVEL=0");
like($out, qr/alert protocol version|alert internal error|no protocols available/,
    'TLS 1.0 refused by default');

# 9-10: plain HTTP to the TLS port gets nginx's 400 and a close.
$r = http_get('/', port => 'TLS');
like($r, qr/^HTTP\/1\.1 400 Bad Request\r\n.*Connection: close/s,
    'plain HTTP on TLS port: 400');
like($r, qr{<title>400 The plain HTTP request was sent to HTTPS port</title>.*<center>The plain HTTP request was sent to HTTPS port</center>}s,
    'with the nginx message');

# 11: a TLS hello on the plain port gets no handshake.
ok(!defined https_get('/', port => $plain, timeout => 3),
    'TLS on plain port fails');

# 12-13: a large file (sendfile is bypassed under TLS) arrives intact.
$r = https_get('/big.bin', port => $tls, timeout => 10);
my ($head, $body) = split /\r\n\r\n/, $r // '', 2;
like($head // '', qr/^HTTP\/1\.1 200/, 'large file over TLS');
ok(defined $body && $body eq $t->read_file('big.bin'), 'content intact');

# 14-15: keep-alive and pipelining over one TLS connection.
$r = https("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"
    . "GET /big.bin HTTP/1.1\r\nHost: localhost\r\n\r\n"
    . "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
    port => $tls, timeout => 10);
my @st = ($r // '') =~ /HTTP\/1\.1 (\d+) OK\r\n/g;
is("@st", '200 200 200', 'three pipelined requests on one connection');
ok(length($r // '') > 1_000_000, 'pipelined responses complete');

# 16-19: an encrypted key, protocols, ciphers, curve and DH settings.
$r = https_get('/', port => $t->port('LOCKED'), SSL_version => 'TLSv1_2');
like($r, qr/proto=TLSv1\.2 cipher=ECDHE-RSA-AES128-GCM-SHA256 curve=prime256v1/,
    'encrypted key, ssl_protocols, ssl_ciphers, ssl_ecdh_curve');
ok(!defined https_get('/', port => $t->port('LOCKED'),
    SSL_version => 'TLSv1_3'), 'TLS 1.3 not configured: refused');
$out = s_client('-connect 127.0.0.1:' . $t->port('LOCKED')
    . ' -tls1_2 -cipher DHE-RSA-AES128-GCM-SHA256');
like($out, qr/Cipher is \(NONE\)|no cipher|handshake failure|alert/i,
    'ssl_ciphers restricts the ciphers');
$out = s_client('-connect 127.0.0.1:' . $t->port('LOCKED') . ' -tls1_2');
unlike($out, qr/TLS session ticket:/, 'ssl_conf_command Options -SessionTicket');

# 20-22: a handshake that stalls is timed out (client_header_timeout).
my $s = IO::Socket::INET->new("127.0.0.1:$tls") or die;
syswrite($s, "\x16\x03\x01\x00\x80\x01");    # a partial ClientHello
my $t0 = time;
my $n = sysread($s, my $buf, 100);
my $el = time - $t0;
ok(!$n, 'stalled handshake closed');
ok($el > 1 && $el < 5, 'after client_header_timeout');
$s = IO::Socket::INET->new("127.0.0.1:$tls") or die;
$t0 = time;
$n = sysread($s, $buf, 100);
ok(!$n && time - $t0 < 5, 'silent connection on TLS port closed');

# 23-24: errors in the log are routine (info), and a missing certificate
# is a config error.
unlike($t->error_log, qr/\[(crit|alert|error)\]/, 'no errors logged');

my $t2 = Test::Portico->new->allow_errors(qr/no "ssl_certificate"/);
$t2->write_conf(<<'EOF');
events { }
http { server { listen 127.0.0.1:%%PORT_X%% ssl; } }
EOF
my ($rc, $err) = $t2->conf_test;
like($err, qr/no "ssl_certificate" is defined for the "listen \.\.\. ssl" directive/,
    'listen ssl without a certificate is refused');
