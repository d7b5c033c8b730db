#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Request routing (DESIGN §7.2-3): location matching order, nested locations,
# virtual server selection by Host, return, error_page, try_files, index,
# alias, directory redirects, types and default_type.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;

my $t = Test::Portico->new->has(qw/http rewrite/)->plan(48);

$t->write_conf(<<'EOF');
events { }
http {
    types { text/html html; text/plain txt; }
    default_type application/octet-stream;
    access_log off;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name localhost;
        root %%TESTDIR%%/html;

        location = /exact { return 200 "exact\n"; }
        location /exact { return 200 "prefix-exact\n"; }
        location ^~ /stop/ { return 200 "stop\n"; }
        location ~ \.php$ { return 200 "regex\n"; }
        location ~* \.jpg$ { return 200 "caseless\n"; }
        location /static/ { return 200 "static\n"; }
        location /static/deeper/ { return 200 "deeper\n"; }
        location ~ ^/order/ { return 200 "order1\n"; }
        location ~ ^/order/x { return 200 "order2\n"; }
        location /nest/ {
            location ~ \.txt$ { return 200 "nested-regex\n"; }
            location /nest/inner/ { return 200 "nested-prefix\n"; }
            return 200 "nest\n";
        }
        location = / { return 200 "root-exact\n"; }

        location /ret/ {
            location = /ret/301 { return 301 http://example.com/x; }
            location = /ret/302 { return 302 /relative; }
            location = /ret/url { return http://example.com/u; }
            location = /ret/404 { return 404; }
            location = /ret/text { return 418 "teapot\n"; }
        }

        location /ep/ { error_page 404 /custom404.html; }
        location /ep200/ { error_page 404 =200 /custom404.html; }
        location = /custom404.html { }

        location /tf/ { try_files $uri $uri/ /fallback.html; }
        location /tf404/ { try_files $uri =404; }
        location /idx/ { index first.html second.html; }
        location /al/ { alias %%TESTDIR%%/aliased/; }
        location /types/ {
            types { application/x-foo foo; }
            default_type text/x-default;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_8081%%;
        server_name first.test;
        return 200 "first\n";
    }
    server {
        listen 127.0.0.1:%%PORT_8081%% default_server;
        server_name default.test;
        return 200 "default\n";
    }
    server {
        listen 127.0.0.1:%%PORT_8081%%;
        server_name example.com www.example.com;
        return 200 "exact\n";
    }
    server {
        listen 127.0.0.1:%%PORT_8081%%;
        server_name *.example.com;
        return 200 "leading\n";
    }
    server {
        listen 127.0.0.1:%%PORT_8081%%;
        server_name mail.*;
        return 200 "trailing\n";
    }
    server {
        listen 127.0.0.1:%%PORT_8081%%;
        server_name ~^(?<sub>[a-z]+)\.regex\.test$;
        return 200 "regex $sub\n";
    }

    server {
        listen 127.0.0.1:%%PORT_8082%%;
        server_name a.test;
        return 200 "implicit-default\n";
    }
    server {
        listen 127.0.0.1:%%PORT_8082%%;
        server_name b.test;
        return 200 "b\n";
    }
}
EOF

$t->write_file('html/custom404.html', "custom 404\n");
$t->write_file('html/fallback.html', "fallback\n");
$t->write_file('html/tf/real.html', "real\n");
$t->write_file('html/tf/dir/index.html', "dir index\n");
$t->write_file('html/idx/second.html', "second\n");
$t->write_file('html/dir/index.html', "in dir\n");
$t->write_file('aliased/f.txt', "aliased\n");
$t->write_file('html/types/a.foo', "foo");
$t->write_file('html/types/a.zzz', "zzz");
$t->run;

sub body { http_body(http_get(@_)) // '' }

# Location order.
is(body('/exact'), "exact\n", '= exact match');
is(body('/exactly'), "prefix-exact\n", 'prefix when not exact');
is(body('/stop/a.php'), "stop\n", '^~ stops the regex search');
is(body('/static/a.php'), "regex\n", 'regex beats a plain prefix');
is(body('/static/a.html'), "static\n", 'prefix');
is(body('/static/deeper/a.html'), "deeper\n", 'longest prefix');
is(body('/a.JPG'), "caseless\n", '~* caseless');
like(http_get('/a.PHP'), qr{^HTTP/1\.1 404 }, '~ is case-sensitive');
is(body('/order/xyz'), "order1\n", 'first matching regex wins');
is(body('/nest/a.txt'), "nested-regex\n", 'nested regex');
is(body('/nest/inner/a'), "nested-prefix\n", 'nested prefix');
is(body('/nest/a.html'), "nest\n", 'outer location without a nested match');
is(body('/'), "root-exact\n", '= /');

# Virtual servers by Host.
sub host { http_body(http_get('/', Host => $_[0], port => $_[1] // 8081)) // '' }
is(host('example.com'), "exact\n", 'exact name');
is(host('www.example.com'), "exact\n", 'second exact name');
is(host('EXAMPLE.COM'), "exact\n", 'names are caseless');
is(host('example.com:80'), "exact\n", 'port in Host ignored');
is(host('example.com.'), "exact\n", 'trailing dot ignored');
is(host('a.example.com'), "leading\n", 'leading wildcard');
is(host('mail.example.com'), "leading\n", 'leading wildcard before trailing');
is(host('mail.other.org'), "trailing\n", 'trailing wildcard');
is(host('abc.regex.test'), "regex abc\n", 'regex name with a capture');
is(host('unknown.test'), "default\n", 'default_server for unknown names');
is(http_body(http("GET / HTTP/1.0\r\n\r\n", port => 8081)), "default\n",
    'default_server without Host');
is(host('zzz.test', 8082), "implicit-default\n",
    'first server is the default without default_server');
is(host('b.test', 8082), "b\n", 'name on the second port');

# return.
my $r = http_get('/ret/301');
like($r, qr{^HTTP/1\.1 301 .*^Location: http://example\.com/x\r$}ms, 'return 301 URL');
$r = http_get('/ret/302');
like($r, qr{^HTTP/1\.1 302 .*^Location: (http://localhost(:\d+)?)?/relative\r$}ms,
    'return 302 relative');
$r = http_get('/ret/url');
like($r, qr{^HTTP/1\.1 302 .*^Location: http://example\.com/u\r$}ms,
    'return URL means 302');
like(http_get('/ret/404'), qr{^HTTP/1\.1 404 }, 'return 404');
$r = http_get('/ret/text');
like($r, qr{^HTTP/1\.1 418 }, 'return 418 text: status');
is(http_body($r), "teapot\n", 'return 418 text: body');

# error_page.
$r = http_get('/ep/missing');
like($r, qr{^HTTP/1\.1 404 }, 'error_page keeps 404');
is(http_body($r), "custom 404\n", 'error_page body');
$r = http_get('/ep200/missing');
like($r, qr{^HTTP/1\.1 200 }, 'error_page =200');
is(http_body($r), "custom 404\n", 'error_page =200 body');

# try_files, index, alias.
is(body('/tf/real.html'), "real\n", 'try_files $uri');
is(body('/tf/nothing'), "fallback\n", 'try_files fallback');
like(http_get('/tf/dir'), qr{^HTTP/1\.1 301 }, 'try_files $uri/ redirects a directory');
is(body('/tf/dir/'), "dir index\n", 'try_files $uri/ with index');
like(http_get('/tf404/nothing'), qr{^HTTP/1\.1 404 }, 'try_files =404');
is(body('/idx/'), "second\n", 'index: the first existing file');
is(body('/al/f.txt'), "aliased\n", 'alias');

# A directory without the trailing slash.
$r = http_get('/dir');
like($r, qr{^HTTP/1\.1 301 }, 'directory without slash: 301');
like($r, qr{^Location: (http://localhost(:\d+)?)?/dir/\r$}m,
    'directory without slash: Location');
is(body('/dir/'), "in dir\n", 'directory index');

# types {} and default_type per location.
like(http_get('/types/a.foo'), qr{^Content-Type: application/x-foo\r$}m, 'types block');
like(http_get('/types/a.zzz'), qr{^Content-Type: text/x-default\r$}m, 'default_type');
