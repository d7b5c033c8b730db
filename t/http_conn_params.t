#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Connection and request parameters without a test of their own:
# sendfile_max_chunk (large files arrive whole, in one piece or in ranges,
# on keep-alive and side by side), tcp_nodelay on|off and accept_mutex
# on|off (accepted, serve normally), client_body_temp_path (a large body is
# spooled, unlinked, into that folder while it arrives, as nginx logs it;
# level subfolders), limit_conn_log_level (the "limiting connections" line
# at the level set, inherited from the server, filtered by error_log).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;
use IO::Socket::INET;
use IO::Select;
use Digest::MD5 qw/md5_hex/;
use Time::HiRes qw/time sleep/;

my $t = Test::Portico->new->has(qw/http proxy limit_conn/)->plan(52);
my $dir = $t->testdir;

my $be = Test::Portico::Backend->new($t, 'be')->start;
my $slow = Test::Portico::Backend->new($t, 'slow',
    response => { delay => 2, body => "slow\n" })->start;

$t->write_conf(<<'EOF');
error_log logs/error.log info;
worker_processes 2;
events {
    accept_mutex on;
}
http {
    access_log off;
    tcp_nodelay off;
    sendfile on;
    sendfile_max_chunk 16k;
    client_max_body_size 0;
    client_body_buffer_size 8k;
    client_body_temp_path %%TESTDIR%%/body_tmp;
    limit_conn_zone $binary_remote_addr zone=addr:1m;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/html;

        location /nodelay/ { tcp_nodelay on; }
        location /unlimited/ { sendfile_max_chunk 0; }
        location /up { proxy_pass http://127.0.0.1:%%PORT_be%%; }
        location /lv/ {
            client_body_temp_path %%TESTDIR%%/body_lv 1 2;
            proxy_pass http://127.0.0.1:%%PORT_be%%;
        }
    }

    server {
        listen 127.0.0.1:%%PORT_LC%%;
        root %%TESTDIR%%/html;
        limit_conn addr 1;
        limit_conn_log_level warn;

        location /hold { proxy_pass http://127.0.0.1:%%PORT_slow%%; }
        location /info/ { limit_conn_log_level info; }
        location /notice/ { limit_conn_log_level notice; }
        location /error/ { limit_conn_log_level error; }
        location /inherit/ { }
        location /quiet/ {
            limit_conn_log_level info;
            error_log %%TESTDIR%%/logs/quiet.log notice;
        }
        location /loud/ {
            limit_conn_log_level notice;
            error_log %%TESTDIR%%/logs/loud.log notice;
        }
    }
}
EOF

# 8 MiB of varied bytes, so a misplaced chunk shows in the digest.
my $big = join '', map { pack('N', $_) x 4 } 0 .. (8 * 1024 * 1024 / 16 - 1);
$t->write_file("html/$_/big.bin", $big) for qw/chunk nodelay unlimited/;
$t->write_file("html/$_/small.txt", "small\n") for qw/chunk nodelay/;
$t->write_file("html/$_/a.html", "$_\n")
    for qw/info notice error inherit quiet loud/;

ok(!-e "$dir/body_tmp", 'no body folder before the start');
$t->run;
ok(-d "$dir/body_tmp" && -d "$dir/body_lv",
    'client_body_temp_path folders made at start');

######################################################################
# sendfile_max_chunk

sub big_ok {
    my ($r, $name) = @_;
    my $p = parse_response($r) // { status => 0, body => '' };
    is("$p->{status} " . length($p->{body}) . ' ' . md5_hex($p->{body}),
       '200 ' . length($big) . ' ' . md5_hex($big), $name);
}

big_ok(http_get('/chunk/big.bin', timeout => 10),
    'sendfile_max_chunk 16k: an 8 MiB file arrives whole');
big_ok(http_get('/unlimited/big.bin', timeout => 10),
    'sendfile_max_chunk 0 (no limit): whole as well');

my $r = http_get('/chunk/big.bin', Range => 'bytes=1000000-2999999');
like($r, qr/^HTTP\/1\.1 206 /, 'range of a large file');
is(md5_hex(http_body($r) // ''), md5_hex(substr($big, 1000000, 2000000)),
    '... the right 2 MB, sent in 16k pieces');

# A reader that takes its time: every chunk still goes out.
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port(8080)) or die "connect: $!";
    print $s "GET /chunk/big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    my $data = '';
    my $sel = IO::Select->new($s);
    my $deadline = time + 10;
    while (time < $deadline && $sel->can_read(5)) {
        my $n = sysread($s, $data, 256 * 1024, length $data);
        last unless $n;
        sleep 0.005;
    }
    big_ok($data, 'a slow reader gets the whole file');
}

# Keep-alive: a large file then a small one on the same connection.
my @res = http_pipeline(
    "GET /chunk/big.bin HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET /chunk/small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    { timeout => 10 });
is(scalar @res, 2, 'two pipelined responses');
big_ok($res[0] // '', 'the large one whole');
is(http_body($res[1] // ''), "small\n", 'the next request on the connection served');

# Two downloads side by side, both whole.
{
    my @s = map { http_get('/chunk/big.bin', start => 1) } 1 .. 2;
    my @d = map { http_read($_, timeout => 10) } @s;
    big_ok($d[0], 'two at once: the first whole');
    big_ok($d[1], 'two at once: the second whole');
}

######################################################################
# tcp_nodelay off (http) and on (location): keep-alive exchanges go on at
# full pace either way.

for my $loc (qw/chunk nodelay/) {
    my $t0 = time;
    my @r = http_pipeline((map { "GET /$loc/small.txt HTTP/1.1\r\nHost: x\r\n\r\n" } 1 .. 19),
        "GET /$loc/small.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    is(scalar(grep { /^HTTP\/1\.1 200 .*\r\n\r\nsmall\n\z/s } @r), 20,
        "tcp_nodelay " . ($loc eq 'chunk' ? 'off' : 'on') . ': 20 keep-alive responses');
    ok(time - $t0 < 3, '... without stalls');
}
big_ok(http_get('/nodelay/big.bin', timeout => 10), 'tcp_nodelay on: a large file');

my $sequential = 0;
{
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port(8080)) or die "connect: $!";
    for (1 .. 10) {
        print $s "GET /chunk/small.txt HTTP/1.1\r\nHost: x\r\n\r\n";
        my $got = http_read($s, complete => 1, timeout => 3);
        $sequential++ if $got =~ /\r\n\r\nsmall\n\z/;
    }
    is($sequential, 10, 'tcp_nodelay off: request, answer, request ... on one connection');
}

######################################################################
# client_body_temp_path

sub body_files {
    my ($folder) = @_;
    my @f;
    for my $w ($t->worker_pids) {
        for my $fd (glob "/proc/$w/fd/*") {
            my $l = readlink($fd) // next;
            push @f, $l if index($l, "$dir/$folder/") == 0;
        }
    }
    return @f;
}

sub slow_upload {
    my ($uri, $folder) = @_;
    my $body = join '', map { chr(65 + $_ % 26) x 1000 } 0 .. 99;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $t->port(8080)) or die "connect: $!";
    print $s "POST $uri HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        . "Content-Length: " . length($body) . "\r\n\r\n" . substr($body, 0, 50000);
    my @open;
    wait_until(sub { @open = body_files($folder) }, 3);
    my @listed = glob "$dir/$folder/*";
    print $s substr($body, 50000);
    my $r = http_read($s, timeout => 5);
    return ($r, $body, \@open, \@listed);
}

my ($resp, $body, $open, $listed) = slow_upload('/up', 'body_tmp');
is(scalar @$open, 1, 'a body past client_body_buffer_size is spooled '
    . 'into client_body_temp_path while it arrives');
like($open->[0] // '', qr/ \(deleted\)$/, '... to a file already unlinked');
is("@$listed", '', '... so nothing is left in the folder');
like($resp, qr/^HTTP\/1\.1 200 /, 'the spooled request proxied');
is(md5_hex($be->last_request->{body} // ''), md5_hex($body), '... with its body intact');
my ($name) = ($open->[0] // '') =~ /^(.*?)(?: \(deleted\))?$/;
like($t->error_log, qr/\[warn\] .*a client request body is buffered to a temporary file \Q$name\E, client: 127\.0\.0\.1, .*request: "POST \/up HTTP\/1\.1"/,
    'nginx\'s warning names the file');

my $before = () = $t->error_log =~ /is buffered to a temporary file/g;
http("POST /up HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    . "Content-Length: 4000\r\n\r\n" . ('s' x 4000));
my $after = () = $t->error_log =~ /is buffered to a temporary file/g;
is($after, $before, 'a body within client_body_buffer_size is not spooled');

($resp, $body, $open) = slow_upload('/lv/up', 'body_lv');
is(scalar @$open, 1, 'a location\'s own client_body_temp_path');
like($resp, qr/^HTTP\/1\.1 200 /, '... proxied');
($name) = ($open->[0] // '') =~ /^(.*?)(?: \(deleted\))?$/;
# "1 2": nginx makes DIR/<last char>/<the two before>/NAME; Portico's file
# is unlinked as it is made, and the man page says it stays in DIR.
like($name, is_nginx() ? qr{^\Q$dir\E/body_lv/(\w)/(\w\w)/\w*\2\1$}
                       : qr{^\Q$dir\E/body_lv/[^/]+$},
    'with levels 1 2: nginx uses level subfolders, Portico the folder');

######################################################################
# limit_conn_log_level

my $hold = http_get('/hold', port => 'LC', start => 1);
sleep 0.3;
my %code;
for my $l (qw/info notice error inherit quiet loud/) {
    ($code{$l}) = (http_get("/$l/a.html", port => 'LC') // '') =~ /^HTTP\/1\.1 (\d+)/;
}
is(join(' ', map { $code{$_} // 0 } qw/info notice error inherit quiet loud/),
    '503 503 503 503 503 503', 'refused while a request holds the connection unit');
like(http_read($hold, timeout => 5), qr/^HTTP\/1\.1 200 /, 'the held request ends well');

my $log = $t->error_log;
for my $l ([ info => 'info' ], [ notice => 'notice' ], [ error => 'error' ],
    [ inherit => 'warn' ])
{
    my ($loc, $level) = @$l;
    like($log, qr/^\S+ \S+ \[$level\] \d+#\d+: \*\d+ limiting connections by zone "addr", client: 127\.0\.0\.1, server: , request: "GET \/$loc\/a\.html HTTP\/1\.1", host: "localhost"$/m,
        "limit_conn_log_level $level" . ($loc eq 'inherit' ? ' (from the server)' : ''));
}
is(join(' ', $log =~ /\[(\w+)\] .*limiting connections by zone "addr", .*request: "GET \/(?:info|notice|error|inherit)\//mg),
    'info notice error warn', 'each refusal logged once, at its level only');

my $quiet = $t->read_file('logs/quiet.log');
ok(defined $quiet && $quiet !~ /limiting connections/
    && $log !~ /limiting connections .*"GET \/quiet\//,
    'an info line is not written to an error_log at notice');
like($t->read_file('logs/loud.log') // '', qr/\[notice\] .*limiting connections by zone "addr"/,
    'a notice line is');

######################################################################
# accept_mutex off, with two workers: connections are served as well.

$t->stop;
$t->write_conf(<<'EOF');
worker_processes 2;
events {
    accept_mutex off;
}
http {
    access_log off;
    tcp_nodelay on;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / { return 200 "pid=$pid\n"; }
    }
}
EOF
$t->run;
my @socks = map { http_get('/', start => 1) } 1 .. 20;
my @bodies = map { http_body(http_read($_)) // '' } @socks;
is(scalar(grep { /^pid=\d+$/ } @bodies), 20, 'accept_mutex off: 20 connections at once served');

######################################################################
# Configuration errors, as nginx words them (in a prefix of their own,
# whose error log is expected to hold [emerg] lines).

my $c = Test::Portico->new->allow_errors;
my $conf = $c->conf_file;

sub conf_error {
    my ($http, $re, $name, $events) = @_;
    $c->write_conf("events { " . ($events // '') . " }\nhttp {\n    $http\n}\n",
        prelude => 0);
    my ($rc, $out) = $c->conf_test;
    return like("rc=$rc $out", qr/^rc=1 .*\[emerg\] .*$re/s, $name) || diag($out);
}

conf_error('sendfile_max_chunk 1q;',
    qr/"sendfile_max_chunk" directive invalid value in \Q$conf\E:3\n/,
    'sendfile_max_chunk with a bad size');
conf_error('tcp_nodelay maybe;',
    qr/invalid value "maybe" in "tcp_nodelay" directive, it must be "on" or "off" in \Q$conf\E:3\n/,
    'tcp_nodelay with a bad value');
conf_error('', qr/invalid value "maybe" in "accept_mutex" directive, it must be "on" or "off" in \Q$conf\E:1\n/,
    'accept_mutex with a bad value', 'accept_mutex maybe;');
conf_error('accept_mutex on;', qr/"accept_mutex" directive is not allowed here in \Q$conf\E:3\n/,
    'accept_mutex outside events');
conf_error('limit_conn_log_level debug;', qr/invalid value "debug" in \Q$conf\E:3\n/,
    'limit_conn_log_level debug is not a choice');
conf_error('limit_conn_log_level crit;', qr/invalid value "crit" in \Q$conf\E:3\n/,
    'limit_conn_log_level crit is not a choice');
conf_error("client_body_temp_path a;\n    client_body_temp_path b;",
    qr/"client_body_temp_path" directive is duplicate in \Q$conf\E:4\n/,
    'client_body_temp_path twice');
conf_error('client_body_temp_path b 1 2 2 1;',
    qr/invalid number of arguments in "client_body_temp_path" directive in \Q$conf\E:3\n/,
    'client_body_temp_path with four levels');

my ($rc, $out);
for my $bad ('0', 'x') {
    $c->write_conf("events { }\nhttp {\n    client_body_temp_path b 1 $bad;\n}\n",
        prelude => 0);
    ($rc, $out) = $c->conf_test;
    like("rc=$rc $out", qr/^rc=1 .*\[emerg\] .*invalid value.* in \Q$conf\E:3\n/s,
        "client_body_temp_path level $bad refused");
    like($out, qr/\[emerg\] .*"client_body_temp_path" directive invalid value in \Q$conf\E:3\n/,
        "... in nginx's words");
}

# nginx allows levels of any width, as long as their names (and slashes)
# fit in 10 + levels characters.
$c->write_conf("events { }\nhttp {\n    client_body_temp_path b 5 5;\n}\n", prelude => 0);
($rc, $out) = $c->conf_test;
is($rc, 0, 'client_body_temp_path levels 5 5 accepted') or diag($out);
$c->write_conf("events { }\nhttp {\n    client_body_temp_path b 4 4 3;\n}\n", prelude => 0);
($rc, $out) = $c->conf_test;
like("rc=$rc $out", qr/^rc=1 .*"client_body_temp_path" directive invalid value in \Q$conf\E:3\n/s,
    'client_body_temp_path levels longer than 10 characters refused');
