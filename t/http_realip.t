#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The realip module: X-Real-IP, X-Forwarded-For (recursive or not), any
# header, trusted and untrusted peers, ports, what $remote_addr, the access
# log and the error log see, restoring the peer between keep-alive
# requests, $realip_remote_addr, and $proxy_add_x_forwarded_for.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;

my $t = Test::Portico->new->has(qw/http realip/)->plan(23);

$t->write_conf(<<'EOF');
events { }
http {
    default_type text/plain;
    log_format ip '$remote_addr $realip_remote_addr $uri';
    access_log off;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name localhost;
        root %%TESTDIR%%/html;
        set_real_ip_from 127.0.0.1;

        location /xri {
            return 200 "$remote_addr|$remote_port|$realip_remote_addr\n";
        }

        # location settings apply before access checks, after `return`:
        # static files and add_header show them
        location /xff/ {
            real_ip_header X-Forwarded-For;
            add_header X-Addr $remote_addr;
        }
        location /rec/ {
            set_real_ip_from 127.0.0.1;
            set_real_ip_from 10.0.0.0/8;
            real_ip_header X-Forwarded-For;
            real_ip_recursive on;
            add_header X-Addr $remote_addr;
        }
        location /custom/ {
            real_ip_header X-Client;
            add_header X-Addr $remote_addr;
        }
        location /logged { access_log %%TESTDIR%%/logs/ip.log ip; }
        location /pxff { return 200 "$proxy_add_x_forwarded_for\n"; }
    }

    server {
        listen 127.0.0.1:%%PORT_8081%%;
        server_name localhost;
        set_real_ip_from 192.0.2.1;
        location / { return 200 "$remote_addr\n"; }
    }
}
EOF
$t->write_file("html/$_/a.txt", "a\n") for qw/logged xff rec custom/;
$t->run;

sub body { http_body(http_get(@_)) }
sub addr { (http_get(@_) =~ /^X-Addr: (.*)\r$/m)[0] // 'none' }

like(body('/xri'), qr/^127\.0\.0\.1\|\d+\|127\.0\.0\.1$/, 'no header: peer');
is(body('/xri', 'X-Real-IP' => '192.0.2.5'), "192.0.2.5||127.0.0.1\n",
    'X-Real-IP replaces the address');
is(body('/xri', 'X-Real-IP' => '192.0.2.5:1234'),
    "192.0.2.5|1234|127.0.0.1\n", 'X-Real-IP with a port');
is(body('/xri', 'X-Real-IP' => '2001:db8::1'), "2001:db8::1||127.0.0.1\n",
    'IPv6 address');
is(body('/xri', 'X-Real-IP' => '[2001:db8::1]:8080'),
    "2001:db8::1|8080|127.0.0.1\n", 'bracketed IPv6 with a port');
like(body('/xri', 'X-Real-IP' => 'garbage'), qr/^127\.0\.0\.1\|\d+\|/,
    'invalid address ignored');
is(addr('/xff/a.txt', 'X-Forwarded-For' => '1.1.1.1, 10.0.0.1'), '10.0.0.1',
    'X-Forwarded-For: last address');
is(addr('/rec/a.txt', 'X-Forwarded-For' => '1.1.1.1, 10.0.0.2,10.0.0.1'),
    '1.1.1.1', 'recursive skips trusted addresses');
is((http("GET /rec/a.txt HTTP/1.0\r\nX-Forwarded-For: 1.1.1.1\r\n"
    . "X-Forwarded-For: 10.0.0.1\r\n\r\n") =~ /^X-Addr: (.*)\r$/m)[0],
    '1.1.1.1', 'several X-Forwarded-For lines are one list');
is(addr('/rec/a.txt', 'X-Forwarded-For' => '10.0.0.3, 10.0.0.1'), '10.0.0.3',
    'recursive, all trusted: the first');
is(addr('/rec/a.txt', 'X-Forwarded-For' => '1.1.1.1, bad, 10.0.0.1'),
    '10.0.0.1', 'recursive stops at an invalid address');
is(addr('/custom/a.txt', 'X-Client' => '5.6.7.8'), '5.6.7.8', 'any header');
is(addr('/custom/a.txt', 'X-Real-IP' => '5.6.7.8', 'X-Client' => '1.2.3.4'),
    '5.6.7.8', 'server settings apply first (post-read)');
is(http_body(http_get('/', port => $t->port('8081'), 'X-Real-IP' => '5.6.7.8')),
    "127.0.0.1\n", 'untrusted peer: header ignored');

# The address is the request's only: the next request on the connection
# sees the peer again.
my @r = http_pipeline(
    "GET /xri HTTP/1.1\r\nHost: localhost\r\nX-Real-IP: 192.0.2.9\r\n\r\n",
    "GET /xri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
is(http_body($r[0]), "192.0.2.9||127.0.0.1\n", 'keep-alive: first request');
like(http_body($r[1]), qr/^127\.0\.0\.1\|\d+\|127\.0\.0\.1$/,
    'keep-alive: next request sees the peer');

# Logs see the client.
http_get('/logged/a.txt', 'X-Real-IP' => '192.0.2.7');
http_get('/logged/missing', 'X-Real-IP' => '192.0.2.8');
ok(wait_until(sub { ($t->read_file('logs/ip.log') // '') =~ /missing/ }, 5),
    'access log written');
like($t->read_file('logs/ip.log'),
    qr{^192\.0\.2\.7 127\.0\.0\.1 /logged/a\.txt$}m,
    'access log: $remote_addr and $realip_remote_addr');
like($t->error_log, qr/open\(\) .*missing" failed .*client: 192\.0\.2\.8/,
    'error log names the client');

# $proxy_add_x_forwarded_for (no realip header here: the peer)
is(body('/pxff'), "127.0.0.1\n", 'proxy_add_x_forwarded_for alone');
is(body('/pxff', 'X-Forwarded-For' => '1.1.1.1'), "1.1.1.1, 127.0.0.1\n",
    'proxy_add_x_forwarded_for appends');
is(http_body(http("GET /pxff HTTP/1.0\r\nX-Forwarded-For: 1.1.1.1\r\n"
    . "X-Forwarded-For: 2.2.2.2\r\n\r\n")), "1.1.1.1, 2.2.2.2, 127.0.0.1\n",
    'proxy_add_x_forwarded_for joins several lines');

# Portico has no PROXY protocol listener, so it refuses to read one.
portico_only(1, 'nginx reads the PROXY protocol', sub {
    my $bad = Test::Portico->new->allow_errors(qr/\[emerg\]/);
    $bad->write_conf("events { }\nhttp { real_ip_header proxy_protocol; }\n");
    my (undef, $out) = $bad->conf_test;
    like($out, qr/\[emerg\] "real_ip_header proxy_protocol" is not supported/,
        'proxy_protocol refused');
});
