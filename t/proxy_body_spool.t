#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Request bodies past client_body_buffer_size go to a temporary file (as
# nginx logs it), so a large upload keeps the worker's memory bounded, and
# reach the backend intact (Content-Length and chunked uploads).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use IO::Socket::INET;
use Digest::MD5 qw/md5_hex/;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(6);

my $be = Test::Portico::Backend->new($t, 'be')->start;

$t->write_conf(<<'EOF');
events { }
http {
    access_log off;
    client_max_body_size 0;
    client_body_buffer_size 16k;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / { proxy_pass http://127.0.0.1:%%PORT_be%%; }
    }
}
EOF
$t->run;

my ($worker) = $t->worker_pids;

sub rss_kb {
    open(my $fh, '<', "/proc/$worker/status") or return 0;
    while (<$fh>) { return $1 if /^VmRSS:\s+(\d+)/ }
    return 0;
}

# 40 MiB with Content-Length, written in pieces while RSS is watched.
my $size = 40 * 1024 * 1024;
my $piece = 'p' x 65536;
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port(8080))
    or die "connect: $!";
print $s "POST /up HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    . "Content-Length: $size\r\n\r\n";
my $peak = 0;
for (1 .. $size / 65536) {
    print $s $piece;
    if ($_ % 64 == 0) { my $k = rss_kb(); $peak = $k if $k > $peak; }
}
my $r = http_read($s, timeout => 20);
like($r, qr{^HTTP/1\.1 200 }, '40 MiB upload proxied');
cmp_ok($peak, '<', 30 * 1024, 'worker RSS stayed bounded during the upload')
    or diag("peak RSS $peak kB");
my $q = $be->last_request // {};
is($q->{body_len} // length($q->{body} // ''), $size, 'the backend got every byte');
is($q->{body_md5} // md5_hex($q->{body} // ''), md5_hex($piece x ($size / 65536)),
    '... intact');

# Chunked upload past the buffer: the backend gets a Content-Length.
my $body = 'c' x 100000;
$r = http("POST /chunked HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    . "Transfer-Encoding: chunked\r\n\r\n"
    . sprintf("%x\r\n%s\r\n0\r\n\r\n", length($body), $body), timeout => 10);
like($r, qr{^HTTP/1\.1 200 }, 'chunked upload past the buffer proxied');
$q = $be->last_request // {};
is($q->{headers}{'content-length'}, length($body), '... as a Content-Length body');
