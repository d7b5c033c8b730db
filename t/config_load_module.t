#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# load_module, as in Debian's stock nginx.conf (include of every file in
# modules-enabled/): accepted with a warning naming the file and line, as
# Portico loads no dynamic modules; the configuration serves.  A directive
# of such a module is then an unknown directive, named where it is used.
# (nginx loads the module, or fails when the file is missing.)

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;

plan(skip_all => 'Portico only: nginx loads the module') if is_nginx();

my $t = Test::Portico->new->has(qw/http/)->plan(5)
    ->allow_errors(qr/unknown directive "echo"/);

$t->write_file('modules-enabled/50-mod-http-echo.conf',
    "load_module modules/ngx_http_echo_module.so;\n");

sub conf {
    my ($extra) = @_;
    $t->write_conf(<<"EOF2");
include %%TESTDIR%%/modules-enabled/*.conf;
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / { return 200 "served\\n"; }
        $extra
    }
}
EOF2
}

conf('');
my ($rc, $out) = $t->conf_test;
is($rc, 0, 'load_module: -t passes') or diag($out);
like($out, qr{\[warn\] load_module "modules/ngx_http_echo_module\.so" ignored: .* in \S*/modules-enabled/50-mod-http-echo\.conf:1},
    '... with a warning naming the file and line');

$t->run;
like(http_get('/'), qr/\r\n\r\nserved\n\z/, 'the configuration serves');
$t->stop;

conf('location /e { echo hello; }');
($rc, $out) = $t->conf_test;
isnt($rc, 0, "a directive of the module: -t fails");
like($out, qr{unknown directive "echo" in \S*portico\.conf:\d+}, '... naming it and where');
