#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Request endings that once broke the engine: a reset client during an
# internal redirect, error_page to a named location, try_files to a missing
# named location, the access log of pipelined requests, and QUIT with
# master_process off.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Socket::INET;
use Socket qw/SOL_SOCKET SO_LINGER/;
use Time::HiRes qw/sleep/;

my $t = Test::Portico->new->has(qw/http/)->plan(9);

$t->write_conf(<<'EOF');
events { }
http {
    types { text/html html; }
    log_format rq '$request|$status|$http_user_agent';
    access_log %%TESTDIR%%/logs/rq.log rq;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/html;

        location / { index index.html; }
        location /a { error_page 404 @named; }
        location @named { try_files /named.html =500; }
        location /b { try_files /nope @missing; }
    }
}
EOF

$t->write_file('html/index.html', 'i' x 100000);
$t->write_file('html/named.html', "named\n");
$t->write_file('html/ok.html', "ok\n");
$t->run;

# A client that resets while the index redirect serves a large file.
for (1 .. 30) {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port(8080))
        or next;
    print $s "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    setsockopt($s, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
    close $s;
}
sleep 0.3;
like(http_get('/ok.html'), qr{^HTTP/1\.1 200 }, 'alive after resets mid-redirect');

my $r = http_get('/a/x');
like($r, qr{^HTTP/1\.1 404 }, 'error_page to a named location keeps the status');
is(http_body($r), "named\n", '... and serves its content');
like(http_get('/a/y'), qr{^HTTP/1\.1 404 }, 'a second time too');

$r = http("GET /b/x HTTP/1.0\r\n\r\n", timeout => 3);
like($r, qr{^HTTP/1\.1 500 }, 'try_files to a missing named location: 500');
like($r, qr{</html>\r\n\z}, '... and the connection closes (no hang)');

# Pipelined: each logged line names its own request.
http("GET /ok.html HTTP/1.1\r\nHost: a\r\nUser-Agent: first\r\n\r\n"
    . "GET /ok.html?second HTTP/1.1\r\nHost: a\r\nUser-Agent: second\r\n"
    . "Connection: close\r\n\r\n");
ok(wait_until(sub { ($t->read_file('logs/rq.log') // '') =~ m{\?second HTTP/1\.1\|200\|second} }),
    'second pipelined request logged');
like($t->read_file('logs/rq.log') // '',
    qr{^GET /ok\.html HTTP/1\.1\|200\|first$}m, 'first pipelined request logged intact');
$t->stop;

# master_process off: QUIT with no connection ends the process at once.
$t->write_conf(<<'EOF');
master_process off;
events { }
http {
    server { listen 127.0.0.1:%%PORT_8080%%; root %%TESTDIR%%/html; }
}
EOF
$t->run;
kill 'QUIT', $t->pid;
ok(defined $t->wait_exit(5), 'master_process off: QUIT exits promptly');
