#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The command line beyond t/cmdline_options.t (DESIGN §3, §11): -s reopen
# with both logs renamed, -s quit letting a download finish, -s errors (no
# pid file, a stale PID), -e stderr, -e relative for a running server, -g
# that repeats a directive of the file, -q -t, -T with one file included
# twice, and daemon mode.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Socket::INET;
use POSIX qw/:sys_wait_h/;
use Socket qw/SOL_SOCKET SO_RCVBUF pack_sockaddr_in inet_aton/;
use Time::HiRes qw/time sleep/;

my $bad = Test::Portico->new->allow_errors;     # configs meant to fail
my $t = Test::Portico->new->has(qw/http/)->plan(46);
my $dir = $t->testdir;
# "-s" with a stale PID below logs its failed kill() at [alert], as nginx does.
$t->allow_errors(qr/kill\(\d+, 10\) failed \(3: No such process\)/);
my $conf = $t->conf_file;
my @sig = ('-p', "$dir/", '-c', $conf);

$t->write_conf(<<'EOF');
worker_processes 1;
events { }
http {
    access_log logs/access.log;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/html;
    }
}
EOF
my $size = 16 * 1024 * 1024;   # more than the socket buffers hold
$t->write_file('html/a.html', "hello\n");
$t->write_file('html/big.html', 'x' x $size);
$t->run;

######################################################################
# -s reopen: both the access log and the error log were renamed.

http_get('/a.html?before');
ok(wait_until(sub { ($t->read_file('logs/access.log') // '') =~ /before/ }),
    'access log written');
rename "$dir/logs/access.log", "$dir/logs/access.log.1";
rename "$dir/logs/error.log", "$dir/logs/error.log.1";
my ($rc, $out) = $t->binary_run(@sig, '-s', 'reopen');
is($rc, 0, '-s reopen exits 0');
ok(wait_until(sub { -e "$dir/logs/access.log" && -e "$dir/logs/error.log" }),
    '-s reopen: both logs re-created');
http_get('/a.html?after');
http_get('/missing-after-reopen');
ok(wait_until(sub { ($t->read_file('logs/access.log') // '') =~ /after/ }),
    '-s reopen: access lines go to the new file');
ok(wait_until(sub { $t->error_log =~ /\[error\] .*missing-after-reopen/ }),
    '-s reopen: error lines go to the new file');
my $old_err = $t->read_file('logs/error.log.1') // '';
unlike($old_err, qr/missing-after-reopen/, '-s reopen: nothing in the old error log');
unlike($t->read_file('logs/access.log.1') // '', qr/after/,
    '-s reopen: nothing in the old access log');
# The harness's final check reads logs/error.log only: keep every line there.
$t->write_file('logs/error.log', $old_err . $t->error_log);

######################################################################
# -s quit lets an in-flight download finish.

sub slow_download {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(Proto => 'tcp') or die "socket: $!";
    setsockopt($s, SOL_SOCKET, SO_RCVBUF, pack('i', 8192));
    $s->connect(pack_sockaddr_in($port, inet_aton('127.0.0.1')))
        or die "connect: $!";
    $s->autoflush(1);
    print $s "GET /big.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    my $got = http_read($s, max => 65536, timeout => 5);
    return ($s, $got);
}

my ($s, $got) = slow_download($t->port(8080));
ok(length $got > 0, 'download started');
($rc, $out) = $t->binary_run(@sig, '-s', 'quit');
is($rc, 0, '-s quit exits 0');
sleep 0.5;
ok(kill(0, $t->pid), '-s quit: master waits for the download');
my $data = $got;
for (1 .. 2000) {               # bounded: 16 MiB in 64 KiB reads
    my $chunk = http_read($s, max => 65536, timeout => 5);
    last unless length $chunk;
    $data .= $chunk;
}
is(length(http_body($data) // ''), $size, '-s quit: the download finished completely');
is($t->wait_exit(10), 0, '-s quit: master exited with status 0');
ok(!-e "$dir/logs/portico.pid", '-s quit: pid file removed');

######################################################################
# -s errors.

($rc, $out) = $t->binary_run(@sig, '-s', 'reload');
is($rc, 1, '-s without a pid file exits 1');
like($out, qr{open\(\) "\Q$dir\E/logs/portico\.pid" failed \(2: No such file or directory\)},
    '-s without a pid file: open() "..." failed');

# A PID that is no longer running.
my $dead = fork // die "fork: $!";
POSIX::_exit(0) if $dead == 0;
waitpid($dead, 0);
$t->write_file('logs/portico.pid', "$dead\n");
($rc, $out) = $t->binary_run(@sig, '-s', 'reopen');
is($rc, 1, '-s with a stale PID exits 1');
like($out, qr{kill\($dead, 10\) failed \(3: No such process\)},
    '-s with a stale PID: kill() failed (3: No such process)');

$t->write_file('logs/portico.pid', "garbage\n");
($rc, $out) = $t->binary_run(@sig, '-s', 'reopen');
is($rc, 1, '-s with a garbage pid file exits 1');
like($out, qr{invalid PID number "garbage" in "\Q$dir\E/logs/portico\.pid"},
    '-s with a garbage pid file: invalid PID number');
unlink "$dir/logs/portico.pid";

######################################################################
# -e stderr: the startup log is stderr, no file is created.

$bad->write_conf("events { }\nhttp {\n    bogus on;\n}\n", prelude => 0);
my $bdir = $bad->testdir;
my $bconf = $bad->conf_file;
my ($stdout, $stderr);
($rc, $stdout, $stderr) = $bad->binary_run_split('-t', '-p', "$bdir/",
    '-c', $bconf, '-e', 'stderr');
is($rc, 1, '-e stderr: bad config exits 1');
like($stderr, qr{\[emerg\] .*unknown directive "bogus" in \Q$bconf\E:3},
    '-e stderr: the error on stderr');
ok(!-e "$bdir/stderr" && !-e "$bdir/logs/error.log",
    '-e stderr: no log file created');

# -q -t (options in that order): silent on success, loud on failure.
$bad->write_conf("events { }\nhttp { }\n", prelude => 0, name => 'good.conf');
($rc, $out) = $bad->binary_run('-q', '-t', '-p', "$bdir/", '-c',
    "$bdir/good.conf", '-e', 'stderr');
is($rc, 0, '-q -t on a good config exits 0');
is($out, '', '-q -t prints nothing');
($rc, $out) = $bad->binary_run('-q', '-t', '-p', "$bdir/", '-c', $bconf,
    '-e', 'stderr');
is($rc, 1, '-q -t on a bad config exits 1');
like($out, qr{unknown directive "bogus"}, '-q -t still prints the error');

# -g repeating a directive that the file sets.
$bad->write_conf("worker_processes 1;\nevents { }\nhttp { }\n", prelude => 0);
($rc, $stdout, $stderr) = $bad->binary_run_split('-t', '-p', "$bdir/",
    '-c', $bconf, '-e', 'stderr', '-g', 'worker_processes 2;');
is($rc, 1, '-g duplicate of a file directive: exits 1');
like($stderr, qr{\[emerg\] .*"worker_processes" directive is duplicate in \Q$bconf\E:1},
    '-g duplicate: "worker_processes" directive is duplicate');
($rc, $out) = $bad->binary_run('-t', '-p', "$bdir/", '-c', $bconf, '-e',
    'stderr', '-g', 'worker_processes 2; worker_processes 3;');
is($rc, 1, '-g with a directive twice: exits 1');
like($out, qr{"worker_processes" directive is duplicate in command line},
    '-g twice: duplicate "in command line"');

# -T: a file included twice is dumped once.
$bad->write_file('inc/types.conf', "types { text/plain txt; }\n");
$bad->write_file('inc/other.conf', "default_type text/plain;\n");
$bad->write_conf(<<'EOF', prelude => 0, name => 'dump.conf');
events { }
http {
    include inc/types.conf;
    include inc/other.conf;
    server {
        listen 127.0.0.1:%%PORT_D%%;
        include inc/types.conf;
    }
}
EOF
my $dconf = "$bdir/dump.conf";
my $dmain = $bad->read_file('dump.conf');
($rc, $stdout, $stderr) = $bad->binary_run_split('-T', '-p', "$bdir/",
    '-c', $dconf, '-e', 'stderr');
is($rc, 0, '-T exits 0');
is($stdout, "# configuration file $dconf:\n$dmain\n"
    . "# configuration file $bdir/inc/types.conf:\ntypes { text/plain txt; }\n\n"
    . "# configuration file $bdir/inc/other.conf:\ndefault_type text/plain;\n\n",
    '-T: each file once, in first-read order');

######################################################################
# -e relative, for a running server whose config has no error_log: errors
# at run time go to PREFIX/logs/custom-error.log.

my $e = Test::Portico->new;
my $edir = $e->testdir;
$e->write_conf(<<'EOF', prelude => 0);
daemon off;
pid logs/portico.pid;
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_E%%;
        root %%TESTDIR%%/html;
    }
}
EOF
$e->write_file('html/a.html', "e\n");
$e->run_with(cwd => '/', args => [ '-p', "$edir/", '-c', $e->conf_file,
    '-e', 'logs/custom-error.log' ]);
my $eport = $e->port('E');
like(http_get('/a.html', port => $eport), qr{^HTTP/1\.1 200 }, '-e relative: served');
http_get('/no-such-file', port => $eport);
ok(wait_until(sub { ($e->read_file('logs/custom-error.log') // '')
    =~ /\[error\] .*no-such-file/ }),
    '-e relative: run-time errors in PREFIX/logs/custom-error.log');
ok(!-e '/logs/custom-error.log', '-e relative: not against the cwd');
$e->stop;

######################################################################
# Daemon mode: -g 'daemon on;' with a config that does not set daemon.

my $d = Test::Portico->new;
my $ddir = $d->testdir;
$d->write_conf(<<'EOF', prelude => 0);
pid logs/portico.pid;
error_log logs/error.log notice;
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_DM%%;
        location / { return 200 "daemon\n"; }
    }
}
EOF
my $dport = $d->port('DM');
my $dpid;

# Stops the daemon if a test below failed before it did.
sub kill_daemon {
    return unless $dpid && kill(0, $dpid);
    kill 'TERM', $dpid;
    wait_until(sub { !kill(0, $dpid) }, 5);
}
END { kill_daemon() }

my $t0 = time;
($rc, $out) = $d->binary_run('-p', "$ddir/", '-c', $d->conf_file,
    '-g', 'daemon on;');
my $el = time - $t0;
is($rc, 0, 'daemon: the starting process exits 0');
ok($el < 5, 'daemon: ... promptly') or diag("took $el s");
ok(wait_until(sub { -s "$ddir/logs/portico.pid" }, 5), 'daemon: pid file written');
($dpid) = ($d->read_file('logs/portico.pid') // '') =~ /^(\d+)\n\z/;
ok($dpid && kill(0, $dpid), 'daemon: the pid file names a running process');

my ($ppid, $sid) = (-1, -1);
if ($dpid && open my $fh, '<', "/proc/$dpid/stat") {
    my $stat = <$fh>;
    close $fh;
    my @f = split / /, substr($stat, rindex($stat, ')') + 2);
    ($ppid, $sid) = @f[1, 3];
}
isnt($ppid, $$, 'daemon: the master is not our child');
is($sid, $dpid, 'daemon: the master leads its own session (setsid)');
ok(wait_until(sub {
    (http_body(http_get('/', port => $dport, timeout => 2)) // '') eq "daemon\n"
}, 5), 'daemon: serves');

($rc, $out) = $d->binary_run('-p', "$ddir/", '-c', $d->conf_file, '-s', 'quit');
is($rc, 0, 'daemon: -s quit exits 0');
ok(wait_until(sub { !kill(0, $dpid) }, 10), 'daemon: -s quit stops the master');
ok(!-e "$ddir/logs/portico.pid", 'daemon: pid file removed');
ok(!IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $dport,
    Timeout => 1), 'daemon: port closed');
