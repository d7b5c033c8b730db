#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# With session tickets on, a TLS 1.3 session resumes from its ticket alone
# and is never looked up by ID, so it is not put in the shared session
# cache: a burst of TLS 1.3 handshakes does not push a TLS 1.2 session out
# of a small zone.  With tickets off, TLS 1.3 tickets name cached sessions,
# which still resume.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::TLS;

my $t = Test::Portico->new->has(qw/http ssl/)->plan(5);
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
    server {
        listen 127.0.0.1:%%PORT_TINY%% ssl;
        ssl_session_cache shared:TINY:32k;
        location / { return 200 "reused=$ssl_session_reused\n"; }
    }
    server {
        listen 127.0.0.1:%%PORT_STATEFUL%% ssl;
        ssl_session_cache shared:STATEFUL:1m;
        ssl_session_tickets off;
        location / { return 200 "reused=$ssl_session_reused\n"; }
    }
}
EOF2
$t->run;

sub get {
    my ($key, $file, @opts) = @_;
    my $port = $t->port($key);
    my $io = $file ? (-s "$dir/$file" ? "-sess_in $dir/$file " : '')
                     . "-sess_out $dir/$file" : '';
    my $out = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | openssl s_client -connect 127.0.0.1:$port $io -ign_eof @opts 2>&1`;
    my ($body) = $out =~ /^(reused=\S*)$/m;
    return $body // '';
}

# A TLS 1.2 session by ID (no ticket): it lives in the zone.
get('TINY', 'v12.sess', '-tls1_2', '-no_ticket');
like(get('TINY', 'v12.sess', '-tls1_2', '-no_ticket'), qr/reused=r/,
     'a TLS 1.2 session resumes by ID from the small zone');

# Far more TLS 1.3 handshakes than the zone could hold sessions for.
my $full = 0;
for (1 .. 150) {
    $full++ if get('TINY', undef, '-tls1_3') eq 'reused=.';
}
is($full, 150, '150 full TLS 1.3 handshakes');

like(get('TINY', 'v12.sess', '-tls1_2', '-no_ticket'), qr/reused=r/,
     '... did not push the TLS 1.2 session out of the zone');

# TLS 1.3 resumes by ticket there, and by cached session without tickets.
get('TINY', 'v13.sess', '-tls1_3');
like(get('TINY', 'v13.sess', '-tls1_3'), qr/reused=r/,
     'TLS 1.3 resumes from its ticket');
get('STATEFUL', 'st.sess', '-tls1_3');
like(get('STATEFUL', 'st.sess', '-tls1_3'), qr/reused=r/,
     'TLS 1.3 with tickets off resumes from the shared cache');
