#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Location matching with many locations, against a model of nginx's rules:
# "=" first, then the longest prefix ("^~" stops there), then the regexes
# in order, else that prefix; a prefix location's nested locations.  The
# names nest in every way (/a, /a/b, /ab, /a/b/c ...), so the lookup by
# sorted names and chains of shorter prefixes is checked where it can go
# wrong.  Also: two named locations with one name are accepted (nginx
# takes the first), two prefix or exact ones are not (file:line).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;

my $t = Test::Portico->new->has(qw/http rewrite/)->plan(5)
    ->allow_errors(qr/duplicate location/);

srand(8);
my @alpha = ('a', 'b', 'ab', 'a/', 'b/c', 'x', '/', '-');
my (%prefix, %exact, @regex);

# Prefix names built from one another, so that many begin with others.
my @names = ('/');
while (keys %prefix < 600) {
    my $base = $names[int rand @names];
    my $name = $base . $alpha[int rand @alpha];
    next if length $name > 24 || $prefix{$name};
    $prefix{$name} = { id => 'p' . scalar(keys %prefix), stop => rand() < 0.2 };
    push @names, $name;
}
for my $name (@names[1 .. 200]) {
    $exact{$name} = 'e' . scalar(keys %exact) if rand() < 0.5;
}
my $ri = 0;
@regex = map { [ 'r' . $ri++, $_ ] } ('a/b/c$', '^/x', 'b-', '/-$');

my $locs = join "\n", (map {
    my $p = $prefix{$_};
    "        location " . ($p->{stop} ? '^~ ' : '') . "$_ { return 200 \"$p->{id}\\n\"; }"
} sort keys %prefix), (map {
    "        location = $_ { return 200 \"$exact{$_}\\n\"; }"
} sort keys %exact), (map {
    "        location ~ $_->[1] { return 200 \"$_->[0]\\n\"; }"
} @regex);

$t->write_conf(<<"EOF2");
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        merge_slashes off;     # the names hold "//" on purpose
$locs
        location \@named { return 200 "first\\n"; }
        location \@named { return 200 "second\\n"; }
        location = /to-named { error_page 418 = \@named; return 418; }
    }
}
EOF2
$t->run;

sub expect {
    my ($uri) = @_;
    return $exact{$uri} if exists $exact{$uri};
    my ($best) = sort { length $b <=> length $a }
                 grep { substr($uri, 0, length $_) eq $_ } keys %prefix;
    return $prefix{$best}{id} if $best && $prefix{$best}{stop};
    for my $re (@regex) { return $re->[0] if $uri =~ /$re->[1]/ }
    return $best ? $prefix{$best}{id} : 404;
}

# Every name, one byte more and one byte less, and random strings.
my @uris = map { ($_, "${_}z", substr($_, 0, -1) || '/') } @names;
push @uris, map { '/' . join '', map { $alpha[int rand @alpha] } 1 .. 1 + int rand 8 } 1 .. 300;
my ($bad, $n) = (0, 0);
for my $uri (@uris) {
    my $want = expect($uri);
    my $r = http_get($uri) // '';
    my ($got) = $r =~ m{^HTTP/1\.1 200 .*\r\n\r\n(\w+)\n\z}s;
    $got //= $r =~ m{^HTTP/1\.1 404 } ? 404 : 'error';
    $n++;
    next if $got eq $want;
    diag("$uri: want $want, got $got") if $bad++ < 10;
}
is($bad, 0, "$n URIs, each routed as nginx routes it");

like(http_get('/to-named'), qr/\r\n\r\nfirst\n\z/, 'repeated named location: the first');

for my $dup ('/a/b', '= /x') {
    my $conf = $t->testdir . '/dup.conf';
    open my $f, '>', $conf or die;
    print $f "events { }\nhttp {\n    server {\n        location $dup { }\n"
        . "        location /other { }\n        location $dup { }\n    }\n}\n";
    close $f;
    my $out = $t->binary_run('-t', '-p', $t->testdir . '/', '-c', $conf) // '';
    (my $shown = $dup) =~ s/^= //;
    like($out, qr/duplicate location "\Q$shown\E" in \Q$conf\E:6/,
        "two \"location $dup\": refused, naming the second");
}

# Many more: 20000 prefix locations.
my $many = join '', map { "        location /m$_/ { return 200 \"m$_\\n\"; }\n" } 1 .. 20000;
$t->stop;
$t->write_conf(<<"EOF2");
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
$many    }
}
EOF2
$t->run;
like(http_get('/m12345/x'), qr/\r\n\r\nm12345\n\z/, '20000 locations: the right one');
