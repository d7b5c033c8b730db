#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The command line, nginx's meanings (DESIGN §11): -v -V -h -t -T -q -p -c
# -e -g -s, the daemon-off contract and the pid file.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Time::HiRes qw/time sleep/;

my $bad = Test::Portico->new->allow_errors;     # configs meant to fail
my $t = Test::Portico->new->has(qw/http/)->plan(60);
my $dir = $t->testdir;
my $conf = $t->conf_file;

# -v, -V, -h, bad options.
my ($rc, $out) = $t->binary_run('-v');
is($rc, 0, '-v exits 0');
like($out, qr{^\w+ version: \w+/\d+\.\d+\.\d+\s*$}, '-v: NAME version: NAME/X.Y.Z');
unless (is_nginx()) {
    like($out, qr{^portico version: portico/\d+\.\d+\.\d+$}m, '-v names portico');
} else {
    pass('-v (nginx)');
}

($rc, $out) = $t->binary_run('-V');
is($rc, 0, '-V exits 0');
like($out, qr{version: \S+/\d+\.\d+\.\d+}, '-V has the version');
SKIP: {
    skip "Debian's nginx is built without a 'built by' line", 1 if is_nginx();
    like($out, qr{^built by }m, '-V: built by');
}
like($out, qr{^built with OpenSSL \d+\.\d+\.\d+}m, '-V: built with OpenSSL');
like($out, qr{^TLS SNI support enabled$}m, '-V: TLS SNI');
like($out, qr{^configure arguments:}m, '-V: configure arguments');
portico_only(2, 'nginx builds these modules', sub {
    like($out, qr{^configure arguments:.*--without-http_fastcgi_module}m,
        '-V: --without-http_fastcgi_module');
    like($out, qr{--without-http_uwsgi_module.*}, '-V: --without-http_uwsgi_module');
});

($rc, $out) = $t->binary_run('-h');
is($rc, 0, '-h exits 0');
like($out, qr{\[-\?hvVtTq\] \[-s signal\] \[-p prefix\]}, '-h usage line');
ok(!grep({ $out !~ /^\s+-\Q$_\E/m } qw/v V t T q s p e c g/),
    '-h lists every option');

($rc, $out) = $t->binary_run('-Z');
is($rc, 1, 'unknown option exits 1');
like($out, qr{invalid option: "Z"}, 'unknown option named');

($rc, $out) = $t->binary_run('-p', "$dir/", '-c', $conf, '-s', 'bogus');
is($rc, 1, 'unknown signal exits 1');
like($out, qr{invalid option: "-s bogus"}, 'unknown signal named');

# -t, -t -q, -T.
$t->write_file('inc/servers.conf', "server_tokens off;\n");
$t->write_file('inc/empty.conf', "# nothing\n");
$t->write_conf(<<'EOF');
worker_processes 1;
events { }
http {
    access_log logs/access.log;
    types { text/html html; }
    include inc/*.conf;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/html;
    }
}
EOF
# include is relative to the folder of the config file (TESTDIR)
my $main = $t->read_file('portico.conf');

($rc, $out) = $t->conf_test;
is($rc, 0, '-t exits 0');
like($out, qr{the configuration file \Q$conf\E syntax is ok}, '-t: syntax is ok');
like($out, qr{configuration file \Q$conf\E test is successful}, '-t: successful');

($rc, $out) = $t->conf_test('-q');
is($rc, 0, '-t -q exits 0');
is($out, '', '-t -q prints nothing on success');

my ($stdout, $stderr);
($rc, $stdout, $stderr) = $t->binary_run_split('-T', '-p', "$dir/",
    '-c', $conf);
is($rc, 0, '-T exits 0');
my $expect = "# configuration file $conf:\n$main\n"
    . "# configuration file $dir/inc/empty.conf:\n# nothing\n\n"
    . "# configuration file $dir/inc/servers.conf:\nserver_tokens off;\n\n";
is($stdout, $expect, '-T dumps each file once, exactly');
like($stderr, qr{test is successful}, '-T: test is successful');

# Failures: -t, -t -q and -T end with "test failed".
$bad->write_conf("events { }\nhttp {\n    bogus on;\n}\n");
my $bconf = $bad->conf_file;
($rc, $out) = $bad->conf_test;
is($rc, 1, '-t on a bad config exits 1');
like($out, qr{\[emerg\] .*unknown directive "bogus" in \Q$bconf\E:6}, '-t names file:line');
($rc, $out) = $bad->conf_test('-q');
like($out, qr{unknown directive "bogus"}, '-t -q still prints the error');
($rc, $out) = $bad->binary_run('-T', '-p', $bad->testdir . '/', '-c', $bconf);
is($rc, 1, '-T on a bad config exits 1');
my @lines = split /\n/, $out;
like($lines[-1] // '', qr{configuration file \Q$bconf\E test failed$},
    '-T on failure: last line says test failed');

# -p, -c and -e relative: -c and -e against the prefix, include against the
# config's folder, root and logs against the prefix; cwd does not matter.
$bad->write_file('conf/rel.conf', "events { }\nhttp {\n    include sub.conf;\n}\n");
$bad->write_file('conf/sub.conf', "\n\nnope;\n");
($rc, $out) = $bad->binary_run_in('/', '-t', '-p', $bad->testdir . '/',
    '-c', 'conf/rel.conf', '-e', 'logs/rel-error.log');
is($rc, 1, 'relative -c: bad include fails');
like($out, qr{unknown directive "nope" in \Q${\$bad->testdir}\E/conf/sub\.conf:3},
    'relative -c: include resolved against the config folder');
like($bad->read_file('logs/rel-error.log') // '',
    qr{\[emerg\] .*unknown directive "nope"}, 'relative -e: error log in prefix');

# A config error on start: exit non-zero at once, no pid file, say why on
# stderr and in the -e error log.
my $t0 = time;
($rc, $stdout, $stderr) = $bad->binary_run_split('-p', $bad->testdir . '/',
    '-c', $bconf, '-e', 'logs/start-error.log');
ok($rc != 0 && time - $t0 < 3, 'config error: non-zero exit at once');
ok(!-e $bad->testdir . '/logs/portico.pid', 'config error: no pid file');
like($stderr, qr{unknown directive "bogus" in \Q$bconf\E:6}, 'config error on stderr');
like($bad->read_file('logs/start-error.log') // '',
    qr{\[emerg\] .*unknown directive "bogus" in \Q$bconf\E:6},
    'config error in the error log');

# Run with -g and relative paths, from another working directory.
$t->write_file('html/index.html', "home\n");
$t->write_conf(<<'EOF', name => 'conf/rel.conf');
events { }
http {
    access_log logs/rel-access.log;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root html;
    }
}
EOF
$t->run_with(cwd => '/', args => [ '-p', "$dir/", '-c', 'conf/rel.conf',
    '-g', 'worker_processes 2;' ]);

# daemon off: the started process is the master and wrote the pid file.
my $pidtext = $t->read_file('logs/portico.pid') // '';
is($pidtext, $t->pid . "\n", 'pid file holds the started PID');
ok(wait_until(sub { $t->worker_pids == 2 }, 5), '-g worker_processes 2');
like(http_get('/'), qr{^HTTP/1\.1 200 .*home\n\z}s, 'root relative to prefix');
ok(wait_until(sub { ($t->read_file('logs/rel-access.log') // '') =~ /GET/ }),
    'access_log relative to prefix');

my @sig = ('-p', "$dir/", '-c', 'conf/rel.conf');

# -s reopen: a renamed log is re-created.
rename "$dir/logs/rel-access.log", "$dir/logs/rel-access.log.1";
($rc, $out) = $t->binary_run(@sig, '-s', 'reopen');
is($rc, 0, '-s reopen exits 0');
ok(wait_until(sub { -e "$dir/logs/rel-access.log" }), '-s reopen: log re-created');
http_get('/');
ok(wait_until(sub { ($t->read_file('logs/rel-access.log') // '') =~ /GET/ }),
    '-s reopen: new requests go to the new log');

# -s reload: a new generation, same master.
my @old = $t->worker_pids;
my $master = $t->pid;
($rc, $out) = $t->binary_run(@sig, '-s', 'reload');
is($rc, 0, '-s reload exits 0');
ok(wait_until(sub {
    my @now = $t->worker_pids;
    @now == 2 && !grep { my $o = $_; grep { $_ == $o } @now } @old;
}, 10), '-s reload: new workers');
is(kill(0, $master), 1, '-s reload: master PID kept');
like(http_get('/'), qr{^HTTP/1\.1 200 }, 'served after -s reload');

# -s quit: exits, removes the pid file.
($rc, $out) = $t->binary_run(@sig, '-s', 'quit');
is($rc, 0, '-s quit exits 0');
my $st = $t->wait_exit(10);
is($st, 0, '-s quit: master exited with status 0');
ok(!-e "$dir/logs/portico.pid", '-s quit: pid file removed');

# -s with no running master: an error naming the pid file, exit 1.
($rc, $out) = $t->binary_run(@sig, '-s', 'reload');
is($rc, 1, '-s without a master exits 1');
like($out, qr{\Q$dir\E/logs/portico\.pid}, '-s without a master names the pid file');

# -s stop.
$t->run_with(cwd => '/', args => [ @sig ]);
($rc, $out) = $t->binary_run(@sig, '-s', 'stop');
is($rc, 0, '-s stop exits 0');
ok(defined $t->wait_exit(5), '-s stop: master exited');

# Defaults (no daemon/pid/error_log in the config): pid file and logs go to
# logs/ under the prefix.
portico_only(4, "Debian's nginx has other compiled-in paths", sub {
    $t->write_conf(<<'EOF', prelude => 0);
events { }
http {
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/html;
    }
}
EOF
    unlink "$dir/logs/error.log", "$dir/logs/access.log";
    $t->run('-g', 'daemon off;');
    is($t->read_file('logs/portico.pid'), $t->pid . "\n",
        'default pid file logs/portico.pid');
    ok(-e "$dir/logs/error.log", 'default error log logs/error.log');
    http_get('/');
    ok(wait_until(sub { ($t->read_file('logs/access.log') // '') =~ /GET/ }),
        'default access log logs/access.log');
    $t->stop;
    ok(!-e "$dir/logs/portico.pid", 'pid file removed on exit');
});
