#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The map block: exact keys (case-insensitive), default, regex keys with
# positional and named captures, values with variables, hostnames
# wildcards, volatile, include, and config errors (checked against nginx).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;

my $t = Test::Portico->new->has(qw/http map rewrite/)->plan(28);

$t->write_file('map.inc', "included inc-value;\n");
$t->write_conf(<<'EOF');
events { }
http {
    default_type text/plain;
    access_log off;

    map $arg_k $exact {
        default        def;
        foo            FOO;
        Bar            bar-value;
        ""             empty;
        \default       escaped;
        ~^re(\d+)$     "re-$1";
        ~*^CI-(?<word>\w+)$  "ci-$word";
        var            "$uri|$arg_x";
        include        %%TESTDIR%%/map.inc;
    }

    map $http_x_host $host_map {
        hostnames;
        default        none;
        example.com    exact;
        *.example.com  wild-head;
        .example.org   dot;
        www.example.*  wild-tail;
        ~^(?<sub>\w+)\.test$  "re-$sub";
    }

    map $arg_v $cached { default "$arg_v"; }
    map $arg_v $vol { volatile; default "$arg_v"; }
    map $arg_n $nodef { a A; }
    map "$arg_a:$arg_b" $combo { "1:2" both; default neither; }
    map $exact $chained { FOO chained-foo; default chained-other; }

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name localhost;

        location /exact { return 200 "[$exact]\n"; }
        location /host { return 200 "[$host_map]\n"; }
        location /nodef { return 200 "[$nodef]\n"; }
        location /combo { return 200 "[$combo]\n"; }
        location /chain { return 200 "[$chained]\n"; }
        location /cache {
            set $first "$cached/$vol";
            set $args v=2;
            return 200 "[$first] [$cached/$vol]\n";
        }
        location /set {
            set $exact overridden;
            return 200 "[$exact]\n";
        }
    }
}
EOF
$t->run;

sub body { http_body(http_get(@_)) }

is(body('/exact?k=foo'), "[FOO]\n", 'exact key');
is(body('/exact?k=FOO'), "[FOO]\n", 'exact keys ignore case');
is(body('/exact?k=BAR'), "[bar-value]\n", 'upper-case key matches');
is(body('/exact?k=nothing'), "[def]\n", 'default');
is(body('/exact?k='), "[empty]\n", 'empty key');
is(body('/exact?k=default'), "[escaped]\n", 'escaped key "default"');
is(body('/exact?k=re42'), "[re-42]\n", 'regex with capture');
is(body('/exact?k=re4x'), "[def]\n", 'regex no match');
is(body('/exact?k=ci-Word'), "[ci-Word]\n", 'caseless regex, named capture');
is(body('/exact?k=var&x=1'), "[/exact|1]\n", 'value with variables');
is(body('/exact?k=included'), "[inc-value]\n", 'include inside map');

is(body('/host', 'X-Host' => 'example.com'), "[exact]\n", 'hostnames exact');
is(body('/host', 'X-Host' => 'EXAMPLE.com.'), "[exact]\n",
    'hostnames: case and trailing dot');
is(body('/host', 'X-Host' => 'a.b.example.com'), "[wild-head]\n",
    'hostnames: leading wildcard');
is(body('/host', 'X-Host' => 'example.org'), "[dot]\n",
    'hostnames: .name matches the name');
is(body('/host', 'X-Host' => 'w.example.org'), "[dot]\n",
    'hostnames: .name matches subdomains');
is(body('/host', 'X-Host' => 'www.example.net'), "[wild-tail]\n",
    'hostnames: trailing wildcard');
is(body('/host', 'X-Host' => 'abc.test'), "[re-abc]\n", 'hostnames: regex');
is(body('/host', 'X-Host' => 'other.net'), "[none]\n", 'hostnames: default');

is(body('/nodef?n=b'), "[]\n", 'no default: empty');
is(body('/combo?a=1&b=2'), "[both]\n", 'source with two variables');
is(body('/combo?a=1&b=3'), "[neither]\n", 'source with two variables, default');
is(body('/chain?k=foo'), "[chained-foo]\n", 'map of a map');
is(body('/cache?v=1'), "[1/1] [1/2]\n", 'cached unless volatile');
is(body('/set?k=foo'), "[overridden]\n", 'set overrides a map variable');

# config errors
my $bad = Test::Portico->new->allow_errors(qr/\[emerg\]/);
for my $case (
    [ 'map $a $b { default x; default y; }', qr/duplicate default map parameter/ ],
    [ 'map $a $b { k v; k w; }', qr/conflicting parameter "k"/ ],
    [ 'map $a $b { k v w; }', qr/invalid number of the map parameters/ ],
) {
    $bad->write_conf("events { }\nhttp { $case->[0] }\n");
    my ($rc, $out) = $bad->conf_test;
    like($out, $case->[1], "error: $case->[0]");
}
