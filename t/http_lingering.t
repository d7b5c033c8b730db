#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# lingering_close on|off|always, lingering_time, lingering_timeout: a client
# still sending a body the server refused (413, by Content-Length or while
# a chunked body is read) gets the response and no reset while the server
# reads and discards; off resets one still sending; always lingers after
# any response; lingering_time bounds the whole wait, lingering_timeout the
# wait for more data.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw/time sleep/;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(24);

# /p reads the body (the proxy never gets to connect): a chunked body
# over client_max_body_size is refused while it is read.
my $locs = 'location / { return 200 "ok\n"; } '
    . 'location /p { proxy_pass http://127.0.0.1:1; }';

$t->write_conf(<<"EOF");
events { }
http {
    access_log off;
    client_max_body_size 1k;

    server { listen 127.0.0.1:%%PORT_ON%%; $locs }
    server { listen 127.0.0.1:%%PORT_OFF%%; lingering_close off; $locs }
    server {
        listen 127.0.0.1:%%PORT_ALWAYS%%;
        lingering_close always;
        lingering_timeout 1s;
        $locs
    }
    server { listen 127.0.0.1:%%PORT_ALWAYS5%%; lingering_close always; $locs }
    server { listen 127.0.0.1:%%PORT_TIME%%; lingering_time 2s; $locs }
    server { listen 127.0.0.1:%%PORT_TIMEOUT%%; lingering_timeout 1s; $locs }
}
EOF
$t->run;

# client(PORT_KEY, HEAD, %o): connects, sends HEAD, then body bytes, while
# reading whatever comes:
#   stream => [PIECE, EVERY, FOR]  a PIECE-byte write every EVERY seconds
#                                  (0: as fast as the socket takes them)
#                                  for FOR seconds
#   at => [T, ...]                 a 1-byte write at each of these times
# Returns { resp => bytes read, eof => time of the server's FIN,
# reset => time the connection was found reset (a failed write or
# ECONNRESET on read), sent => body bytes written }; times from the start.
sub client {
    my ($key, $head, %o) = @_;

    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port($key), Proto => 'tcp') or die "connect: $!\n";
    $s->blocking(0);
    my $sel = IO::Select->new($s);

    my $t0 = time;
    my %r = (resp => '', sent => 0);
    my $out = $head;
    my ($piece, $every, $for) = @{ $o{stream} // [ 0, 0, 0 ] };
    my @at = @{ $o{at} // [] };
    my $end = $t0 + ($o{stream} ? $for : @at ? $at[-1] + 0.3 : 1);
    my $next = $t0;
    my $headlen = length $head;

    while (time < $end && !defined $r{reset}) {
        if (!length $out) {
            if ($piece && time >= $next) {
                $out = 'b' x $piece;
                $next = time + $every;
            } elsif (@at && time - $t0 >= $at[0]) {
                shift @at;
                $out = 'b';
            }
        }
        if (length $out) {
            my $n = syswrite($s, $out);
            if (defined $n) {
                substr($out, 0, $n) = '';
                $r{sent} += $n;
            } elsif (!$!{EAGAIN}) {
                $r{reset} = time - $t0;
                $r{error} = "write: $!";
                last;
            }
        }
        # Wait (10 ms at most) for data, or for room if a write is pending.
        my ($rd) = IO::Select->select(defined $r{eof} ? undef : $sel,
            length $out ? $sel : undef, undef, 0.01);
        next unless $rd && @$rd;
        my $n = sysread($s, my $buf, 65536);
        if ($n) {
            $r{resp} .= $buf;
        } elsif (defined $n) {
            $r{eof} = time - $t0;
        } elsif (!$!{EAGAIN}) {
            $r{reset} = time - $t0;
            $r{error} = "read: $!";
        }
    }
    $r{sent} = $r{sent} > $headlen ? $r{sent} - $headlen : 0;
    close $s;
    return \%r;
}

sub status { ($_[0]{resp} =~ /^HTTP\/1\.1 (\d{3}) /)[0] // 'none' }
sub reset_at { defined $_[0]{reset} ? sprintf('%.2f', $_[0]{reset}) : 'never' }
sub show { my ($r) = @_; diag(sprintf 'status %s, sent %d, eof %s, reset %s (%s)',
    status($r), $r->{sent}, $r->{eof} // '-', reset_at($r), $r->{error} // '-') }

my $big = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n";
my $chunked = "POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    . sprintf("%x\r\n", 100000000);
my $get = "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";

# 64 KiB every 50 ms: well within what the server drains.
my @steady = (stream => [ 65536, 0.05, 2 ]);

######################################################################
# lingering_close on (the default)

my $r = client('ON', $big, @steady);
is(status($r), 413, 'on: a body over client_max_body_size gets 413 at once');
is(reset_at($r), 'never', 'on: the client keeps sending for 2s without a reset')
    or show($r);
cmp_ok($r->{sent}, '>', 1_000_000, '... its data read and discarded');

$r = client('ON', $chunked, @steady);
is(status($r), 413, 'on: a chunked body growing over the limit gets 413');
is(reset_at($r), 'never', 'on: the chunked sender is not reset either') or show($r);

# A plain exchange with nothing unread: closed at once (a late write is
# answered with a reset).
$r = client('ON', $get, at => [ 0.3, 0.6 ]);
is(status($r), 200, 'on: a GET with Connection: close');
ok(defined $r->{reset} && $r->{reset} < 1, 'on: nothing is read after a clean response')
    or show($r);

######################################################################
# lingering_close off

$r = client('OFF', $chunked, @steady);
is(status($r), 413, 'off: the 413 for a chunked body comes');
ok(defined $r->{reset} && $r->{reset} < 1,
    'off: the connection is closed at once, the sender reset') or show($r);

$r = client('OFF', $big, @steady);
is(status($r), 413, 'off: 413 for a body over client_max_body_size');
is(reset_at($r), 'never', 'off: the refused body is still discarded, no reset')
    or show($r);

######################################################################
# lingering_close always, lingering_timeout 1s

$r = client('ALWAYS', $get, at => [ 0.3, 0.6, 0.9, 1.2, 1.5, 1.8 ]);
is(status($r), 200, 'always: a GET with Connection: close');
ok(defined $r->{eof}, 'always: the server\'s side is shut at once');
is(reset_at($r), 'never', 'always: data sent after the response is still read')
    or show($r);

# Silent for 1.8s: the server gave up after lingering_timeout (1s); the
# write at 1.8s is answered with a reset, found by the next one.
$r = client('ALWAYS', $get, at => [ 0.2, 1.8, 2.0, 2.2 ]);
ok(defined $r->{reset} && $r->{reset} > 1.5 && $r->{reset} < 2.6,
    'lingering_timeout 1s: closed after a second without data') or show($r);

# The same with the default lingering_timeout (5s): still there.
$r = client('ALWAYS5', $get, at => [ 0.2, 1.8, 2.0, 2.2 ]);
is(reset_at($r), 'never', 'lingering_timeout 5s: still reading after 2s')
    or show($r);

######################################################################
# lingering_timeout 1s after a refused body

$r = client('TIMEOUT', $big, at => [ 0.1, 2.0, 2.2, 2.4 ]);
is(status($r), 413, 'lingering_timeout: 413');
ok(defined $r->{reset} && $r->{reset} > 1.5 && $r->{reset} < 3,
    'lingering_timeout 1s: a pause of 2s ends the discarding') or show($r);

$r = client('ON', $big, at => [ 0.1, 2.0, 2.2, 2.4 ]);
is(reset_at($r), 'never', 'lingering_timeout 5s: the same pause is waited out')
    or show($r);

######################################################################
# lingering_time 2s: the whole wait is bounded, however steady the data.
# (nginx counts it in whole seconds: between 1 and 2 seconds.)

$r = client('TIME', $big, stream => [ 65536, 0.05, 3.2 ]);
is(status($r), 413, 'lingering_time: 413');
ok(defined $r->{reset} && $r->{reset} > 0.8 && $r->{reset} < 3.2,
    'lingering_time 2s: a client sending all the time is cut after it') or show($r);
cmp_ok($r->{sent}, '>', 500_000, '... having been read until then');

######################################################################
# A client that sends as fast as it can: the server reads on.

$r = client('ON', $big, stream => [ 1 << 20, 0, 1.5 ]);
is(status($r), 413, 'on: 413 for a fast sender');
is(reset_at($r), 'never', 'on: a fast sender is not reset within lingering_time')
    or show($r);
