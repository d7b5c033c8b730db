#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# master_process off: the one process ends as a worker would, running the
# modules' exit hooks, so a buffered access log is written out on QUIT
# and on TERM rather than lost.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;

my $t = Test::Portico->new->has(qw/http/)->plan(4);

$t->write_conf(<<'EOF2');
master_process off;
events { }
http {
    access_log logs/buffered.log combined buffer=64k flush=1h;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / { return 200 "ok\n"; }
    }
}
EOF2

for my $sig (qw/QUIT TERM/) {
    $t->run;
    like(http_get("/by-$sig"), qr/\bok\b/, "served ($sig)");
    $t->stop($sig);
    like($t->read_file('logs/buffered.log') // '', qr{GET /by-$sig },
         "the buffered line is written out on $sig");
}
