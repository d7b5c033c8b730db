#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# access_log and log_format: the default combined line, custom formats,
# escaping (default and json), buffered logs flushed by timer and by QUIT,
# access_log off.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Time::HiRes qw/sleep/;

my $t = Test::Portico->new->has(qw/http/)->plan(16);

$t->write_conf(<<'EOF');
events { }
http {
    types { text/html html; }
    log_format custom '$remote_addr|$request|$status|$body_bytes_sent|$http_user_agent|$request_time';
    log_format j escape=json '{"ua":"$http_user_agent","uri":"$request_uri"}';
    log_format esc '"$http_user_agent"';

    access_log logs/main.log;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/html;

        location /custom/ { access_log logs/custom.log custom; }
        location /json/ { access_log logs/json.log j; }
        location /esc/ { access_log logs/esc.log esc; }
        location /buf/ { access_log logs/buf.log combined buffer=32k flush=1s; }
        location /quit/ { access_log logs/quit.log combined buffer=32k; }
        location /off/ { access_log off; }
    }
}
EOF

for my $d ('', qw{custom/ json/ esc/ buf/ quit/ off/}) {
    $t->write_file("html/${d}a.html", "hello\n");
}
$t->run;

sub log_has {
    my ($file, $re) = @_;
    return wait_until(sub { ($t->read_file("logs/$file") // '') =~ $re }, 3);
}

# The default format is "combined", one line per request.
http_get('/a.html');
http_get('/a.html?x=1', 'User-Agent' => 'Agent/1.0', Referer => 'http://ref/');
ok(log_has('main.log', qr/x=1/), 'main log written');
my @lines = split /\n/, $t->read_file('logs/main.log') // '';
is(scalar @lines, 2, 'one line per request');
like($lines[0] // '', qr{^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET /a\.html HTTP/1\.1" 200 6 "-" "-"$},
    'combined line, no referer or agent');
like($lines[1] // '', qr{^127\.0\.0\.1 - - \[[^\]]+\] "GET /a\.html\?x=1 HTTP/1\.1" 200 6 "http://ref/" "Agent/1\.0"$},
    'combined line with referer and agent');

http_get('/missing.html');
ok(log_has('main.log', qr{"GET /missing\.html HTTP/1\.1" 404 \d+ }), '404 logged');

# A custom format.
http_get('/custom/a.html', 'User-Agent' => 'UA x');
ok(log_has('custom.log', qr/\n/), 'custom log written');
like($t->read_file('logs/custom.log'),
    qr{^127\.0\.0\.1\|GET /custom/a\.html HTTP/1\.1\|200\|6\|UA x\|\d+\.\d{3}\n\z},
    'custom format variables');
http_head('/custom/a.html');
ok(log_has('custom.log', qr{\|HEAD /custom/a\.html HTTP/1\.1\|200\|0\|}),
    'HEAD: $body_bytes_sent 0');

# Escaping: default (\xXX) and json.  Control bytes never reach a log
# (the parser refuses them, DESIGN §10), so obs-text stands in for them.
my $ua = "q\"b\\s\xC3\xA9e";
http_get('/esc/a.html', 'User-Agent' => $ua);
ok(log_has('esc.log', qr/\n/), 'escape log written');
is($t->read_file('logs/esc.log'), "\"q\\x22b\\x5Cs\\xC3\\xA9e\"\n", 'default escaping');
http_get('/json/a.html?k=%22', 'User-Agent' => $ua);
ok(log_has('json.log', qr/\n/), 'json log written');
is($t->read_file('logs/json.log'),
    qq[{"ua":"q\\"b\\\\s\xC3\xA9e","uri":"/json/a.html?k=%22"}\n], 'escape=json');

# Buffered: nothing until the flush timer fires.
http_get('/buf/a.html');
is($t->read_file('logs/buf.log') // '', '', 'buffered: not written at once');
ok(log_has('buf.log', qr{"GET /buf/a\.html }), 'buffered: flushed after flush=1s');

# Buffered without flush: written when the server quits.
http_get('/quit/a.html');
http_get('/off/a.html');
sleep 0.2;
$t->stop;
like($t->read_file('logs/quit.log') // '', qr{"GET /quit/a\.html }, 'buffered: flushed on QUIT');

unlike($t->read_file('logs/main.log'), qr{/off/}, 'access_log off');
