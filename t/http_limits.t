#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Limits (DESIGN §6, §7, §10): header buffers (client_header_buffer_size,
# large_client_header_buffers), client_max_body_size, keepalive_requests,
# running out of worker_connections and of file descriptors without
# spinning, and many slow clients held off by client_header_timeout.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Select;
use IO::Socket::INET;
use Errno qw/EAGAIN EWOULDBLOCK EINPROGRESS/;
use POSIX qw/sysconf _SC_CLK_TCK/;
use Time::HiRes qw/time sleep/;

my $t = Test::Portico->new->has(qw/http/)->plan(47);

$t->write_conf(<<'EOF');
worker_processes 1;
events { }
http {
    access_log off;

    server {
        listen 127.0.0.1:%%PORT_H%%;
        client_header_buffer_size 128;
        large_client_header_buffers 4 1k;
        client_max_body_size 1k;
        keepalive_requests 3;

        location / { return 200 "ok $request_uri\n"; }
        location /unlimited { client_max_body_size 0; return 200 "u\n"; }
    }
}
EOF
$t->run;
my $hp = $t->port('H');

sub req {
    my ($uri, @h) = @_;
    my $r = "GET $uri HTTP/1.1\r\nHost: localhost\r\n";
    $r .= "$_\r\n" for @h;
    return $r;
}

sub get_raw {
    my ($text) = @_;
    return http($text . "Connection: close\r\n\r\n", port => $hp) // '';
}

# A single header line longer than a large buffer: RFC 6585's 431 (nginx:
# 400 with the title "Request Header Or Cookie Too Large").
my $TOO_LARGE = is_nginx() ? qr{^HTTP/1\.1 400 Bad Request\r\n}
                           : qr{^HTTP/1\.1 431 Request Header Fields Too Large\r\n};
my $TOO_LARGE_PAGE = is_nginx() ? qr{Request Header Or Cookie Too Large}
                                : qr{<title>431 Request Header Fields Too Large</title>};
my $r = get_raw(req('/big', 'X-Big: ' . ('a' x 1100)));
like($r, $TOO_LARGE, 'header line > large buffer: 431');
like($r, $TOO_LARGE_PAGE, '... with its page');

# Many headers whose total exceeds one large buffer but fits in four: served.
$r = get_raw(req('/spread', map { sprintf 'X-H%03d: %s', $_, 'v' x 40 } 1 .. 40));
like($r, qr{^HTTP/1\.1 200 }, '40 headers (~2 KiB) across large buffers: 200');
is(http_body($r), "ok /spread\n", '... the right request');

# Three 600-byte headers: one per large buffer.
$r = get_raw(req('/three', map { "X-L$_: " . ('w' x 600) } 1 .. 3));
like($r, qr{^HTTP/1\.1 200 }, 'three 600-byte headers: 200');

# More than four large buffers' worth of headers: 400.
$r = get_raw(req('/many', map { sprintf 'X-H%03d: %s', $_, 'v' x 40 } 1 .. 150));
like($r, $TOO_LARGE, '150 headers (~7 KiB) > 4 x 1k: 431');
like($r, $TOO_LARGE_PAGE, '... with its page');
$r = get_raw(req('/six', map { "X-L$_: " . ('w' x 600) } 1 .. 6));
like($r, $TOO_LARGE, 'six 600-byte headers need 6 large buffers: 431');

# A request line longer than client_header_buffer_size but within a large
# buffer is served.
my $uri = '/long/' . ('u' x 300);
$r = get_raw(req($uri));
like($r, qr{^HTTP/1\.1 200 }, 'request line 300 > 128 bytes: 200');
is(http_body($r), "ok $uri\n", '... with the whole URI');

# A request line longer than a large buffer: 414.
$r = get_raw(req('/huge/' . ('u' x 1100)));
like($r, qr{^HTTP/1\.1 414 Request-URI Too Large\r\n}, 'request line > 1k: 414');

# Pipelined requests whose total exceeds client_header_buffer_size: each
# served, in order.  keepalive_requests is 3 here, so send three at a time.
my @reqs = map { req("/p/$_", 'X-Pad: ' . ('p' x 60)) . "\r\n" } 1 .. 3;
$reqs[-1] =~ s/\r\n\r\n\z/\r\nConnection: close\r\n\r\n/;
my $all = join '', @reqs;
ok(length($all) > 2 * 128, 'pipeline is larger than the header buffer');
my @r = http_pipeline(@reqs, { port => $hp });
is(scalar @r, 3, 'pipelined: three responses');
is(join('', map { http_body($_) // '' } @r), "ok /p/1\nok /p/2\nok /p/3\n",
    'pipelined: in order');

# keepalive_requests 3: the third response closes, the fourth request is
# never answered.
@r = http_pipeline((map { req("/k/$_") . "\r\n" } 1 .. 5), { port => $hp });
is(scalar @r, 3, 'keepalive_requests 3: three answered');
like($r[2] // '', qr{^Connection: close\r$}m, 'keepalive_requests: third says close');
like($r[1] // '', qr{^Connection: keep-alive\r$}m, 'keepalive_requests: second kept');

# client_max_body_size.
$r = http("POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    . "Content-Length: 1024\r\n\r\n" . ('b' x 1024), port => $hp);
like($r, qr{^HTTP/1\.1 200 }, 'body == client_max_body_size: 200');
$r = http("POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    . "Content-Length: 1025\r\n\r\n" . ('b' x 1025), port => $hp);
like($r, qr{^HTTP/1\.1 413 }, 'body > client_max_body_size: 413');

my $mb3 = 3 * 1024 * 1024;
$r = http("POST /unlimited HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    . "Content-Length: $mb3\r\n\r\n", body => 'z' x $mb3, port => $hp,
    timeout => 10);
like($r, qr{^HTTP/1\.1 200 .*u\n\z}s, 'client_max_body_size 0: 3 MiB accepted');

my $chunk = sprintf("%x\r\n%s\r\n", 700, 'c' x 700);
$r = http("POST /unlimited HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    . "Transfer-Encoding: chunked\r\n\r\n" . ($chunk x 4) . "0\r\n\r\n",
    port => $hp);
like($r, qr{^HTTP/1\.1 200 }, 'client_max_body_size 0: chunked 2800 bytes accepted');

$r = http("POST / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    . "Transfer-Encoding: chunked\r\n\r\n" . $chunk . "0\r\n\r\n", port => $hp);
like($r, qr{^HTTP/1\.1 200 }, 'chunked body under the limit: 200');

# A chunked body over the limit that no handler reads ("return" discards
# it): the answer is the handler's (nginx checks chunked sizes only while
# reading a body for a handler); what follows on the connection is either
# served (nginx) or the connection is closed (Portico stops discarding at
# the limit), never mistaken for a request.
@r = http_pipeline("POST / HTTP/1.1\r\nHost: localhost\r\n"
    . "Transfer-Encoding: chunked\r\n\r\n" . ($chunk x 2) . "0\r\n\r\n",
    req('/next', 'Connection: close') . "\r\n", { port => $hp });
like($r[0] // '', qr{^HTTP/1\.1 (?:200|413) }, 'discarded chunked body over the limit: answered');
ok(@r == 1 || (http_body($r[1] // '') // '') eq "ok /next\n",
    '... then the next request or a close, nothing else')
    or diag(explain \@r);

# Content-Length over the limit is logged with nginx's wording.
ok(wait_until(sub { $t->error_log =~ /\[error\] .*client intended to send too large body: 1025 bytes/ }, 2),
    '413 logged: "client intended to send too large body: 1025 bytes"');

######################################################################
# Resource exhaustion: helpers.

my $TCK = sysconf(_SC_CLK_TCK) || 100;

# CPU time (user + system ticks) of a process, in seconds.
sub cpu_of {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or return undef;
    my $stat = <$fh>;
    close $fh;
    my @f = split / /, substr($stat, rindex($stat, ')') + 2);
    return ($f[11] + $f[12]) / $TCK;    # utime, stime
}

# Fraction of one CPU used by PID over SECS seconds.
sub cpu_share {
    my ($pid, $secs) = @_;
    my $c0 = cpu_of($pid) // return undef;
    my $t0 = time;
    sleep $secs;
    my $c1 = cpu_of($pid) // return undef;
    return ($c1 - $c0) / (time - $t0);
}

# Opens N connections to PORT (non-blocking connects, bounded).
sub open_many {
    my ($port, $n) = @_;
    my @s;
    for (1 .. $n) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $port, Proto => 'tcp', Timeout => 2) or last;
        push @s, $s;
    }
    return @s;
}

# How many of the sockets the server has closed (EOF or reset), without
# blocking; any data from the server also counts as "not silent".
sub count_closed {
    my (@s) = @_;
    my ($closed, $data) = (0, 0);
    my $sel = IO::Select->new(@s);
    for my $s ($sel->can_read(0.2)) {
        my $buf;
        my $n = sysread($s, $buf, 4096);
        if (!defined $n || $n == 0) { $closed++ } else { $data++ }
    }
    return ($closed, $data);
}

sub quick_get {
    my ($port) = @_;
    my $t0 = time;
    my $r = http("GET /after HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        port => $port, timeout => 2) // '';
    return ($r, time - $t0);
}

######################################################################
# worker_connections exhaustion: one worker, 16 connections, 30 clients.

my $wc = Test::Portico->new;
$wc->allow_errors(qr/worker_connections are not enough/);
$wc->write_conf(<<'EOF');
worker_processes 1;
events { worker_connections 16; }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_WC%%;
        location / { return 200 "wc\n"; }
    }
}
EOF
$wc->run;
my $wport = $wc->port('WC');
ok(wait_until(sub { $wc->worker_pids == 1 }), 'wc: one worker');
my ($worker) = $wc->worker_pids;

my @conns = open_many($wport, 30);
is(scalar @conns, 30, 'wc: 30 connections opened (accepted or queued)');
sleep 0.3;
my $share = cpu_share($worker, 1);
ok(defined $share && $share < 0.3, 'wc: the worker does not spin')
    or diag(sprintf 'worker CPU share %.2f', $share // -1);
my ($closed, $data) = count_closed(@conns);
ok(wait_until(sub { $wc->error_log =~ /16 worker_connections are not enough/ }, 2),
    'wc: "16 worker_connections are not enough" logged');
is($data, 0, 'wc: no connection received garbage');
ok(kill(0, $worker) && $wc->worker_pids == 1, 'wc: the worker is alive');
close $_ for @conns;
@conns = ();

my $el;
($r, $el) = quick_get($wport);
like($r, qr{^HTTP/1\.1 200 .*wc\n\z}s, 'wc: served after the clients left');
ok($el < 2, 'wc: ... within 2s') or diag("took $el s");
is(($wc->worker_pids)[0], $worker, 'wc: same worker');
$wc->stop;

######################################################################
# EMFILE: 40 descriptors, 60 clients.

my $em = Test::Portico->new;
$em->allow_errors(qr/accept4\(\) failed \(24: Too many open files\)/,
    qr/worker_connections are not enough/);
$em->write_conf(<<'EOF');
worker_processes 1;
worker_rlimit_nofile 40;
events { worker_connections 1024; }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_EM%%;
        location / { return 200 "em\n"; }
    }
}
EOF
$em->run;
my $eport = $em->port('EM');
ok(wait_until(sub { $em->worker_pids == 1 }), 'emfile: one worker');
($worker) = $em->worker_pids;

@conns = open_many($eport, 60);
is(scalar @conns, 60, 'emfile: 60 connections opened');
ok(wait_until(sub { $em->error_log =~ /\[crit\] .*accept4\(\) failed \(24: Too many open files\)/ }, 3),
    'emfile: [crit] accept4() failed (24: Too many open files)');
$share = cpu_share($worker, 1);
ok(defined $share && $share < 0.3, 'emfile: the worker does not spin')
    or diag(sprintf 'worker CPU share %.2f', $share // -1);
ok(kill(0, $worker) && $em->worker_pids == 1, 'emfile: the worker is alive');
close $_ for @conns;
@conns = ();

($r, $el) = quick_get($eport);
like($r, qr{^HTTP/1\.1 200 .*em\n\z}s, 'emfile: served after the clients left');
ok($el < 2, 'emfile: ... within 2s') or diag("took $el s");
$em->stop;

######################################################################
# 200 slow clients, one byte of the request line every 200ms, against
# client_header_timeout 1s: all closed by ~3s; a normal request meanwhile
# is served at once.

my $sl = Test::Portico->new;
$sl->write_conf(<<'EOF');
worker_processes 1;
events { worker_connections 1024; }
http {
    access_log off;
    client_header_timeout 1s;
    server {
        listen 127.0.0.1:%%PORT_SL%%;
        location / { return 200 "sl\n"; }
    }
}
EOF
$sl->run;
my $sport = $sl->port('SL');

my $line = "GET /slow/" . ('s' x 100) . " HTTP/1.1\r\n";
my @slow = open_many($sport, 200);
is(scalar @slow, 200, 'slow: 200 connections opened');
$_->blocking(0) for @slow;

my %open = map { ($_ + 0) => $_ } @slow;
my %pos = map { ($_ + 0) => 0 } @slow;
my $start = time;
my ($mid_r, $mid_el);
my $sel = IO::Select->new(@slow);

# Bounded loop: at most ~5s, a byte to each live client every 200ms.
for my $round (1 .. 25) {
    for my $k (keys %open) {
        my $s = $open{$k};
        my $n = syswrite($s, substr($line, $pos{$k}, 1));
        if (defined $n && $n == 1) {
            $pos{$k}++;
            $pos{$k} = 0 if $pos{$k} >= length $line;   # never complete
        } elsif (!defined $n && ($! == EAGAIN || $! == EWOULDBLOCK)) {
            # buffer full: fine, try later
        } else {
            delete $open{$k};
            $sel->remove($s);
        }
    }

    # Reads tell us about closes.
    for my $s ($sel->can_read(0)) {
        my $buf;
        my $n = sysread($s, $buf, 4096);
        next if !defined $n && ($! == EAGAIN || $! == EWOULDBLOCK);
        if (!$n) {
            delete $open{$s + 0};
            $sel->remove($s);
        }
    }

    if ($round == 3) {
        ($mid_r, $mid_el) = quick_get($sport);
    }

    last if !%open && time - $start > 1;
    sleep 0.2;
}
my $left = keys %open;
my $took = time - $start;

like($mid_r // '', qr{^HTTP/1\.1 200 .*sl\n\z}s, 'slow: a normal request is served meanwhile');
ok(defined $mid_el && $mid_el < 1, 'slow: ... promptly') or diag("took $mid_el s");
is($left, 0, 'slow: every slow client was closed') or diag("$left still open");
ok($took < 4, 'slow: ... within ~3s') or diag("took $took s");
close $_ for @slow;

($r, $el) = quick_get($sport);
like($r, qr{^HTTP/1\.1 200 }, 'slow: served afterwards');
