#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# limit_req: nginx's leaky bucket (burst, nodelay, delay=, dry run,
# limit_req_status, $limit_req_status, log wording), keys limited
# independently, empty keys not limited.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Time::HiRes qw/time/;

my $t = Test::Portico->new->has(qw/http limit_req/)->plan(22);

$t->write_conf(<<'EOF');
events { }
http {
    access_log off;
    limit_req_zone $arg_k zone=keyed:1m rate=1r/m;
    limit_req_zone $arg_k zone=burst:1m rate=1r/m;
    limit_req_zone $arg_k zone=slow:1m rate=2r/s;
    limit_req_zone $arg_k zone=part:1m rate=1r/s;
    limit_req_zone $arg_k zone=dry:1m rate=1r/m;
    limit_req_zone $arg_k zone=multi1:1m rate=1r/m;
    limit_req_zone $arg_j zone=multi2:1m rate=1r/m;
    limit_req_zone "$arg_k" zone=inherit:1m rate=1r/m;

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/html;
        limit_req zone=inherit;
        limit_req_status 429;

        location /keyed { limit_req zone=keyed; add_header X-LR $limit_req_status always; }
        location /nodelay { limit_req zone=burst burst=2 nodelay; }
        location /delay { limit_req zone=slow burst=5; add_header X-LR $limit_req_status always; }
        location /part { limit_req zone=part burst=3 delay=1; }
        location /dry {
            limit_req zone=dry;
            limit_req_dry_run on;
            add_header X-LR $limit_req_status always;
        }
        location /multi {
            limit_req zone=multi1;
            limit_req zone=multi2;
            limit_req_status 503;
            limit_req_log_level warn;
           
        }
        location /inherited { }
    }
}
EOF
$t->write_file("html/$_", "ok\n") for qw/keyed nodelay delay part dry multi inherited/;
$t->run;

sub code { my ($r) = @_; ($r // '') =~ m{^HTTP/1\.1 (\d+)} ? $1 : 0 }

# One request per minute per key, no burst: the second is refused.
is(code(http_get('/keyed?k=a')), 200, 'first request passes');
like(http_get('/keyed?k=a'), qr{^HTTP/1\.1 429 }, 'second refused, limit_req_status');
is(code(http_get('/keyed?k=b')), 200, 'another key is limited on its own');
is(code(http_get('/keyed')), 200, 'empty key not limited');
is(code(http_get('/keyed')), 200, 'empty key not limited, again');
like(http_get('/keyed?k=c'), qr/^X-LR: PASSED\r$/m, '$limit_req_status PASSED');

# burst=2 nodelay: three at once, the fourth refused.
my @c = map { code(http_get('/nodelay?k=x')) } 1 .. 4;
is("@c", '200 200 200 429', 'burst=2 nodelay');

# burst without nodelay: the excess waits (2r/s: half a second).
my $t0 = time;
my $r1 = http_get('/delay?k=d');
my $el1 = time - $t0;
$t0 = time;
my $r2 = http_get('/delay?k=d');
my $el2 = time - $t0;
ok($el1 < 0.3, 'first not delayed') or diag("took $el1");
ok($el2 > 0.35 && $el2 < 1.2, 'second delayed by the leak') or diag("took $el2");
like($r2, qr/^X-LR: DELAYED\r$/m, '$limit_req_status DELAYED');

# delay=1: one request above the rate goes at once, the next waits.
$t0 = time;
http_get('/part?k=p') for 1 .. 2;
my $el = time - $t0;
ok($el < 0.3, 'delay=1: first two at once') or diag("took $el");
$t0 = time;
my $r3 = http_get('/part?k=p');
$el = time - $t0;
ok($el > 0.6 && $el < 1.6, 'delay=1: third waits') or diag("took $el");
like($r3, qr{^HTTP/1\.1 200 }, 'delayed request answered');

# dry run: never refused, but told and logged.
like(http_get('/dry?k=a'), qr/^X-LR: PASSED\r$/m, 'dry run passes');
my $dry = http_get('/dry?k=a');
like($dry, qr{^HTTP/1\.1 200 .*^X-LR: REJECTED_DRY_RUN\r$}ms, 'dry run would reject');

# Several limits: a request refused by the second does not count in the first.
is(code(http_get('/multi?k=m&j=1')), 200, 'two limits pass');
is(code(http_get('/multi?k=n&j=1')), 503, 'refused by the second limit');
is(code(http_get('/multi?k=n&j=2')), 200, 'the first limit did not count it');

# The server level's limit is inherited.
is(code(http_get('/inherited?k=i')), 200, 'inherited limit: first');
is(code(http_get('/inherited?k=i')), 429, 'inherited limit: second');

my $log = $t->read_file('logs/error.log');
like($log, qr/\[error\] .*limiting requests, excess: \d+\.\d{3} by zone "keyed", client: 127\.0\.0\.1, server: .*request: "GET \/keyed\?k=a HTTP\/1\.\d"/,
    'nginx log wording');
like($log, qr/limiting requests, dry run, excess: \d+\.\d{3} by zone "dry"/,
    'dry run logged');
