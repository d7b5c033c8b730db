#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# gzip and the proxy cache together: the entry holds the backend's bytes
# (compression happens on the way out, per client), so one stored copy
# answers gzip and plain clients alike; a backend that compresses itself
# with Vary: Accept-Encoding gets one variant per Accept-Encoding value.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use IO::Uncompress::Gunzip qw/gunzip/;
use IO::Compress::Gzip qw/gzip/;
use File::Find;

my $t = Test::Portico->new->has(qw/http proxy gzip/)->plan(16);

my $page = join('', map { "<p>line $_ of a page worth compressing</p>\n" }
    1 .. 200);
my $packed;
gzip(\$page => \$packed) or die;

my $be = Test::Portico::Backend->new($t, 'be', handler => sub {
    my ($req) = @_;
    if ($req->{uri} =~ m{^/self/}) {
        my $gz = ($req->{headers}{'accept-encoding'} // '') =~ /gzip/;
        return { headers => [ 'Content-Type' => 'text/html',
                              'Vary' => 'Accept-Encoding',
                              $gz ? ('Content-Encoding' => 'gzip') : () ],
                 body => $gz ? $packed : $page };
    }
    return { headers => [ 'Content-Type' => 'text/html' ], body => $page };
});

$t->write_conf(<<'EOF');
worker_processes 1;
events { }
http {
    access_log off;
    proxy_cache_path %%TESTDIR%%/cache levels=1:2 keys_zone=gz:1m;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        proxy_cache gz;
        proxy_cache_valid 200 10m;
        add_header X-Cache-Status $upstream_cache_status;
        location /plain/ {
            gzip on;
            gzip_types text/html;
            gzip_proxied any;
            gzip_min_length 10;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /self/ {
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
    }
}
EOF

$be->start;
$t->run;

sub get { get_response($_[0], $_[1] ? ('Accept-Encoding' => 'gzip') : ()) }
sub cs { $_[0]{headers}{'x-cache-status'} // '' }
sub ce { $_[0]{headers}{'content-encoding'} // '' }
sub inflate { my $z = shift; my $out; gunzip(\$z => \$out) or return undef; $out }

# gzip on in front of the cache.
my $r1 = get('/plain/a', 1);
is(cs($r1) . ' ' . ce($r1), 'MISS gzip', 'gzip client, MISS: compressed');
is(inflate($r1->{body}), $page, '... and inflates to the page');
my $r2 = get('/plain/a', 0);
is(cs($r2) . ' ' . ce($r2), 'HIT ', 'plain client, HIT: not compressed');
is($r2->{body}, $page, '... the page as the backend sent it');
my $r3 = get('/plain/a', 1);
is(cs($r3) . ' ' . ce($r3), 'HIT gzip', 'gzip client, HIT: compressed again');
is(inflate($r3->{body}), $page, '... and inflates to the page');
is(scalar(grep { $_->{uri} eq '/plain/a' } $be->requests), 1,
    'backend asked once for both encodings');

# What is on disk is the backend's bytes, not a compressed copy.
my @files;
find(sub { push @files, $File::Find::name if -f && /^[0-9a-f]{32}$/ },
     $t->testdir . '/cache');
is(scalar @files, 1, 'one entry file');
my $disk = do { local $/; open my $fh, '<', $files[0] or die; <$fh> };
ok(index($disk, $page) >= 0, 'the entry holds the uncompressed body');

# A backend that compresses itself: variants by Accept-Encoding.
my $s1 = get('/self/b', 1);
is(cs($s1) . ' ' . ce($s1), 'MISS gzip', 'self-compressing backend, gzip: MISS');
my $s2 = get('/self/b', 0);
is(cs($s2) . ' ' . ce($s2), 'MISS ', '... plain client: its own variant, MISS');
is($s2->{body}, $page, '... plain body');
my $s3 = get('/self/b', 1);
is(cs($s3) . ' ' . ce($s3), 'HIT gzip', '... gzip variant: HIT');
is(inflate($s3->{body}), $page, '... inflates to the page');
my $s4 = get('/self/b', 0);
is(cs($s4) . ' ' . ce($s4), 'HIT ', '... plain variant: HIT');

$t->stop;
is($t->error_log =~ /\[(?:alert|crit|emerg)\]/ ? 'problems' : 'clean', 'clean',
   'no alert/crit in the log');
