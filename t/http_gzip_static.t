#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# gzip_static on|always serving file.gz beside file, gunzip inflating it
# for clients without gzip (small, empty, 10 MiB and corrupt streams), and
# the gzip filter passing an already encoded response through untouched.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use IO::Compress::Gzip qw/gzip $GzipError/;

my $t = Test::Portico->new->has(qw/http gzip_static gunzip/)->plan(31);

$t->write_conf(<<'EOF');
events { }
http {
    types { text/html html; }

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/html;
        gzip_vary on;

        location /on/ { gzip_static on; }
        location /always/ { gzip_static always; }
        location /gun/ { gzip_static always; gunzip on; gunzip_buffers 4 2k; }
        location /enc/ { gzip_static always; gzip on; gzip_min_length 0; }
        location /novary/ { gzip_static on; gzip_vary off; }
    }
}
EOF

sub text {
    my ($n) = @_;
    my $s = '';
    my $i = 0;
    $s .= "static line " . $i++ . " <b>text</b>\n" while length $s < $n;
    return substr($s, 0, $n);
}

sub gz {
    my ($data) = @_;
    my $z;
    gzip(\$data => \$z, Minimal => 1) or die $GzipError;
    return $z;
}

my $a = text(3000);
my $big = text(10 * 1024 * 1024);
for my $d (qw/on always gun enc/) {
    $t->write_file("html/$d/a.html", $a);
    $t->write_file("html/$d/a.html.gz", gz($a));
}
$t->write_file('html/on/nogz.html', $a);
$t->write_file('html/on/only.html.gz', gz($a));
$t->write_file('html/gun/big.html.gz', gz($big));
$t->write_file('html/gun/empty.html.gz', gz(''));
$t->write_file('html/gun/two.html.gz', gz('first,') . gz('second'));
$t->write_file('html/novary/loop.html', $a);
symlink('loop.html.gz', $t->testdir . '/html/novary/loop.html.gz') or die "symlink: $!";
$t->write_file('html/gun/bad.html.gz', "\x1f\x8b\x08\x00" . ('junk' x 100));
$t->run;

my @ae = ('Accept-Encoding' => 'gzip');
my $gza = gz($a);
my ($raw, $r);

# on: the .gz for clients that take gzip, exactly as stored.
$raw = http_get('/on/a.html', @ae);
$r = parse_response($raw);
is($r->{headers}{'content-encoding'}, 'gzip', 'on: Content-Encoding');
is($r->{headers}{'content-length'}, length $gza, 'on: length of the .gz');
is($r->{headers}{'content-type'}, 'text/html', 'on: type of the file');
like($r->{headers}{etag}, qr/^"[0-9a-f]+-[0-9a-f]+"$/, 'on: strong ETag');
is($r->{headers}{vary}, 'Accept-Encoding', 'on: Vary');
ok(http_body($raw) eq $gza, 'on: the .gz bytes');

$raw = http_get('/on/a.html');
$r = parse_response($raw);
ok(!exists $r->{headers}{'content-encoding'} && http_body($raw) eq $a,
    'on: plain file without Accept-Encoding');
is($r->{headers}{vary}, 'Accept-Encoding', 'on: Vary on the plain file');

$raw = http_get('/on/nogz.html', @ae);
ok($raw !~ /^Content-Encoding/mi && http_body($raw) eq $a,
    'on: no .gz, the plain file');
$raw = http_get('/on/only.html', @ae);
ok($raw =~ /^Content-Encoding: gzip/mi && http_body($raw) eq $gza,
    'on: the .gz without the plain file');
like(http_get('/on/only.html'), qr{^HTTP/1.1 404 }, 'on: 404 otherwise');
$raw = http_get('/on/a.html', 'Accept-Encoding' => 'gzip;q=0');
ok($raw !~ /^Content-Encoding/mi, 'on: gzip;q=0 refuses');

$raw = http_head('/on/a.html', @ae);
ok($raw =~ /^Content-Length: ${\ length $gza}\r$/mi
    && $raw =~ /\r\n\r\n\z/, 'on: HEAD');
$raw = http_get('/on/a.html', @ae, Range => 'bytes=0-9');
ok($raw =~ m{^HTTP/1.1 200 } && http_body($raw) eq $gza,
    'on: no ranges of the .gz');

# gzip_vary off: for a client that cannot take gzip the .gz does not
# matter, and it is not even opened (nginx's order): a .gz that cannot be
# opened (a symbolic link to itself) logs nothing then.
$raw = http_get('/novary/loop.html');
ok($raw =~ m{^HTTP/1.1 200 } && http_body($raw) eq $a && $raw !~ /^Vary/mi,
    'vary off: the plain file');
unlike($t->error_log, qr/loop\.html\.gz/, 'vary off: .gz not opened');
http_get('/novary/loop.html', @ae);
like($t->error_log, qr/open\(\) "[^"]*loop\.html\.gz" failed/,
    'vary off: opened for a gzip client');

# always: the .gz for everybody.
$raw = http_get('/always/a.html');
ok($raw =~ /^Content-Encoding: gzip/mi && http_body($raw) eq $gza,
    'always: the .gz without Accept-Encoding');

# gunzip: inflated for clients without gzip, passed as is for the others.
$raw = http_get('/gun/a.html');
$r = parse_response($raw);
ok(!exists $r->{headers}{'content-encoding'}, 'gunzip: no Content-Encoding');
ok(!exists $r->{headers}{'content-length'}, 'gunzip: no Content-Length');
like($r->{headers}{etag}, qr{^W/}, 'gunzip: weak ETag');
ok(http_body($raw) eq $a, 'gunzip: round trip');
$raw = http_get('/gun/a.html', @ae);
ok(http_body($raw) eq $gza, 'gunzip: gzip clients get the .gz');
$raw = http_get('/gun/big.html');
ok(http_body($raw) eq $big, 'gunzip: 10 MiB round trip');
$raw = http_get('/gun/empty.html');
ok($raw =~ m{^HTTP/1.1 200 } && http_body($raw) eq '', 'gunzip: empty');
is(http_body(http_get('/gun/two.html')), 'first,second',
    'gunzip: concatenated members');

# A corrupt stream cuts the response; the server goes on.
$raw = http_get('/gun/bad.html');
ok($raw !~ /\r\n0\r\n\r\n\z/, 'gunzip: corrupt stream cut short');
like(http_get('/gun/a.html'), qr{^HTTP/1.1 200 }, 'gunzip: next request');

# The gzip filter leaves an encoded response alone.
$raw = http_get('/enc/a.html', @ae);
$r = parse_response($raw);
is($r->{headers}{'content-encoding'}, 'gzip', 'encoded: one Content-Encoding');
is($r->{headers}{'content-length'}, length $gza, 'encoded: length kept');
ok(http_body($raw) eq $gza, 'encoded: not compressed twice');
