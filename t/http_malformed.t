#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Hostile and malformed requests (DESIGN §10): request smuggling shapes,
# bad framing, bad request lines and headers, limits, and a random-mutation
# loop that must never crash or wedge a worker.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Time::HiRes qw/time/;
use Socket qw/SHUT_WR/;

my $t = Test::Portico->new->has(qw/http/);

$t->write_conf(<<'EOF');
events { }
http {
    types { text/html html; }
    access_log off;
    large_client_header_buffers 2 1k;
    client_max_body_size 10;
    client_header_timeout 1s;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/html;
        location /r { return 200 "ok\n"; }
    }
}
EOF

$t->write_file('html/a.html', "hello\n");

my $H = "Host: localhost\r\n";
my $long = 'a' x 2000;

# [ name, request, expected status ] -- nginx answers the same.
my @common = (
    [ 'Content-Length and Transfer-Encoding',
      "GET /a.html HTTP/1.1\r\n${H}Content-Length: 3\r\n"
      . "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400 ],
    [ 'two differing Content-Length',
      "GET /a.html HTTP/1.1\r\n${H}Content-Length: 3\r\n"
      . "Content-Length: 4\r\n\r\nabcd", 400 ],
    [ 'two equal Content-Length',
      "GET /a.html HTTP/1.1\r\n${H}Content-Length: 3\r\n"
      . "Content-Length: 3\r\n\r\nabc", 400 ],
    [ 'Content-Length: abc',
      "GET /a.html HTTP/1.1\r\n${H}Content-Length: abc\r\n\r\n", 400 ],
    [ 'Content-Length: -1',
      "GET /a.html HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n", 400 ],
    [ 'Content-Length overflow',
      "GET /a.html HTTP/1.1\r\n${H}Content-Length: "
      . "99999999999999999999999\r\n\r\n", 400 ],
    [ 'Transfer-Encoding: gzip, chunked (unknown coding)',
      "GET /a.html HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n"
      . "0\r\n\r\n", 501 ],
    [ 'obs-fold',
      "GET /a.html HTTP/1.1\r\n${H}X-A: a\r\n b\r\n\r\n", 400 ],
    [ 'bare CR in a header value',
      "GET /a.html HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n", 400 ],
    [ 'NUL in a header value',
      "GET /a.html HTTP/1.1\r\n${H}X-A: a\0b\r\n\r\n", 400 ],
    [ 'space before colon',
      "GET /a.html HTTP/1.1\r\n${H}X-A : b\r\n\r\n", 400 ],
    [ 'empty header name',
      "GET /a.html HTTP/1.1\r\n${H}: b\r\n\r\n", 400 ],
    [ 'control byte in a header name',
      "GET /a.html HTTP/1.1\r\n${H}X\x01A: b\r\n\r\n", 400 ],
    [ 'missing Host on HTTP/1.1',
      "GET /a.html HTTP/1.1\r\n\r\n", 400 ],
    [ 'two Host headers',
      "GET /a.html HTTP/1.1\r\n${H}Host: other\r\n\r\n", 400 ],
    [ 'Host with a slash',
      "GET /a.html HTTP/1.1\r\nHost: bad/host\r\n\r\n", 400 ],
    [ 'userinfo in an absolute URL',
      "GET http://u:p\@localhost/a.html HTTP/1.1\r\n$H\r\n", 400 ],
    [ '* with GET',
      "GET * HTTP/1.1\r\n$H\r\n", 400 ],
    [ 'relative request target',
      "GET a.html HTTP/1.1\r\n$H\r\n", 400 ],
    [ 'HTTP/2.0 request line',
      "GET /a.html HTTP/2.0\r\n$H\r\n", 505 ],
    [ 'lower-case protocol name',
      "GET /a.html http/1.1\r\n$H\r\n", 400 ],
    [ 'over-long request line',
      "GET /$long HTTP/1.1\r\n$H\r\n", 414 ],
    # RFC 6585's 431 (nginx answers 400 "Request Header Or Cookie Too Large")
    [ 'over-long header',
      "GET /a.html HTTP/1.1\r\n${H}X-Long: $long\r\n\r\n", is_nginx() ? 400 : 431 ],
    [ 'invalid chunk size',
      "GET /a.html HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n"
      . "zz\r\nabc\r\n0\r\n\r\n", 400 ],
    [ 'chunk size overflow',
      "GET /a.html HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n"
      . "ffffffffffffffffffff\r\nabc\r\n0\r\n\r\n", 400 ],
    [ 'body over client_max_body_size',
      "POST /r HTTP/1.1\r\n${H}Content-Length: 100\r\n\r\n", 413 ],
    [ 'unknown method on a static file',
      "FOO /a.html HTTP/1.1\r\n$H\r\n", 405 ],
    [ 'lower-case method',
      "get /a.html HTTP/1.1\r\n$H\r\n", 400 ],
    [ 'invalid method characters',
      "G\@T /a.html HTTP/1.1\r\n$H\r\n", 400 ],
    [ 'NUL in the path (%00)',
      "GET /a%00.html HTTP/1.1\r\n$H\r\n", 400 ],
    [ 'raw NUL in the path',
      "GET /a\0.html HTTP/1.1\r\n$H\r\n", 400 ],
);

# Where Portico is stricter than nginx (DESIGN §10).
my @strict = (
    [ 'Transfer-Encoding: chunked, gzip (chunked not last)',
      "GET /a.html HTTP/1.1\r\n${H}Transfer-Encoding: chunked, gzip\r\n\r\n"
      . "0\r\n\r\n", 400, 'nginx: 501' ],
    [ 'fragment in the request target',
      "GET /a.html#frag HTTP/1.1\r\n$H\r\n", 400, 'nginx: 200' ],
    [ 'control byte in a header value',
      "GET /a.html HTTP/1.1\r\n${H}X-A: b\x01c\r\n\r\n", 400,
      'nginx: accepted' ],
);

$t->plan(@common + @strict + 11);
$t->run;

my @slow;
for my $c (@common) {
    my ($name, $req, $status) = @$c;
    my $t0 = time;
    my $r = http($req, complete => $status != 400 && $status != 431) // '';
    like($r, qr{^HTTP/1\.1 $status }, "$name: $status");
    push @slow, $name if ($status == 400 || $status == 431) && time - $t0 > 2;
}
ok(!@slow, '400 responses close the connection at once')
    or diag("slow close: @slow");

for my $c (@strict) {
    my ($name, $req, $status, $why) = @$c;
    portico_only(1, $why, sub {
        like(http($req) // '', qr{^HTTP/1\.1 $status }, "$name: $status");
    });
}

my $r;
like(http("GET /a.html HTTP/1.1\r\n${H}X-Long: $long\r\n\r\n"),
    is_nginx() ? qr{Request Header Or Cookie Too Large}
               : qr{<title>431 Request Header Fields Too Large</title>},
    'too-large header page');

# HTTP/1.2 is served as HTTP/1.1.
$r = http("GET /a.html HTTP/1.2\r\n${H}Connection: close\r\n\r\n");
like($r, qr{^HTTP/1\.1 200 }, 'HTTP/1.2 served as 1.1');

# OPTIONS * is a valid request target (RFC 9112 asterisk-form).
portico_only(1, 'nginx: 400 for OPTIONS *', sub {
    $r = http("OPTIONS * HTTP/1.1\r\n${H}Connection: close\r\n\r\n");
    like($r, qr{^HTTP/1\.1 (?!400)[1-4]\d\d }, 'OPTIONS * not rejected');
});

# A smuggled request in a body must not be answered: exactly one response.
my @r = http_pipeline("GET /a.html HTTP/1.1\r\n${H}Content-Length: 3\r\n"
    . "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
    . "GET /a.html HTTP/1.1\r\n$H\r\n");
is(scalar @r, 1, 'CL+TE: no second (smuggled) response');

# client_header_timeout: the connection is closed (nginx closes silently).
my $t0 = time;
my $s = http("GET /a.html HTTP/1.1\r\n$H", start => 1);
$r = http_read($s, timeout => 4);
my $el = time - $t0;
ok($el > 0.7 && $el < 3.5, 'client_header_timeout closes the connection')
    or diag("closed after $el s");
like($r, qr{^(|HTTP/1\.1 408 .*)$}s, 'header timeout: nothing or 408');
portico_only(1, 'nginx closes without a response', sub {
    like($r, qr{^HTTP/1\.1 408 }, 'header timeout: 408');
});

# Random mutations of valid requests never crash or wedge a worker.
my @before = $t->worker_pids;
my $seed = $ENV{PORTICO_FUZZ_SEED} // 42;
srand $seed;

my @base = (
    "GET /a.html?x=1 HTTP/1.1\r\n${H}Accept: */*\r\nX-Foo: bar\r\n\r\n",
    "POST /r HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello",
    "POST /r HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n"
    . "5;ext=1\r\nhello\r\n0\r\nTrailer: x\r\n\r\n",
    "GET http://localhost/a.html HTTP/1.1\r\n$H\r\n",
);
my @junk = ("\0", "\r", "\n", " ", "\t", ":", "%", "\x7f", "\xff", "0",
    "\r\n", "\r\n\r\n", "Content-Length: 1\r\n", "Transfer-Encoding: x\r\n",
    "/../", "%00", "%2e%2e", "HTTP/9.9", "ffffffff", ";", "\\");

my $answered = 0;
for my $i (1 .. 200) {
    my $req = $base[rand @base];
    for (1 .. 1 + int rand 4) {
        my $pos = int rand length $req;
        my $op = int rand 3;
        if ($op == 0) {
            substr($req, $pos, 1) = $junk[rand @junk];
        } elsif ($op == 1) {
            substr($req, $pos, 0) = $junk[rand @junk];
        } else {
            substr($req, $pos, 1 + int rand 4) = '';
        }
    }
    my $sock = http($req, start => 1) or next;
    shutdown($sock, SHUT_WR);
    my $resp = http_read($sock, timeout => 2);
    $answered++ if $resp =~ m{^HTTP/1\.[01] \d{3} };
    close $sock;
}

ok($answered > 100, "mutations answered ($answered/200, seed $seed)");
is(join(',', $t->worker_pids), join(',', @before),
    'no worker died during the mutation loop');
like(http_get('/a.html'), qr{^HTTP/1\.1 200 .*hello\n\z}s,
    'normal request served after the loop');
