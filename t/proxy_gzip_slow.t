#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# gzip over a proxied response to a client that reads slowly: when every
# compressed buffer waits for the client, gzip holds the relay's input,
# and the client's write events must run the filter chain again, or the
# response stalls for good; and a relay buffer that zlib has consumed and
# the relay refilled must not be touched by zlib's stale input pointer (it
# was: the pipe then spun forever).  The whole body arrives and inflates
# exactly.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use IO::Socket::INET;
use IO::Select;
use IO::Uncompress::Gunzip qw/gunzip/;
use Time::HiRes qw/time sleep/;

my $t = Test::Portico->new->has(qw/http proxy gzip/)->plan(2);

# 2 MB of text that compresses only so much: random words.
srand(7);
my @w = map { join '', map { chr(97 + int rand 26) } 1 .. 2 + int rand 8 } 1 .. 5000;
my $body = '';
$body .= $w[int rand @w] . ' ' while length $body < 2_000_000;

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%% sndbuf=4k;
        send_timeout 20s;
        gzip on;
        gzip_proxied any;
        gzip_types text/plain;
        location / { proxy_pass http://127.0.0.1:%%PORT_be%%; }
    }
}
EOF2
Test::Portico::Backend->new($t, 'be', record => 0, response => {
    headers => [ 'Content-Type' => 'text/plain' ], body => $body })->start;
$t->run;

my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port(8080))
    or die "connect: $!";
setsockopt($s, Socket::SOL_SOCKET(), Socket::SO_RCVBUF(), 16384);
print $s "GET /x HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n";
my $sel = IO::Select->new($s);
my ($raw, $buf) = ('', '');
my $t0 = time;
while (time - $t0 < 40 && $sel->can_read(10)) {
    my $n = sysread($s, $buf, 16384);
    last unless $n;
    $raw .= $buf;
    sleep 0.002;
}
my $gz = http_body($raw) // '';
my $out;
gunzip(\$gz => \$out);
is(length($out // ''), length $body, 'the slow client gets the whole body');
ok(defined $out && $out eq $body, '... which inflates to the backend\'s bytes');
