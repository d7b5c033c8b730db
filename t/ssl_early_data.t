#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# ssl_early_data: with on, a resumed TLS 1.3 client's 0-RTT request is
# accepted and answered before the handshake ends, with $ssl_early_data
# "1" so the application can refuse what must not be replayed; off (the
# default) rejects early data and the connection goes on as usual.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::TLS;

my $t = Test::Portico->new->has(qw/http ssl/)->plan(9);
my $dir = $t->testdir;

make_ca($dir);
make_cert($dir, 'server', type => 'ec', cn => 'localhost');

$t->write_conf(<<'EOF2');
worker_processes 1;
events { }
http {
    access_log off;
    ssl_certificate server.crt;
    ssl_certificate_key server.key;
    ssl_session_cache shared:SSL:1m;
    server {
        listen 127.0.0.1:%%PORT_ON%% ssl;
        ssl_early_data on;
        location / { return 200 "early=$ssl_early_data\n"; }
        location /big { root %%TESTDIR%%/www; }
    }
    server {
        listen 127.0.0.1:%%PORT_OFF%% ssl;
        location / { return 200 "early=$ssl_early_data\n"; }
    }
}
EOF2
$t->write_file('www/big', 'b' x 3_000_000);
$t->run;

my $req = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
$t->write_file('req.txt', $req);

# A full handshake that saves the session; then a resumption sending the
# request as early data.
sub full {
    my ($key, $sess) = @_;
    my $port = $t->port($key);
    return scalar `printf 'GET / HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' | timeout 10 openssl s_client -connect 127.0.0.1:$port -tls1_3 -sess_out $dir/$sess -ign_eof 2>&1`;
}
sub early {
    my ($key, $sess) = @_;
    my $port = $t->port($key);
    return scalar `timeout 10 openssl s_client -connect 127.0.0.1:$port -tls1_3 -sess_in $dir/$sess -early_data $dir/req.txt -ign_eof </dev/null 2>&1`;
}

like(full('ON', 'on.sess'), qr/^early=$/m, 'a full handshake: $ssl_early_data empty');
my $e = early('ON', 'on.sess');
like($e, qr/Early data was accepted/, 'on: early data accepted');
like($e, qr/^early=1$/m, 'on: answered before the handshake ended, $ssl_early_data "1"');
like($e, qr/Reused, TLSv1\.3/, 'on: the session resumed');

like(full('OFF', 'off.sess'), qr/^early=$/m, 'off: a full handshake');
my $o = early('OFF', 'off.sess');
like($o, qr/Early data was (?:not sent|rejected)/,
     'off (the default): no early data (the ticket allows none)');
unlike($o, qr/^early=1$/m, 'off: no request was taken from early data');

# After 0-RTT, the same server still serves ordinary handshakes.
like(full('ON', 'on2.sess'), qr/^early=$/m, 'on: a later full handshake as usual');

# A large answer to 0-RTT data, the connection closing after it: all of it
# arrives (the client's last flight is read before the close, no reset).
$t->write_file('big.txt', "GET /big HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
full('ON', 'big.sess');
my $port = $t->port('ON');
my $out = `timeout 20 openssl s_client -connect 127.0.0.1:$port -tls1_3 -sess_in $dir/big.sess -early_data $dir/big.txt -ign_eof -quiet </dev/null 2>/dev/null`;
my $bs = 0;
$bs += length for $out =~ /(b{1000,})/g;
is($bs, 3_000_000, 'a 3 MB answer to early data arrives whole');
