#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# gzip and gunzip on proxied responses: compressed on the way out, a
# backend's gzip-encoded answer passed through untouched (its
# Content-Encoding is only in the header list) or inflated by gunzip.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Compress::Gzip qw/gzip/;
use IO::Uncompress::Gunzip qw/gunzip/;

my $t = Test::Portico->new->has(qw/http proxy gzip gzip_static gunzip/)
    ->plan(6);

$t->write_conf(<<'EOF');
events { }
http {
    types { text/html html; }
    access_log off;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        gzip on;
        gzip_proxied any;

        location / { proxy_pass http://127.0.0.1:%%PORT_8081%%; }
        location /gun/ { gunzip on; proxy_pass http://127.0.0.1:%%PORT_8081%%/; }
    }

    server {
        listen 127.0.0.1:%%PORT_8081%%;
        root %%TESTDIR%%/html;
        gzip_static always;
    }
}
EOF

my $page = join '', map { "proxied line $_ <i>x</i>\n" } 1 .. 5000;
my $gz;
gzip(\$page => \$gz, Minimal => 1);
$t->write_file('html/a.html', $page);
$t->write_file('html/z.html', $page);
$t->write_file('html/z.html.gz', $gz);
$t->run;

my $raw = http_get('/a.html', 'Accept-Encoding' => 'gzip');
my ($z, $plain) = (http_body($raw));
like($raw, qr/^Content-Encoding: gzip\r$/mi, 'proxied: compressed');
ok(gunzip(\$z => \$plain) && $plain eq $page, 'proxied: round trip');

$raw = http_get('/z.html', 'Accept-Encoding' => 'gzip');
is(scalar(() = $raw =~ /^Content-Encoding:/mgi), 1,
    'encoded backend answer: one Content-Encoding');
ok(http_body($raw) eq $gz, 'encoded backend answer: passed through');

$raw = http_get('/gun/z.html');
ok($raw !~ /^Content-Encoding/mi, 'gunzip of a backend answer: plain');
ok(http_body($raw) eq $page, 'gunzip of a backend answer: round trip');
