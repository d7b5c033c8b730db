#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Shared-memory zones across a SIGHUP reload: a zone whose name, type and
# size are unchanged keeps its content; a resized zone starts afresh; zone
# declarations that conflict are config errors with file:line.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;

my $t = Test::Portico->new->has(qw/http limit_req/)->plan(9);

my $conf = <<'EOF';
events { }
http {
    access_log off;
    root %%TESTDIR%%/html;
    limit_req_zone $arg_k zone=keep:1m rate=1r/m;
    limit_req_zone $arg_k zone=resized:SIZE rate=1r/m;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location /keep/ { limit_req zone=keep; }
        location /resized/ { limit_req zone=resized; }
    }
}
EOF
(my $c1 = $conf) =~ s/SIZE/1m/;
(my $c2 = $conf) =~ s/SIZE/2m/;

$t->write_conf($c1);
$t->write_file("html/$_/a.html", "ok\n") for qw/keep resized/;
$t->run;

sub code { my ($r) = @_; ($r // '') =~ m{^HTTP/1\.1 (\d+)} ? $1 : 0 }

is(code(http_get('/keep/a.html?k=a')), 200, 'first request');
is(code(http_get('/resized/a.html?k=a')), 200, 'first request, other zone');

portico_only(4, 'nginx keeps zones on HUP without re-exec; same outcome, other path', sub {
    $t->write_conf($c2);
    ok($t->reload, 'reloaded');
    is(code(http_get('/keep/a.html?k=a')), 503, 'state survived the reload');
    is(code(http_get('/resized/a.html?k=a')), 200, 'resized zone starts afresh');
    is(code(http_get('/resized/a.html?k=a')), 503, 'and limits again');
});

# Conflicting declarations: nginx's messages, with file:line.
$t->allow_errors(qr/shared memory zone/);
$t->write_conf(<<'EOF');
events { }
http {
    limit_req_zone $arg_k zone=z:1m rate=1r/s;
    limit_req_zone $arg_j zone=z:2m rate=1r/s;
}
EOF
like(join('', $t->conf_test), qr/the size 2097152 of shared memory zone "z" conflicts with already declared size 1048576 in \S+:\d+/,
    'size conflict');

$t->write_conf(<<'EOF');
events { }
http {
    limit_req_zone $arg_k zone=z:1m rate=1r/s;
    limit_conn_zone $arg_k zone=z:1m;
}
EOF
like(join('', $t->conf_test), qr/the shared memory zone "z" is already declared for a different use in \S+:\d+/,
    'type conflict');

$t->write_conf(<<'EOF');
events { }
http { server { limit_req zone=nowhere; } }
EOF
like(join('', $t->conf_test), qr/zero size shared memory zone "nowhere"/, 'undeclared zone');
