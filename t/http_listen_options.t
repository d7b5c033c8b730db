#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# listen's so_keepalive= forms are accepted as nginx accepts them, bad ones
# are refused with file:line, and a server with them serves.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;

my $t = Test::Portico->new->has(qw/http/)->plan(5);
$t->allow_errors(qr/invalid so_keepalive/);

for my $v ('on', 'off', '30s:10s:5', ':10s:') {
    $t->write_conf(<<"EOF");
events { }
http { server { listen 127.0.0.1:%%PORT_8080%% so_keepalive=$v; return 200 "ok\\n"; } }
EOF
    my ($rc, $out) = $t->conf_test;
    is($rc, 0, "so_keepalive=$v accepted") or diag($out);
}

$t->write_conf(<<'EOF');
events { }
http { server { listen 127.0.0.1:%%PORT_8080%% so_keepalive=soon; return 200 "ok\n"; } }
EOF
my ($rc, $out) = $t->conf_test;
like($out, qr/invalid so_keepalive value: "soon" in \S+:\d+/,
    'a bad so_keepalive value names file:line');
