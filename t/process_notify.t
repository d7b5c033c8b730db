#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# systemd's notify protocol on $NOTIFY_SOCKET: READY=1 once workers run,
# RELOADING=1 (with MONOTONIC_USEC) then READY=1 around a reload, READY=1
# again after a refused reload, STOPPING=1 on QUIT; USR2 is answered with a
# log line pointing to SIGHUP.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Socket::UNIX;
use IO::Select;
use Socket qw/SOCK_DGRAM/;

my $t = Test::Portico->new->has(qw/http/)->plan(8);
$t->allow_errors(qr/unknown directive "broken"/);

my $path = $t->testdir . '/notify.sock';
my $sock = IO::Socket::UNIX->new(Type => SOCK_DGRAM, Local => $path)
    or die "notify socket: $!";

sub next_message {
    my $sel = IO::Select->new($sock);
    return undef unless $sel->can_read(10);
    my $msg;
    $sock->recv($msg, 4096);
    return $msg;
}

my $conf = <<'EOF';
events { }
http {
    server { listen 127.0.0.1:%%PORT_8080%%; return 200 "%%GEN%%\n"; }
}
EOF
(my $c1 = $conf) =~ s/%%GEN%%/one/;
$t->write_conf($c1);

{
    local $ENV{NOTIFY_SOCKET} = $path;
    $t->run;
}

my $m = next_message() // '';
like($m, qr/^READY=1$/m, 'READY=1 once serving');
like($m, qr/^MAINPID=${\ $t->pid}$/m, '... with the master PID');

(my $c2 = $conf) =~ s/%%GEN%%/two/;
$t->write_conf($c2);
kill 'HUP', $t->pid;
$m = next_message() // '';
like($m, qr/^RELOADING=1\nMONOTONIC_USEC=\d+$/m, 'RELOADING=1 with MONOTONIC_USEC');
$m = next_message() // '';
like($m, qr/^READY=1$/m, 'READY=1 after the reload');
ok(wait_until(sub { (http_body(http_get('/')) // '') eq "two\n" }), 'new config serves');

$t->write_conf("broken;\n" . $c2);
kill 'HUP', $t->pid;
next_message();
like(next_message() // '', qr/^READY=1\nSTATUS=reload failed/m,
    'a refused reload says READY=1 with its status');

kill 'USR2', $t->pid;
ok(wait_until(sub { $t->error_log =~ /signal 12 ignored: SIGHUP reloads/ }),
    'USR2 answered with a pointer to SIGHUP');

kill 'QUIT', $t->pid;
like(next_message() // '', qr/^STOPPING=1$/m, 'STOPPING=1 on QUIT');
