#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Drop-in: the shape of a distribution's stock nginx.conf (hash tuning,
# sites-enabled includes, mime.types) loads unchanged and serves.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;

my $t = Test::Portico->new->has(qw/http/)->plan(4);

$t->write_file('conf.d/empty.conf', "# nothing here yet\n");
$t->write_file_expand('sites-enabled/default', <<'EOF');
server {
    listen 127.0.0.1:%%PORT_8080%% default_server;
    root %%TESTDIR%%/www;
    index index.html index.htm index.nginx-debian.html;
    server_name _;
    location / {
        try_files $uri $uri/ =404;
    }
}
EOF

$t->write_conf(<<'EOF');
worker_processes auto;
events {
    worker_connections 768;
    # multi_accept on;
}
http {
    sendfile on;
    tcp_nopush on;
    types_hash_max_size 2048;
    server_names_hash_bucket_size 64;
    # server_tokens off;

    include %%TESTDIR%%/mime.types;
    default_type application/octet-stream;

    access_log %%TESTDIR%%/logs/access.log;

    include %%TESTDIR%%/conf.d/*.conf;
    include %%TESTDIR%%/sites-enabled/*;
}
EOF

$t->write_file('mime.types', "types {\n    text/html html htm;\n    text/plain txt;\n}\n");
$t->write_file('www/index.html', "stock\n");

my ($rc, $out) = $t->conf_test;
is($rc, 0, 'a stock nginx.conf shape passes -t') or diag($out);

$t->run;
my $r = http_get('/');
like($r, qr{^HTTP/1\.1 200 }, 'served');
like($r, qr{^Content-Type: text/html\r$}m, 'type from the included mime.types');
is(http_body($r), "stock\n", 'index from sites-enabled');
