#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# A keys_zone too small for every key: the least recently used entries
# leave the index (and their files the disk) to make room, a warning is
# logged, and every request is still answered; recent keys stay HITs.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use File::Find;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(8)->allow_errors(qr/is unknown/);

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    proxy_cache_path %%TESTDIR%%/cache levels=1 keys_zone=tiny:32k;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / {
            proxy_pass http://127.0.0.1:%%PORT_be%%;
            proxy_cache tiny;
            proxy_cache_valid 200 10m;
            add_header X-Cache-Status $upstream_cache_status;
        }
    }
}
EOF2

my $be = Test::Portico::Backend->new($t, 'be', handler => sub {
    my ($req) = @_;
    return { body => "body of $req->{uri}\n" };
})->start;
$t->run;

sub get {
    my $raw = http_get(shift) // '';
    my ($cs) = $raw =~ /^X-Cache-Status: (\S+)/mi;
    my $ok = $raw =~ m{^HTTP/1\.1 200 } && $raw =~ /body of /;
    return ($ok, $cs // '');
}
sub files {
    my @f;
    find(sub { push @f, $_ if -f && /^[0-9a-f]{32}$/ }, $t->testdir . '/cache');
    return scalar @f;
}

my $n = 600;
my $good = 0;
for my $i (1 .. $n) {
    my ($ok) = get("/k/$i");
    $good++ if $ok;
}
is($good, $n, "$n distinct keys through a 32 KiB zone: all answered");
is((get("/k/$n"))[1], 'HIT', 'the most recent key: HIT');
is((get('/k/1'))[1], 'MISS', 'the oldest key was evicted: MISS');
my $files = files();
cmp_ok($files, '<', $n, "evicted entries' files left the disk ($files files)");
cmp_ok($files, '>', 10, '... the entries the zone holds stayed');
like($t->error_log, qr/zone "tiny" is full/i, 'the zone being full is logged');
$t->stop;
unlike($t->error_log, qr/\[(?:alert|crit|emerg)\]/, 'no alert/crit in the log');

# proxy_cache naming no proxy_cache_path is refused.
$t->write_conf(<<'EOF2');
events { }
http {
    server {
        listen 127.0.0.1:%%PORT_8081%%;
        location / { proxy_pass http://127.0.0.1:%%PORT_be%%; proxy_cache nope; }
    }
}
EOF2
my ($rc, $out) = $t->conf_test;
like($out, qr/"proxy_cache" zone "nope" is unknown/, 'an unknown cache zone is refused');
