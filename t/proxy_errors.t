#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Proxy errors: 504 on proxy_read_timeout, 502 on refused connects and on
# invalid responses, a single-address peer usable again as soon as it comes
# back, a backend dying mid-response (truncated, never a hang),
# proxy_intercept_errors with error_page, proxy_redirect default, and
# $upstream_* variables in the access log.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use Time::HiRes qw/time sleep/;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(24);

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    log_format up '$request_uri|$status|$upstream_addr|$upstream_status|$upstream_connect_time|$upstream_header_time|$upstream_response_time';
    access_log logs/up.log up;
    upstream two {
        server 127.0.0.1:%%PORT_dead%%;
        server 127.0.0.1:%%PORT_ok%%;
    }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        proxy_read_timeout 1s;
        location /slow/ { proxy_pass http://127.0.0.1:%%PORT_slow%%; }
        location /late/ { proxy_pass http://127.0.0.1:%%PORT_late%%; }
        location /dead/ { proxy_pass http://127.0.0.1:%%PORT_dead%%; }
        location /back/ { proxy_pass http://127.0.0.1:%%PORT_back%%; }
        location /die/ { proxy_pass http://127.0.0.1:%%PORT_die%%; }
        location /bad/ { proxy_pass http://127.0.0.1:%%PORT_bad%%; }
        location /two/ { proxy_pass http://two; }
        location /err/ {
            proxy_pass http://127.0.0.1:%%PORT_err%%;
            proxy_intercept_errors on;
            error_page 404 /nf.html;
            error_page 500 @fallback;
        }
        location /noint/ {
            proxy_pass http://127.0.0.1:%%PORT_err%%;
            error_page 404 /nf.html;
        }
        location @fallback { return 200 "fallback\n"; }
        location = /nf.html { root %%TESTDIR%%; }
        location /redir/ { proxy_pass http://127.0.0.1:%%PORT_redir%%/app/; }
        location /redoff/ {
            proxy_pass http://127.0.0.1:%%PORT_redir%%/app/;
            proxy_redirect off;
        }
        location /redmap/ {
            proxy_pass http://127.0.0.1:%%PORT_redir%%/app/;
            proxy_redirect http://other/ /mapped/;
        }
    }
}
EOF2
$t->write_file('nf.html', "custom not found\n");
$t->allow_errors(qr/no live upstreams/);

Test::Portico::Backend->new($t, 'slow',
    response => { delay => 3, body => "late\n" })->start;
Test::Portico::Backend->new($t, 'late',
    response => { body => "0123456789", slow_body => 0.3 })->start;
Test::Portico::Backend->new($t, 'ok')->start;
Test::Portico::Backend->new($t, 'die', response => { body_size => 300000,
    abort_after => 100000 })->start;
Test::Portico::Backend->new($t, 'bad', response => { raw =>
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nBad Header\r\n\r\nhello" })->start;
Test::Portico::Backend->new($t, 'err', handler => sub {
    my ($req) = @_;
    my ($st) = $req->{uri} =~ /(\d{3})/;
    return { status => $st // 200, body => "backend $st\n" };
})->start;
my $rb = Test::Portico::Backend->new($t, 'redir', handler => sub {
    my ($req) = @_;
    my $p = $req->{headers}{host};
    return { status => 302, headers => [ Location => "http://$p/app/next?x=1",
        Refresh => "5; url=http://$p/app/r" ], body => '' }
        if $req->{uri} =~ /self/;
    return { status => 301, headers => [ Location => 'http://other/page' ],
        body => '' };
})->start;
$t->port('dead');
$t->run;

# 504 on proxy_read_timeout.
my $t0 = time;
my $r = http_get('/slow/x');
my $el = time - $t0;
like($r, qr{^HTTP/1\.1 504 }, 'slow backend: 504');
ok($el > 0.8 && $el < 2.5, 'slow backend: after proxy_read_timeout (1s)')
    or diag("took $el s");

# The timeout is between reads, not for the whole response.
$r = http_get('/late/x');
like($r, qr{^HTTP/1\.1 200 .*\r\n\r\n0123456789\z}s,
    'byte-at-a-time backend within the timeout: whole response');

# 502 for a refused connect.
$r = http_get('/dead/x');
like($r, qr{^HTTP/1\.1 502 }, 'refused: 502');

# A lone address is retried as soon as it is back (nginx never marks a
# single peer down).
my $back = Test::Portico::Backend->new($t, 'back');
like(http_get('/back/1'), qr{^HTTP/1\.1 502 }, 'lone peer down: 502');
$back->start;
like(http_get('/back/2'), qr{^HTTP/1\.1 200 }, 'lone peer back: 200 at once');

# Backend dying mid-response: the client sees a truncated response and a
# closed connection, quickly.
$t0 = time;
$r = http_get('/die/x', timeout => 8);
$el = time - $t0;
like($r, qr{^HTTP/1\.1 200 .*\r\nContent-Length: 300000\r\n}s,
    'dying backend: headers relayed');
my $got = length(http_body($r) // '');
ok($got >= 0 && $got < 300000, "dying backend: body truncated ($got bytes)");
cmp_ok($el, '<', 3, 'dying backend: connection closed, no hang');

# An invalid response head: 502.
like(http_get('/bad/x'), qr{^HTTP/1\.1 502 }, 'invalid header: 502');

# Failover to the second peer.
like(http_get('/two/x'), qr{^HTTP/1\.1 200 .*\r\n\r\nok\n\z}s,
    'failover past a refusing peer');

# proxy_intercept_errors with error_page.
$r = http_get('/err/404');
like($r, qr{^HTTP/1\.1 404 .*\r\n\r\ncustom not found\n\z}s,
    'intercept: 404 replaced by error_page');
$r = http_get('/err/500');
like($r, qr{^HTTP/1\.1 500 .*\r\n\r\nfallback\n\z}s,
    'intercept: 500 to a named location (status kept)');
$r = http_get('/err/503');
like($r, qr{^HTTP/1\.1 503 .*\r\n\r\nbackend 503\n\z}s,
    'intercept: code without error_page passes');
$r = http_get('/noint/404');
like($r, qr{^HTTP/1\.1 404 .*\r\n\r\nbackend 404\n\z}s,
    'no intercept: backend body passes');

# proxy_redirect default: http://backend/app/ becomes /redir/ on this host.
my $port = $t->port('8080');
$r = parse_response(http_get('/redir/self')) // { headers => {} };
is($r->{headers}{location}, "http://localhost:$port/redir/next?x=1",
    'proxy_redirect default: Location rewritten');
is($r->{headers}{refresh}, "5; url=/redir/r",
    'proxy_redirect default: Refresh rewritten');
$r = parse_response(http_get('/redir/other')) // { headers => {} };
is($r->{headers}{location}, 'http://other/page',
    'proxy_redirect default: foreign Location untouched');
$r = parse_response(http_get('/redoff/self')) // { headers => {} };
is($r->{headers}{location}, 'http://127.0.0.1:' . $rb->port . '/app/next?x=1',
    'proxy_redirect off');
$r = parse_response(http_get('/redmap/other')) // { headers => {} };
like($r->{headers}{location} // '', qr{^(http://localhost:$port)?/mapped/page$},
    'proxy_redirect FROM TO');

# $upstream_* in the access log.
sub logline {
    my ($re) = @_;
    my $ok = wait_until(sub { ($t->read_file('logs/up.log') // '') =~ $re }, 3);
    return ($t->read_file('logs/up.log') // '') =~ /^($re[^\n]*)$/m ? $1 : '';
}
my $ok = $t->port('ok');
my $dead = $t->port('dead');
like(logline(qr{/two/x\|}),
    qr{^/two/x\|200\|127\.0\.0\.1:$dead, 127\.0\.0\.1:$ok\|502, 200\|[\d.-]+, \d+\.\d{3}\|[\d.-]+, \d+\.\d{3}\|\d+\.\d{3}, \d+\.\d{3}$},
    'log: $upstream_addr/_status/_times list both tries');
like(logline(qr{/slow/x\|}),
    qr{^/slow/x\|504\|127\.0\.0\.1:\d+\|504\|\d+\.\d{3}\|-\|\d+\.\d{3}$},
    'log: timeout logged as 504 with no header time');
like(logline(qr{/err/404\|}),
    qr{^/err/404\|404\|127\.0\.0\.1:\d+\|404\|}, 'log: intercepted 404');
like($t->error_log, qr{upstream timed out .*upstream: "(http://)?127\.0\.0\.1:\d+},
    'error log: timeout with the upstream address');
