#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# limit_conn: requests held open count across two workers, the unit is
# given back when a request ends (client gone), dry run, status, log
# wording, per-key counts; a crashed worker's units do not leak.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Socket::INET;
use Socket qw/SOL_SOCKET SO_RCVBUF pack_sockaddr_in inet_aton/;

my $t = Test::Portico->new->has(qw/http limit_conn/)->plan(14);

$t->write_conf(<<'EOF');
worker_processes 2;
events { }
http {
    access_log off;
    send_timeout 10s;
    root %%TESTDIR%%/html;
    limit_conn_zone $binary_remote_addr zone=addr:1m;
    limit_conn_zone $arg_k zone=keyed:1m;
    limit_conn_zone $arg_k zone=dry:1m;

    server {
        listen 127.0.0.1:%%PORT_8080%%;

        location /one/ {
            limit_conn addr 1;
            add_header X-LC $limit_conn_status always;
        }
        location /keyed/ { limit_conn keyed 1; limit_conn_status 429; }
        location /dry/ {
            limit_conn dry 1;
            limit_conn_dry_run on;
            add_header X-LC $limit_conn_status always;
        }
    }
}
EOF
my $big = 'x' x (16 * 1024 * 1024);
$t->write_file("html/$_/big.html", $big) for qw/one keyed dry/;
$t->write_file("html/$_/a.html", "ok\n") for qw/one keyed dry/;
$t->run;

sub code { my ($r) = @_; ($r // '') =~ m{^HTTP/1\.1 (\d+)} ? $1 : 0 }

# A client that asks for a big file and does not read: the request stays.
sub hold {
    my ($uri) = @_;
    my $s = IO::Socket::INET->new(Proto => 'tcp') or die "socket: $!";
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, pack('i', 4096));
    $s->connect(pack_sockaddr_in($t->port(8080), inet_aton('127.0.0.1')))
        or die "connect: $!";
    print $s "GET $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    select undef, undef, undef, 0.3;
    return $s;
}

sub release {
    my ($s) = @_;
    # A reset, as a client that gives up does: the server's write fails.
    setsockopt($s, SOL_SOCKET, Socket::SO_LINGER(), pack('ii', 1, 0));
    close $s;
    select undef, undef, undef, 0.3;
}

like(http_get('/one/a.html'), qr/^X-LC: PASSED\r$/m, 'passed, $limit_conn_status');

my $h = hold('/one/big.html');
# New connections spread over both workers: the count is the zone's.
my @c = map { code(http_get('/one/a.html')) } 1 .. 6;
is("@c", '503 503 503 503 503 503', 'held request blocks others, any worker');
like(http_get('/one/a.html'), qr/^X-LC: REJECTED\r$/m, '$limit_conn_status REJECTED');
release($h);
ok(wait_until(sub { code(http_get('/one/a.html')) == 200 }, 5),
    'unit given back when the client goes away');

# Keys are counted apart.
$h = hold('/keyed/big.html?k=a');
is(code(http_get('/keyed/a.html?k=a')), 429, 'same key refused, limit_conn_status');
is(code(http_get('/keyed/a.html?k=b')), 200, 'other key passes');
is(code(http_get('/keyed/a.html')), 200, 'empty key not limited');
release($h);

# Dry run: passes, but says it would not have.
$h = hold('/dry/big.html?k=d');
my $r = http_get('/dry/a.html?k=d');
is(code($r), 200, 'dry run passes');
like($r, qr/^X-LC: REJECTED_DRY_RUN\r$/m, 'dry run status');
release($h);

my $log = $t->read_file('logs/error.log');
like($log, qr/\[error\] .*limiting connections by zone "addr", client: 127\.0\.0\.1, server: .*request: "GET \/one\/a\.html HTTP\/1\.\d"/,
    'nginx log wording');
like($log, qr/limiting connections, dry run, by zone "dry"/, 'dry run logged');

# A worker killed while holding a unit: the master gives it back.
portico_only(3, 'nginx leaks the units of a crashed worker', sub {
    $h = hold('/keyed/big.html?k=crash');
    is(code(http_get('/keyed/a.html?k=crash')), 429, 'held before the crash');
    my @before = $t->worker_pids;
    kill 'KILL', @before;
    close $h;
    ok(wait_until(sub { my @now = $t->worker_pids;
                        @now == 2 && !grep { my $p = $_; grep { $_ == $p } @before } @now }, 5),
        'workers respawned');
    is(code(http_get('/keyed/a.html?k=crash')), 200,
        'crashed worker\'s unit released');
});
$t->allow_errors(qr/exited on signal 9/);
