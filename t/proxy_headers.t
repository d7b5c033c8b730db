#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Headers through the proxy: hop-by-hop headers stripped both ways, the
# backend's Server and Date replaced, X-Powered-By passed, proxy_hide_header,
# proxy_pass_header, proxy_set_header (an empty value removes the header),
# proxy_pass_request_headers off.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;

my $t = Test::Portico->new->has(qw/http proxy/)->plan(35);

$t->write_conf(<<'EOF2');
events { }
http {
    access_log off;
    server_tokens on;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / { proxy_pass http://127.0.0.1:%%PORT_b1%%; }
        location /hide/ {
            proxy_pass http://127.0.0.1:%%PORT_b1%%;
            proxy_hide_header X-Powered-By;
            proxy_hide_header X-Secret;
        }
        location /pass/ {
            proxy_pass http://127.0.0.1:%%PORT_b1%%;
            proxy_pass_header Server;
            proxy_pass_header Date;
            proxy_pass_header X-Accel-Limit-Rate;
        }
        location /set/ {
            proxy_pass http://127.0.0.1:%%PORT_b1%%;
            proxy_set_header X-Empty "";
            proxy_set_header Accept-Encoding "";
            proxy_set_header X-Uri $uri;
            proxy_set_header X-Arg "[$arg_a]";
        }
        location /noreq/ {
            proxy_pass http://127.0.0.1:%%PORT_b1%%;
            proxy_pass_request_headers off;
            proxy_set_header X-Only yes;
        }
    }
}
EOF2

my $b = Test::Portico::Backend->new($t, 'b1', response => {
    headers => [ Server => 'backend/9', Date => 'Mon, 01 Jan 2001 00:00:00 GMT',
        'X-Powered-By' => 'PHP/5', 'X-Secret' => 's', 'X-Pad' => 'avoid',
        'X-Accel-Limit-Rate' => '0', Connection => 'keep-alive, X-Hop',
        'Keep-Alive' => 'timeout=5', 'X-Keep' => 'kept', 'X-Hop' => 'hop',
        'Upgrade' => 'h2c', 'Proxy-Connection' => 'keep-alive' ],
    body => "ok\n" })->start;
$t->run;

# Request side: what the backend sees.
my $r = http("GET /a HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive, TE\r\n"
    . "Connection: X-Hop-Req ,\tHost, Content-Length\r\nX-Hop-Req: 1\r\n"
    . "Keep-Alive: 300\r\nTE: trailers\r\nUpgrade: websocket\r\n"
    . "Expect: 100-continue\r\nX-Custom: c1\r\nProxy-Connection: keep-alive\r\n"
    . "Trailer: X-T\r\n\r\n", complete => 1);
$r =~ s{^HTTP/1\.1 100 [^\r\n]*\r\n\r\n}{} if defined $r;   # nginx answers Expect
like($r, qr/^HTTP\/1\.1 200 .*\r\n\r\nok\n\z/s, 'proxied');
my $h = ($b->last_request // {})->{headers} // {};
is($h->{connection}, 'close', 'request: Connection replaced by "close"');
ok(!exists $h->{'keep-alive'}, 'request: Keep-Alive stripped');
ok(!exists $h->{te}, 'request: TE stripped');
ok(!exists $h->{upgrade}, 'request: Upgrade stripped');
ok(!exists $h->{expect}, 'request: Expect stripped');
is($h->{'x-custom'}, 'c1', 'request: other headers passed');
portico_only(4, 'nginx passes Proxy-* and Trailer request headers, and '
    . 'those the client lists in Connection', sub {
    ok(!exists $h->{'proxy-connection'}, 'request: Proxy-Connection stripped');
    ok(!exists $h->{trailer}, 'request: Trailer stripped');
    ok(!exists $h->{'x-hop-req'},
        'request: a header named in Connection stripped (RFC 9110 7.6.1)');
    like($h->{host} // '', qr/^127\.0\.0\.1:\d+$/, '... never our own Host');
});

# Response side: what the client sees.
my $p = parse_response($r) // { headers => {} };
my $rh = $p->{headers};
isnt($rh->{server} // '', 'backend/9', "response: backend's Server replaced");
like($rh->{server} // '', qr/^(portico|nginx)/, 'response: own Server');
isnt($rh->{date} // '', 'Mon, 01 Jan 2001 00:00:00 GMT',
    "response: backend's Date replaced");
like($rh->{date} // '', qr/^\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT$/,
    'response: own Date');
is(scalar(grep { lc $_->[0] eq 'server' } @{ $p->{header_list} }), 1,
    'response: one Server line');
is(scalar(grep { lc $_->[0] eq 'date' } @{ $p->{header_list} }), 1,
    'response: one Date line');
is($rh->{'x-powered-by'}, 'PHP/5', 'response: X-Powered-By passed');
ok(!exists $rh->{'x-pad'}, 'response: X-Pad hidden');
ok(!exists $rh->{'x-accel-limit-rate'}, 'response: X-Accel-* hidden');
ok(!exists $rh->{'keep-alive'}, 'response: Keep-Alive stripped');
is($rh->{'x-keep'}, 'kept', 'response: other headers passed');
portico_only(4, 'nginx passes Proxy-* and Upgrade response headers, and '
    . 'those the backend lists in Connection', sub {
    ok(!exists $rh->{upgrade}, 'response: Upgrade stripped (not a 101)');
    ok(!exists $rh->{'proxy-connection'}, 'response: Proxy-Connection stripped');
    ok(!exists $rh->{'x-hop'}, 'response: a header named in Connection stripped');
    like($r, qr/\r\n\r\nok\n\z/, '... the body framed as before');
});

# proxy_hide_header
$p = parse_response(http_get('/hide/x')) // { headers => {} };
ok(!exists $p->{headers}{'x-powered-by'} && !exists $p->{headers}{'x-secret'},
    'proxy_hide_header hides X-Powered-By and X-Secret');

# proxy_pass_header
$p = parse_response(http_get('/pass/x')) // { headers => {}, header_list => [] };
is($p->{headers}{server}, 'backend/9', "proxy_pass_header Server: backend's");
is($p->{headers}{date}, 'Mon, 01 Jan 2001 00:00:00 GMT',
    "proxy_pass_header Date: backend's");
is(scalar(grep { lc $_->[0] eq 'server' } @{ $p->{header_list} }), 1,
    'proxy_pass_header Server: one Server line');
is($p->{headers}{'x-accel-limit-rate'}, '0', 'proxy_pass_header X-Accel-*');

# proxy_set_header
http_get('/set/p%41th?a=1', 'X-Empty' => 'v', 'Accept-Encoding' => 'gzip',
    'X-Uri' => 'client');
$h = ($b->last_request // {})->{headers} // {};
ok(!exists $h->{'x-empty'}, 'proxy_set_header "": header removed');
ok(!exists $h->{'accept-encoding'}, 'proxy_set_header "": client header removed');
is(join('|', $h->{'x-uri'} // '-', $h->{'x-arg'} // '-'), '/set/pAth|[1]',
    'proxy_set_header with variables replaces the client header');

# proxy_pass_request_headers off
http_get('/noreq/x', 'X-Custom' => 'c', 'User-Agent' => 'ua');
my @names = map { lc $_->[0] } @{ (($b->last_request // {})->{header_list}) // [] };
is(join(',', sort @names), 'connection,host,x-only',
    'proxy_pass_request_headers off: only the set headers');
