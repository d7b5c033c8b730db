#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The response-buffering directives of an nginx config load and work:
# proxy_buffering, proxy_buffer_size, proxy_buffers,
# proxy_busy_buffers_size, and the temp-file ones Portico checks but never
# needs (proxy_max_temp_file_size, proxy_temp_file_write_size,
# proxy_temp_path); bad values are refused with file:line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(5)
    ->allow_errors(qr/invalid value|is invalid/);

my $conf = <<'EOF2';
worker_processes 1;
events { }
http {
    access_log off;
    proxy_buffering on;
    proxy_buffer_size 8k;
    proxy_buffers 4 16k;
    proxy_busy_buffers_size 32k;
    proxy_max_temp_file_size 0;
    proxy_temp_file_write_size 32k;
    proxy_temp_path %%TESTDIR%%/proxy_temp 1 2;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / { proxy_pass http://127.0.0.1:%%PORT_be%%; }
        location /nobuf/ {
            proxy_buffering off;
            proxy_max_temp_file_size 1m;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
    }
}
EOF2
$t->write_conf($conf);

my $body = join('', map { "row $_\n" } 1 .. 20000);
Test::Portico::Backend->new($t, 'be', response => { body => $body })->start;
$t->run;

is(http_body(http_get('/x') // ''), $body, 'buffered response through 4 x 16k');
is(http_body(http_get('/nobuf/x') // ''), $body, 'proxy_buffering off');

for my $bad (['proxy_max_temp_file_size 0;', 'proxy_max_temp_file_size lots;'],
             ['proxy_temp_file_write_size 32k;', 'proxy_temp_file_write_size -1;'],
             ['proxy_buffers 4 16k;', 'proxy_buffers four 16k;']) {
    (my $c = $conf) =~ s/\Q$bad->[0]\E/$bad->[1]/;
    $t->write_conf($c);
    my ($rc, $out) = $t->conf_test;
    like($out, qr/(?:invalid|is invalid).* in \S+:\d+/,
         "refused with file:line: $bad->[1]");
}
$t->write_conf($conf);
