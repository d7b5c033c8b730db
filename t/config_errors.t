#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Configuration errors name the file and line with nginx's wording
# (DESIGN §11); quoting and escapes; include globs; a bad config on start
# exits at once without a pid file.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Time::HiRes qw/time/;

my $t = Test::Portico->new->has(qw/http/)->allow_errors;
my $dir = $t->testdir;
my $conf = $t->conf_file;

# [ name, config, expected message (file:line appended unless it has one) ]
my @cases = (
    [ 'unknown directive', <<'EOF', qr/unknown directive "foo"/, 3 ],
events { }

foo bar;
EOF
    [ 'misplaced directive', <<'EOF', qr/"listen" directive is not allowed here/, 3 ],
events { }
http {
    listen 127.0.0.1:1;
}
EOF
    [ 'location outside a server', <<'EOF', qr/"location" directive is not allowed here/, 2 ],
events { }
location / { }
EOF
    [ 'wrong argument count', <<'EOF', qr/invalid number of arguments in "root" directive/, 4 ],
events { }
http {
    server {
        location / { root; }
    }
}
EOF
    [ 'too many arguments', <<'EOF', qr/invalid number of arguments in "return" directive/, 3 ],
events { }
http {
    server { location / { return 200 a b c; } }
}
EOF
    [ 'duplicate directive', <<'EOF', qr/"root" directive is duplicate/, 5 ],
events { }
http {
    server {
        location / { root a;
                     root b; }
    }
}
EOF
    [ 'map to a name without $', <<'EOF', qr/invalid variable name "dest"/, 3 ],
events { }
http {
    map $uri dest { default 1; }
}
EOF
    [ 'set of a name without $', <<'EOF', qr/invalid variable name "v"/, 3 ],
events { }
http {
    server { location / { set v 1; } }
}
EOF
    [ 'unexpected }', <<'EOF', qr/unexpected "}"/, 4 ],
events { }
http {
}
}
EOF
    [ 'missing ; before }', <<'EOF', qr/unexpected "}"/, 3 ],
events { }
http {
    server { root a }
}
EOF
    [ 'unexpected end of file in a block', <<'EOF', qr/unexpected end of file, expecting "}"/, 4 ],
events { }
http {
    server {
EOF
    [ 'unexpected end of file in a directive', "events { }\nworker_processes 1",
      qr/unexpected end of file, expecting ";" or "}"/, 2 ],
    [ 'block directive without a block', "events;\n",
      qr/directive "events" has no opening "\{"/, 1 ],
    [ 'unterminated quote', <<'EOF', qr/unexpected end of file, expecting ";" or "}"/, 7 ],
events { }
http {
    server {
        server_name "a b;
    }
}
EOF
    [ 'text after a quoted string', <<'EOF', qr/unexpected "b"/, 2 ],
events { }
http { server { location / { root "a"b; } } }
EOF
    [ 'bad size', <<'EOF', qr/"client_max_body_size" directive invalid value/, 3 ],
events { }
http {
    client_max_body_size 10q;
}
EOF
    [ 'bad time', <<'EOF', qr/"keepalive_timeout" directive invalid value/, 2 ],
events { }
http { keepalive_timeout 5x; }
EOF
    [ 'negative time', <<'EOF', qr/"keepalive_timeout" directive invalid value/, 2 ],
events { }
http { keepalive_timeout -1; }
EOF
    [ 'bad number', <<'EOF', qr/"worker_processes" directive invalid value/, 1 ],
worker_processes abc;
events { }
EOF
    [ 'bad flag', <<'EOF', qr/invalid value "maybe"/, 2 ],
events { }
http { server_tokens maybe; }
EOF
    [ 'bad listen port', <<'EOF', qr/invalid port in "127\.0\.0\.1:99999" of the "listen" directive/, 2 ],
events { }
http { server { listen 127.0.0.1:99999; } }
EOF
    [ 'missing include', <<'EOF', qr/open\(\) "\Q$dir\E\/missing\.conf" failed \(2: No such file or directory\)/, 3 ],
events { }
http {
    include missing.conf;
}
EOF
);

# Stricter than nginx: nginx directives of modules Portico lacks are refused
# (DESIGN §11: never silently ignored).
my @strict = (
    [ 'fastcgi_pass refused', <<'EOF', qr/"fastcgi_pass"/, 2 ],
events { }
http { server { location / { fastcgi_pass 127.0.0.1:9000; } } }
EOF
    [ 'fastcgi_temp_path refused', <<'EOF', qr/"fastcgi_temp_path"/, 2 ],
events { }
http { fastcgi_temp_path /tmp/x; }
EOF
);

$t->plan(2 * @cases + 2 * @strict + 16);

for my $c (@cases) {
    my ($name, $text, $re, $line) = @$c;
    $t->write_conf($text, prelude => 0);
    my ($rc, $out) = $t->conf_test;
    is($rc, 1, "$name: exit 1");
    like($out, qr/\[emerg\] .*$re in \Q$conf\E:$line\n/, "$name: message")
        or diag($out);
}

for my $c (@strict) {
    my ($name, $text, $re, $line) = @$c;
    portico_only(2, 'nginx has the module', sub {
        $t->write_conf($text, prelude => 0);
        my ($rc, $out) = $t->conf_test;
        is($rc, 1, "$name: exit 1");
        like($out, qr/\[emerg\] .*$re.* in \Q$conf\E:$line\n/, "$name: message");
    });
}

# A file that includes itself: an error naming the place, not a crash.
$t->write_file('loop.conf', "include loop.conf;\n");
$t->write_conf("events { }\nhttp {\n    include loop.conf;\n}\n", prelude => 0);
my ($lrc, $lout) = $t->conf_test;
is($lrc, 1, 'include loop: exit 1, not a crash');
like($lout, qr/too deep includes .*loop\.conf.* in \S*loop\.conf:1/,
     'include loop: the message names the file and line');

# include with a glob: every match is read, an error names the included file.
$t->write_file('inc/a.conf', "server_tokens off;\n");
$t->write_file('inc/b.conf', "\n# comment\nbogus_directive;\n");
$t->write_conf("events { }\nhttp {\n    include inc/*.conf;\n}\n", prelude => 0);
my ($rc, $out) = $t->conf_test;
is($rc, 1, 'include glob: error in a match fails');
like($out, qr/unknown directive "bogus_directive" in \Q$dir\E\/inc\/b\.conf:3\n/,
    'include glob: the error names the included file and line');

unlink "$dir/inc/b.conf";
($rc, $out) = $t->conf_test;
is($rc, 0, 'include glob: matches read');

$t->write_conf("events { }\nhttp {\n    include none/*.conf;\n}\n", prelude => 0);
($rc, $out) = $t->conf_test;
is($rc, 0, 'include glob without matches is fine');

# Quotes and escapes, variables in strings.
$t->write_conf(<<'EOF');
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location = /dq { return 200 "a\"b\\c\td\n"; }
        location = /sq { return 200 'x "y" z'; }
        location = /var { return 200 "${uri}-$uri."; }
        location '/sp ace' { return 200 "space"; }
        # a comment; with { braces }
        location = /semi { return 200 "a;b{c}#d"; }
    }
}
EOF
$t->run;
is(http_body(http_get('/dq')), "a\"b\\c\td\n", 'double quotes with escapes');
is(http_body(http_get('/sq')), 'x "y" z', 'single quotes');
is(http_body(http_get('/var')), '/var-/var.', '$var and ${var} in strings');
is(http_body(http_get('/sp%20ace')), 'space', 'quoted argument with a space');
is(http_body(http_get('/semi')), 'a;b{c}#d', 'special characters inside quotes');
$t->stop;

# A config error on start: non-zero exit at once, no pid file, the message on
# stderr and in the error log given with -e.
$t->write_conf("events { }\nhttp {\n    foo;\n}\n");
unlink "$dir/logs/portico.pid";
my $t0 = time;
my ($stdout, $stderr);
($rc, $stdout, $stderr) = $t->binary_run_split('-p', "$dir/", '-c', $conf,
    '-e', 'logs/e.log');
isnt($rc, 0, 'start with a bad config: non-zero exit');
ok(time - $t0 < 3, 'start with a bad config: exits at once');
ok(!-e "$dir/logs/portico.pid", 'start with a bad config: no pid file');
like($stderr, qr/unknown directive "foo" in \Q$conf\E:6/, 'error on stderr');
like($t->read_file('logs/e.log') // '', qr/\[emerg\] .*unknown directive "foo" in \Q$conf\E:6/,
    'error in the error log');
