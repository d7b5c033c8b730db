#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# proxy_pass with variables: an upstream { } chosen at run time, an address
# in a variable, a URI part that replaces the request URI, and a host name
# that would need a resolver (502, as nginx without one).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;

my $t = Test::Portico->new->has(qw/http proxy map rewrite/)->plan(7);
$t->allow_errors(qr/no resolver defined to resolve/);

my $one = Test::Portico::Backend->new($t, 'one')->start;
my $two = Test::Portico::Backend->new($t, 'two')->start;

$t->write_conf(<<'EOF');
events { }
http {
    access_log off;
    upstream pool_one { server 127.0.0.1:%%PORT_one%%; }
    upstream pool_two { server 127.0.0.1:%%PORT_two%%; }

    map $arg_to $pool {
        default  pool_one;
        two      pool_two;
    }

    server {
        listen 127.0.0.1:%%PORT_8080%%;

        location /by-map/ { proxy_pass http://$pool; }
        location /by-addr/ {
            set $target 127.0.0.1:%%PORT_two%%;
            proxy_pass http://$target;
        }
        location /with-uri/ {
            set $target 127.0.0.1:%%PORT_one%%;
            proxy_pass http://$target/fixed$is_args$args;
        }
        location /by-name/ {
            set $target nosuch.invalid;
            proxy_pass http://$target;
        }
    }
}
EOF
$t->run;

is(http_body(http_get('/by-map/a')), "one\n", 'upstream chosen by a map: default');
is(http_body(http_get('/by-map/a?to=two')), "two\n", '... and the other one');
is($two->last_request->{uri}, '/by-map/a?to=two', 'the request URI passes as received');

is(http_body(http_get('/by-addr/x')), "two\n", 'an address in a variable');

is(http_body(http_get('/with-uri/x?k=v')), "one\n", 'a URI part with variables');
is($one->last_request->{uri}, '/fixed?k=v', '... replaces the whole request URI');

like(http_get('/by-name/x'), qr{^HTTP/1\.1 502 }, 'a name needing a resolver: 502');
