#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# proxy_cache_purge (Portico only; nginx has it in the commercial build):
# a request whose proxy_cache_purge value is non-empty and not "0" removes
# the entry of its proxy_cache_key (200, or 404 when there was none), from
# the index and from disk, without asking the backend; a key ending in "*"
# removes every entry with that prefix; Vary variants go with their key;
# a GET never purges.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use Digest::MD5 qw/md5_hex/;
use File::Find;

my $t = Test::Portico->new->has(qw/http proxy map access/);
plan(skip_all => 'portico only: nginx has no proxy_cache_purge') if is_nginx();
$t->plan(37);

my $be = Test::Portico::Backend->new($t, 'be', handler => sub {
    my ($req) = @_;
    if ($req->{uri} =~ m{^/v/}) {
        my $ae = $req->{headers}{'accept-encoding'} // '';
        return { headers => [ 'Vary' => 'Accept-Encoding' ],
            body => ($ae =~ /gzip/ ? 'gzip' : 'identity') . " $req->{uri}\n" };
    }
    return { body => "content of $req->{uri}\n" };
})->start;

$t->write_conf(<<'EOF');
events { }
http {
    access_log off;
    proxy_cache_path %%TESTDIR%%/cache levels=1:2 keys_zone=pz:1m;
    proxy_cache_path %%TESTDIR%%/vary levels=1:2 keys_zone=vz:1m;

    map $request_method $purge_method {
        PURGE    1;
        default  0;
    }

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        add_header X-Cache-Status $upstream_cache_status always;
        proxy_cache pz;
        proxy_cache_valid 200 10m;
        proxy_cache_purge $purge_method;

        location /p/ {
            proxy_cache_key $uri;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /img/ { proxy_pass http://127.0.0.1:%%PORT_be%%; }
        location /other/ { proxy_pass http://127.0.0.1:%%PORT_be%%; }
        location /v/ {
            proxy_cache vz;
            proxy_cache_key $uri;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
        location /g/ {
            allow 127.0.0.1;
            deny all;
            proxy_cache_key $uri;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
    }
}
EOF
$t->run;

my $dir = $t->testdir;
my $port = $t->port('be');

sub get { get_response(@_) }
sub cs { $_[0]{headers}{'x-cache-status'} // '' }
sub purge {
    my ($uri) = @_;
    my $raw = http("PURGE $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    return ($raw // '') =~ m{^HTTP/1\.1 (\d{3})} ? $1 : 0;
}
sub seen { my ($u) = @_; scalar grep { $_->{uri} eq $u } $be->requests }
sub file_of {
    my ($root, $key) = @_;
    my $h = md5_hex($key);
    return "$dir/$root/" . substr($h, -1) . '/' . substr($h, -3, 2) . "/$h";
}
sub files {
    my ($root) = @_;
    my $n = 0;
    find({ no_chdir => 1, wanted => sub { $n++ if -f $_ } }, "$dir/$root")
        if -d "$dir/$root";
    return $n;
}
# The default key, as nginx builds it: the proxy_pass URL's
# "scheme://host:port" followed by the URI sent to the backend (the docs'
# "$scheme$proxy_host$request_uri" lacks the "://").
sub dkey { "http://127.0.0.1:$port$_[0]" }

# One key.
is(cs(get('/p/a')), 'MISS', 'filled: MISS');
is(cs(get('/p/a')), 'HIT', 'filled: HIT');
my $fa = file_of('cache', '/p/a');
ok(wait_until(sub { -f $fa }, 5), 'the entry is on disk');
is(cs(get('/p/a')), 'HIT', 'a GET does not purge');
ok(-f $fa, '... the file stays');

is(purge('/p/a'), 200, 'PURGE of a stored entry: 200');
is(seen('/p/a'), 1, 'PURGE is not passed to the backend');
ok(wait_until(sub { !-e $fa }, 3), 'PURGE: the file is gone from disk');
my $after = get('/p/a');
is(cs($after), 'MISS', 'after PURGE: MISS');
is($after->{body}, "content of /p/a\n", 'after PURGE: the backend\'s answer');
is(seen('/p/a'), 2, 'after PURGE: the backend was asked');
is(cs(get('/p/a')), 'HIT', 'after PURGE: stored again');

is(purge('/p/none'), 404, 'PURGE of a key that is not stored: 404');
is(purge('/p/a?any=arg'), 200, 'PURGE uses proxy_cache_key ($uri: the query is ignored)');
is(cs(get('/p/a')), 'MISS', '... and removed the entry');
is(purge('/p/a'), 200, 'PURGE again after a refill: 200');
is(purge('/p/a'), 404, 'PURGE twice: 404 the second time');

# A prefix: "PURGE /img/*" removes every key starting with the default
# key of /img/.
get($_) for qw{/img/1 /img/2 /img/sub/3 /other/1};
is(join(' ', map { cs(get($_)) } qw{/img/1 /img/2 /img/sub/3 /other/1}),
    'HIT HIT HIT HIT', 'prefix: four entries stored');
my @img = map { file_of('cache', dkey($_)) } qw{/img/1 /img/2 /img/sub/3};
my $fo = file_of('cache', dkey('/other/1'));
ok(wait_until(sub { !grep { !-f $_ } @img, $fo }, 5), 'prefix: their files are on disk');
is(purge('/img/*'), 200, 'PURGE /img/*: 200');
ok(wait_until(sub { !grep { -e $_ } @img }, 3), 'PURGE /img/*: the three files are gone');
ok(-f $fo, 'PURGE /img/*: another prefix is kept on disk');
is(join(' ', map { cs(get($_)) } qw{/img/1 /img/2 /img/sub/3}), 'MISS MISS MISS',
    'PURGE /img/*: every entry under the prefix is a MISS');
is(cs(get('/other/1')), 'HIT', 'PURGE /img/*: /other/1 is still a HIT');
is(purge('/img/zzz*'), 404, 'PURGE of a prefix that matches nothing: 404');
is(cs(get('/img/1')), 'HIT', '... and removes nothing');

# Vary variants go with their key.
get('/v/x', 'Accept-Encoding' => 'gzip');
get('/v/x');
my $vg = get('/v/x', 'Accept-Encoding' => 'gzip');
my $vi = get('/v/x');
is(cs($vg) . ' ' . cs($vi), 'HIT HIT', 'two Vary variants stored');
like($vg->{body}, qr/^gzip/, '... each with its body');
ok(wait_until(sub { files('vary') >= 1 }, 5), '... on disk');
is(purge('/v/x'), 200, 'PURGE of a key with variants: 200');
ok(wait_until(sub { files('vary') == 0 }, 3), 'every variant file is gone');
is(cs(get('/v/x', 'Accept-Encoding' => 'gzip')), 'MISS', 'gzip variant: MISS');
is(cs(get('/v/x')), 'MISS', 'identity variant: MISS');

# Behind allow/deny (the test client is 127.0.0.1, which is allowed).
get('/g/a');
is(cs(get('/g/a')), 'HIT', 'guarded location: stored');
is(purge('/g/a'), 200, 'guarded location: PURGE from an allowed address');
is(cs(get('/g/a')), 'MISS', 'guarded location: purged');
is(cs(get('/g/a')), 'HIT', 'guarded location: a GET stores, never purges');
