#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The two example configs of issue 3 (conf/examples/api-gateway.conf and
# multi-app.conf), loaded with only ports and paths rewritten: the headers
# that reach the backends, routing by path, and the local /uploads/ folder.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(20);

sub example {
    my ($h, $name, %map) = @_;
    open my $fh, '<', "$FindBin::Bin/../conf/examples/$name" or die "$name: $!";
    local $/;
    my $conf = <$fh>;
    $conf =~ s{include\s+\.\./mime\.types;}{include $FindBin::Bin/../conf/mime.types;};
    $conf =~ s{listen 8080;}{listen 127.0.0.1:%%PORT_8080%%;}g;
    $conf =~ s{worker_processes\s+auto;}{worker_processes 1;};
    $conf =~ s{localhost:(\d+)}{localhost:%%PORT_b$1%%}g;
    $conf =~ s{/var/www/storage}{%%TESTDIR%%/storage}g;
    return $conf;
}

# api-gateway.conf
my $conf = example($t, 'api-gateway.conf');
$t->write_conf($conf);
my ($rc, $out) = $t->conf_test;
my $no_xff = $out =~ /unknown "proxy_add_x_forwarded_for" variable/;
if ($no_xff) {
    diag('$proxy_add_x_forwarded_for is missing: tested with $remote_addr');
    $conf =~ s/\$proxy_add_x_forwarded_for/\$remote_addr/;
    $t->write_conf($conf);
    $t->allow_errors(qr/proxy_add_x_forwarded_for/);
}
ok(!$no_xff, 'api-gateway.conf loads unchanged') or diag($out);

my $api = Test::Portico::Backend->new($t, 'b3000')->start;
$t->run;

my $r = http("GET /v1/users?id=7 HTTP/1.1\r\nHost: api.example.com\r\n"
    . "User-Agent: t/1\r\nAccept: */*\r\nConnection: close\r\n\r\n");
like($r, qr{^HTTP/1\.1 200 .*\r\n\r\nb3000\n\z}s, 'api: proxied');
my $q = $api->last_request // {};
is(join('|', sort split /\r\n/, $q->{head} // ''),
    join('|', sort ('GET /v1/users?id=7 HTTP/1.0', 'Host: api.example.com',
        'X-Real-IP: 127.0.0.1', 'X-Forwarded-For: 127.0.0.1',
        'X-Forwarded-Proto: http', 'Connection: close', 'User-Agent: t/1',
        'Accept: */*')),
    'api: request header lines at the backend (any order)');
is($q->{head}, "GET /v1/users?id=7 HTTP/1.0\r\n"
    . "Host: api.example.com\r\n"
    . "X-Real-IP: 127.0.0.1\r\n"
    . "X-Forwarded-For: 127.0.0.1\r\n"
    . "X-Forwarded-Proto: http\r\n"
    . "Connection: close\r\n"
    . "User-Agent: t/1\r\n"
    . "Accept: */*",
    'api: request head at the backend, byte for byte (nginx order)');

$r = http("GET / HTTP/1.1\r\nHost: api.example.com\r\n"
    . "X-Forwarded-For: 10.0.0.1, 10.0.0.2\r\nX-Real-IP: 6.6.6.6\r\n"
    . "X-Forwarded-Proto: https\r\nConnection: close\r\n\r\n");
$q = $api->last_request // {};
SKIP: {
    skip '$proxy_add_x_forwarded_for missing', 1 if $no_xff;
    is($q->{headers}{'x-forwarded-for'}, '10.0.0.1, 10.0.0.2, 127.0.0.1',
        'api: client address appended to X-Forwarded-For');
}
is($q->{headers}{'x-real-ip'}, '127.0.0.1', 'api: X-Real-IP replaced');
is($q->{headers}{'x-forwarded-proto'}, 'http',
    'api: X-Forwarded-Proto replaced');
is(scalar(grep { lc $_->[0] eq 'x-forwarded-for' } @{ $q->{header_list} }), 1,
    'api: one X-Forwarded-For line');

# HTTP/1.0 without Host: $host is the server_name.
$r = http("GET /h HTTP/1.0\r\n\r\n");
is(($api->last_request // {})->{headers}{host}, 'api.example.com',
    'api: HTTP/1.0 without Host gets the server name');

# Host with a port and upper case: $host is lower case, no port.
http("GET /p HTTP/1.1\r\nHost: API.Example.COM:8080\r\nConnection: close\r\n\r\n");
is(($api->last_request // {})->{headers}{host}, 'api.example.com',
    'api: $host lower-cased, port dropped');

$t->stop;
$api->stop;

# multi-app.conf
my $t2 = Test::Portico->new;
$t2->write_conf(example($t2, 'multi-app.conf'));
$t2->write_file('storage/uploads/f.txt', "stored\n");
my $a3000 = Test::Portico::Backend->new($t2, 'b3000')->start;
my $a3001 = Test::Portico::Backend->new($t2, 'b3001')->start;
($rc, $out) = $t2->conf_test;
is($rc, 0, 'multi-app.conf loads unchanged') or diag($out);
$t2->run;

$r = http("GET /api/x?y=1 HTTP/1.1\r\nHost: example.com\r\n"
    . "Cookie: a=b\r\nConnection: close\r\n\r\n");
like($r, qr/\r\n\r\nb3000\n\z/, 'multi: /api/ to port 3000');
$q = $a3000->last_request // {};
is($q->{head}, "GET /api/x?y=1 HTTP/1.0\r\n"
    . "Host: localhost:" . $a3000->port . "\r\n"
    . "Connection: close\r\n"
    . "Cookie: a=b",
    'multi: request head at the backend (Host is $proxy_host)');

$r = http("GET /other/p HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
like($r, qr/\r\n\r\nb3001\n\z/, 'multi: / to port 3001');
is(($a3001->last_request // {})->{uri}, '/other/p', 'multi: URI as sent');
$r = http("GET / HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
like($r, qr/\r\n\r\nb3001\n\z/, 'multi: root to port 3001');

$r = http("GET /uploads/f.txt HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
like($r, qr{^HTTP/1\.1 200 .*\r\nContent-Type: text/plain\r\n.*\r\n\r\nstored\n\z}s,
    'multi: /uploads/ from disk');
$r = http("GET /uploads/none HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n");
like($r, qr{^HTTP/1\.1 404 }, 'multi: missing upload 404, not proxied');
is($a3001->count + $a3000->count, 3, "multi: backends saw 3 requests in all");
is(scalar(grep { $_->{uri} =~ /uploads/ } $a3001->requests), 0,
    'multi: no upload request reached the app');
