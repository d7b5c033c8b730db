#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# A stray or malformed PORTICO_INHERIT (the reload handoff variable) in the
# environment: a malformed one is logged and ignored; descriptors it lists
# that are not inherited sockets (the logs, say) are left alone; PIDs it
# lists that are not this process's children are not signalled.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use POSIX qw/WNOHANG/;

my $t = Test::Portico->new->has(qw/http/)->plan(4)
    ->allow_errors(qr/ignoring malformed PORTICO_INHERIT/);

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / { return 200 "ok\n"; }
        location /missing { root %%TESTDIR%%/none; }
    }
}
EOF2

# A sleeping process that is not the server's child: it must not get QUIT.
my $other = fork // die;
if ($other == 0) { sleep 30; exit 0 }

$ENV{PORTICO_INHERIT} = 'x';
$t->run;
delete $ENV{PORTICO_INHERIT};
like(http_get('/') // '', qr/\bok\b/, 'malformed: the server starts and serves');
like($t->error_log, qr/ignoring malformed PORTICO_INHERIT/, '... and says why');
$t->stop;

$ENV{PORTICO_INHERIT} = "ls=0,1,2,3,4,5,6,7,8,9,10;old=$other;gen=1;hand=3,4";
$t->run;
delete $ENV{PORTICO_INHERIT};
http_get('/missing/x');
like($t->error_log, qr/open\(\) ".*none\/missing\/x" failed/,
     'descriptors that are not sockets stay open: the error log still works');
sleep 0.5;
is(waitpid($other, WNOHANG), 0, 'a listed PID that is not a child is left alone');
kill 'KILL', $other;
waitpid $other, 0;
