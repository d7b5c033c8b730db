#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# allow / deny: IPv4, IPv6, CIDR, all, unix:; first match wins; 403 and
# nginx's "access forbidden by rule"; a level without rules inherits.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Socket::UNIX;

my $t = Test::Portico->new->has(qw/http access/)->plan(13);

$t->write_conf(<<'EOF');
events { }
http {
    access_log off;
    root %%TESTDIR%%/html;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        listen [::1]:%%PORT_8080%%;
        listen unix:%%TESTDIR%%/unix.sock;

        location /v4only { allow 127.0.0.0/8; deny all; }
        location /v6only { allow ::1; deny all; }
        location /first { deny 127.0.0.1; allow 127.0.0.1; }
        location /allowfirst { allow 127.0.0.1; deny 127.0.0.1; }
        location /unix { allow unix:; deny all; }
        location /nounix { deny unix:; }
        location /other { deny 10.0.0.0/8; deny 2001:db8::/32; }
        location /outer {
            deny 127.0.0.1;
            location /outer/inner { }
            location /outer/own { allow all; }
        }
    }
}
EOF
$t->write_file("html/$_/a.html", "ok\n")
    for qw/v4only v6only first allowfirst unix nounix other outer outer\/inner outer\/own/;
$t->run;

sub code { my ($r) = @_; ($r // '') =~ m{^HTTP/1\.1 (\d+)} ? $1 : 0 }

sub get6 {
    my ($uri) = @_;
    return http("GET $uri HTTP/1.0\r\nHost: localhost\r\n\r\n", host => '::1');
}

sub get_unix {
    my ($uri) = @_;
    my $s = IO::Socket::UNIX->new(Peer => $t->testdir . '/unix.sock') or return '';
    return http("GET $uri HTTP/1.0\r\nHost: localhost\r\n\r\n", socket => $s);
}

is(code(http_get('/v4only/a.html')), 200, 'IPv4 CIDR allows');
is(code(get6('/v4only/a.html')), 403, 'IPv6 client falls to deny all');
is(code(get6('/v6only/a.html')), 200, 'IPv6 address allows');
is(code(http_get('/v6only/a.html')), 403, 'IPv4 client denied by all');
is(code(http_get('/first/a.html')), 403, 'first match wins: deny');
is(code(http_get('/allowfirst/a.html')), 200, 'first match wins: allow');
is(code(get_unix('/unix/a.html')), 200, 'unix: allows a unix socket client');
is(code(http_get('/unix/a.html')), 403, 'unix: does not match TCP');
is(code(get_unix('/nounix/a.html')), 403, 'deny unix:');
is(code(http_get('/other/a.html')), 200, 'no rule matches: allowed');
is(code(http_get('/outer/inner/a.html')), 403, 'rules inherited');
is(code(http_get('/outer/own/a.html')), 200, 'own rules replace the parent\'s');

like($t->read_file('logs/error.log'),
    qr/\[error\] .*access forbidden by rule, client: 127\.0\.0\.1, server: .*request: "GET \/first\/a\.html HTTP\/1\.\d"/,
    'nginx log wording');
