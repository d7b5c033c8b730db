#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# proxy_next_upstream and methods that change state, as nginx: a POST that
# went to a server which then failed without answering is not sent to the
# next server (it may have been acted on) unless non_idempotent is listed;
# a GET is retried.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use IO::Socket::INET;
use Socket qw/SOL_SOCKET SO_LINGER/;
use POSIX ();

my $t = Test::Portico->new->has(qw/http proxy/)->plan(4)
    ->allow_errors(qr/upstream prematurely closed|Connection reset|Broken pipe/);

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    client_max_body_size 0;
    upstream u1 { server 127.0.0.1:%%PORT_reset%% max_fails=0; server 127.0.0.1:%%PORT_good%%; }
    upstream u2 { server 127.0.0.1:%%PORT_drop%% max_fails=0; server 127.0.0.1:%%PORT_good%%; }
    upstream u3 { server 127.0.0.1:%%PORT_drop%% max_fails=0; server 127.0.0.1:%%PORT_good%%; }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location /post/ { proxy_pass http://u1; }
        location /get/ { proxy_pass http://u2; }
        location /nonidem/ {
            proxy_pass http://u3;
            proxy_next_upstream error timeout non_idempotent;
        }
    }
}
EOF2

# Reads the whole request, then closes without a word.
my $drop = Test::Portico::Backend->new($t, 'drop', handler => sub {
    return { raw => '' } })->start;
my $good = Test::Portico::Backend->new($t, 'good', response => { body => "good\n" })->start;

# Reads the head only, then resets the connection: the body's sending fails.
my $rport = $t->port('reset');
my $rpid = fork // die;
if ($rpid == 0) {
    my $ls = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $rport,
        Listen => 4, ReuseAddr => 1) or POSIX::_exit(1);
    while (my $c = $ls->accept) {
        my $h = '';
        while ($h !~ /\r\n\r\n/) { sysread($c, $h, 1, length $h) or last }
        setsockopt($c, SOL_SOCKET, SO_LINGER, pack('ii', 1, 0));
        close $c;
    }
    POSIX::_exit(0);
}
END { kill 'TERM', $rpid if $rpid }
$t->run;

sub post {
    my ($uri, $size) = @_;
    $size //= 5;
    return http("POST $uri HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        . "Content-Length: $size\r\n\r\n" . ('h' x $size), timeout => 10) // '';
}

like(post('/post/a', 4 << 20), qr{^HTTP/1\.1 502 },
     'POST whose sending failed half way: 502, not retried');
is(scalar(grep { $_->{method} eq 'POST' } $good->requests), 0,
   '... the next server never saw it');
like(http_get('/get/a') // '', qr{^HTTP/1\.1 200 .*good}s, 'GET: retried on the next server');
like(post('/nonidem/a'), qr{^HTTP/1\.1 200 .*good}s,
     'POST with non_idempotent: retried');
