#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# health_check in a proxied location (the nginx Plus form): it probes the
# upstream { } that location's proxy_pass names, takes a failing peer out
# for every location using that upstream, and brings it back; a location
# without an upstream { } or a second check of one upstream is refused.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Test::Portico::Backend;

plan(skip_all => 'health_check is beyond nginx open source') if is_nginx();

my $t = Test::Portico->new->has(qw/http proxy upstream_zone/)->plan(7)
    ->allow_errors(qr/health_check requires|has a health_check already/);

my $conf = <<'EOF2';
worker_processes 1;
events { }
http {
    access_log off;
    upstream app {
        zone app 64k;
        server 127.0.0.1:%%PORT_a%%;
        server 127.0.0.1:%%PORT_b%%;
    }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / {
            proxy_pass http://app;
            health_check interval=200ms fails=1 passes=1 uri=/ping;
        }
        location /other/ { proxy_pass http://app; }
    }
}
EOF2
$t->write_conf($conf);

my $dir = $t->testdir;
my %b = map {
    my $name = $_;
    $name => Test::Portico::Backend->new($t, $name, handler => sub {
        return { status => -e "$dir/sick-$name" ? 503 : 200, body => "$name\n" };
    })->start
} qw/a b/;
$t->run;

sub bodies {
    my %n;
    for my $i (1 .. 10) {
        my $r = http_get("/other/$i") // '';
        $n{ $r =~ m{^HTTP/1\.1 200} ? http_body($r) : 'bad' }++;
    }
    return \%n;
}

ok(wait_until(sub { grep { $_->{uri} eq '/ping' } $b{b}->requests }, 5),
   'the location\'s check probes the upstream\'s peers with its uri');
$t->write_file('sick-b', '');
ok(wait_until(sub { $t->error_log =~ /in upstream "app" is down by health check/ }, 5),
   'a failing peer is taken out');
my $n = bodies();
ok(!$n->{"b\n"} && !$n->{bad} && $n->{"a\n"} == 10,
   'another location of the same upstream avoids it too');
unlink "$dir/sick-b";
ok(wait_until(sub { $t->error_log =~ /in upstream "app" is up/ }, 5),
   'it comes back');
ok(wait_until(sub { bodies()->{"b\n"} }, 3), '... and gets traffic again');

# Configuration errors.
(my $bad = $conf) =~ s{proxy_pass http://app;\n            health_check}
                      {proxy_pass http://127.0.0.1:%%PORT_a%%;\n            health_check};
$t->write_conf($bad);
my ($rc, $out) = $t->conf_test;
like($out, qr/health_check requires proxy_pass to an upstream \{ \} in \S+:\d+/,
     'a location without an upstream { } is refused with file:line');
($bad = $conf) =~ s{location /other/ \{ proxy_pass http://app; \}}
                   {location /other/ { proxy_pass http://app; health_check; }};
$t->write_conf($bad);
($rc, $out) = $t->conf_test;
like($out, qr/upstream "app" has a health_check already/,
     'two checks of one upstream are refused');
$t->write_conf($conf);
