#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Sending the request to the backend (nginx semantics): proxy_send_timeout
# bounds the time between two writes of the request, so a backend that
# never reads a large body gets 504 (or, with another server, the next
# one gets an idempotent request; a POST is not sent twice), while a
# backend that reads slowly but steadily, or reads at once and answers
# late, is not cut; proxy_pass_request_body off sends no body (nginx keeps
# the client's Content-Length unless proxy_set_header clears it) and still
# reads the client's body, so the connection stays usable.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use Digest::MD5 qw/md5_hex/;
use IO::Select;
use IO::Socket::INET;
use Socket qw/SOL_SOCKET SO_RCVBUF/;
use Time::HiRes qw/time sleep/;
use POSIX ();

my $t = Test::Portico->new->has(qw/http proxy/)->plan(24);

$t->write_conf(<<'EOF');
worker_processes 1;
events { }
http {
    access_log off;
    client_max_body_size 0;
    client_body_buffer_size 16k;
    client_body_temp_path %%TESTDIR%%/client_temp;
    proxy_temp_path %%TESTDIR%%/proxy_temp;

    upstream pair {
        server 127.0.0.1:%%PORT_sink%% max_fails=0;
        server 127.0.0.1:%%PORT_good%% max_fails=0;
    }

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        proxy_read_timeout 5s;

        location /sink/ {
            proxy_send_timeout 1s;
            proxy_pass http://127.0.0.1:%%PORT_sink%%;
        }
        location /pair/ {
            proxy_send_timeout 1s;
            proxy_pass http://pair;
        }
        location /reader/ {
            proxy_send_timeout 1s;
            proxy_pass http://127.0.0.1:%%PORT_reader%%;
        }
        location /late/ {
            proxy_send_timeout 300ms;
            proxy_pass http://127.0.0.1:%%PORT_late%%;
        }

        location /body/ {
            proxy_pass http://127.0.0.1:%%PORT_good%%;
        }
        location /nobody/ {
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_pass http://127.0.0.1:%%PORT_good%%;
        }
        location /nobody_keep_cl/ {
            proxy_pass_request_body off;
            proxy_pass http://127.0.0.1:%%PORT_headonly%%;
        }
    }
}
EOF

my $dir = $t->testdir;
mkdir "$dir/$_" for qw/client_temp proxy_temp/;

$t->allow_errors(qr/upstream timed out/);

my $good = Test::Portico::Backend->new($t, 'good', record_max => 256,
    handler => sub {
        my ($req) = @_;
        return { body => sprintf("good %d %s\n", length $req->{body},
            md5_hex($req->{body})) };
    })->start;
my $late = Test::Portico::Backend->new($t, 'late', response => {
    delay => 1, body => "late\n" })->start;

# Small helper servers forked here, each stopped (by PID) at the end.
my @pids;
END { local $?; kill 'KILL', $_ for @pids; waitpid($_, 0) for @pids; }

sub serve {
    my ($key, $rcvbuf, $code) = @_;
    my $ls = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
        LocalPort => $t->port($key), Listen => 16, ReuseAddr => 1)
        or die "listen $key: $!\n";
    setsockopt($ls, SOL_SOCKET, SO_RCVBUF, pack('i', $rcvbuf)) if $rcvbuf;
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        $SIG{ALRM} = sub { POSIX::_exit(0) };
        alarm 25;
        $code->($ls);
        POSIX::_exit(0);
    }
    close $ls;
    push @pids, $pid;
}

# sink: accepts, notes the connection, never reads; the connections stay
# open until the sink is stopped.
serve('sink', 4096, sub {
    my ($ls) = @_;
    my @held;
    while (my $c = $ls->accept) {
        push @held, $c;
        open my $fh, '>>', "$dir/sink.accepts";
        print $fh "1\n";
        close $fh;
    }
});
sub sink_accepts {
    open my $fh, '<', "$dir/sink.accepts" or return 0;
    my @l = <$fh>;
    return scalar @l;
}

# reader: reads the body 64 KiB at a time, 40 ms apart (about 1.6 MB/s),
# then answers with its length and MD5.
serve('reader', 0, sub {
    my ($ls) = @_;
    while (my $c = $ls->accept) {
        my $buf = '';
        while (index($buf, "\r\n\r\n") < 0) {
            sysread($c, $buf, 4096, length $buf) or last;
        }
        my $p = index($buf, "\r\n\r\n");
        my ($len) = substr($buf, 0, $p) =~ /^Content-Length:\s*(\d+)/mi;
        my $body = substr($buf, $p + 4);
        my $md5 = Digest::MD5->new;
        $md5->add($body);
        my $got = length $body;
        while ($got < ($len // 0)) {
            my $n = sysread($c, $body, 65536) or last;
            $got += $n;
            $md5->add($body);
            sleep 0.01;
        }
        my $ans = sprintf("reader %d %s\n", $got, $md5->hexdigest);
        print $c "HTTP/1.1 200 OK\r\nContent-Length: " . length($ans)
            . "\r\nConnection: close\r\n\r\n$ans";
        close $c;
    }
});

# headonly: reads the request head, then whatever else comes within
# 0.5 s, and answers with the Content-Length it was sent and the number
# of bytes after the head.
serve('headonly', 0, sub {
    my ($ls) = @_;
    while (my $c = $ls->accept) {
        my $buf = '';
        while (index($buf, "\r\n\r\n") < 0) {
            sysread($c, $buf, 4096, length $buf) or last;
        }
        my $sel = IO::Select->new($c);
        my $end = time + 0.5;
        while ((my $left = $end - time) > 0) {
            last unless $sel->can_read($left);
            sysread($c, $buf, 4096, length $buf) or last;
        }
        my $p = index($buf, "\r\n\r\n");
        my $head = substr($buf, 0, $p);
        my ($cl) = $head =~ /^Content-Length:\s*(\d+)/mi;
        my $te = $head =~ /^Transfer-Encoding:/mi ? 'te' : 'no-te';
        my $ans = sprintf("cl=%s %s extra=%d\n", $cl // 'none', $te,
            length($buf) - $p - 4);
        print $c "HTTP/1.1 200 OK\r\nContent-Length: " . length($ans)
            . "\r\nConnection: close\r\n\r\n$ans";
        close $c;
    }
});

$t->run;

# A request with a body: METHOD URI, Content-Length framing.
sub send_body {
    my ($method, $uri, $body, %o) = @_;
    return http("$method $uri HTTP/1.1\r\nHost: localhost\r\n"
        . "Connection: close\r\nContent-Length: " . length($body) . "\r\n\r\n",
        body => $body, timeout => 10, %o) // '';
}
sub post { send_body('POST', @_) }

my $big = join('', map { sprintf("%07d\n", $_) } 1 .. 1024 * 1024); # 8 MiB
my $big_md5 = md5_hex($big);

# A backend that never reads: 504 once nothing could be written for 1 s.
my $t0 = time;
my $r = post('/sink/a', $big);
my $el = time - $t0;
like($r, qr{^HTTP/1\.1 504 }, 'send_timeout 1s, backend never reads: 504');
ok($el >= 0.9 && $el < 4, 'send_timeout 1s: answered about 1 s after the '
    . 'backend stopped reading') or diag("took $el s");
is(sink_accepts(), 1, 'send_timeout: the backend had been connected once');

# A send timeout is a failure like any other: an idempotent request (PUT)
# goes to the next server, with the whole body sent again.  Round robin
# sends one of the two requests to the silent server first.
my @pair;
for my $i (1 .. 2) {
    $good->reset;
    my $before = sink_accepts();
    $t0 = time;
    my $resp = send_body('PUT', "/pair/$i", $big);
    push @pair, [ $resp, time - $t0, sink_accepts() - $before,
        ($good->last_request // {})->{body_len} // -1 ];
}
is(scalar(grep { $_->[0] =~ m{^HTTP/1\.1 200 } && http_body($_->[0]) eq
    "good 8388608 $big_md5\n" } @pair), 2,
    'send_timeout, two servers, PUT: both answered by the good server, '
    . 'with the whole body');
is(scalar(grep { $_->[3] == length $big } @pair), 2,
    '... which got every byte each time');
my ($via_sink) = grep { $_->[2] } @pair;
ok($via_sink && $via_sink->[1] >= 0.9 && $via_sink->[1] < 4,
    '... the one sent to the silent server first moved on after the send '
    . 'timeout') or diag(join ' ', map { sprintf '%.2f/%d', @$_[1, 2] } @pair);

# A POST already partly sent is not passed to another server (without
# "non_idempotent"): the client gets the 504.
my ($ok504, $seen) = (0, 0);
for my $i (1 .. 2) {
    $good->reset;
    my $before = sink_accepts();
    my $resp = post("/pair/p$i", $big);
    next unless sink_accepts() > $before;
    $seen++;
    $ok504++ if $resp =~ m{^HTTP/1\.1 504 } && $good->count == 0;
}
ok($seen == 1 && $ok504 == 1, 'send_timeout, two servers, POST: 504, not '
    . 'passed to the next server') or diag("$seen tried the silent server, "
    . "$ok504 got 504 alone");

# A backend reading slowly but steadily: each write comes within 1 s, so
# the request goes through though sending it takes longer than that.
$t0 = time;
$r = post('/reader/a', $big, timeout => 20);
$el = time - $t0;
like($r, qr{^HTTP/1\.1 200 }, 'send_timeout 1s, slow steady reader: 200');
is(http_body($r), "reader 8388608 $big_md5\n", '... the whole body arrived');
cmp_ok($el, '>', 1.2, '... over more than the send timeout (meaningful)');

# The send timeout is not the read timeout: a backend that reads the
# request at once and answers after 1 s is waited for.
$r = post('/late/a', 'x' x 1000);
like($r, qr{^HTTP/1\.1 200 .*\r\n\r\nlate\n\z}s,
    'send_timeout 300ms, answer after 1 s: 200');

# proxy_pass_request_body.
my $small = "name=value&other=" . ('v' x 1000);
my $none = sprintf("good 0 %s\n", md5_hex(''));
$good->reset;
$r = post('/body/a', $small);
is(http_body($r), sprintf("good %d %s\n", length $small, md5_hex($small)),
    'pass_request_body on (default): the backend gets the body');

$good->reset;
$r = post('/nobody/a', $small);
like($r, qr{^HTTP/1\.1 200 }, 'pass_request_body off: 200');
is(http_body($r), $none, 'pass_request_body off: the backend gets no body');
my $q = $good->last_request // { headers => {} };
is($q->{method}, 'POST', '... the method is kept');
ok(!exists $q->{headers}{'transfer-encoding'}, '... not chunked');
ok(!exists $q->{headers}{'content-length'},
    '... no Content-Length once proxy_set_header cleared it')
    or diag('Content-Length: ' . $q->{headers}{'content-length'});

# A chunked body is not sent either.
$good->reset;
$r = http("POST /nobody/c HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    . "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")
    // '';
is(http_body($r), $none, 'pass_request_body off, chunked request body: '
    . 'not sent');

# A large body with pass_request_body off: read and dropped.
$good->reset;
$r = post('/nobody/big', $big);
is(http_body($r), $none,
    'pass_request_body off, 8 MiB body: the backend gets none of it');

# The client's body is still read: the next request on the connection is
# answered, not taken from the body.
$good->reset;
my $s = http("POST /nobody/k1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
    . length($small) . "\r\n\r\n$small", start => 1);
my $r1 = http_read($s, complete => 1);
my $r2 = $s ? http("GET /body/k2 HTTP/1.1\r\nHost: localhost\r\n"
    . "Connection: close\r\n\r\n", socket => $s) // '' : '';
is(http_body($r1) . http_body($r2), "$none$none",
    'pass_request_body off, keepalive: the next request on the connection '
    . 'is answered');
is(join(' ', map { $_->{uri} } $good->requests), '/nobody/k1 /body/k2',
    '... both requests reached the backend as sent');

# The same with the next request sent right behind the body.
$good->reset;
my @two = http_pipeline(
    "POST /nobody/p1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: "
        . length($small) . "\r\n\r\n$small",
    "GET /body/p2 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
is(scalar(grep { m{^HTTP/1\.1 200 } } @two), 2,
    'pass_request_body off, pipelined request behind a 1 KiB body: '
    . 'answered too');

# Without clearing it, nginx passes the client's Content-Length on though
# no body follows, and the backend waits for bytes that never come; the
# man page documents that Portico sends the length of what it sends, 0.
$r = post('/nobody_keep_cl/a', $small);
like(http_body($r) // '', qr/ no-te extra=0\n\z/,
    'pass_request_body off, Content-Length kept: no body bytes sent');
like(http_body($r) // '',
     is_nginx() ? qr/^cl=${\ length $small} / : qr/^cl=0 /,
     'pass_request_body off: Content-Length says what is sent (nginx: the '
     . 'client\'s value)');
