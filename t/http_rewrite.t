#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The rewrite module: rewrite flags and captures, argument handling, the
# redirection cycle limit, set, break, and if with every kind of condition,
# at location and server level (checked against nginx).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;

my $t = Test::Portico->new->has(qw/http rewrite/)->plan(45);

$t->write_conf(<<'EOF');
events { }
http {
    types { text/html html; text/plain txt; }
    default_type text/plain;
    access_log off;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name localhost;
        root %%TESTDIR%%/html;

        rewrite ^/srv/(.*)$ /dst/$1;
        rewrite ^/srvlast/ /dst/srvlast last;

        location /dst/ { return 200 "dst uri=$uri args=$args\n"; }

        location /last/ {
            rewrite ^/last/(.*)$ /dst/$1 last;
            return 500;
        }
        location /break/ { rewrite ^/break/(.*)$ /files/$1 break; return 500; }
        location /files/ { return 200 "files location\n"; }
        location /redirect/ { rewrite ^/redirect/(.*)$ /dst/$1 redirect; }
        location /permanent/ { rewrite ^ /dst/p permanent; }
        location /abs/ { rewrite ^ http://example.com/x; }
        location /absargs/ { rewrite ^ http://example.com/x?a=1; }
        location /absnoargs/ { rewrite ^ http://example.com/x?; }
        location /args/ { rewrite ^/args/(.*)$ /dst/$1?a=1 last; }
        location /noargs/ { rewrite ^ /dst/n? last; }
        location /named/ {
            rewrite "^/named/(?<word>[a-z]+)/(?<num>\d+)$" /dst/$num/$word last;
        }
        location /loop/ { rewrite ^ /loop/again last; }
        location /nomatch/ { rewrite ^/other/ /dst/x last; return 200 "kept $uri\n"; }
        location /chain/ {
            rewrite ^/chain/a$ /chain/b;
            rewrite ^/chain/b$ /chain/c;
            return 200 "chain $uri\n";
        }
        location /research/ { rewrite ^/research/(.*) /dst/$1; }

        location /set/ {
            set $a "A";
            set $b "$a-$uri";
            return 200 "set $b\n";
        }
        location /setargs/ {
            set $args "x=1";
            return 200 "args=$args arg_x=$arg_x\n";
        }
        location /uninit/ { return 200 "[$never]\n"; }
        location /nowhere/ { set $never x; }

        location /break2/ {
            set $x a;
            if ($arg_b) { set $x b; break; }
            set $x c;
            add_header X-X $x;
        }

        location /if/ {
            if ($arg_v) { return 200 "var true\n"; }
            if ($arg_s = yes) { return 200 "eq\n"; }
            if ($arg_s != "") { return 200 "ne $arg_s\n"; }
            if ($http_x_test ~* ^foo(\d+)$) { return 200 "re $1\n"; }
            if ($http_x_test ~ "^(?<pre>bar)") { return 200 "named $pre\n"; }
            if ($http_x_test !~ ^baz) { return 200 "not baz\n"; }
            return 200 "none\n";
        }

        location /file/ {
            if (-f $request_filename) { return 200 "file\n"; }
            if (-d $request_filename) { return 200 "dir\n"; }
            if (!-e $request_filename) { return 200 "missing\n"; }
            return 200 "other\n";
        }
        location /x/ {
            if (-x $request_filename) { return 200 "exec\n"; }
            if (!-x $request_filename) { return 200 "noexec\n"; }
        }

        location /ifconf/ {
            if ($arg_h) { add_header X-If yes; }
            return 200 "ifconf\n";
        }
        location /ifroot/ {
            if ($arg_alt) { root %%TESTDIR%%/alt; }
        }
    }

    server {
        listen 127.0.0.1:%%PORT_8081%%;
        server_name localhost;

        if ($http_x_block) { return 403; }
        if ($request_uri ~ ^/old/) { rewrite ^/old/(.*) /new/$1 last; }
        set $who server;

        location / { return 200 "ok $who\n"; }
        location /new/ { return 200 "new $uri\n"; }
    }
}
EOF

$t->write_file('html/files/a.txt', "static a\n");
$t->write_file('html/file/f.txt', "f\n");
$t->write_file('html/file/d/index.html', "d\n");
$t->write_file('html/x/run.sh', "#!/bin/sh\n");
chmod 0755, $t->testdir . '/html/x/run.sh';
$t->write_file('html/x/data.txt', "data\n");
$t->write_file('html/ifroot/a.txt', "html\n");
$t->write_file('alt/ifroot/a.txt', "alt\n");
$t->write_file('html/break2/a.txt', "b2\n");
$t->run;

my $p2 = $t->port('8081');

sub body { http_body(http_get(@_)) }

# rewrite: server level, flags, captures.
is(body('/srv/one?q=1'), "dst uri=/dst/one args=q=1\n", 'server-level rewrite');
is(body('/srvlast/x'), "dst uri=/dst/srvlast args=\n", 'server-level last');
is(body('/last/two?q=2'), "dst uri=/dst/two args=q=2\n", 'last re-searches');
is(body('/break/a.txt'), "static a\n", 'break serves in the same location');
like(http_get('/break/a.txt'), qr{^Content-Type: text/plain\r$}m,
    'break: type from the new URI');
my $r = http_get('/redirect/three?q=3');
like($r, qr{^HTTP/1\.1 302 }, 'redirect is 302');
like($r, qr{^Location: http://localhost:\d+/dst/three\?q=3\r$}m,
    'redirect Location with args');
$r = http_get('/permanent/x');
like($r, qr{^HTTP/1\.1 301 }, 'permanent is 301');
like($r, qr{^Location: http://localhost:\d+/dst/p\r$}m, 'permanent Location');
$r = http_get('/abs/x?q=1');
like($r, qr{^HTTP/1\.1 302 }, 'absolute replacement redirects');
like($r, qr{^Location: http://example\.com/x\?q=1\r$}m, 'absolute Location');
like(http_get('/absargs/x?q=1'), qr{^Location: http://example\.com/x\?a=1&q=1\r$}m,
    'redirect args joined with &');
like(http_get('/absnoargs/x?q=1'), qr{^Location: http://example\.com/x\r$}m,
    'trailing ? drops args of a redirect');
is(body('/args/four?q=4'), "dst uri=/dst/four args=a=1&q=4\n",
    'replacement args come first');
is(body('/args/four'), "dst uri=/dst/four args=a=1\n", 'replacement args alone');
is(body('/noargs/x?q=5'), "dst uri=/dst/n args=\n", 'trailing ? drops args');
is(body('/named/abc/42'), "dst uri=/dst/42/abc args=\n", 'named captures');
like(http_get('/loop/x'), qr{^HTTP/1\.1 500 }, 'rewrite cycle is 500');
is(body('/nomatch/y'), "kept /nomatch/y\n", 'no match carries on');
is(body('/chain/a'), "chain /chain/c\n", 'rewrites chain without flags');
is(body('/research/z?k=v'), "dst uri=/dst/z args=k=v\n",
    'a changed URI is searched again after the location');

# set
is(body('/set/'), "set A-/set/\n", 'set with variables');
is(body('/setargs/?x=0'), "args=x=1 arg_x=1\n", 'set $args changes the arguments');
is(body('/uninit/'), "[]\n", 'uninitialized variable is empty');
like($t->error_log, qr/using uninitialized "never" variable/,
    'uninitialized variable warning');

# break and if
like(http_get('/break2/a.txt'), qr/^X-X: c\r$/m, 'no break: ops carry on');
like(http_get('/break2/a.txt?b=1'), qr/^X-X: b\r$/m, 'break inside if stops');
is(body('/if/?v=1'), "var true\n", 'if variable');
is(body('/if/?v=0'), "not baz\n", 'if variable "0" is false');
is(body('/if/?s=yes'), "eq\n", 'if =');
is(body('/if/?s=no'), "ne no\n", 'if !=');
is(body('/if/', 'X-Test' => 'FOO12'), "re 12\n", 'if ~* with capture');
is(body('/if/', 'X-Test' => 'barx'), "named bar\n", 'if ~ named capture');
is(body('/if/', 'X-Test' => 'qux'), "not baz\n", 'if !~');
is(body('/if/', 'X-Test' => 'baz'), "none\n", 'if !~ false');
is(body('/file/f.txt'), "file\n", 'if -f');
is(body('/file/d'), "dir\n", 'if -d');
is(body('/file/nope'), "missing\n", 'if !-e');
is(body('/x/run.sh'), "exec\n", 'if -x');
is(body('/x/data.txt'), "noexec\n", 'if !-x');
like(http_get('/ifconf/?h=1'), qr/^X-If: yes\r$/m, 'if block confs apply');
unlike(http_get('/ifconf/'), qr/^X-If/m, 'if block confs only when true');
is(body('/ifroot/a.txt?alt=1'), "alt\n", 'root inside if');
is(body('/ifroot/a.txt'), "html\n", 'root outside if');

# server-level if
subtest 'server level' => sub {
    plan tests => 4;
    like(http_get('/', port => $p2, 'X-Block' => 1), qr{^HTTP/1\.1 403 },
        'server if return');
    is(http_body(http_get('/', port => $p2)), "ok server\n", 'server set');
    is(http_body(http_get('/old/x', port => $p2)), "new /new/x\n",
        'server if rewrite');
    is(http_body(http_get('/new/y', port => $p2)), "new /new/y\n",
        'server if false');
};
