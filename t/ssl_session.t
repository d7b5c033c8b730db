#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# TLS session resumption: ssl_session_cache shared:NAME:SIZE lets a
# session made by one worker resume on the other and survives a SIGHUP
# reload; session tickets (on by default) resume with the key all workers
# share; ssl_session_ticket_key files are shared between servers and
# rotate (first encrypts, all decrypt); ssl_session_cache off and
# ssl_session_tickets off together disable resumption.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::TLS;

my $t = Test::Portico->new->has(qw/http ssl/)->plan(14)
    ->allow_errors(qr/exited on signal 9/);
my $dir = $t->testdir;

make_ca($dir);
make_cert($dir, 'server', type => 'ec', cn => 'localhost');
$t->write_file('old.key', join '', map { chr(($_ * 13 + 1) % 256) } 0 .. 79);
$t->write_file('new.key', join '', map { chr(($_ * 17 + 5) % 256) } 0 .. 79);
$t->write_file('short.key', join '', map { chr(($_ * 3 + 7) % 256) } 0 .. 47);

$t->write_conf(<<'EOF');
worker_processes 2;
events { }
http {
    access_log off;
    ssl_certificate server.crt;
    ssl_certificate_key server.key;

    server {
        listen 127.0.0.1:%%PORT_CACHE%% ssl;
        ssl_session_cache shared:SSL:1m;
        ssl_session_tickets off;
        location / { return 200 "reused=$ssl_session_reused pid=$pid\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_TICKET%% ssl;
        location / { return 200 "reused=$ssl_session_reused pid=$pid\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_KEYA%% ssl;
        ssl_session_ticket_key old.key;
        location / { return 200 "reused=$ssl_session_reused\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_KEYB%% ssl;
        ssl_session_ticket_key new.key;
        ssl_session_ticket_key old.key;
        location / { return 200 "reused=$ssl_session_reused\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_SHORT%% ssl;
        ssl_session_ticket_key short.key;
        location / { return 200 "reused=$ssl_session_reused\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_OFF%% ssl;
        ssl_session_cache off;
        ssl_session_tickets off;
        location / { return 200 "reused=$ssl_session_reused\n"; }
    }
}
EOF
$t->run;

# One connection with a request; the session is read from and saved to
# FILE.  Returns the response body ("reused=... pid=...").
sub get {
    my ($key, $file, @opts) = @_;
    my $port = $t->port($key);
    my $in = -s "$dir/$file" ? "-sess_in $dir/$file" : '';
    my $out = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | openssl s_client -connect 127.0.0.1:$port $in -sess_out $dir/$file -ign_eof @opts 2>&1`;
    my ($body) = $out =~ /^(reused=\S*(?: pid=\d+)?)$/m;
    return $body // '';
}

# 1-3: the shared cache (session ids, no tickets) across workers.
like(get('CACHE', 'cache.sess'), qr/^reused=\./, 'first handshake is full');
my (%pids, $reused);
for (1 .. 20) {
    my $b = get('CACHE', 'cache.sess');
    $reused++ if $b =~ /reused=r/;
    $pids{$1} = 1 if $b =~ /pid=(\d+)/;
}
is($reused, 20, 'every reconnect resumed by session id');
# The worker holding the session dies; its replacement (another process)
# resumes the session from the shared cache.
my ($maker) = keys %pids;
kill 'KILL', $maker;
wait_until(sub { my @w = $t->worker_pids; @w == 2 && !grep { $_ == $maker } @w }, 10);
my $other = get('CACHE', 'cache.sess');
like($other, qr/^reused=r pid=(?!$maker\b)\d+$/,
     'a session made by one worker resumes on another process');

# 4-5: tickets, with the key every worker shares.
get('TICKET', 'ticket.sess');
($reused, %pids) = (0);
for (1 .. 10) {
    my $b = get('TICKET', 'ticket.sess');
    $reused++ if $b =~ /reused=r/;
    $pids{$1} = 1 if $b =~ /pid=(\d+)/;
}
is($reused, 10, 'every reconnect resumed by ticket');
ok(keys %pids >= 1, 'tickets from any worker');

# 6-8: a ticket key file: shared with another server, and rotated there.
get('KEYA', 'keya.sess');
like(get('KEYA', 'keya.sess'), qr/reused=r/, 'ssl_session_ticket_key');
like(get('KEYB', 'keya.sess'), qr/reused=r/,
    'an older key still decrypts (rotation)');
like(get('SHORT', 'keya.sess'), qr/reused=\./, 'an unknown key does not');

# 9: 48-byte keys (AES-128).
get('SHORT', 'short.sess');
like(get('SHORT', 'short.sess'), qr/reused=r/, '48-byte ticket key');

# 10: no cache and no tickets: nothing resumes.
get('OFF', 'off.sess');
like(get('OFF', 'off.sess'), qr/reused=\./, 'ssl_session_cache off');

# ... and no TLS 1.3 ticket is sent for nothing (one is, with tickets on).
sub tickets {
    my ($key) = @_;
    my $port = $t->port($key);
    my $out = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | openssl s_client -connect 127.0.0.1:$port -tls1_3 -msg -ign_eof 2>&1`;
    my $n = () = $out =~ /<<< TLS 1\.3, Handshake \[length [0-9a-f]+\], NewSessionTicket/g;
    return $n;
}
is(tickets('OFF'), 0, 'no cache, no tickets: no TLS 1.3 session ticket sent');
cmp_ok(tickets('TICKET'), '>=', 1, 'tickets on: TLS 1.3 session tickets sent');

# 11-12: the shared cache survives a reload.
get('CACHE', 'reload.sess');
my $before = get('CACHE', 'reload.sess');
like($before, qr/reused=r/, 'resumed before reload');
$t->reload;
my $after = get('CACHE', 'reload.sess');
my ($p1) = $before =~ /pid=(\d+)/;
like($after, qr/reused=r pid=(?!\Q${\($p1 \/\/ 0)}\E\b)\d+/,
    'session resumes on a new worker after SIGHUP reload');
