#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Riding out an application restart (issue 3, item 10): with
# proxy_upstream_wait, requests that find no backend listening are held
# and replayed (bodies included) once it is back; without it, 502 at once.
# A full queue answers 502 too.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use IO::Socket::INET;
use Time::HiRes qw/time sleep/;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(9);
$t->allow_errors(qr/connect\(\) failed|no live upstreams|wait_queue/);

$t->write_conf(<<'EOF');
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location /held/ {
            proxy_pass http://127.0.0.1:%%PORT_app%%;
            proxy_upstream_wait 10s;
        }
        location /queue/ {
            proxy_pass http://127.0.0.1:%%PORT_app%%;
            proxy_upstream_wait 10s;
            proxy_upstream_wait_queue 1;
        }
        location /plain/ { proxy_pass http://127.0.0.1:%%PORT_app%%; }
    }
}
EOF
$t->port('app');      # reserved now, nothing listens on it yet
$t->run;

# Without the wait: 502 at once.
my $t0 = time;
like(http_get('/plain/x'), qr{^HTTP/1\.1 502 }, 'no wait: 502');
ok(time - $t0 < 2, '... at once');

# Start two held requests (a GET and a POST with a body), then the app.
sub send_raw {
    my ($raw) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port(8080)) or die "connect: $!";
    print $s $raw;
    return $s;
}
my $get = send_raw("GET /held/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
my $post = send_raw("POST /held/b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    . "Content-Length: 5\r\n\r\nhello");
sleep 1.5;
my $app = Test::Portico::Backend->new($t, 'app')->start;
$t0 = time;
my $r1 = http_read($get, timeout => 8);
my $r2 = http_read($post, timeout => 8);
like($r1, qr{^HTTP/1\.1 200 .*\r\n\r\napp\n\z}s, 'held GET answered once the app is up');
like($r2, qr{^HTTP/1\.1 200 }, 'held POST answered');
ok(time - $t0 < 3, '... within a couple of backoff steps');
my ($p) = grep { $_->{method} eq 'POST' } $app->requests;
is($p && $p->{body}, 'hello', 'the POST body was replayed');

# The queue bound: one request may wait, the second is refused.
$app->stop;
sleep 0.2;
my $w = send_raw("GET /queue/a HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
sleep 0.3;
$t0 = time;
like(http_get('/queue/b', timeout => 5), qr{^HTTP/1\.1 502 }, 'queue full: 502');
ok(time - $t0 < 2, '... at once');
$app = Test::Portico::Backend->new($t, 'app')->start;
like(http_read($w, timeout => 8), qr{^HTTP/1\.1 200 }, 'the queued one is served');
