#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# The pid file across reloads.  The PID stays, so a reload leaves the file
# alone: rewriting it (truncate, then write) would leave a moment in which
# `portico -s ...` or a supervisor reads it empty.  A reload that moves
# the pid file writes the new one and removes the old, as nginx does, but
# not when the new name is the same file through a link (nginx removes it).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Test::Portico;
use Time::HiRes qw/stat/;

my $t = Test::Portico->new->has(qw/http/)->plan(8);
my $dir = $t->testdir;

sub conf {
    my ($gen, $pid) = @_;
    $t->write_conf(<<"EOF2");
pid $pid;
events { }
http {
    access_log off;
    server {
        listen 127.0.0.1:%%PORT_8080%%;
        location / { return 200 "gen $gen\\n"; }
    }
}
EOF2
}

sub serving { my $g = shift; wait_until(sub { (http_get('/') // '') =~ /gen $g\b/ }, 10) }

conf(1, 'logs/a.pid');
$t->pid_file("$dir/logs/a.pid");
$t->run;
my $master = $t->pid;
my @before = (stat "$dir/logs/a.pid")[1, 9];

conf(2, 'logs/a.pid');
$t->signal('HUP');
ok(serving(2), 'reloaded');
my @after = (stat "$dir/logs/a.pid")[1, 9];
is("@after", "@before", 'same pid file: not rewritten (inode, mtime)');
is($t->read_file('logs/a.pid'), "$master\n", '... and it names the master');

conf(3, 'logs/b.pid');
$t->signal('HUP');
ok(serving(3), 'reloaded with another pid path');
ok(wait_until(sub { ($t->read_file('logs/b.pid') // '') eq "$master\n" }, 5),
   'the new pid file names the master');
ok(wait_until(sub { !-e "$dir/logs/a.pid" }, 5), 'the old one is removed');
$t->pid_file("$dir/logs/b.pid");

# The same file by another name (a symbolic link to its folder, as
# /var/run is to /run): written, and not removed as the old name.
symlink("$dir/logs", "$dir/run") or die "symlink: $!";
conf(4, 'run/b.pid');
$t->signal('HUP');
ok(serving(4), 'reloaded with the pid file named through a link');
portico_only(1, 'nginx compares the names and removes the file', sub {
    is($t->read_file('logs/b.pid'), "$master\n", 'the pid file is still there');
});
