#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The hash sizing directives nginx needs by hand: server_names_hash_max_size,
# server_names_hash_bucket_size, types_hash_max_size, types_hash_bucket_size,
# variables_hash_max_size, variables_hash_bucket_size.  Accepted in their
# contexts with large and tiny values (server names, types and variables
# still resolve), refused with nginx's messages and file:line when invalid,
# misplaced or duplicated; a zero max_size is refused by both.  Keys longer
# than a bucket: nginx refuses to start, Portico's self-sizing hashes take
# them (portico.conf(5)).  Long extensions in a large enough types hash are
# found.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;

my @names = qw/server_names_hash_max_size server_names_hash_bucket_size
    types_hash_max_size types_hash_bucket_size variables_hash_max_size
    variables_hash_bucket_size/;

my $t = Test::Portico->new->has(qw/http map/)->plan(65);

$t->write_file("html/$_", "$_\n") for qw/a.ptt a.txt loc\/b.ptt/;

# A config that uses all three hashes: several names on one address, a
# types block, a map and set variables.
sub conf {
    my (%size) = @_;
    my $http = join '', map { "    $_ $size{$_};\n" } grep { $size{$_} } @names;
    my $loc = join '', map { "            $_ $size{loc};\n" }
        grep { $size{loc} } qw/types_hash_max_size types_hash_bucket_size/;
    return <<"EOF";
events { }
http {
    access_log off;
$http
    types {
        text/html html;
        text/plain txt;
        image/png png;
        application/x-portico-test ptt;
    }
    map \$uri \$mapped { default none; /a.ptt yes; }

    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name one.example alias.example;
        root %%TESTDIR%%/html;
        add_header X-Server one;
        add_header X-Mapped \$mapped;

        location /loc/ {
$loc            types { application/x-loc ptt; }
        }
    }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name two.example *.wild.example www.*;
        location / {
            set \$custom_variable two;
            return 200 "server=\$custom_variable host=\$host\\n";
        }
    }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name ~^re-(?<num>\\d+)\\.example\$;
        location / { return 200 "regex=\$num\\n"; }
    }
}
EOF
}

# Seven checks of the three hashes at work.
sub lookups {
    my ($what) = @_;
    my $r = http_get('/a.ptt', Host => 'one.example');
    like($r, qr/^Content-Type: application\/x-portico-test\r$/m, "$what: types hash");
    like($r, qr/^X-Mapped: yes\r$/m, "$what: map variable");
    like(http_get('/loc/b.ptt', Host => 'one.example'),
        qr/^Content-Type: application\/x-loc\r$/m, "$what: types in a location");
    like(http_get('/a.txt', Host => 'alias.example'), qr/^X-Server: one\r$/m,
        "$what: second exact name");
    like(http_get('/', Host => 'two.example'), qr/^server=two host=two\.example$/m,
        "$what: exact name, set variable");
    like(http_get('/', Host => 'a.b.wild.example'), qr/^server=two /m,
        "$what: leading wildcard");
    like(http_get('/', Host => 're-42.example'), qr/^regex=42$/m,
        "$what: regex name");
}

# Generous values everywhere they are allowed.
$t->write_conf(conf(server_names_hash_max_size => 1024,
    server_names_hash_bucket_size => 128, types_hash_max_size => 2048,
    types_hash_bucket_size => 128, variables_hash_max_size => 2048,
    variables_hash_bucket_size => 128, loc => 256));
$t->run;
lookups('large sizes');
$t->stop;

# The smallest values nginx starts with (it warns "could not build optimal
# ..." and ignores the bucket size); lookups are unchanged.
$t->write_conf(conf(server_names_hash_max_size => 1,
    server_names_hash_bucket_size => 1, types_hash_max_size => 1,
    types_hash_bucket_size => 1, variables_hash_max_size => 1,
    variables_hash_bucket_size => 1, loc => 1));
$t->run;
lookups('tiny sizes');
$t->stop;

######################################################################
# Configuration errors, as nginx words them.  They go to a prefix of their
# own, whose error log is expected to hold [emerg] lines.

my $c = Test::Portico->new->allow_errors;
my $conf = $c->conf_file;

sub check {
    my ($text, $re, $name) = @_;
    $c->write_conf($text, prelude => 0);
    my ($rc, $out) = $c->conf_test;
    like("rc=$rc $out", qr/^rc=1 .*$re/s, $name) or diag($out);
}

for my $n (@names) {
    check("events { }\nhttp {\n    $n abc;\n}\n",
        qr/\[emerg\] .*"$n" directive invalid number in \Q$conf\E:3\n/,
        "$n abc: invalid number, file:line");
    check("events { }\nhttp {\n    $n -1;\n}\n",
        qr/"$n" directive invalid number in \Q$conf\E:3\n/,
        "$n -1: invalid number");
    check("events { }\nhttp {\n    $n 512;\n    $n 1024;\n}\n",
        qr/"$n" directive is duplicate in \Q$conf\E:4\n/,
        "$n twice: duplicate");
    check("events { }\nhttp {\n    $n 1 2;\n}\n",
        qr/invalid number of arguments in "$n" directive in \Q$conf\E:3\n/,
        "$n with two values: argument count");
    if ($n =~ /^types/) {
        check("events { }\n$n 64;\nhttp { }\n",
            qr/"$n" directive is not allowed here in \Q$conf\E:2\n/,
            "$n at the top level: not allowed");
    } else {
        check("events { }\nhttp {\n    server {\n        $n 64;\n    }\n}\n",
            qr/"$n" directive is not allowed here in \Q$conf\E:4\n/,
            "$n in a server: not allowed (http only)");
    }
}

# A zero max_size with keys to hash: both refuse to start, naming the
# directive (nginx when it builds the hash, without a file:line; Portico
# when it reads the directive, with one).
my %zero = (
    server_names_hash_max_size => "server { listen 127.0.0.1:1; server_name a.example; }\n"
        . "    server { listen 127.0.0.1:1; server_name b.example c.example; }",
    types_hash_max_size => "server { listen 127.0.0.1:1; }",
    variables_hash_max_size => "server { listen 127.0.0.1:1; }",
);
for my $n (sort keys %zero) {
    check("events { }\nhttp {\n    $n 0;\n    $zero{$n}\n}\n",
        qr/\[emerg\] .*\b$n\b/, "$n 0: refused");
}
portico_only(3, 'nginx reports the hash it could not build, without file:line', sub {
    for my $n (sort keys %zero) {
        check("events { }\nhttp {\n    $n 0;\n    $zero{$n}\n}\n",
            qr/\[emerg\] "$n" must be at least 1 in \Q$conf\E:3\n/,
            "$n 0: the message names the file and line");
    }
});

######################################################################
# Keys longer than the default 64-byte buckets.

my $long = ('n' x 90) . '.example';
my $longvar = 'v' x 90;
my $longext = 'e' x 90;
my @long = (
    [ server_names_hash_bucket_size => "server_name $long;" ],
    [ types_hash_bucket_size => "types { text/x-long $longext; }" ],
    [ variables_hash_bucket_size => "location / { set \$$longvar 1; }" ],
);

SKIP: {
    skip 'nginx only: Portico sizes its hashes itself', 3 unless is_nginx();

    for my $l (@long) {
        my ($n, $directive) = @$l;
        my $hash = $n =~ s/_bucket_size$//r;
        check("events { }\nhttp {\n    server { listen 127.0.0.1:1; server_name x.example; }\n"
            . "    server { listen 127.0.0.1:1; $directive }\n}\n",
            qr/\[emerg\] .*could not build $hash, you should increase $n: 64/,
            "nginx: a key longer than a bucket refuses to start ($n)");
    }
}

portico_only(3, 'nginx refuses keys longer than a bucket', sub {
    $t->write_conf(<<"EOF");
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name x.example;
        return 200 "x\\n";
    }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        server_name $long;
        root %%TESTDIR%%/html;
        types { text/x-long $longext; }
        location = /var {
            set \$$longvar "long variable";
            return 200 "\$$longvar\\n";
        }
    }
}
EOF
    $t->run;
    like(http_get('/none', Host => $long), qr/^HTTP\/1\.1 404 /,
        'a server name longer than a bucket is found');
    like(http_get('/var', Host => $long), qr/^long variable$/m,
        'a variable name longer than a bucket is found');
    $t->write_file("html/f.$longext", "f\n");
    like(http_get("/f.$longext", Host => $long),
        qr/^Content-Type: text\/x-long\r$/m,
        'an extension longer than a bucket is found');
    $t->stop;
});

# The documented defaults, written out, start as well.
$t->write_conf(conf(server_names_hash_max_size => 512,
    server_names_hash_bucket_size => 64, types_hash_max_size => 1024,
    types_hash_bucket_size => 64, variables_hash_max_size => 1024,
    variables_hash_bucket_size => 64));
my ($rc, $out) = $t->conf_test;
is($rc, 0, 'the documented default values are accepted') or diag($out);
$t->run;
like(http_get('/a.ptt', Host => 'one.example'),
    qr/^Content-Type: application\/x-portico-test\r$/m, 'defaults: types hash');
like(http_get('/', Host => 'www.anything.org'), qr/^server=two /m,
    'defaults: trailing wildcard');
like(http_get('/a.txt', Host => 'unknown.example'), qr/^X-Server: one\r$/m,
    'defaults: an unknown name goes to the default server');
like(http_get('/a.txt', Host => 'one.example'), qr/^Content-Type: text\/plain\r$/m,
    'defaults: another type');
like(http_get('/a.txt', Host => 'one.example'), qr/^X-Mapped: none\r$/m,
    'defaults: map default');

$t->stop;

# Extensions over 32 bytes: nginx finds them once they fit its buckets
# (types_hash_bucket_size 256 here), and so must Portico.
my $e33 = 'x' x 33;
$t->write_conf(<<"EOF");
events { }
http {
    access_log off;
    types_hash_bucket_size 256;
    types { text/x-32 ${\ ('w' x 32)}; text/x-33 $e33; text/x-90 $longext; }
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        root %%TESTDIR%%/html;
    }
}
EOF
$t->write_file("html/t.$_", "t\n") for 'w' x 32, $e33, $longext;
$t->run;
like(http_get('/t.' . ('w' x 32)), qr/^Content-Type: text\/x-32\r$/m,
    'types_hash_bucket_size 256: a 32-byte extension');
like(http_get("/t.$e33"), qr/^Content-Type: text\/x-33\r$/m,
    'types_hash_bucket_size 256: a 33-byte extension');
like(http_get("/t.$longext"), qr/^Content-Type: text\/x-90\r$/m,
    'types_hash_bucket_size 256: a 90-byte extension');
