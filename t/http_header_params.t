#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Request and response header parameters: underscores_in_headers and
# ignore_invalid_headers (seen by $http_* and by a proxied server, and taken
# from the default server of the address), merge_slashes, max_ranges,
# chunked_transfer_encoding and charset_types (checked against nginx).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;

my $t = Test::Portico->new->has(qw/http proxy gzip charset/)->plan(65);

$t->write_conf(<<'EOF');
events { }
http {
    types {
        text/html html; text/plain txt; application/json json;
        text/css css; image/png png;
    }
    default_type application/octet-stream;
    access_log off;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name localhost;
        root %%TESTDIR%%/html;

        location = /h { return 200 "x_y=[$http_x_y]\n"; }
        location = /px { proxy_pass http://127.0.0.1:%%PORT_b1%%; }
        location /m/ { return 200 "m uri=$uri\n"; }

        location /mr0/ { max_ranges 0; }
        location /mr1/ { max_ranges 1; }
        location /mr2/ { max_ranges 2; }

        location /close/ { proxy_pass http://127.0.0.1:%%PORT_b1%%; }
        location /closeoff/ {
            chunked_transfer_encoding off;
            proxy_pass http://127.0.0.1:%%PORT_b1%%;
        }
        location /gz/ { gzip on; gzip_min_length 1; gzip_types text/plain; }
        location /gzoff/ {
            gzip on; gzip_min_length 1; gzip_types text/plain;
            chunked_transfer_encoding off;
        }

        location /cs/ { charset utf-8; }
        location /cst/ { charset utf-8; charset_types application/json; }
        location /csany/ { charset utf-8; charset_types *; }
        location /csredir/ { charset utf-8; return 302 /x; }
        location /csparam/ {
            charset utf-8;
            default_type "text/plain; format=flowed";
            return 200 "x";
        }
    }

    server {
        listen 127.0.0.1:%%PORT_8081%%;
        server_name localhost;
        underscores_in_headers on;
        merge_slashes off;

        location = /h { return 200 "x_y=[$http_x_y]\n"; }
        location = /px { proxy_pass http://127.0.0.1:%%PORT_b1%%; }
        location /m/ { return 200 "m uri=$uri\n"; }
        location / { return 200 "root uri=$uri\n"; }
    }

    server {
        listen 127.0.0.1:%%PORT_8082%%;
        server_name localhost;
        ignore_invalid_headers off;

        location = /h { return 200 "x_y=[$http_x_y]\n"; }
        location = /px { proxy_pass http://127.0.0.1:%%PORT_b1%%; }
    }

    server {
        listen 127.0.0.1:%%PORT_8083%%;
        server_name default.example;
        location = /h { return 200 "default x_y=[$http_x_y]\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8083%%;
        server_name named.example;
        underscores_in_headers on;
        location = /h { return 200 "named x_y=[$http_x_y]\n"; }
    }

    server {
        listen 127.0.0.1:%%PORT_8084%%;
        server_name default.example;
        underscores_in_headers on;
        location = /h { return 200 "default x_y=[$http_x_y]\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_8084%%;
        server_name named.example;
        underscores_in_headers off;
        location = /h { return 200 "named x_y=[$http_x_y]\n"; }
    }
}
EOF

my $CLOSE_BODY = "close-delimited body\n" x 3;
my $b = Test::Portico::Backend->new($t, 'b1', response => {
    headers => [ 'Content-Type' => 'text/plain' ],
    body => $CLOSE_BODY, framing => 'close' })->start;

my $text = "0123456789" x 20 . "\n";
$t->write_file("html/$_/r.txt", "0123456789") for qw/mr0 mr1 mr2/;
$t->write_file('html/r.txt', "0123456789");
$t->write_file("html/$_/a.txt", $text) for qw/gz gzoff/;
for my $d (qw/cs cst csany/, '.') {
    $t->write_file("html/$d/a.$_", "$_\n") for qw/html txt json css png/;
}

$t->run;

sub body_of { http_body($_[0]) // '' }

sub h {
    my ($raw, $name) = @_;
    my $r = parse_response($raw) or return undef;
    return $r->{headers}{lc $name};
}

# A raw request to PORT with the given header lines after Host.
sub req {
    my ($port, $uri, @lines) = @_;
    return http("GET $uri HTTP/1.1\r\nHost: localhost\r\n"
        . join('', map { "$_\r\n" } @lines) . "Connection: close\r\n\r\n",
        port => $port);
}

sub backend_saw {
    my ($name) = @_;
    my $h = ($b->last_request // {})->{headers} // {};
    return $h->{lc $name};
}

###############################################################################
# underscores_in_headers / ignore_invalid_headers

# Defaults: a name with "_" is invalid and ignored.
is(body_of(req('8080', '/h', 'X_Y: u')), "x_y=[]\n",
    'underscores_in_headers off: X_Y ignored by $http_x_y');
is(body_of(req('8080', '/h', 'X-Y: d')), "x_y=[d]\n", 'X-Y is $http_x_y');
$b->reset;
req('8080', '/px', 'X_Y: u', 'X-Ok: 1', 'X.Dot: 2');
is(backend_saw('x-ok'), '1', 'default: valid header proxied');
ok(!defined backend_saw('x_y'), 'default: X_Y not proxied');
ok(!defined backend_saw('x.dot'), 'ignore_invalid_headers on: X.Dot dropped');

# underscores_in_headers on.
is(body_of(req('8081', '/h', 'X_Y: u')), "x_y=[u]\n",
    'underscores_in_headers on: X_Y is $http_x_y');
$b->reset;
req('8081', '/px', 'X_Y: u');
is(backend_saw('x_y'), 'u', 'underscores_in_headers on: X_Y proxied');

# ignore_invalid_headers off: names nginx finds invalid are kept.
$b->reset;
req('8082', '/px', 'X.Dot: 2', 'X-Ok: 1');
is(backend_saw('x.dot'), '2', 'ignore_invalid_headers off: X.Dot proxied');
is(backend_saw('x-ok'), '1', 'ignore_invalid_headers off: valid proxied');
# As nginx: with ignore_invalid_headers off an underscore name is kept and
# passed on like any other field.
$b->reset;
req('8082', '/px', 'X_Y: u', 'X-Ok: 1');
is(backend_saw('x_y'), 'u', 'ignore_invalid_headers off: X_Y proxied');
is(body_of(req('8082', '/h', 'X_Y: u')), "x_y=[u]\n",
    'ignore_invalid_headers off: X_Y kept for $http_x_y');

# The default server's values apply to the headers before Host.
is(body_of(http("GET /h HTTP/1.1\r\nX_Y: u\r\nHost: named.example\r\n"
    . "Connection: close\r\n\r\n", port => '8083')), "named x_y=[]\n",
    'named server with underscores on: default server\'s off used');
is(body_of(http("GET /h HTTP/1.1\r\nX_Y: u\r\nHost: named.example\r\n"
    . "Connection: close\r\n\r\n", port => '8084')), "named x_y=[u]\n",
    'named server with underscores off: default server\'s on used');
is(body_of(http("GET /h HTTP/1.1\r\nX_Y: u\r\nHost: other.example\r\n"
    . "Connection: close\r\n\r\n", port => '8084')), "default x_y=[u]\n",
    'default server with underscores on');

# nginx switches to the named server's value for the headers after Host;
# the man page says the default server's value is used for all of them.
portico_only(1, 'nginx uses the named server\'s value after Host', sub {
    is(body_of(http("GET /h HTTP/1.1\r\nHost: named.example\r\nX_Y: u\r\n"
        . "Connection: close\r\n\r\n", port => '8083')), "named x_y=[]\n",
        'after Host: still the default server\'s value');
});

###############################################################################
# merge_slashes

is(body_of(http_get('//m//a///b')), "m uri=/m/a/b\n",
    'merge_slashes on: slashes merged before location matching');
is(body_of(http_get('/m//a', port => '8081')), "m uri=/m//a\n",
    'merge_slashes off: slashes kept in $uri');
is(body_of(http_get('//m//a', port => '8081')), "root uri=//m//a\n",
    'merge_slashes off: //m/ does not match location /m/');
is(body_of(http_get('/m/./x/../a', port => '8081')), "m uri=/m/a\n",
    'merge_slashes off: dot segments still resolved');

###############################################################################
# max_ranges

my $r = http_get('/r.txt', Range => 'bytes=0-1,4-5');
like($r, qr{^HTTP/1\.1 206 }, 'default: two ranges 206');
like(h($r, 'content-type') // '', qr{^multipart/byteranges; boundary=},
    'default: two ranges multipart');
$r = http_get('/r.txt', Range => 'bytes=2-4');
like($r, qr{^HTTP/1\.1 206 }, 'default: one range 206');
is(body_of($r), '234', 'default: one range body');
is(h($r, 'content-range'), 'bytes 2-4/10', 'default: Content-Range');
is(h(http_get('/r.txt'), 'accept-ranges'), 'bytes', 'default: Accept-Ranges');

$r = http_get('/mr1/r.txt', Range => 'bytes=0-1,4-5');
like($r, qr{^HTTP/1\.1 200 }, 'max_ranges 1: two ranges 200');
is(body_of($r), '0123456789', 'max_ranges 1: two ranges, whole body');
ok(!defined h($r, 'content-range'), 'max_ranges 1: no Content-Range');
$r = http_get('/mr1/r.txt', Range => 'bytes=2-4');
like($r, qr{^HTTP/1\.1 206 }, 'max_ranges 1: one range 206');
is(body_of($r), '234', 'max_ranges 1: one range body');

$r = http_get('/mr2/r.txt', Range => 'bytes=0-0,2-2,4-4');
like($r, qr{^HTTP/1\.1 200 }, 'max_ranges 2: three ranges 200');
like(http_get('/mr2/r.txt', Range => 'bytes=0-0,2-2'), qr{^HTTP/1\.1 206 },
    'max_ranges 2: two ranges 206');

$r = http_get('/mr0/r.txt', Range => 'bytes=2-4');
like($r, qr{^HTTP/1\.1 200 }, 'max_ranges 0: one range 200');
is(body_of($r), '0123456789', 'max_ranges 0: whole body');
ok(!defined h($r, 'accept-ranges'), 'max_ranges 0: no Accept-Ranges');
like(http_get('/mr0/r.txt', Range => 'bytes=0-1,4-5'), qr{^HTTP/1\.1 200 },
    'max_ranges 0: two ranges 200');
like(http_get('/mr0/r.txt', Range => 'bytes=50-60'), qr{^HTTP/1\.1 200 },
    'max_ranges 0: unsatisfiable range ignored');

###############################################################################
# chunked_transfer_encoding

my $KA = "Host: localhost\r\nConnection: keep-alive\r\n\r\n";

$r = http("GET /close/ HTTP/1.1\r\n$KA", complete => 1);
like($r, qr{^HTTP/1\.1 200 }, 'proxied close-delimited response');
is(h($r, 'transfer-encoding'), 'chunked', 'default: sent chunked');
is(body_of($r), $CLOSE_BODY, 'default: chunked body');
ok(($r // '') !~ /^Connection: close/mi, 'default: connection kept');

$r = http("GET /closeoff/ HTTP/1.1\r\n$KA");
like($r, qr{^HTTP/1\.1 200 }, 'off: 200');
ok(!defined h($r, 'transfer-encoding'), 'off: no Transfer-Encoding');
ok(!defined h($r, 'content-length'), 'off: no Content-Length');
is(h($r, 'connection'), 'close', 'off: Connection: close');
is(body_of($r), $CLOSE_BODY, 'off: body ends at close');

$r = http("GET /gz/a.txt HTTP/1.1\r\nAccept-Encoding: gzip\r\n$KA",
    complete => 1);
is(h($r, 'content-encoding'), 'gzip', 'gzip: compressed');
is(h($r, 'transfer-encoding'), 'chunked', 'gzip, default: chunked');

$r = http("GET /gzoff/a.txt HTTP/1.1\r\nAccept-Encoding: gzip\r\n$KA");
is(h($r, 'content-encoding'), 'gzip', 'gzip, off: compressed');
ok(!defined h($r, 'transfer-encoding'), 'gzip, off: no Transfer-Encoding');
is(h($r, 'connection'), 'close', 'gzip, off: Connection: close');
like(body_of($r), qr/^\x1f\x8b/, 'gzip, off: gzip body');

###############################################################################
# charset_types

sub ct { h(http_get($_[0]), 'content-type') }

is(ct('/a.html'), 'text/html', 'charset off: nothing added');
is(ct('/cs/a.html'), 'text/html; charset=utf-8', 'default types: text/html');
is(ct('/cs/a.txt'), 'text/plain; charset=utf-8', 'default types: text/plain');
is(ct('/cs/a.json'), 'application/json', 'default types: not application/json');
is(ct('/cs/a.css'), 'text/css', 'default types: not text/css');

is(ct('/cst/a.json'), 'application/json; charset=utf-8',
    'charset_types application/json: json');
is(ct('/cst/a.html'), 'text/html; charset=utf-8',
    'charset_types: text/html always included');
is(ct('/cst/a.txt'), 'text/plain', 'charset_types replaces the default list');

is(ct('/csany/a.png'), 'image/png; charset=utf-8', 'charset_types *: png');
is(ct('/csany/a.css'), 'text/css; charset=utf-8', 'charset_types *: css');
is(ct('/cs/missing.txt'), 'text/html; charset=utf-8',
    'error page: text/html labelled');

is(ct('/csredir/'), 'text/html', '302: no charset (nginx never labels 301/302)');
is(ct('/csparam/'), 'text/plain; format=flowed',
    'Content-Type with parameters: left alone');
