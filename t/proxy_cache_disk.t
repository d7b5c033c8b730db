#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The proxy cache on disk (nginx semantics): one file per entry at
# DIR/x/yz/<md5 of the key> for levels=1:2; entries shared by two workers;
# a cache directory the workers cannot write still proxies; max_size and
# inactive enforced by the cache manager; the index kept across a SIGHUP
# reload and rebuilt from disk after a restart; a torn or foreign file is
# never served.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use Digest::MD5 qw/md5_hex/;
use File::Find;
use File::Path qw/make_path/;
use File::Basename qw/dirname/;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(34);
$t->allow_errors(qr/(?:mkdir|rename)\(\) .* failed|Permission denied/);

sub body_for {
    my ($uri) = @_;
    return 's' x (50 * 1024) if $uri =~ m{^/small/};
    return join('', map { sprintf("%06d %s\n", $_, $uri) } 1 .. 8192)
        if $uri =~ m{^/d/(torn|foreign)};       # about 100 KiB
    return "content of $uri\n";
}

my $be = Test::Portico::Backend->new($t, 'be', handler => sub {
    my ($req) = @_;
    return { headers => [ 'Content-Type' => 'text/plain' ],
        body => body_for($req->{uri}) };
})->start;

my $conf = <<'EOF';
worker_processes 2;
events { }
http {
    access_log off;
    proxy_cache_path %%TESTDIR%%/cache levels=1:2 keys_zone=main:1m;
    proxy_cache_path %%TESTDIR%%/small keys_zone=small:1m max_size=200k;
    proxy_cache_path %%TESTDIR%%/idle levels=1:2 keys_zone=idle:1m inactive=2s;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        add_header X-Cache-Status $upstream_cache_status always;
        proxy_cache_valid 200 10m;

        location /d/ {
            proxy_cache main;
            proxy_cache_key $uri;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /dk/ {
            proxy_cache main;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /small/ {
            proxy_cache small;
            proxy_cache_key $uri;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /idle/ {
            proxy_cache idle;
            proxy_cache_key $uri;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
    }
}
EOF
$t->write_conf($conf);
$t->run;

my $dir = $t->testdir;

sub get { get_response(@_) }
sub cs { $_[0]{headers}{'x-cache-status'} // '' }
sub seen { my ($u) = @_; scalar grep { ref $u ? $_->{uri} =~ $u : $_->{uri} eq $u } $be->requests }

# The file of a key: levels=1:2 takes the last hex digit, then the two
# before it.
sub cache_file {
    my ($root, $key, $levels) = @_;
    my $h = md5_hex($key);
    return "$dir/$root/$h" unless $levels;
    return "$dir/$root/" . substr($h, -1) . '/' . substr($h, -3, 2) . "/$h";
}

# Regular files under a cache root: (count, total bytes).
sub usage {
    my ($root) = @_;
    my ($n, $bytes) = (0, 0);
    find({ no_chdir => 1, wanted => sub {
        return unless -f $_;
        $n++;
        $bytes += -s _;
    } }, "$dir/$root") if -d "$dir/$root";
    return ($n, $bytes);
}

# Fill the max_size and inactive zones first: the cache manager works on
# them while the other checks run.
for my $i (1 .. 10) {
    my $r = get("/small/$i");
    die "cannot fill /small/$i\n" unless $r->{status} == 200;
}
get("/idle/$_") for 1 .. 3;
ok(wait_until(sub { !grep { !-f cache_file('idle', "/idle/$_", 1) } 1 .. 3 }, 5),
    'inactive zone: entries written');

# The file layout.
my $a1 = get('/d/a');
is(cs($a1), 'MISS', 'first request: MISS');
my $fa = cache_file('cache', '/d/a', 1);
ok(wait_until(sub { -f $fa }, 5), 'the entry is DIR/x/yz/md5(key) (levels=1:2)')
    or diag(join "\n", `find $dir/cache`);
ok(-d "$dir/cache/" . substr(md5_hex('/d/a'), -1), '... level 1 is one hex digit');

# Without proxy_cache_key, nginx's key is the proxy_pass URL's
# "scheme://host:port" and the URI sent to the backend, query included.
get('/dk/a?x=1');
my $pb = $be->port;
ok(wait_until(sub { -f cache_file('cache', "http://127.0.0.1:$pb/dk/a?x=1", 1) }, 5),
    'default key: md5 of "http://127.0.0.1:PORT/dk/a?x=1"');

# Two workers: every entry is a HIT whichever worker answers.
get("/d/w$_") for 1 .. 10;
my $hits = 0;
for my $i (1 .. 20) {
    my $r = get('/d/w' . (($i - 1) % 10 + 1));
    $hits++ if cs($r) eq 'HIT' && $r->{body} eq body_for('/d/w' . (($i - 1) % 10 + 1));
}
is($hits, 20, 'two workers: 20 requests on new connections, all HITs');
is(seen(qr{^/d/w\d+$}), 10, 'two workers: the backend was asked once per entry');

# A cache directory the workers cannot write: still proxied.
my ($worker) = $t->worker_pids;
my $wuid = 0;
if (open my $st, '<', "/proc/$worker/status") {
    while (<$st>) { $wuid = (split)[2] if /^Uid:/ }
}
SKIP: {
    skip 'workers run as root: permissions do not stop them', 3 if $wuid == 0;

    my @dirs;
    find({ no_chdir => 1, wanted => sub { push @dirs, $_ if -d $_ } }, "$dir/cache");
    my %mode = map { $_ => (stat $_)[2] & 07777 } @dirs;
    chmod 0555, @dirs;

    my $ro = get('/d/readonly');
    is($ro->{status} . ' ' . $ro->{body}, "200 " . body_for('/d/readonly'),
        'unwritable cache directory: still proxied');
    sleep 0.3;
    ok(!-e cache_file('cache', '/d/readonly', 1), 'unwritable cache directory: no file');
    is(cs(get('/d/readonly')), 'MISS', 'unwritable cache directory: not stored');

    chmod $mode{$_}, $_ for @dirs;
}

# max_size=200k: ten 50 KiB entries are cut down by the cache manager,
# the least recently used first.
my $small_ok = wait_until(sub { (usage('small'))[1] <= 256 * 1024 }, 12);
my ($sn, $sbytes) = usage('small');
ok($small_ok, 'max_size=200k: the cache manager cut the zone down')
    or diag("$sn files, $sbytes bytes");
cmp_ok($sn, '>=', 1, 'max_size: entries are left');
ok(-f cache_file('small', '/small/10'), 'max_size: the most recently used entry is kept');
ok(!-f cache_file('small', '/small/1'), 'max_size: the least recently used entry is gone');

# inactive=2s: entries not used for 2 s are removed.
ok(wait_until(sub { !grep { -e cache_file('idle', "/idle/$_", 1) } 1 .. 3 }, 12),
    'inactive=2s: unused entries removed from disk');
is(cs(get('/idle/1')), 'MISS', 'inactive=2s: ... and from the index');
is(seen('/idle/1'), 2, 'inactive=2s: the backend was asked again');

# A SIGHUP reload keeps the index.
get('/d/torn');             # filled now, torn later
ok($t->reload, 'reloaded');
my $h1 = get('/d/a');
is(cs($h1), 'HIT', 'after a reload: HIT');
is($h1->{body}, body_for('/d/a'), 'after a reload: the stored body');
is(seen('/d/a'), 1, 'after a reload: the backend was not asked');

# Restart with the same configuration (backend down): entries on disk are
# served.  While stopped, one file is torn and one is replaced with
# foreign bytes.
$t->stop;
$be->stop;
$t->allow_errors(qr/connect\(\) failed/);

my $ft = cache_file('cache', '/d/torn', 1);
ok(-f $ft, 'the entry to tear is on disk');
truncate $ft, int((-s $ft) / 2);

my $ff = cache_file('cache', '/d/foreign', 1);
my ($uid, $gid) = (stat "$dir/cache")[4, 5];
make_path(dirname($ff));
chown $uid, $gid, dirname(dirname($ff)), dirname($ff);
$t->write_file($ff, join('', map { chr(($_ * 131 + 7) % 256) } 0 .. 65535));
chown $uid, $gid, $ff;

$t->run;
my $rs;
ok(wait_until(sub { $rs = get('/d/a'); cs($rs) eq 'HIT' }, 5),
    'after a restart: HIT from the file on disk, backend down');
is($rs->{body}, body_for('/d/a'), 'after a restart: the stored body');
my $rw = get('/d/w3');
is(cs($rw) . ' ' . $rw->{body}, 'HIT ' . body_for('/d/w3'),
    'after a restart: another entry');

$be->start;
my $before = seen('/d/foreign');
my $fr = get('/d/foreign');
is($fr->{status}, 200, 'foreign file at the path: 200');
is(cs($fr), 'MISS', 'foreign file: not served (MISS)');
ok($fr->{body} eq body_for('/d/foreign'), 'foreign file: the backend\'s full body');
is(seen('/d/foreign'), $before + 1, 'foreign file: the backend was asked');
my $fr2 = get('/d/foreign');
is(cs($fr2) . ' ' . ($fr2->{body} eq body_for('/d/foreign') ? 'ok' : 'bad'),
    'HIT ok', 'foreign file: replaced by a good entry');

portico_only(4, 'nginx serves a torn cache file short', sub {
    my $tr = get('/d/torn');
    is($tr->{status}, 200, 'torn file: 200');
    is(cs($tr), 'MISS', 'torn file: not served (MISS)');
    ok($tr->{body} eq body_for('/d/torn'), 'torn file: the backend\'s full body');
    is(seen('/d/torn'), 2, 'torn file: the backend was asked');
});
