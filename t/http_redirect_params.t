#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# How Portico builds the Location of its own redirects (the directory-slash
# 301, return and rewrite redirect): absolute_redirect, port_in_redirect and
# server_name_in_redirect, their defaults and their non-default values at
# location and server level (checked against nginx).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;

my $t = Test::Portico->new->has(qw/http rewrite/)->plan(24);

$t->write_conf(<<'EOF');
events { }
http {
    access_log off;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name srv.example alias.example;
        root %%TESTDIR%%/html;

        location /rel/ { absolute_redirect off; }
        location /noport/ { port_in_redirect off; }
        location /sname/ { server_name_in_redirect on; }
        location /both/ { server_name_in_redirect on; port_in_redirect off; }
        location /relsname/ { absolute_redirect off; server_name_in_redirect on; }

        location /ret/ { return 302 /ret/target; }
        location /retrel/ { absolute_redirect off; return 302 /retrel/target; }
        location /retfull/ { return 302 http://full.example/x; }
        location /retfullrel/ {
            absolute_redirect off;
            return 302 http://full.example/x;
        }
        location /rw/ { rewrite ^ /rw/target redirect; }
        location /rwrel/ { absolute_redirect off; rewrite ^ /rwrel/target redirect; }
    }

    server {
        listen 127.0.0.1:%%PORT_8081%%;
        server_name srv1.example;
        root %%TESTDIR%%/html;
        absolute_redirect off;

        location /on/ { absolute_redirect on; }
    }

    server {
        listen 127.0.0.1:%%PORT_8082%%;
        server_name srv2.example;
        root %%TESTDIR%%/html;
        port_in_redirect off;
        server_name_in_redirect on;

        location /on/ { port_in_redirect on; server_name_in_redirect off; }
    }
}
EOF

for my $d (qw{dir rel/dir noport/dir sname/dir both/dir relsname/dir on/dir}) {
    $t->write_file("html/$d/index.html", "$d\n");
}

$t->run;

my $p = $t->port('8080');
my $p1 = $t->port('8081');
my $p2 = $t->port('8082');

sub loc {
    my ($text) = @_;
    return undef unless defined $text;
    my ($l) = $text =~ /^Location: ([^\r\n]*)\r$/mi;
    return $l;
}

# Defaults: absolute, the Host name (without its port, lower-cased), the
# port the connection came in on.
my $r = http_get('/dir');
like($r, qr{^HTTP/1\.1 301 }, 'directory without slash: 301');
is(loc($r), "http://localhost:$p/dir/", 'default: absolute with Host and port');
is(loc(http_get('/dir?a=1')), "http://localhost:$p/dir/?a=1",
    'default: arguments kept');
is(loc(http_get('/dir', Host => 'Alias.Example:1234')),
    "http://alias.example:$p/dir/",
    'default: Host name lower-cased, its port replaced by the local one');
is(loc(http_get('/dir', Host => 'other.example')),
    "http://other.example:$p/dir/",
    'server_name_in_redirect off: the Host name even when not a server_name');

# absolute_redirect off.
is(loc(http_get('/rel/dir')), '/rel/dir/', 'absolute_redirect off: relative');
is(loc(http_get('/relsname/dir')), '/relsname/dir/',
    'absolute_redirect off wins over server_name_in_redirect');

# port_in_redirect off.
is(loc(http_get('/noport/dir')), 'http://localhost/noport/dir/',
    'port_in_redirect off: no port');

# server_name_in_redirect on: the first server_name.
is(loc(http_get('/sname/dir')), "http://srv.example:$p/sname/dir/",
    'server_name_in_redirect on: first server_name');
is(loc(http_get('/sname/dir', Host => 'alias.example')),
    "http://srv.example:$p/sname/dir/",
    'server_name_in_redirect on: first server_name, not the Host alias');
is(loc(http_get('/both/dir')), 'http://srv.example/both/dir/',
    'server_name_in_redirect on, port_in_redirect off');

# Without Host (HTTP/1.0) and server_name_in_redirect off, the man page
# promises the server name; nginx uses the local address (127.0.0.1) there.
$r = http("GET /dir HTTP/1.0\r\n\r\n");
like($r, qr{^HTTP/1\.1 301 }, 'HTTP/1.0 without Host: 301');
portico_only(1, 'nginx falls back to the local address', sub {
    is(loc($r), "http://srv.example:$p/dir/",
        'HTTP/1.0 without Host: the server name');
});

# Redirects from return and rewrite are made absolute the same way.
$r = http_get('/ret/x');
like($r, qr{^HTTP/1\.1 302 }, 'return 302');
is(loc($r), "http://localhost:$p/ret/target", 'return 302 /uri: absolute');
is(loc(http_get('/retrel/x')), '/retrel/target',
    'return 302 /uri, absolute_redirect off: relative');
is(loc(http_get('/retfull/x')), 'http://full.example/x',
    'return 302 with a full URL: untouched');
is(loc(http_get('/retfullrel/x')), 'http://full.example/x',
    'return 302 with a full URL, absolute_redirect off: untouched');
is(loc(http_get('/rw/x')), "http://localhost:$p/rw/target",
    'rewrite redirect: absolute');
is(loc(http_get('/rwrel/x')), '/rwrel/target',
    'rewrite redirect, absolute_redirect off: relative');

# Server-level settings, overridden in a location.
is(loc(http_get('/dir', port => '8081')), '/dir/',
    'absolute_redirect off at server level');
is(loc(http_get('/on/dir', port => '8081')), "http://localhost:$p1/on/dir/",
    'absolute_redirect on in a location overrides the server');
is(loc(http_get('/dir', port => '8082')), 'http://srv2.example/dir/',
    'port_in_redirect off, server_name_in_redirect on at server level');
is(loc(http_get('/on/dir', port => '8082')), "http://localhost:$p2/on/dir/",
    'both overridden in a location');
