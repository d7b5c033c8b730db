#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Path traversal (DESIGN §10): dot segments, percent-encoded dots and
# slashes, double encoding, backslashes and NUL never reach a file outside
# root; a secret file beside root must never appear in any response.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;

my $t = Test::Portico->new->has(qw/http/);

$t->write_conf(<<'EOF');
events { }
http {
    types { text/html html; text/plain txt; }
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/html;
        location /img { alias %%TESTDIR%%/html/; }
    }
}
EOF

my $secret = 'TOP-SECRET-4f1c0d';
$t->write_file('secret.txt', "$secret\n");
$t->write_file('html/index.html', "index\n");
$t->write_file('html/a/b.txt', "b\n");

# [ request target, status nginx answers (Portico the same) ]
my @cases = (
    [ '/../secret.txt', 400 ],
    [ '/..', 400 ],
    [ '/%2e%2e/secret.txt', 400 ],
    [ '/%2E%2E/secret.txt', 400 ],
    [ '/.%2e/secret.txt', 400 ],
    [ '/a/%2e%2e/%2e%2e/secret.txt', 400 ],
    [ '/a/./../../secret.txt', 400 ],
    [ '/..%2fsecret.txt', 400 ],
    [ '/%2e%2e%2fsecret.txt', 400 ],
    [ '//secret.txt', 404 ],
    [ '/%252e%252e/secret.txt', 404 ],        # decoded once only
    [ '/%252e%252e%252fsecret.txt', 404 ],
    [ '/..\\secret.txt', 404 ],                # backslash is a plain byte
    [ '/a\\..\\..\\secret.txt', 404 ],
    [ '/a/%2e%2e%5csecret.txt', 404 ],
    [ '/%c0%ae%c0%ae/secret.txt', 404 ],      # overlong UTF-8 is not a dot
    [ '/..;/secret.txt', 404 ],
    [ '/a/...', 404 ],
    [ '/a/b.txt%00.html', 400 ],
    [ '/%00/../secret.txt', 400 ],
    [ 'http://localhost/../secret.txt', 400 ],
    # legitimate normalisation inside root
    [ '/a/%2e%2e/a/b.txt', 200 ],
    [ '/./a/./b.txt', 200 ],
    [ '/a%2fb.txt', 200 ],
    [ '/a/..', 200 ],
    [ '/a//b.txt', 200 ],
);

$t->plan(@cases + 3);
$t->run;

my $leaked = 0;
for my $c (@cases) {
    my ($uri, $status) = @$c;
    my $r = http("GET $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        // '';
    like($r, qr{^HTTP/1\.1 $status }, "$uri: $status");
    $leaked++ if index($r, $secret) >= 0;
}

# nginx serves the file here (the classic alias-without-slash hole):
# Portico keeps even an alias target inside its directory.
portico_only(1, 'nginx: alias /img../ leaves the directory', sub {
    my $r = http_get('/img../secret.txt') // '';
    unlike($r, qr{\Q$secret\E}, 'alias: /img../secret.txt not served');
});

for my $uri ('/img/a/b.txt', '/img/index.html') {
    my $r = http_get($uri) // '';
    $leaked++ if index($r, $secret) >= 0;
}
like(http_get('/img/a/b.txt'), qr{^HTTP/1\.1 200 .*b\n\z}s, 'alias serves inside');
is($leaked, 0, 'the secret never appears in a response');
