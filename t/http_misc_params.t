#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Error pages and error-log switches: recursive_error_pages (chains of
# error_page, a redirection loop), log_not_found (static and index),
# rewrite_log (match, no match, result) and uninitialized_variable_warn
# (checked against nginx).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;

my $t = Test::Portico->new->has(qw/http rewrite/)->plan(50);

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

        # recursive_error_pages: /a/ -> /b/ (an error again) -> /c/
        location /a/ { error_page 404 /b/x; }
        location /ra/ { recursive_error_pages on; error_page 404 /b/x; }
        location /b/ { error_page 404 /c/x; return 404; }
        location /rb/ { recursive_error_pages on; error_page 404 /c/x; return 404; }
        location /a2/ { error_page 404 /rb/x; }
        location /c/ { return 200 "c page\n"; }
        location /loop/ {
            recursive_error_pages on;
            error_page 404 /loop/again;
            return 404;
        }
        location /noloop/ { error_page 404 /noloop/again; return 404; }

        # log_not_found
        location /nolog/ { log_not_found off; }

        # rewrite_log
        location /dst/ { return 200 "dst $uri\n"; }
        location /rl/ {
            rewrite_log on;
            rewrite ^/rl/nomatch /dst/never last;
            rewrite ^/rl/(.*)$ /dst/rl-$1 last;
        }
        location /rlredir/ {
            rewrite_log on;
            rewrite ^/rlredir/(.*)$ /dst/$1 redirect;
        }
        location /norl/ { rewrite ^/norl/(.*)$ /dst/norl-$1 last; }
        location /rlif/ {
            rewrite_log on;
            if ($uri ~ ^/rlif/(yes)$) { return 200 "if $1\n"; }
            return 200 "if no\n";
        }

        # uninitialized_variable_warn
        location /declare/ {
            set $uninit_a 1; set $uninit_b 1; set $uninit_c 1; set $uninit_d 1;
        }
        location /uw/ { return 200 "[$uninit_a]\n"; }
        location /nouw/ {
            uninitialized_variable_warn off;
            return 200 "[$uninit_b]\n";
        }
        location /uwif/ {
            if ($arg_q) { uninitialized_variable_warn off; }
            return 200 "[$uninit_c]\n";
        }
        location /uwifon/ {
            uninitialized_variable_warn off;
            if ($arg_q) { uninitialized_variable_warn on; }
            set $copy "$uninit_d";
            return 200 "[$copy]\n";
        }
    }

    server {
        listen 127.0.0.1:%%PORT_8081%%;
        server_name localhost;
        root %%TESTDIR%%/html;
        recursive_error_pages on;
        rewrite_log on;

        rewrite ^/srv/(.*)$ /dst/srv-$1 last;

        location /a/ { error_page 404 /b/x; }
        location /b/ { error_page 404 /c/x; return 404; }
        location /c/ { return 200 "c page\n"; }
        location /dst/ { return 200 "dst $uri\n"; }
        location /off/ {
            rewrite_log off;
            rewrite ^/off/(.*)$ /dst/off-$1 last;
        }
    }
}
EOF

$t->run;

sub body_of { http_body($_[0]) // '' }

# Waits (bounded) until the error log matches RE; the log is written by
# the worker after the response may already have been read.
sub log_has {
    my ($re, $secs) = @_;
    return wait_until(sub { $t->error_log =~ $re }, $secs // 3) ? 1 : 0;
}

###############################################################################
# recursive_error_pages

my $r = http_get('/a/missing');
like($r, qr{^HTTP/1\.1 404 }, 'off: 404');
unlike(body_of($r), qr/c page/, 'off: the error page\'s own error not redirected');
like(body_of($r), qr/404 Not Found/, 'off: the built-in 404 page');

$r = http_get('/rb/x');
like($r, qr{^HTTP/1\.1 404 }, 'one error_page: 404');
is(body_of($r), "c page\n", 'one error_page: its body');

$r = http_get('/loop/x');
like($r, qr{^HTTP/1\.1 500 }, 'on: error_page loop ends in 500');
ok(log_has(qr/rewrite or internal redirection cycle/),
    'on: the cycle is logged');

$r = http_get('/noloop/x');
like($r, qr{^HTTP/1\.1 404 }, 'off: same error_page to itself stops at 404');
like(body_of($r), qr/404 Not Found/, 'off: built-in page, no loop');

# Server-level on: the chain is followed.
$r = http_get('/a/missing', port => '8081');
like($r, qr{^HTTP/1\.1 404 }, 'server on: status of the first error');
is(body_of($r), "c page\n", 'server on: error of the error page redirected');

# nginx looks at recursive_error_pages of the location whose error_page is
# used: "on" there lets the next location's error_page be used once more,
# whatever that location says; "on" only in the next location does not.
is(body_of(http_get('/ra/missing')), "c page\n",
    'on where the first error_page fired: chain followed');
like(body_of(http_get('/a2/missing')), qr/404 Not Found/,
    'on only in the error page\'s location: chain not followed');

###############################################################################
# log_not_found

my $dir = $t->testdir;

like(http_get('/missing.html'), qr{^HTTP/1\.1 404 }, 'missing file: 404');
my $ENOENT = qr/\(2: No such file or directory\)/;
ok(log_has(qr{open\(\) "\Q$dir\E/html/missing\.html" failed $ENOENT}),
    'on: open() failure logged');
like(http_get('/nolog/missing.html'), qr{^HTTP/1\.1 404 }, 'off: still 404');

like(http_get('/nodir/'), qr{^HTTP/1\.1 404 }, 'missing directory: 404');
ok(log_has(qr{"\Q$dir\E/html/nodir(?:/index\.html)?" is not found $ENOENT}),
    'on: index not found logged');
ok($t->error_log =~ qr{"\Q$dir\E/html/nodir/index\.html" is not found},
    'on: the index file named');
like(http_get('/nolog/nodir/'), qr{^HTTP/1\.1 404 },
    'off: missing directory 404');

# A request logged after the two "off" ones proves they had their chance.
http_get('/last-missing.html');
ok(log_has(qr{/html/last-missing\.html" failed}), 'marker logged');
unlike($t->error_log, qr{/html/nolog/missing\.html},
    'off: open() failure not logged');
unlike($t->error_log, qr{/html/nolog/nodir/},
    'off: index not found not logged');

###############################################################################
# rewrite_log

is(body_of(http_get('/rl/x')), "dst /dst/rl-x\n", 'rewrite_log on: rewritten');
ok(log_has(qr{\[notice\].*"\^/rl/nomatch" does not match "/rl/x"}),
    'on: no match logged at notice');
ok(log_has(qr{\[notice\].*"\^/rl/\(\.\*\)\$" matches "/rl/x"}),
    'on: match logged at notice');
ok(log_has(qr{\[notice\].*rewritten data: "/dst/rl-x", args: ""}),
    'on: result logged');

like(http_get('/rlredir/y'), qr{^HTTP/1\.1 302 }, 'on: redirect');
ok(log_has(qr{\[notice\].*rewritten redirect: "/dst/y"}),
    'on: redirect logged');

is(body_of(http_get('/srv/z', port => '8081')), "dst /dst/srv-z\n",
    'server-level rewrite');
ok(log_has(qr{"\^/srv/\(\.\*\)\$" matches "/srv/z"}),
    'on at server level: server rewrite logged');
is(body_of(http_get('/off/w', port => '8081')), "dst /dst/off-w\n",
    'location rewrite under server-level rewrite_log');
ok(log_has(qr{"\^/srv/\(\.\*\)\$" does not match "/off/w"}),
    'on at server level: server rewrite of another URI logged');

is(body_of(http_get('/rlif/yes')), "if yes\n", 'if with a regex: matched');
is(body_of(http_get('/rlif/no')), "if no\n", 'if with a regex: not matched');
ok(log_has(qr{\[notice\].*"\^/rlif/\(yes\)\$" matches "/rlif/yes"}, 1),
    'on: if regex match logged');
ok(log_has(qr{\[notice\].*"\^/rlif/\(yes\)\$" does not match "/rlif/no"}, 1),
    'on: if regex no match logged');

is(body_of(http_get('/norl/x')), "dst /dst/norl-x\n", 'rewrite_log off: rewritten');
http_get('/rl/marker');
ok(log_has(qr{rewritten data: "/dst/rl-marker"}), 'marker logged');
unlike($t->error_log, qr{/norl/|norl-x}, 'off (default): nothing logged');
unlike($t->error_log, qr{\^/off/}, 'off in a location: nothing logged');

###############################################################################
# uninitialized_variable_warn

is(body_of(http_get('/uw/')), "[]\n", 'uninitialized variable: empty');
ok(log_has(qr{\[warn\].*using uninitialized "uninit_a" variable}),
    'on (default): warning logged');
is(body_of(http_get('/nouw/')), "[]\n", 'off: empty');
http_get('/uw/');
ok(wait_until(sub {
    my @n = $t->error_log =~ /using uninitialized "uninit_a"/g; @n >= 2 }, 3),
    'marker logged');
unlike($t->error_log, qr{uninit_b}, 'off: no warning');

# In an if block, which applies once its condition held.
is(body_of(http_get('/uwif/?q=1')), "[]\n", 'off in if: empty');
is(body_of(http_get('/uwifon/?q=1')), "[]\n", 'on in if: empty');
ok(log_has(qr{\[warn\].*using uninitialized "uninit_d" variable}),
    'on in if: warning logged (set)');
unlike($t->error_log, qr{uninit_c}, 'off in if: no warning');
