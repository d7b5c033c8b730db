#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# gzip over proxied responses (issue 7): compressed bytes leave as they are
# produced, before a slow backend has finished; the round trip is exact for
# several sizes; a backend's own gzip is passed through, not compressed
# twice; gunzip decompresses it for clients that do not accept gzip.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use IO::Socket::INET;
use IO::Select;
use IO::Uncompress::Gunzip qw/gunzip $GunzipError/;
use IO::Compress::Gzip qw/gzip $GzipError/;
use Time::HiRes qw/time/;

my $t = Test::Portico->new->has(qw/http proxy gzip gunzip/)->plan(9);

my $text = join('', map { "line $_ of a compressible backend answer\n" } 1 .. 4000);
gzip(\$text => \my $gzipped) or die $GzipError;

my $be = Test::Portico::Backend->new($t, 'be', handler => sub {
    my ($req) = @_;
    my ($n) = $req->{uri} =~ m{/size/(\d+)};
    return { headers => [ 'Content-Type' => 'text/plain' ],
             body => substr($text x 3, 0, $n) } if defined $n;
    return { headers => [ 'Content-Type' => 'text/plain',
                          'Content-Encoding' => 'gzip' ],
             body => $gzipped } if $req->{uri} =~ m{/pre};
    return { status => 404, body => "no\n" };
})->start;

# A slow backend of its own: half the body at once, the rest 2 s later.
my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
    LocalPort => $t->port('slow'), Listen => 4, ReuseAddr => 1)
    or die "listen: $!";
my $spid = fork() // die "fork: $!";
if ($spid == 0) {
    local $SIG{ALRM} = sub { exit 0 };
    alarm 20;
    while (my $c = $listen->accept) {
        while (<$c>) { last if $_ eq "\r\n"; }
        $c->autoflush(1);
        my $half = int(length($text) / 2);
        print $c "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
            . "Transfer-Encoding: chunked\r\n\r\n";
        printf $c "%x\r\n%s\r\n", $half, substr($text, 0, $half);
        sleep 2;
        my $rest = substr($text, $half);
        printf $c "%x\r\n%s\r\n0\r\n\r\n", length($rest), $rest;
        close $c;
    }
    exit 0;
}
close $listen;

$t->write_conf(<<'EOF');
events { }
http {
    access_log off;
    gzip on;
    gzip_types text/plain;
    gzip_min_length 20;
    gzip_proxied any;
    gunzip on;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / { proxy_pass http://127.0.0.1:%%PORT_be%%; }
        location /slow { proxy_pass http://127.0.0.1:%%PORT_slow%%; }
    }
}
EOF
$t->run;

sub inflate { my $z = shift; my $out; gunzip(\$z => \$out) or return undef; $out }

for my $n (0, 1, 19, 20, 65536) {
    my $raw = http_get("/size/$n", 'Accept-Encoding' => 'gzip');
    my $r = parse_response($raw);
    my $want = substr($text x 3, 0, $n);
    my $got = ($r->{headers}{'content-encoding'} // '') eq 'gzip'
              ? inflate(http_body($raw)) : http_body($raw);
    is($got, $want, "round trip, $n bytes");
}

is(inflate(http_body(http_get('/pre', 'Accept-Encoding' => 'gzip')) // ''), $text,
    "a backend's gzip passes through once");

is(http_body(http_get('/pre')), $text, 'gunzip for a client without gzip');

# Streaming: the first compressed bytes arrive while the backend waits.
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $t->port(8080))
    or die "connect: $!";
print $s "GET /slow HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n";
my $t0 = time;
my ($first, $all) = (undef, '');
my $sel = IO::Select->new($s);
while ($sel->can_read(10)) {
    my $n = sysread($s, my $buf, 65536) or last;
    $all .= $buf;
    $first //= time - $t0 if $all =~ /\r\n\r\n.*\S/s;
}
portico_only(1, 'nginx holds them in proxy_buffers', sub {
    ok(defined $first && $first < 1.5,
        'compressed bytes reach the client before the backend ends')
        or diag('first body bytes after ' . ($first // 'never'));
});
is(inflate(http_body($all) // ''), $text, '... and the whole answer inflates');
kill 'TERM', $spid;
waitpid($spid, 0);
