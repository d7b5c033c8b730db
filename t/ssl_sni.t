#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# SNI: the name in the ClientHello picks the server block and its
# certificate (exact, wildcard and regex names as for Host); an unknown
# name or no name gets the default server's certificate; $ssl_server_name;
# a server without its own certificate inherits the http level's.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::TLS;

my $t = Test::Portico->new->has(qw/http ssl/)->plan(12);
my $dir = $t->testdir;

make_ca($dir);
make_cert($dir, 'default', cn => 'default.test');
make_cert($dir, 'one', type => 'ec', cn => 'one.test');
make_cert($dir, 'wild', cn => 'wild.test', san => ['*.wild.test']);
make_cert($dir, 'http', cn => 'http.test');

$t->write_conf(<<'EOF');
worker_processes 1;
events { }
http {
    access_log off;
    ssl_certificate http.crt;
    ssl_certificate_key http.key;

    server {
        listen 127.0.0.1:%%PORT_TLS%% ssl default_server;
        server_name default.test;
        ssl_certificate default.crt;
        ssl_certificate_key default.key;
        location / { return 200 "server=default sni=$ssl_server_name\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_TLS%% ssl;
        server_name one.test;
        ssl_certificate one.crt;
        ssl_certificate_key one.key;
        location / { return 200 "server=one sni=$ssl_server_name\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_TLS%% ssl;
        server_name *.wild.test;
        ssl_certificate wild.crt;
        ssl_certificate_key wild.key;
        location / { return 200 "server=wild sni=$ssl_server_name\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_TLS%% ssl;
        server_name inherit.test;
        location / { return 200 "server=inherit\n"; }
    }

    # Ticket keys in the default server only: the SNI-chosen one still
    # handshakes, with the keys of the server the connection began in.
    server {
        listen 127.0.0.1:%%PORT_KEYS%% ssl default_server;
        server_name default.test;
        ssl_certificate default.crt;
        ssl_certificate_key default.key;
        ssl_session_ticket_key ticket.key;
        location / { return 200 "default\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_KEYS%% ssl;
        server_name one.test;
        ssl_certificate one.crt;
        ssl_certificate_key one.key;
        location / { return 200 "one\n"; }
    }
}
EOF
$t->write_file('ticket.key', join '', map { chr(($_ * 11 + 3) % 256) } 0 .. 79);
$t->run;

my $port = $t->port('TLS');

sub subject {
    my ($name) = @_;
    my $out = s_client("-connect 127.0.0.1:$port",
        defined $name ? "-servername $name" : '-noservername');
    my ($cn) = $out =~ /^subject=.*?CN\s*=\s*([^\s,\/]+)/m;
    return $cn // '';
}

is(subject('one.test'), 'one.test', 'SNI one.test: its certificate');
is(subject('a.wild.test'), 'wild.test', 'wildcard name: its certificate');
is(subject('unknown.test'), 'default.test', 'unknown name: default certificate');
is(subject(undef), 'default.test', 'no SNI: default certificate');
is(subject('inherit.test'), 'http.test', 'certificate inherited from http');

my $r = https_get('/', port => $port, host => 'one.test');
like($r, qr/server=one sni=one\.test$/m, 'SNI and Host pick one.test');
$r = https_get('/', port => $port, host => 'b.wild.test');
like($r, qr/server=wild sni=b\.wild\.test$/m, '$ssl_server_name');

# Host still decides the server of each request (as nginx).
$r = https("GET / HTTP/1.1\r\nHost: default.test\r\nConnection: close\r\n\r\n",
    port => $port, host => 'one.test');
like($r, qr/server=default sni=one\.test$/m, 'Host picks the server');

$r = https_get('/', port => $port, host => 'ONE.test');
like($r, qr/server=one/, 'SNI is case-insensitive');

unlike($t->error_log, qr/\[(crit|alert|error)\]/, 'no errors logged');

# SNI to a server without ticket keys, behind one with them.
my $kport = $t->port('KEYS');
for my $v (qw/-tls1_2 -tls1_3/) {
    my $out = `printf 'GET / HTTP/1.0\\r\\nHost: one.test\\r\\n\\r\\n' | timeout 10 openssl s_client -connect 127.0.0.1:$kport -servername one.test $v -ign_eof 2>&1`;
    like($out, qr/^one$/m,
         "ticket keys in the default server only, $v: SNI one.test is served");
}
