#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Cache parameters (nginx semantics): proxy_cache_lock_age lets one more
# request go to the backend each time the one filling an entry has taken
# that long; proxy_cache_max_range_offset passes a missing entry's range
# request starting at or beyond the offset (a suffix range too; every
# range with 0) to the backend with its Range header, without storing the
# answer, while an entry already stored still serves it; the
# proxy_cache_path parameters min_free (entries removed while the disk has
# less free), manager_files/manager_sleep/manager_threshold (the removals
# paced), loader_files/loader_sleep/loader_threshold (entries on disk still
# served after a restart; in Portico, whose loader runs at start rather
# than a minute later, they are indexed again), use_temp_path (on and off
# both store; with off the file being written is under the cache folder);
# bad parameter values are refused.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use Digest::MD5 qw/md5_hex/;
use File::Find;
use Time::HiRes qw/time sleep/;
use POSIX ();

my $t = Test::Portico->new->has(qw/http proxy/)->plan(49);

my $data = join('', map { chr(ord('A') + $_ % 26) } 0 .. 4999);

my $be = Test::Portico::Backend->new($t, 'be', handler => sub {
    my ($req) = @_;
    my $uri = $req->{uri};

    return { delay => 3, body => "answer for $uri\n" }
        if $uri =~ m{^/lock};
    return { body => 'x' x 40, slow_body => 0.04 } if $uri =~ m{^/slow/};

    if ($uri =~ m{^/range}) {
        # The backend answers a single range itself and says so.
        my $rg = $req->{headers}{range};
        if (defined $rg && $rg =~ /^bytes=(\d*)-(\d*)$/) {
            my ($a, $b) = ($1, $2);
            ($a, $b) = (5000 - $b, 4999) if $a eq '';
            $b = 4999 if $b eq '' || $b > 4999;
            return { status => 206, headers => [
                'Content-Range' => "bytes $a-$b/5000",
                'X-Backend-Range' => $rg ],
                body => substr($data, $a, $b - $a + 1) };
        }
        return { headers => [ 'Accept-Ranges' => 'bytes' ], body => $data };
    }

    return { body => "content of $uri\n" };
})->start;

# The zones, with the parameters under test; %%LDI_INACTIVE%% is changed
# for the restart.
my $conf = <<'EOF';
worker_processes 1;
events { }
http {
    access_log off;
    proxy_temp_path %%TESTDIR%%/ptemp;

    proxy_cache_path %%TESTDIR%%/lk keys_zone=lk:1m;
    proxy_cache_path %%TESTDIR%%/rg keys_zone=rg:1m;
    proxy_cache_path %%TESTDIR%%/all levels=1:2 keys_zone=all:1m
        inactive=10m max_size=10m min_free=1k use_temp_path=off
        loader_files=1 loader_sleep=10ms loader_threshold=10ms
        manager_files=1 manager_sleep=10ms manager_threshold=10ms;
    proxy_cache_path %%TESTDIR%%/tpon levels=1:2 keys_zone=tpon:1m
        use_temp_path=on;
    proxy_cache_path %%TESTDIR%%/mf keys_zone=mf:1m min_free=1000000g;
    proxy_cache_path %%TESTDIR%%/mgr keys_zone=mgr:1m inactive=1s
        manager_files=1 manager_sleep=1s manager_threshold=1s;
    proxy_cache_path %%TESTDIR%%/ld levels=1:2 keys_zone=ld:1m
        loader_files=1 loader_sleep=300ms loader_threshold=1ms;
    proxy_cache_path %%TESTDIR%%/ldi keys_zone=ldi:1m inactive=%%LDI_INACTIVE%%
        loader_files=1 loader_sleep=500ms loader_threshold=1ms;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        add_header X-Cache-Status $upstream_cache_status always;
        proxy_cache_valid 200 206 10m;
        proxy_read_timeout 10s;
        proxy_cache_key $uri;

        location /lock/ {
            proxy_cache lk;
            proxy_cache_lock on;
            proxy_cache_lock_timeout 10s;
            proxy_cache_lock_age 1s;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /lockdef/ {
            proxy_cache lk;
            proxy_cache_lock on;
            proxy_cache_lock_timeout 10s;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }

        location /range/ {
            proxy_cache rg;
            proxy_cache_max_range_offset 1000;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /range0/ {
            proxy_cache rg;
            proxy_cache_max_range_offset 0;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /rangeany/ {
            proxy_cache rg;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }

        location /all/ {
            proxy_cache all;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /slow/ {
            proxy_cache all;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /tpon/ {
            proxy_cache tpon;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /mf/ {
            proxy_cache mf;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /mgr/ {
            proxy_cache mgr;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /ld/ {
            proxy_cache ld;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /ldi/ {
            proxy_cache ldi;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
    }
}
EOF

sub conf_with {
    my ($inactive) = @_;
    (my $c = $conf) =~ s/%%LDI_INACTIVE%%/$inactive/;
    return $c;
}

$t->write_conf(conf_with('10m'));
$t->run;

my $dir = $t->testdir;

sub get { get_response(@_) }
sub cs { $_[0]{headers}{'x-cache-status'} // '' }
sub seen { my ($u) = @_; scalar grep { $_->{uri} eq $u } $be->requests }

# The file of a key under a cache root (levels=1:2 or none).
sub cache_file {
    my ($root, $key, $levels) = @_;
    my $h = md5_hex($key);
    return "$dir/$root/$h" unless $levels;
    return "$dir/$root/" . substr($h, -1) . '/' . substr($h, -3, 2) . "/$h";
}

# The regular files under a folder.
sub files_under {
    my ($sub) = @_;
    my @f;
    find({ no_chdir => 1, wanted => sub { push @f, $_ if -f $_ } },
        "$dir/$sub") if -d "$dir/$sub";
    return @f;
}

# A watcher, forked: notes (to a file) when each of FILES disappears;
# gives up after SECS.
my @watchers;
END { local $?; kill 'KILL', $_ for @watchers; waitpid($_, 0) for @watchers; }

sub watch_removals {
    my ($name, $secs, @files) = @_;
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        $SIG{ALRM} = 'DEFAULT';
        alarm 0;
        my %gone;
        my $end = time + $secs;
        while (time < $end && keys %gone < @files) {
            for my $f (@files) {
                $gone{$f} //= time unless -e $f;
            }
            sleep 0.02;
        }
        open my $fh, '>', "$dir/$name.tmp";
        print $fh join("\n", map { $gone{$_} // 'never' } @files), "\n";
        close $fh;
        rename "$dir/$name.tmp", "$dir/$name";
        POSIX::_exit(0);
    }
    push @watchers, $pid;
}

# The removal times noted by a watcher, once it is done (undef before).
sub removals {
    my ($name) = @_;
    my $c = $t->read_file($name) // return undef;
    return [ split /\n/, $c ];
}

######################################################################
# Started first, checked at the end: the cache manager works on these
# while the other checks run (nginx's manager may sleep up to 10 s).

# min_free=1000000g: the disk never has that much free, so every entry is
# removed (and its file) soon after it is stored.
my $mf1 = get('/mf/1');
is($mf1->{status} . ' ' . cs($mf1), '200 MISS',
    'min_free zone: first request MISS');
my $mf_file = cache_file('mf', '/mf/1');
ok(wait_until(sub { -f $mf_file }, 3), 'min_free zone: the entry was stored');

# manager_files=1 manager_sleep=1s, inactive=1s: four entries expire
# together, and are removed one per second.
get("/mgr/$_") for 1 .. 4;
my @mgr_files = map { cache_file('mgr', "/mgr/$_") } 1 .. 4;
ok(wait_until(sub { !grep { !-f $_ } @mgr_files }, 3),
    'manager zone: four entries stored');
watch_removals('mgr.gone', 20, @mgr_files);

######################################################################
# proxy_cache_lock_age 1s, lock_timeout 10s, a backend taking 3 s: the
# first request goes at once, one waiter each time the lock is 1 s old;
# with the default lock_age (5s) the waiters wait for the entry.

my $t0 = time;
my @age = (http_get('/lock/a', start => 1));
my @def = (http_get('/lockdef/a', start => 1));
wait_until(sub { seen('/lock/a') && seen('/lockdef/a') }, 2);
push @age, map { http_get('/lock/a', start => 1) } 1 .. 2;
push @def, map { http_get('/lockdef/a', start => 1) } 1 .. 2;

my %when;
wait_until(sub {
    my $n = seen('/lock/a');
    $when{$n} //= time - $t0;
    $n >= 3;
}, 4);
my $fmt = join ' ', map { "$_\@" . sprintf('%.2f', $when{$_}) } sort keys %when;
ok($when{2} && $when{2} >= 0.8 && $when{2} < 1.7,
    'lock_age 1s: a second request reached the backend after 1 s') or diag($fmt);
ok($when{3} && $when{3} >= 1.8 && $when{3} < 2.7,
    'lock_age 1s: a third one after 2 s (one per lock_age)') or diag($fmt);

my (@age_r, @def_r);
push @age_r, parse_response(http_read($_, timeout => 8, complete => 1))
    // { headers => {} } for @age;
push @def_r, parse_response(http_read($_, timeout => 8, complete => 1))
    // { headers => {} } for @def;
is(join(' ', map { ($_->{status} // 0) . ' ' . cs($_) } @age_r),
    '200 MISS 200 MISS 200 MISS', 'lock_age 1s: all answered, by the backend');
is(seen('/lock/a'), 3, 'lock_age 1s: three backend requests');
is(cs(get('/lock/a')), 'HIT', 'lock_age 1s: the entry is stored');
is(join(' ', map { ($_->{status} // 0) . ' ' . cs($_) } @def_r),
    '200 MISS 200 HIT 200 HIT', 'lock_age 5s (default): the waiters got the entry');
is(seen('/lockdef/a'), 1, 'lock_age 5s (default): one backend request');

######################################################################
# proxy_cache_max_range_offset 1000.

# Range request: (response, the Range header the backend saw or 'none'
# when not asked, 'absent' when asked without one).
sub range_get {
    my ($uri, $range) = @_;
    my $n = $be->count;
    my $r = get($uri, defined $range ? (Range => $range) : ());
    my @q = $be->requests;
    my $q = @q > $n ? $q[-1] : undef;
    return ($r, !$q ? 'none' : $q->{headers}{range} // 'absent');
}

my ($r, $brange) = range_get('/range/far', 'bytes=2000-2099');
is($brange, 'bytes=2000-2099', 'range beyond the offset, no entry: passed on '
    . 'with its Range header');
is("$r->{status} " . ($r->{headers}{'content-range'} // '') . ' '
    . ($r->{body} eq substr($data, 2000, 100) ? 'ok' : 'bad'),
    '206 bytes 2000-2099/5000 ok', '... the backend\'s 206 to the client');
is(cs($r), 'MISS', '... $upstream_cache_status MISS');
($r, $brange) = range_get('/range/far');
is(cs($r) . " $brange", 'MISS absent', '... and not stored: the next '
    . 'request is a MISS');

($r, $brange) = range_get('/range/near', 'bytes=100-199');
is($brange, 'absent', 'range before the offset: fetched whole, without Range');
is("$r->{status} " . cs($r) . ' '
    . ($r->{body} eq substr($data, 100, 100) ? 'ok' : 'bad'),
    '206 MISS ok', '... the range cut from it');
($r, $brange) = range_get('/range/near');
is(cs($r) . " $brange", 'HIT none', '... and stored');

($r, $brange) = range_get('/range/near', 'bytes=2000-2099');
is(cs($r) . " $brange", 'HIT none', 'range beyond the offset, entry '
    . 'stored: served from the cache');
is("$r->{status} " . ($r->{body} eq substr($data, 2000, 100) ? 'ok' : 'bad'),
    '206 ok', '... the right bytes either way');

($r, $brange) = range_get('/range/at999', 'bytes=999-1009');
is($brange, 'absent', 'range at 999 (below 1000): fetched whole');
($r, $brange) = range_get('/range/at1000', 'bytes=1000-1009');
is($brange, 'bytes=1000-1009', 'range at 1000 (the offset): passed on');
is($r->{status} . ' ' . ($r->{body} eq substr($data, 1000, 10) ? 'ok' : 'bad'),
    '206 ok', '... the right bytes either way');

($r, $brange) = range_get('/range/suffix', 'bytes=-100');
is($brange, 'bytes=-100', 'suffix range: passed on');
is($r->{status} . ' ' . ($r->{body} eq substr($data, 4900) ? 'ok' : 'bad'),
    '206 ok', '... the last 100 bytes either way');

($r, $brange) = range_get('/range0/z', 'bytes=0-9');
is($brange, 'bytes=0-9', 'max_range_offset 0: even bytes=0-9 passed on');
($r, $brange) = range_get('/range0/y', 'bytes=5-9');
is($brange, 'bytes=5-9', 'max_range_offset 0: bytes=5-9 passed on');

($r, $brange) = range_get('/rangeany/far', 'bytes=4000-4009');
is("$brange " . cs($r), 'absent MISS', 'no max_range_offset: any range is '
    . 'fetched whole and stored');

######################################################################
# proxy_cache_path parameters.

# Every parameter at once: the entries are stored where levels says.
$r = get('/all/a');
is("$r->{status} " . cs($r), '200 MISS', 'all parameters: MISS');
ok(wait_until(sub { -f cache_file('all', '/all/a', 1) }, 3),
    'all parameters: the entry file is stored');
$r = get('/all/a');
is(cs($r) . " $r->{body}", "HIT content of /all/a\n",
    'all parameters (min_free=1k kept it): HIT');

# use_temp_path=off: the entry is written under the cache folder while it
# streams (and never in proxy_temp_path).
my $s = http_get('/slow/a', start => 1);
my $known = md5_hex('/all/a');
my ($during_cache, $during_temp) = (0, 0);
my $end = time + 1.2;           # the response takes 1.6 s
while (time < $end && !$during_cache) {
    $during_cache = grep { !m{/$known$} } files_under('all');
    $during_temp += files_under('ptemp');
    sleep 0.02;
}
my $slow = parse_response(http_read($s, timeout => 5, complete => 1))
    // { headers => {} };
ok($during_cache, 'use_temp_path=off: a file under the cache folder while '
    . 'the response streams');
is($during_temp, 0, 'use_temp_path=off: nothing in proxy_temp_path');
is(($slow->{status} // 0) . ' ' . cs($slow), '200 MISS',
    'use_temp_path=off: the slow response completes');
is(cs(get('/slow/a')), 'HIT', 'use_temp_path=off: stored');

# use_temp_path=on stores too.
is(cs(get('/tpon/a')), 'MISS', 'use_temp_path=on: MISS');
is(cs(get('/tpon/a')), 'HIT', 'use_temp_path=on: stored');

# Bad values are refused.
my @bad = ('use_temp_path=maybe', 'loader_files=many', 'loader_sleep=soon',
    'loader_threshold=x', 'manager_files=many', 'manager_sleep=soon',
    'manager_threshold=x', 'min_free=lots');
my $tc = Test::Portico->new->allow_errors;
my @accepted;
for my $p (@bad) {
    $tc->write_conf(<<"EOF");
events { }
http {
    proxy_cache_path %%TESTDIR%%/c keys_zone=c:1m $p;
}
EOF
    my ($rc) = $tc->conf_test;
    push @accepted, $p if $rc == 0;
}
is("@accepted", '', 'bad values refused: ' . join(' ', @bad));
$tc->write_conf(<<'EOF');
events { }
http {
    proxy_cache_path %%TESTDIR%%/c keys_zone=c:1m min_free=10m
        use_temp_path=on loader_files=5 loader_sleep=1s loader_threshold=300ms
        manager_files=5 manager_sleep=1s manager_threshold=300ms;
}
EOF
my ($rc, $out) = $tc->conf_test;
is($rc, 0, 'good values accepted') or diag($out);

######################################################################
# Back to the cache manager.

ok(wait_until(sub { !-e $mf_file }, 15), 'min_free: the entry was removed');
$r = get('/mf/1');
is(cs($r) . ' ' . seen('/mf/1'), 'MISS 2', 'min_free: ... from the index too: '
    . 'MISS, the backend asked again');

my $gone;
ok(wait_until(sub { $gone = removals('mgr.gone') }, 20),
    'manager zone: the watcher is done');
$gone //= [];
my @times = sort { $a <=> $b } grep { $_ ne 'never' } @$gone;
is(scalar @times, 4, 'manager zone: the four expired entries were removed');
ok(@times == 4 && $times[-1] - $times[0] >= 2.5,
    'manager_files=1 manager_sleep=1s: one removal a second')
    or diag('removed at +' . join(' +', map { sprintf '%.2f',
        $_ - ($times[0] // 0) } @times) . ' s');

######################################################################
# Restart: entries on disk are served again (loader_files=1).  nginx
# serves an entry from its file even before its loader (which starts a
# minute after the server) has read it.

my @ld = map { "/ld/$_" } 1 .. 6;
my @ldi = map { "/ldi/$_" } 1 .. 4;
get($_) for @ld, @ldi;
ok(wait_until(sub { !grep { !-f cache_file('ld', $_, 1) } @ld }, 3)
    && wait_until(sub { !grep { !-f cache_file('ldi', $_) } @ldi }, 3),
    'loader zones: entries stored');

$t->stop;
$t->write_conf(conf_with('1s'));
my @ldi_files = map { cache_file('ldi', $_) } @ldi;
my $before = $be->count;
$t->run;
watch_removals('ldi.gone', 12, @ldi_files);

my @first = map { get($_) } @ld;
my $asked = $be->count - $before;
is(scalar(grep { $first[$_]{status} == 200
    && $first[$_]{body} eq "content of $ld[$_]\n" } 0 .. $#ld), 6,
    'after a restart: the six entries answered');
is(join(' ', map { cs($_) } @first), join(' ', ('HIT') x 6),
    'after a restart, at once: six HITs');
is($asked, 0, 'after a restart, at once: the backend was not asked');
my $hits = 0;
for my $u (@ld) {
    my $x;
    $hits++ if wait_until(sub { $x = get($u); cs($x) eq 'HIT' }, 5)
        && $x->{body} eq "content of $u\n";
}
is($hits, 6, 'after a restart: the six entries are HITs');

# In Portico the loader indexes the entries at start (one file at a time
# here, 500 ms apart): with inactive now 1s, the entries nobody asks for
# are then removed by the manager.
portico_only(1, "nginx's cache loader starts a minute after the server", sub {
    my $lg;
    wait_until(sub { $lg = removals('ldi.gone') }, 12);
    my @lt = grep { $_ ne 'never' } @{ $lg // [] };
    is(scalar @lt, 4, 'after a restart: the loader indexed the entries (the '
        . 'manager removed them)');
});
