#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# include inside a types or map block takes a mask as it does anywhere
# else (nginx's ngx_conf_include serves all three): the matching files are
# read in order, a mask matching nothing is no error, and a missing plain
# file is an error with file:line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;

my $t = Test::Portico->new->has(qw/http map/)->plan(6)
    ->allow_errors(qr/open\(\) ".*missing\.types" failed/);

$t->write_file('types.d/a.types', "text/x-aaa aaa;\n");
$t->write_file('types.d/b.types', "text/x-bbb bbb;\n");
$t->write_file('maps.d/1.map', "/m/one  first;\n");
$t->write_file('maps.d/2.map', "/m/two  second;\n");

$t->write_conf(<<'EOF2');
events { }
http {
    access_log off;
    types {
        include %%TESTDIR%%/types.d/*.types;
        include %%TESTDIR%%/types.d/none-*.types;
    }
    default_type application/octet-stream;
    map $uri $which {
        default  none;
        include  %%TESTDIR%%/maps.d/*.map;
    }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/html;
        location /m/ { return 200 "$which\n"; }
    }
}
EOF2
$t->write_file('html/f.aaa', "a\n");
$t->write_file('html/f.bbb', "b\n");
$t->run;

like(http_get('/f.aaa'), qr{^Content-Type: text/x-aaa\r$}m,
     'types: a type from the first file of the mask');
like(http_get('/f.bbb'), qr{^Content-Type: text/x-bbb\r$}m,
     'types: ... and from the second');
like(http_get('/m/one'), qr/\nfirst$/, 'map: an entry from the first file');
like(http_get('/m/two'), qr/\nsecond$/, 'map: ... and from the second');
$t->stop;

# A plain name that does not exist is an error naming where it was asked.
$t->write_conf(<<'EOF2');
events { }
http {
    types {
        include %%TESTDIR%%/missing.types;
    }
}
EOF2
my ($rc, $out) = $t->conf_test;
isnt($rc, 0, 'types: a missing include file is refused');
like($out, qr/missing\.types.* in \S+portico\.conf:\d+/,
     '... with file:line') or diag($out);
