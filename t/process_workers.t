#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Master and workers (DESIGN §3): worker count, respawn after a crash, USR1
# log reopening, QUIT lets a slow download finish, TERM stops at once, and
# the pid file goes away on exit.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Socket::INET;
use Socket qw/SOL_SOCKET SO_RCVBUF pack_sockaddr_in inet_aton/;
use Time::HiRes qw/time sleep/;

my $t = Test::Portico->new->has(qw/http/)->plan(29);
my $dir = $t->testdir;

# nginx logs a crashed worker at [alert]; that one line is expected here.
$t->allow_errors(qr/worker process \d+ exited on signal 9/);
# ... and so is the refused reload below.
$t->allow_errors(qr/unknown directive "broken_directive"/);

my $conf = <<'EOF';
worker_processes 2;
events { }
http {
    types { text/html html; }
    access_log logs/access.log;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/html;
        location = /gen { return 200 "gen1\n"; }
    }
}
EOF
$t->write_conf($conf);

my $size = 16 * 1024 * 1024;   # more than the socket buffers hold
$t->write_file('html/a.html', "hello\n");
$t->write_file('html/big.html', 'x' x $size);
$t->run;

ok(wait_until(sub { $t->worker_pids == 2 }), 'master + 2 workers');
my @workers = $t->worker_pids;

# USR1: a renamed access log is re-created and receives new lines.
like(http_get('/a.html'), qr{^HTTP/1\.1 200 }, 'served');
ok(wait_until(sub { ($t->read_file('logs/access.log') // '') =~ /a\.html/ }),
    'logged');
rename "$dir/logs/access.log", "$dir/logs/access.log.old";
$t->signal('USR1');
ok(wait_until(sub { -e "$dir/logs/access.log" }), 'USR1: access.log re-created');
http_get('/a.html?after');
ok(wait_until(sub { ($t->read_file('logs/access.log') // '') =~ /after/ }),
    'USR1: new line in the new file');
unlike($t->read_file('logs/access.log.old'), qr/after/, 'USR1: not in the old file');

# HUP: a new generation with the new config, same master PID.
my $master = $t->pid;
$conf =~ s/gen1/gen2/;
$t->write_conf($conf);
ok($t->reload, 'HUP: new workers');
is($t->read_file('logs/portico.pid'), "$master\n", 'HUP: pid file keeps the master PID');
ok(kill(0, $master), 'HUP: master alive');
is(http_body(http_get('/gen')), "gen2\n", 'HUP: new config in effect');

# HUP with a broken config changes nothing but the error log.
@workers = $t->worker_pids;
$t->write_conf($conf . "broken_directive;\n");
$t->signal('HUP');
ok(wait_until(sub { $t->error_log =~ /unknown directive "broken_directive"/ }),
    'broken reload: error logged');
sleep 1;
is(join(',', $t->worker_pids), join(',', @workers), 'broken reload: same workers');
is(http_body(http_get('/gen')), "gen2\n", 'broken reload: old config serves');
$t->write_conf($conf);
@workers = $t->worker_pids;

# A worker killed by SIGKILL is replaced; serving continues.
my $victim = $workers[0];
kill 'KILL', $victim;
ok(wait_until(sub {
    my @now = $t->worker_pids;
    @now == 2 && !grep { $_ == $victim } @now;
}, 5), 'killed worker replaced');
like(http_get('/a.html'), qr{^HTTP/1\.1 200 }, 'served after the crash');
ok(wait_until(sub { $t->error_log =~ /worker process $victim exited on signal 9/ }),
    'error log names the killed worker');

# A worker that exits unasked (here: TERM sent to it alone) is replaced too:
# only a worker's own "cannot start" (exit code 2) stops the respawning.
@workers = $t->worker_pids;
$victim = $workers[1];
kill 'TERM', $victim;
ok(wait_until(sub {
    my @now = $t->worker_pids;
    @now == 2 && !grep { $_ == $victim } @now;
}, 5), 'worker stopped by TERM replaced');
like(http_get('/a.html'), qr{^HTTP/1\.1 200 }, 'served after the lost worker');

# A slow client: a small receive buffer keeps most of the file in the server.
sub slow_download {
    my $s = IO::Socket::INET->new(Proto => 'tcp') or die "socket: $!";
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, pack('i', 8192));
    $s->connect(pack_sockaddr_in($t->port(8080), inet_aton('127.0.0.1')))
        or die "connect: $!";
    $s->autoflush(1);
    print $s "GET /big.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    my $got = http_read($s, max => 65536, timeout => 5);
    return ($s, $got);
}

# QUIT: the download in flight completes, then the master exits.
my ($s, $got) = slow_download();
ok(length $got > 0, 'slow download started');
$t->signal('QUIT');
sleep 0.5;
ok(kill(0, $t->pid), 'QUIT: master waits for the download');
my $data = $got;
while (1) {                     # about 1 MiB/s
    my $chunk = http_read($s, max => 65536, timeout => 5);
    last unless length $chunk;
    $data .= $chunk;
    sleep 0.02 if length($data) < 2 * 1024 * 1024;
}
my $body = http_body($data) // '';
is(length $body, $size, 'QUIT: the slow download finished completely');
my $st = $t->wait_exit(10);
is($st, 0, 'QUIT: master exited with status 0');
ok(!-e "$dir/logs/portico.pid", 'QUIT: pid file removed');
is(scalar(() = $t->worker_pids(0 + ($t->pid // 0))), 0, 'no workers left');

# TERM: stops at once even with a download in flight.
$t->run;
($s, $got) = slow_download();
ok(length $got > 0, 'second slow download started');
my $t0 = time;
$t->signal('TERM');
$st = $t->wait_exit(5);
ok(defined $st && time - $t0 < 3, 'TERM: master exits at once');
ok(!-e "$dir/logs/portico.pid", 'TERM: pid file removed');
$data = $got . http_read($s, timeout => 3);
ok(length(http_body($data) // '') < $size, 'TERM: the download was cut');
ok(!eval { IO::Socket::INET->new(PeerAddr => '127.0.0.1',
    PeerPort => $t->port(8080), Timeout => 1) }, 'TERM: port closed');
