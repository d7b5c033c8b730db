# SPDX-License-Identifier: BSD-2-Clause
# Test::Portico: starts the real server binary from a config the test writes
# and talks to it over raw loopback sockets (see STYLE.md, DESIGN.md §12).
#
# The same harness drives Debian's nginx (PORTICO_BINARY=/usr/sbin/nginx), so
# every test can be checked against the behaviour Portico must reproduce.
#
# Synopsis:
#
#   use Test::Portico;
#   my $t = Test::Portico->new->has(qw/http gzip/)->plan(2);
#   $t->write_conf(<<'EOF')->run;
#   events { }
#   http { server { listen 127.0.0.1:%%PORT_8080%%; root %%TESTDIR%%; } }
#   EOF
#   like(http_get('/'), qr/^HTTP\/1\.1 200/, 'served');
#
# Server side (methods):
#   new, has(FEATURES), plan(N), done_testing, allow_errors([RE...])
#   write_conf(TEXT [, prelude => 0, name => FILE]), write_file(NAME, DATA),
#   write_file_expand(NAME, DATA), read_file(NAME), error_log, testdir,
#   conf_file, port(KEY), expand(TEXT)
#   run(EXTRA_ARGS), run_with(args => [...], cwd => DIR), reload, stop([SIG]),
#   signal(SIG), wait_exit([SECS]), pid, pid_file, worker_pids
#   conf_test(ARGS), binary_run(ARGS), binary_run_split(ARGS),
#   binary_run_in(DIR, ARGS)
# Client side (exported functions, all bounded by a 5s timeout):
#   http(RAW, %opts), http_get(URI, %headers), http_head(URI, %headers),
#   http_raw(RAW, %opts), http_pipeline(REQS...), http_read(SOCK, %opts),
#   parse_response(TEXT), http_body(TEXT), split_responses(TEXT),
#   wait_until(CODE, SECS), portico_only(N, REASON, CODE), is_nginx()
#
# Config prelude: unless the test's config sets them at the top level (or
# write_conf gets prelude => 0), "daemon off;", "pid logs/portico.pid;" and
# "error_log logs/error.log notice;" are prepended, so that nginx's and
# Portico's different compiled-in defaults do not matter.  Tests write
# complete configs otherwise (events { } included).
#
# Plan counting: $t->plan(N) declares N + 1 tests.  The extra one is emitted
# once, at the very end (END block), after every server started by the file
# has been stopped: "server logs clean" fails when any error.log holds an
# [alert], [crit] or [emerg] line (unless allowed with $t->allow_errors) or
# when error.log or stderr.log holds sanitizer output.  Tests that prefer
# done_testing call $t->done_testing instead, which stops the servers, emits
# the same check, then calls Test::More::done_testing.
#
# Environment:
#   PORTICO_BINARY      the server program (default: objs/portico beside t/)
#   PORTICO_KEEP_TMP    keep the temporary prefix directories
#   PORTICO_TEST_TIMEOUT  per-file alarm in seconds (default 60)

package Test::Portico;

use strict;
use warnings;

use Cwd ();
use Exporter qw/import/;
use File::Basename qw/dirname/;
use File::Path qw/make_path/;
use File::Spec;
use File::Temp qw/tempdir/;
use IO::Select;
use IO::Socket::INET;
use IO::Socket::IP;
use POSIX qw/:sys_wait_h/;
use Scalar::Util qw/weaken/;
use Time::HiRes qw/sleep time/;
use Test::More ();

our @EXPORT = qw/http http_get http_head http_raw http_pipeline http_read
    parse_response split_responses http_body get_response portico_only
    is_nginx wait_until/;

our $VERSION = '0.1';

# The harness whose server was started last (or the first one created):
# http_get() and friends talk to it.
our $CURRENT;

my @INSTANCES;          # weak refs to every harness, for the END check
my @LOG_PROBLEMS;       # problems found in logs of already destroyed harnesses
my $PLANNED;            # true when plan() added the final check
my $FINISHED;
my $START_PID = $$;

$SIG{PIPE} = 'IGNORE';

my $TIMEOUT = $ENV{PORTICO_TEST_TIMEOUT} || 60;
$SIG{ALRM} = sub { die "test file timed out after ${TIMEOUT}s\n" };
alarm $TIMEOUT;

# Options understood by http() (and by the helpers built on it); in
# http_get()/http_head() any other key is a request header.
my %HTTP_OPTS = map { $_ => 1 }
    qw/port host timeout socket start read sleep body version method complete/;


# The program under test, as an absolute path (tests may chdir).
sub binary {
    our $BINARY;
    return $BINARY if defined $BINARY;

    if ($ENV{PORTICO_BINARY}) {
        $BINARY = File::Spec->rel2abs($ENV{PORTICO_BINARY});
    } else {
        my $root = Cwd::abs_path(dirname(File::Spec->rel2abs(__FILE__))
            . '/../../..');
        $BINARY = "$root/objs/portico";
    }
    return $BINARY;
}


# Creates a harness: a fresh temporary prefix with a logs/ directory.
sub new {
    my ($class) = @_;

    my $dir = tempdir('portico-test-XXXXXX', TMPDIR => 1,
        CLEANUP => $ENV{PORTICO_KEEP_TMP} ? 0 : 1);

    # Workers may drop to an unprivileged user when the suite runs as root.
    chmod 0755, $dir;
    make_path("$dir/logs");

    my $self = bless {
        dir => $dir,
        ports => {},
        port_order => [],
        pid => undef,
        allow => undef,
        listen_keys => [],
        pid_file => "$dir/logs/portico.pid",
    }, $class;

    Test::More::diag("prefix $dir") if $ENV{PORTICO_KEEP_TMP};

    $CURRENT //= $self;
    push @INSTANCES, $self;
    weaken($INSTANCES[-1]);

    return $self;
}


sub testdir { $_[0]{dir} }
sub pid { $_[0]{pid} }
sub pid_file { my $self = shift; $self->{pid_file} = shift if @_; $self->{pid_file} }


sub _die_skip {
    my ($reason) = @_;
    Test::More::plan(skip_all => $reason);
    exit 0;
}


sub _version_text {
    my ($self, $flag) = @_;

    my $bin = binary();
    _die_skip("no executable $bin (build first or set PORTICO_BINARY)")
        unless -x $bin;

    my ($rc, $out) = $self->binary_run($flag);
    return $out;
}


# True when the binary under test is nginx (its -v output names it);
# a function, also callable as a method.
sub is_nginx {
    our $IS_NGINX;
    return $IS_NGINX if defined $IS_NGINX;

    my $bin = binary();
    return 0 unless -x $bin;
    my $out = `'$bin' -v 2>&1`;
    $IS_NGINX = ($out // '') =~ /nginx/ ? 1 : 0;
    return $IS_NGINX;
}


# Skips the whole file unless every named feature is built in (from -V).
my %DEFAULT_ON = map { $_ => 1 } qw/gzip rewrite proxy access limit_req
    limit_conn map realip_default upstream_hash upstream_ip_hash
    upstream_least_conn upstream_random upstream_keepalive upstream_zone
    auth_basic autoindex geo split_clients referer browser empty_gif
    charset ssi userid fastcgi uwsgi scgi grpc memcached mirror/;
my %OPTIONAL = map { $_ => 1 } qw/ssl realip stub_status v2 gzip_static
    gunzip auth_request sub dav slice addition flv mp4 random_index
    secure_link degradation/;

sub has {
    my ($self, @features) = @_;

    my $v = $self->_version_text('-V');

    for my $f (@features) {
        if ($DEFAULT_ON{$f}) {
            _die_skip("no $f") if $v =~ /--without-http_${f}_module/;
        } elsif ($OPTIONAL{$f}) {
            _die_skip("no $f") unless $v =~ /--with-http_${f}_module/;
        }
        # unknown names (http, ...) are assumed present
    }

    return $self;
}


# plan(N): N tests of the file plus the final log check.
sub plan {
    my ($self, $n) = @_;

    my $bin = binary();
    _die_skip("no executable $bin (build first or set PORTICO_BINARY)")
        unless -x $bin;

    Test::More::plan(tests => $n + 1);
    $PLANNED = 1;
    return $self;
}


sub done_testing {
    my ($self) = @_;
    _finish_all();
    Test::More::done_testing();
}


# allow_errors(): any [alert]/[crit]/[emerg] line is expected;
# allow_errors(qr/.../, ...): only lines matching one of the patterns are.
sub allow_errors {
    my ($self, @re) = @_;
    $self->{allow} = @re ? [ @{ $self->{allow} || [] }, @re ] : 'all';
    return $self;
}


# port(KEY): the real port behind %%PORT_KEY%%, picked at first use.
sub port {
    my ($self, $key) = @_;

    $key //= $self->{port_order}[0];
    die "no port allocated yet\n" unless defined $key;

    return $self->{ports}{$key} if $self->{ports}{$key};

    my %used = map { $_ => 1 } values %{ $self->{ports} };
    for (1 .. 50) {
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
            LocalPort => 0, Proto => 'tcp', Listen => 1)
            or die "cannot bind 127.0.0.1:0: $!\n";
        my $p = $s->sockport;
        close $s;
        next if $used{$p};
        $self->{ports}{$key} = $p;
        push @{ $self->{port_order} }, $key;
        return $p;
    }
    die "cannot find a free port\n";
}


sub expand {
    my ($self, $text) = @_;

    $text =~ s/%%PORT_(\w+)%%/$self->port($1)/ge;
    $text =~ s/%%TESTDIR%%/$self->{dir}/g;
    return $text;
}


# Names of the directives at the top level (block depth 0) of a config.
sub _top_directives {
    my ($text) = @_;

    my (%names, $depth, $stmt_start);
    $depth = 0;
    $stmt_start = 1;
    my $len = length $text;
    my $i = 0;

    while ($i < $len) {
        my $c = substr($text, $i, 1);

        if ($c eq '#') {
            my $nl = index($text, "\n", $i);
            $i = $nl < 0 ? $len : $nl + 1;
            next;
        }
        if ($c eq '"' || $c eq "'") {
            my $j = $i + 1;
            while ($j < $len) {
                my $d = substr($text, $j, 1);
                if ($d eq '\\') { $j += 2; next }
                last if $d eq $c;
                $j++;
            }
            $i = $j + 1;
            $stmt_start = 0;
            next;
        }
        if ($c eq '{') { $depth++; $stmt_start = 1; $i++; next }
        if ($c eq '}') { $depth--; $stmt_start = 1; $i++; next }
        if ($c eq ';') { $stmt_start = 1; $i++; next }
        if ($c =~ /\s/) { $i++; next }

        if ($stmt_start) {
            my ($word) = substr($text, $i) =~ /^([^\s;{}"'#]+)/;
            $names{$word} = 1 if $depth == 0 && defined $word;
            $stmt_start = 0;
            $i += length($word // 'x');
            next;
        }
        $i++;
    }

    return \%names;
}


# write_conf(TEXT [, prelude => 0, name => FILE]): expands and writes
# TESTDIR/portico.conf (or FILE under TESTDIR); the ports of its listen
# directives are the ones run() waits for.
# Unless told not to, prepends "daemon off;", "pid logs/portico.pid;" and
# "error_log logs/error.log notice;" for each the config does not set itself.
sub write_conf {
    my ($self, $text, %opts) = @_;

    my $prelude = '';
    if ($opts{prelude} // 1) {
        my $top = _top_directives($text);
        $prelude .= "daemon off;\n" unless $top->{daemon};
        $prelude .= "pid logs/portico.pid;\n" unless $top->{pid};
        $prelude .= "error_log logs/error.log notice;\n"
            unless $top->{error_log};
    }

    my $conf = $self->expand($prelude . $text);

    # Ports that the server listens on: run() waits until they accept.
    my @keys;
    while ($text =~ /(?<![\w\$])listen\s+(\[::1\]:)?[^;\s]*?%%PORT_(\w+)%%/g) {
        push @keys, $1 ? "[::1]:$2" : $2;
    }
    $self->{listen_keys} = \@keys;

    $self->write_file($opts{name} // 'portico.conf', $conf);
    $self->{conf} = $conf;
    return $self;
}


sub conf_file { "$_[0]{dir}/portico.conf" }


sub _path {
    my ($self, $name) = @_;
    return $name if File::Spec->file_name_is_absolute($name);
    return "$self->{dir}/$name";
}


# write_file(NAME, CONTENT): NAME relative to TESTDIR; creates directories.
sub write_file {
    my ($self, $name, $content) = @_;

    my $path = $self->_path($name);
    make_path(dirname($path));
    open my $fh, '>', $path or die "cannot write $path: $!\n";
    binmode $fh;
    print $fh $content;
    close $fh or die "cannot write $path: $!\n";
    return $self;
}


sub write_file_expand {
    my ($self, $name, $content) = @_;
    return $self->write_file($name, $self->expand($content));
}


# read_file(NAME): the content, or undef when the file does not exist.
sub read_file {
    my ($self, $name) = @_;

    my $path = $self->_path($name);
    open my $fh, '<', $path or return undef;
    binmode $fh;
    local $/;
    my $content = <$fh>;
    close $fh;
    return $content // '';
}


sub error_log { $_[0]->read_file('logs/error.log') // '' }


sub _log_tail {
    my ($self) = @_;

    my $out = '';
    for my $f (qw{logs/stderr.log logs/error.log}) {
        my $c = $self->read_file($f) // next;
        my @lines = split /\n/, $c;
        splice @lines, 0, -20 if @lines > 20;
        $out .= "--- $f:\n" . join("\n", @lines) . "\n";
    }
    return $out;
}


# Starts "BINARY -p TESTDIR/ -c TESTDIR/portico.conf [ARGS]"; waits up to 10s
# for the pid file and every listen port; dies with the log tails otherwise.
sub run {
    my ($self, @args) = @_;
    return $self->run_with(args => [ '-p', "$self->{dir}/", '-c',
        $self->conf_file, @args ]);
}


# run_with(args => [ARGS], cwd => DIR): run() with the whole argument list
# given (nothing added) and, optionally, another working directory.
sub run_with {
    my ($self, %o) = @_;

    die "already running\n" if $self->{pid};

    my $bin = binary();
    my $dir = $self->{dir};
    my @cmd = ($bin, @{ $o{args} });

    unlink $self->{pid_file};
    $CURRENT = $self;

    my $pid = fork;
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        chdir $o{cwd} or POSIX::_exit(126) if $o{cwd};
        open STDIN, '<', '/dev/null';
        open STDOUT, '>>', "$dir/logs/stderr.log";
        open STDERR, '>&', \*STDOUT;
        { no warnings "exec"; exec { $cmd[0] } @cmd; }
        print STDERR "exec $cmd[0]: $!\n";
        POSIX::_exit(127);
    }

    $self->{pid} = $pid;
    $self->{ran} = 1;

    my @ports = $self->_listen_ports;
    my $deadline = time + 10;

    while (time < $deadline) {
        if (waitpid($pid, WNOHANG) == $pid) {
            my $st = $?;
            $self->{pid} = undef;
            die sprintf("server exited at start (status %d, signal %d)\n%s",
                $st >> 8, $st & 127, $self->_log_tail);
        }

        if (-s $self->{pid_file} && !grep { !_accepts($_) } @ports) {
            return $self;
        }
        sleep 0.05;
    }

    my $tail = $self->_log_tail;
    $self->stop;
    die "server did not become ready within 10s\n$tail";
}


# The listen ports as "PORT" (127.0.0.1) or "[::1]:PORT".
sub _listen_ports {
    my ($self) = @_;
    return map { /^\[::1\]:(\w+)$/ ? '[::1]:' . $self->port($1) : $self->port($_) }
        @{ $self->{listen_keys} };
}


sub _accepts {
    my ($port) = @_;
    my $host = '127.0.0.1';
    ($host, $port) = ('::1', $1) if $port =~ /^\[::1\]:(\d+)$/;
    my $s = IO::Socket::IP->new(PeerHost => $host, PeerPort => $port,
        Proto => 'tcp', Timeout => 1);
    return 0 unless $s;
    close $s;
    return 1;
}


# The live (non-zombie) children of the master, sorted (their count in
# scalar context).
sub worker_pids {
    my ($self, $ppid) = @_;

    $ppid //= $self->{pid};
    return () unless $ppid;

    my @pids;
    opendir my $dh, '/proc' or return ();
    for my $p (grep { /^\d+$/ } readdir $dh) {
        open my $fh, '<', "/proc/$p/stat" or next;
        my $stat = <$fh> // next;
        close $fh;
        my $rest = substr($stat, rindex($stat, ')') + 2);
        my ($state, $pp) = split / /, $rest;
        push @pids, $p if $pp == $ppid && $state ne 'Z';
    }
    closedir $dh;
    @pids = sort { $a <=> $b } @pids;
    return wantarray ? @pids : scalar @pids;
}


# wait_until(CODE, SECONDS): polls CODE every 50ms; returns its true value
# or false after SECONDS (default 5).
sub wait_until {
    my ($code, $secs) = @_;

    my $deadline = time + ($secs // 5);
    while (1) {
        my $r = $code->();
        return $r if $r;
        return 0 if time >= $deadline;
        sleep 0.05;
    }
}


sub signal {
    my ($self, $sig) = @_;
    die "not running\n" unless $self->{pid};
    return kill $sig, $self->{pid};
}


# SIGHUP, then wait (up to 10s) until a new generation of workers is up and
# the old workers are gone (the latter best effort); true on success.
sub reload {
    my ($self) = @_;

    my %old = map { $_ => 1 } $self->worker_pids;
    $self->signal('HUP');

    my $ok = wait_until(sub {
        grep { !$old{$_} } $self->worker_pids;
    }, 10);

    unless ($ok) {
        Test::More::diag("reload: no new workers within 10s\n"
            . $self->_log_tail);
        return 0;
    }

    wait_until(sub { !grep { $old{$_} } $self->worker_pids }, 3);

    my @ports = $self->_listen_ports;
    wait_until(sub { !grep { !_accepts($_) } @ports }, 5);
    return 1;
}


# stop(): QUIT, TERM after 10s, KILL after 20s; returns the wait status.
sub stop {
    my ($self, $sig) = @_;

    my $pid = $self->{pid} or return;
    $sig //= 'QUIT';

    kill $sig, $pid;
    my $start = time;
    my $sent_term = $sig ne 'QUIT';
    my $sent_kill = 0;

    while (1) {
        my $r = waitpid($pid, WNOHANG);
        if ($r == $pid || $r < 0) {
            $self->{status} = $?;
            last;
        }
        my $el = time - $start;
        if ($el > 20 && !$sent_kill) {
            Test::More::diag("server $pid ignored TERM, sending KILL");
            kill 'KILL', $pid;
            $sent_kill = 1;
        } elsif ($el > 10 && !$sent_term) {
            Test::More::diag("server $pid ignored QUIT, sending TERM");
            kill 'TERM', $pid;
            $sent_term = 1;
        }
        sleep 0.02;
    }

    $self->{pid} = undef;
    return $self->{status};
}


# wait_exit(SECONDS): waits (default 10s) for the master to exit by itself
# (after -s quit, say); returns its wait status, or undef if it still runs.
sub wait_exit {
    my ($self, $secs) = @_;

    my $pid = $self->{pid} or return $self->{status};
    my $ok = wait_until(sub { waitpid($pid, WNOHANG) == $pid }, $secs // 10);
    return undef unless $ok;
    $self->{status} = $?;
    $self->{pid} = undef;
    return $self->{status};
}


# Stops the server (if still running) and lists the problems in its logs.
sub _log_problems {
    my ($self) = @_;

    $self->stop if $self->{pid};

    my @problems;
    my $allow = $self->{allow};

    for my $f (qw{logs/error.log logs/stderr.log}) {
        my $c = $self->read_file($f) // next;
        for my $line (split /\n/, $c) {
            if ($line =~ /ERROR: AddressSanitizer|runtime error:|LeakSanitizer|ERROR: ThreadSanitizer/) {
                push @problems, "$f: $line";
                next;
            }
            next unless $f eq 'logs/error.log';
            next unless $line =~ /\[(alert|crit|emerg)\]/;
            next if defined $allow && !ref $allow;
            next if ref $allow && grep { $line =~ $_ } @$allow;
            push @problems, "$f: $line";
        }
    }

    return @problems;
}


sub _finish_all {
    return if $FINISHED || $$ != $START_PID;
    $FINISHED = 1;

    my @problems = @LOG_PROBLEMS;
    for my $t (grep { defined } @INSTANCES) {
        next if $t->{finished};
        $t->{finished} = 1;
        push @problems, $t->_log_problems;
    }

    Test::More::ok(!@problems, 'server logs clean (no alert/crit/emerg, '
        . 'no sanitizer report)') or Test::More::diag(join "\n", @problems);
}


sub DESTROY {
    my ($self) = @_;
    return if $$ != $START_PID || $self->{finished};
    $self->{finished} = 1;
    local ($?, $@, $!);
    push @LOG_PROBLEMS, $self->_log_problems;
}


END {
    if ($$ == $START_PID) {
        local $?;
        if ($PLANNED) {
            _finish_all();
        } else {
            $_->stop for grep { defined && $_->{pid} } @INSTANCES;
        }
    }
}


# conf_test(): runs "BINARY -t -p TESTDIR/ -c TESTDIR/portico.conf";
# returns (exit code, combined stdout+stderr).
sub conf_test {
    my ($self, @args) = @_;
    return $self->binary_run('-t', '-p', "$self->{dir}/", '-c',
        $self->conf_file, @args);
}


# binary_run(ARGS): runs the binary (10s limit) in the current directory;
# returns (exit code, combined output) in list context, the output in
# scalar context.  Exit code is 128+N when killed by signal N.
sub binary_run {
    my ($self, @args) = @_;
    my ($rc, $out) = $self->_spawn(\@args, 1);
    return wantarray ? ($rc, $out) : $out;
}


# binary_run_split(ARGS): like binary_run; returns (rc, stdout, stderr).
sub binary_run_split {
    my ($self, @args) = @_;
    return $self->_spawn(\@args, 0);
}


sub _spawn {
    my ($self, $args, $combined, %opts) = @_;

    my $dir = $self->{dir};
    my $n = ++$self->{spawns};
    my ($of, $ef) = ("$dir/.out.$n", "$dir/.err.$n");
    my $bin = binary();

    my $pid = fork;
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        chdir $opts{cwd} if $opts{cwd};
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $of;
        if ($combined) {
            open STDERR, '>&', \*STDOUT;
        } else {
            open STDERR, '>', $ef;
        }
        { no warnings "exec"; exec { $bin } $bin, @$args; }
        print STDERR "exec $bin: $!\n";
        POSIX::_exit(127);
    }

    my $ok = wait_until(sub { waitpid($pid, WNOHANG) == $pid }, 10);
    my $st = $?;
    unless ($ok) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
        $st = 9;
    }
    my $rc = ($st & 127) ? 128 + ($st & 127) : $st >> 8;

    my $out = $self->read_file($of) // '';
    my $err = $combined ? '' : ($self->read_file($ef) // '');
    unlink $of, $ef;

    return $combined ? ($rc, $out) : ($rc, $out, $err);
}


# binary_run_in(DIR, ARGS): binary_run with DIR as the working directory.
sub binary_run_in {
    my ($self, $cwd, @args) = @_;
    my ($rc, $out) = $self->_spawn(\@args, 1, cwd => $cwd);
    return wantarray ? ($rc, $out) : $out;
}


######################################################################
# Client side.  Every call is bounded by a timeout (default 5s).

sub _resolve_port {
    my ($port) = @_;

    my $t = $CURRENT or die "no Test::Portico harness\n";
    unless (defined $port) {
        my ($first) = grep { !/^\[/ } @{ $t->{listen_keys} };
        return $t->port($first);
    }
    return $t->{ports}{$port} if exists $t->{ports}{$port};
    return $port;
}


# http(REQUEST, %opts): sends REQUEST bytes exactly (an array ref of pieces
# is sent piece by piece, "sleep" seconds apart), then "body" if given, and
# reads until the server closes or "timeout" (5s) passes.  Returns the raw
# response text ('' when nothing came back), or undef when the connection
# could not be made.  Options:
#   port    the %%PORT_KEY%% key or a real port (default: the first port
#           of an IPv4 listen directive, else the first port allocated)
#   host    the address to connect to (default 127.0.0.1; '::1' works)
#   socket  use this connected socket
#   start   send only; return the socket (read later with read => $sock)
#   read    do not send; read from this socket
#   sleep   seconds between pieces (and before body)
#   complete  stop reading once one whole response has arrived (by its
#           Content-Length or chunked framing) instead of waiting for close
sub http {
    my ($request, %o) = @_;

    my $timeout = $o{timeout} // 5;
    my $s = $o{read} // $o{socket};

    unless ($s) {
        $s = IO::Socket::IP->new(PeerHost => $o{host} // '127.0.0.1',
            PeerPort => _resolve_port($o{port}), Proto => 'tcp',
            Timeout => $timeout) or do {
                Test::More::diag("connect: $!");
                return undef;
            };
        $s->autoflush(1);
    }

    unless ($o{read}) {
        my @pieces = ref $request ? @$request : ($request);
        push @pieces, $o{body} if defined $o{body};
        my $first = 1;
        for my $piece (@pieces) {
            sleep $o{sleep} if $o{sleep} && !$first;
            $first = 0;
            _write_all($s, $piece, $timeout) or last;
        }
        return $s if $o{start};
    }

    return http_read($s, timeout => $timeout, complete => $o{complete});
}


sub _write_all {
    my ($s, $data, $timeout) = @_;

    my $sel = IO::Select->new($s);
    my $off = 0;
    while ($off < length $data) {
        return 0 unless $sel->can_write($timeout);
        my $n = syswrite($s, $data, length($data) - $off, $off);
        return 0 unless $n;
        $off += $n;
    }
    return 1;
}


# http_read(SOCKET, timeout => S, max => BYTES, complete => 1): reads until
# close, timeout (S seconds without data, default 5), BYTES read or (with
# complete) one whole final response; returns what came.
sub http_read {
    my ($s, %o) = @_;

    my $timeout = $o{timeout} // 5;
    my $sel = IO::Select->new($s);
    my $data = '';
    while (!defined $o{max} || length $data < $o{max}) {
        last unless $sel->can_read($timeout);
        my $n = sysread($s, $data, 65536, length $data);
        last unless $n;
        last if $o{complete} && _complete($data);
    }
    return $data;
}


# True when DATA holds a whole final response with explicit framing.
sub _complete {
    my ($data) = @_;

    while ($data =~ m{^HTTP/\d\.\d 1\d\d [^\r\n]*\r\n(?:[^\r\n]+\r\n)*\r\n}) {
        substr($data, 0, length $&) = '';
    }

    my $p = index($data, "\r\n\r\n");
    return 0 if $p < 0;
    my $head = substr($data, 0, $p);
    my $blen = length($data) - $p - 4;

    return 1 if $head =~ m{^HTTP/\d\.\d (?:204|304) };
    return $data =~ /\r\n0\r\n(?:[^\r\n]+\r\n)*\r\n\z/ ? 1 : 0
        if $head =~ /^Transfer-Encoding:\s*chunked/mi;
    return $blen >= $1 ? 1 : 0 if $head =~ /^Content-Length:\s*(\d+)/mi;
    return 0;
}


sub _request {
    my ($method, $uri, @kv) = @_;

    my (%o, @h);
    while (@kv) {
        my ($k, $v) = splice @kv, 0, 2;
        if ($HTTP_OPTS{$k}) { $o{$k} = $v } else { push @h, [ $k, $v ] }
    }

    my $version = delete $o{version} // '1.1';
    my $req = "$method $uri HTTP/$version\r\n";
    $req .= "Host: localhost\r\n" unless grep { lc $_->[0] eq 'host' } @h;
    $req .= "Connection: close\r\n"
        unless grep { lc $_->[0] eq 'connection' } @h;
    $req .= "$_->[0]: $_->[1]\r\n" for @h;
    $req .= "\r\n";

    return http($req, %o);
}


# http_get(URI, %headers_and_options): "GET URI HTTP/1.1" with Host:
# localhost and Connection: close unless given; lowercase keys from
# port/timeout/socket/start/read/sleep/body/version are options.
sub http_get { _request('GET', @_) }
sub http_head { _request('HEAD', @_) }


# http_raw(BYTES, %opts): the same as http(), named for readability.
sub http_raw { http(@_) }


# http_pipeline(REQ, REQ, ..., [\%opts]): sends all requests in one write and
# reads until close; in list context returns the responses split apart.
sub http_pipeline {
    my @reqs = @_;
    my %o = ref $reqs[-1] eq 'HASH' ? %{ pop @reqs } : ();
    my $text = http(join('', @reqs), %o) // '';
    return wantarray ? split_responses($text) : $text;
}


# parse_response(TEXT): { status, reason, version, head, headers (lower-case
# name => value, repeated ones joined with ", "), header_list, body } or undef.
sub parse_response {
    my ($text) = @_;

    return undef unless defined $text;
    my $p = index($text, "\r\n\r\n");
    return undef if $p < 0;

    my $head = substr($text, 0, $p);
    my $body = substr($text, $p + 4);
    my @lines = split /\r\n/, $head;
    my $sl = shift @lines;
    my ($ver, $status, $reason) = $sl =~ m{^HTTP/(\d\.\d) (\d{3})(?: (.*))?$}
        or return undef;

    my (%h, @list);
    for my $l (@lines) {
        my ($n, $v) = $l =~ /^([^:]+):\s*(.*?)\s*$/ or next;
        push @list, [ $n, $v ];
        $n = lc $n;
        $h{$n} = exists $h{$n} ? "$h{$n}, $v" : $v;
    }

    return { status => $status, reason => $reason // '', version => $ver,
        head => $head, headers => \%h, header_list => \@list,
        body => $body };
}


# get_response(URI, HEADER => VALUE ...): GET, parsed as parse_response
# does with the body de-chunked; status 0 and empty headers when nothing
# (or no HTTP) came back.
sub get_response {
    my ($uri, @h) = @_;
    my $raw = http_get($uri, @h);
    my $r = parse_response($raw) // { status => 0, headers => {}, body => '' };
    $r->{body} = http_body($raw) if $r->{status};
    return $r;
}


# http_body(TEXT): the body of a response, de-chunked when chunked.
sub http_body {
    my ($text) = @_;

    my $r = parse_response($text) or return undef;
    return $r->{body}
        unless ($r->{headers}{'transfer-encoding'} // '') =~ /chunked/i;

    my ($out, $b) = ('', $r->{body});
    while ($b =~ s/^([0-9a-fA-F]+)[^\r\n]*\r\n//) {
        my $n = hex $1;
        last if $n == 0;
        $out .= substr($b, 0, $n);
        substr($b, 0, $n + 2) = '';
    }
    return $out;
}


# split_responses(TEXT, [head => 1]): cuts a byte stream of consecutive
# responses apart using Content-Length / chunked framing (1xx, 204, 304 and,
# with head => 1, every response have no body).
sub split_responses {
    my ($text, %o) = @_;

    my @out;
    while (length $text) {
        my $p = index($text, "\r\n\r\n");
        if ($p < 0) { push @out, $text; last }
        my $head = substr($text, 0, $p + 4);
        my $len = 0;
        my ($st) = $head =~ m{^HTTP/\d\.\d (\d{3})};
        $st //= 0;

        if ($o{head} || $st < 200 || $st == 204 || $st == 304) {
            $len = 0;
        } elsif ($head =~ /^Transfer-Encoding:\s*chunked/mi) {
            my $rest = substr($text, $p + 4);
            my $pos = 0;
            while (1) {
                my $sub = substr($rest, $pos);
                if ($sub =~ /^([0-9a-fA-F]+)[^\r\n]*\r\n/) {
                    my $n = hex $1;
                    $pos += length($&);
                    if ($n == 0) {
                        my $e = index($rest, "\r\n", $pos);
                        # trailers end at an empty line
                        while ($e >= 0 && $e != $pos) {
                            $pos = $e + 2;
                            $e = index($rest, "\r\n", $pos);
                        }
                        $pos = $e < 0 ? length $rest : $e + 2;
                        last;
                    }
                    $pos += $n + 2;
                } else {
                    $pos = length $rest;
                    last;
                }
            }
            $len = $pos;
        } elsif ($head =~ /^Content-Length:\s*(\d+)/mi) {
            $len = $1;
        } else {
            $len = length($text) - length($head);
        }

        push @out, substr($text, 0, length($head) + $len);
        substr($text, 0, length($head) + $len) = '';
    }
    return @out;
}


# portico_only(N, REASON, CODE): runs CODE (which holds N tests) unless the
# binary is nginx, where Portico is deliberately stricter (DESIGN §10).
sub portico_only {
    my ($n, $reason, $code) = @_;

    if (is_nginx()) {
        SKIP: { Test::More::skip("portico only: $reason", $n) }
        return;
    }
    $code->();
}


1;
