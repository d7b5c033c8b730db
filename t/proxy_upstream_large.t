#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Upstreams of any size, as in nginx (there was a limit of 64 servers):
# with 150 servers that refuse connections before the one that answers,
# every balancer tries them all, none twice, and reaches it; so do the
# backups beyond the 64th server.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(7)
    ->allow_errors(qr/connect\(\) failed|no live upstreams/);

my $good = Test::Portico::Backend->new($t, 'good',
    handler => sub { { body => "good\n" } })->start;

# Nothing listens on port "dead": every try there is refused at once.
my $dead = join "\n", map { "        server 127.0.0.1:%%PORT_dead%% max_fails=0;" } 1 .. 150;
my $dead_backup = join "\n", map { "        server 127.0.0.1:%%PORT_dead%% max_fails=0 backup;" } 1 .. 70;
my $dead70 = join "\n", map { "        server 127.0.0.1:%%PORT_dead%% max_fails=0;" } 1 .. 70;

my $ups = '';
for my $b ('', 'least_conn;', 'hash $request_uri;', 'ip_hash;', 'random;', 'random two;') {
    (my $name = $b || 'rr') =~ s/\W.*//;
    $name .= '2' if $b eq 'random two;';
    $ups .= "    upstream $name {\n        $b\n$dead\n"
        . "        server 127.0.0.1:%%PORT_good%% max_fails=0;\n    }\n";
}

$t->write_conf(<<"EOF2");
worker_processes 1;
events { }
http {
    access_log off;
$ups
    upstream backups {
$dead70
$dead_backup
        server 127.0.0.1:%%PORT_good%% max_fails=0 backup;
    }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        proxy_next_upstream_tries 0;
        location / { proxy_pass http://\$uri_name; }
    }
    map \$uri \$uri_name { ~^/(?<n>\\w+) \$n; }
}
EOF2
$t->run;

for my $name (qw/rr least_conn hash ip_hash random random2/) {
    like(http_get("/$name"), qr/^HTTP\/1\.1 200 .*good\n\z/s,
        "$name: the 151st server is reached");
}
like(http_get('/backups'), qr/^HTTP\/1\.1 200 .*good\n\z/s,
    'after 70 primaries and 70 backups, the last backup');
