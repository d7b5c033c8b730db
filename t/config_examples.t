#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Every configuration in conf/examples/ passes `portico -t` as shipped
# (tls.conf with the test certificate its comment tells how to make), and
# the caching example answers MISS then HIT with X-Cache-Status.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;

my $dir = "$FindBin::Bin/../conf/examples";
opendir(my $dh, $dir) or die "$dir: $!";
my @confs = sort grep { /\.conf$/ } readdir $dh;
closedir $dh;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(@confs + 1);

for my $name (@confs) {
    open my $fh, '<', "$dir/$name" or die "$name: $!";
    local $/;
    my $conf = <$fh>;
    # Absolute paths for what the examples take from the install prefix.
    $conf =~ s{include\s+\.\./mime\.types;}{include $FindBin::Bin/../conf/mime.types;};
    if ($name eq 'tls.conf') {
        # The pairs it names, made as its comment says (beside the file).
        for my $k (['example-ecdsa', '-newkey ec -pkeyopt ec_paramgen_curve:P-256'],
                   ['example-rsa', '-newkey rsa:2048']) {
            system("cd " . $t->testdir . " && openssl req -x509 $k->[1]"
                . " -nodes -days 2 -subj /CN=example.com -keyout $k->[0].key"
                . " -out $k->[0].crt >/dev/null 2>&1");
        }
    }
    $t->write_conf($conf, prelude => 0);
    my ($rc, $out) = $t->conf_test;
    is($rc, 0, "conf/examples/$name passes -t") or diag($out);
}

# The caching example, with its ports and backend moved to free ones.
open my $fh, '<', "$dir/cache.conf" or die;
my $conf = do { local $/; <$fh> };
$conf =~ s{include\s+\.\./mime\.types;}{include $FindBin::Bin/../conf/mime.types;};
$conf =~ s{worker_processes\s+auto;}{worker_processes 1;};
$conf =~ s{listen\s+(?:127\.0\.0\.1:)?8080}{listen 127.0.0.1:%%PORT_8080%%}g;
$conf =~ s{listen\s+(?:127\.0\.0\.1:)?8081}{listen 127.0.0.1:%%PORT_8081%%}g;
$conf =~ s{127\.0\.0\.1:3000}{127.0.0.1:%%PORT_app%%}g;
$conf =~ s{^(error_log|pid)\s.*$}{}mg;
$t->write_conf($conf);
Test::Portico::Backend->new($t, 'app', response => {
    headers => [ 'Content-Type' => 'text/plain' ], body => "app\n" })->start;
$t->run;
my @cs = map { (get_response('/')->{headers}{'x-cache-status'} // '') } 1 .. 2;
is("@cs", 'MISS HIT', 'cache.conf: MISS then HIT, shown in X-Cache-Status');
