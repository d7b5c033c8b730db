#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# A reload tests the new configuration together with the -g directives the
# master was started with.  Here the new file sets worker_processes, which
# -g sets already: the test must refuse it (as the new image would), and
# the old configuration must keep serving.  The process title is written
# over argv, so -g must not be read from there after start.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;

my $t = Test::Portico->new->has(qw/http/)->plan(4)
    ->allow_errors(qr/"worker_processes" directive is duplicate|test failed|reload failed/);

sub conf {
    my ($gen, $extra) = @_;
    $t->write_conf(<<"EOF2");
$extra
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / { return 200 "gen $gen\\n"; }
    }
}
EOF2
}

conf(1, '');
$t->run('-g', 'worker_processes 2;');
my $pid = $t->pid;
like(http_get('/'), qr/gen 1/, 'started with worker_processes from -g');

conf(2, 'worker_processes 1;');
$t->signal('HUP');
ok(wait_until(sub { $t->error_log =~ /reload failed/ }, 10),
   'a file clashing with -g: the reload is refused');
like($t->error_log, qr/"worker_processes" directive is duplicate/,
     '... with the reason');
like(http_get('/') // '', qr/gen 1/, 'the old configuration keeps serving');
