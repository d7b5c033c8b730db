#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# proxy_pass URI rules: with a URI part the matched location prefix is
# replaced (by the normalized URI, re-escaped); without one the request URI
# passes as the client sent it.  Checked byte for byte at the backend.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(22);

$t->write_conf(<<'EOF2');
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location /with/    { proxy_pass http://127.0.0.1:%%PORT_b1%%/x/; }
        location /root/    { proxy_pass http://127.0.0.1:%%PORT_b1%%/; }
        location /noslash  { proxy_pass http://127.0.0.1:%%PORT_b1%%/y; }
        location /without/ { proxy_pass http://127.0.0.1:%%PORT_b1%%; }
        location ~ ^/re/ { proxy_pass http://127.0.0.1:%%PORT_b1%%; }
        location = /exact { proxy_pass http://127.0.0.1:%%PORT_b1%%/e; }
    }
}
EOF2

my $b = Test::Portico::Backend->new($t, 'b1')->start;
$t->run;

# Sends RAW-URI, returns the request line the backend saw.
sub seen {
    my ($uri) = @_;
    $b->reset;
    my $r = http("GET $uri HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\n\r\n");
    my $req = $b->last_request or return "(no request; client got: "
        . (($r // '') =~ /^(.*)/)[0] . ")";
    return ($req->{raw} =~ /^([^\r\n]*)/)[0] unless $req->{method};
    return "$req->{method} $req->{uri} HTTP/$req->{version}";
}

is(seen('/with/a/b?q=1&r=%20'), 'GET /x/a/b?q=1&r=%20 HTTP/1.0',
    'URI part replaces the prefix, args kept verbatim');
is(seen('/with/'), 'GET /x/ HTTP/1.0', 'prefix alone');
is(seen('/root/z'), 'GET /z HTTP/1.0', 'URI "/" replaces the prefix');
is(seen('/noslash/q'), 'GET /y/q HTTP/1.0', 'prefix without slash');
is(seen('/noslashq'), 'GET /yq HTTP/1.0', 'prefix without slash, glued');
is(seen('/with/%41%42'), 'GET /x/AB HTTP/1.0',
    'with URI part: the decoded URI is sent (unreserved decoded)');
is(seen('/with/a%20b'), 'GET /x/a%20b HTTP/1.0', 'space re-escaped');
is(seen('/with/a%2Fb'), 'GET /x/a/b HTTP/1.0', '%2F decoded with URI part');
is(seen('/with/a/../c'), 'GET /x/c HTTP/1.0', 'dot segments resolved');
is(seen('/with/a?'), 'GET /x/a HTTP/1.0', 'empty args dropped');

is(seen('/without/%41%2F?q=%41'), 'GET /without/%41%2F?q=%41 HTTP/1.0',
    'without URI part: passed as received');
is(seen('/without/a%20b'), 'GET /without/a%20b HTTP/1.0',
    'without URI part: escapes untouched');
is(seen('/without/a/../b'), 'GET /without/a/../b HTTP/1.0',
    'without URI part: dot segments as received');
is(seen('/without//double'), 'GET /without//double HTTP/1.0',
    'without URI part: double slash as received');
is(seen('/without/x?a=1&b=%zz'), 'GET /without/x?a=1&b=%zz HTTP/1.0',
    'without URI part: raw args');

is(seen('/re/%41?z'), 'GET /re/%41?z HTTP/1.0',
    'regex location: request URI as received');
is(seen('/exact?a=b'), 'GET /e?a=b HTTP/1.0', 'exact location replaced');

my $req = $b->last_request;
is($req->{headers}{host}, "127.0.0.1:" . $b->port, 'default Host is $proxy_host');
is($req->{headers}{connection}, 'close', 'default Connection: close');

# Absolute-form request target: the backend gets origin-form.
$b->reset;
http("GET http://localhost/without/abs?x HTTP/1.1\r\nHost: localhost\r\n"
    . "Connection: close\r\n\r\n");
is(($b->last_request // {})->{uri}, '/without/abs?x',
    'absolute-form becomes origin-form');

# A URI changed by rewrite is sent normalized (a second server, skipped
# while the rewrite module is missing).
my $t2 = Test::Portico->new->allow_errors(qr/unknown directive "rewrite"/);
$t2->write_conf(<<'EOF2');
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8081%%;
        location /rw/ {
            rewrite ^/rw/(.*)$ /new/$1 break;
            proxy_pass http://127.0.0.1:%%PORT_b2%%;
        }
    }
}
EOF2
my $b2 = Test::Portico::Backend->new($t2, 'b2')->start;
my ($rc, $out) = $t2->conf_test;
SKIP: {
    skip "rewrite not available: $out", 2 if $out =~ /unknown directive/;
    $t2->run;
    $b = $b2;
    is(seen('/rw/p%41?k=v'), 'GET /new/pA?k=v HTTP/1.0',
        'URI changed by rewrite: normalized URI and args');
    is(seen('/rw/a%20b'), 'GET /new/a%20b HTTP/1.0', 'rewritten URI re-escaped');
}
