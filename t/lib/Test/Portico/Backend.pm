# SPDX-License-Identifier: BSD-2-Clause
# Test::Portico::Backend: small scriptable HTTP backends for proxy tests.
#
# Each backend is a forked process listening on a loopback port; every
# accepted connection is served by its own forked child, so slow and fast
# exchanges run side by side.  The backend records what it saw in files the
# test reads: the exact bytes of every request and the number of accepted
# connections.  All backends are stopped (by PID) at the end of the file.
#
# Synopsis:
#
#   use Test::Portico::Backend;
#   my $b = Test::Portico::Backend->new($t, 'b1',
#       response => { body => "one\n" })->start;     # port $t->port('b1')
#   my $c = Test::Portico::Backend->new($t, 'b2', handler => sub {
#       my ($req, $conn) = @_;        # parsed request, connection state
#       return { status => 404, headers => [ 'X-A' => 1 ], body => 'no' };
#   })->start;
#   ... $b->requests (list of { raw, head, method, uri, version, headers,
#       header_list, body }), $b->last_request, $b->accepts, $b->count,
#       $b->reset, $b->stop, $b->port
#
# A response is a hash ref (or the raw bytes as a plain string):
#   status (200), reason, headers (array ref of name => value pairs, in
#   order; no Content-Length/Transfer-Encoding added when present),
#   body (string) or body_size (N bytes of a repeated pattern, generated as
#   it is sent), framing: 'length' (default), 'chunked' (chunk => SIZE),
#   'close' (no length; the body ends at close), 'none' (nothing added,
#   nothing implied), trailers (raw text after the last chunk),
#   delay (seconds before anything is sent), slow (seconds between single
#   bytes of the whole response), slow_body (the same for the body only:
#   the head goes at once), abort_after (close after that many bytes
#   of the response), close (close after this response), raw (exact bytes,
#   everything else ignored; the connection is closed after them unless
#   keep => 1), hang (send nothing, keep the connection
#   open for that many seconds).
# Without a handler or response, the answer is 200 with the backend's name
# (followed by a newline) as body.
#
# With tls => { IO::Socket::SSL server options }, connections speak TLS
# (one context made before forking, so session tickets resume across
# connections); a handler's state then has sni (the name the client sent,
# '' without SNI) and reused (1 for a resumed session).
#
# Requests are recorded unless the backend is created with record => 0;
# bodies longer than record_max (1 MiB) are recorded as their length only
# (body_len) with body_md5.

package Test::Portico::Backend;

use strict;
use warnings;

use Digest::MD5 ();
use Fcntl qw/:flock O_WRONLY O_APPEND O_CREAT/;
use IO::Select;
use IO::Socket::IP;
use POSIX qw/:sys_wait_h/;
use Time::HiRes qw/sleep time/;

my @ALL;
my $START_PID = $$;

$SIG{PIPE} = 'IGNORE';


# new(HARNESS, NAME, %opts): opts are handler, response, record,
# record_max, host ('127.0.0.1' or '::1'), port (real port; default
# HARNESS->port(NAME)).
sub new {
    my ($class, $t, $name, %o) = @_;

    my $self = bless {
        t => $t,
        name => $name,
        host => $o{host} // '127.0.0.1',
        port => $o{port} // $t->port($name),
        handler => $o{handler},
        response => $o{response},
        record => $o{record} // 1,
        record_max => $o{record_max} // 1024 * 1024,
        tls => $o{tls},
        dir => $t->testdir . "/backend-$name",
        pid => undef,
    }, $class;

    mkdir $self->{dir};
    push @ALL, $self;
    return $self;
}


sub port { $_[0]{port} }
sub name { $_[0]{name} }
sub pid { $_[0]{pid} }


# start(): forks the listener; returns once it accepts connections.
sub start {
    my ($self) = @_;

    die "backend $self->{name} already running\n" if $self->{pid};

    my $ls = IO::Socket::IP->new(LocalHost => $self->{host},
        LocalPort => $self->{port}, Proto => 'tcp', Listen => 128,
        ReuseAddr => 1)
        or die "backend $self->{name}: cannot listen on "
            . "$self->{host}:$self->{port}: $!\n";

    if ($self->{tls} && !$self->{tls_ctx}) {
        require IO::Socket::SSL;
        $self->{tls_ctx} = IO::Socket::SSL::SSL_Context->new(
            SSL_server => 1, %{ $self->{tls} })
            or die "backend $self->{name}: $IO::Socket::SSL::SSL_ERROR\n";
    }

    my $pid = fork;
    die "fork: $!\n" unless defined $pid;

    if ($pid == 0) {
        setpgrp(0, 0);
        $SIG{ALRM} = 'DEFAULT';
        alarm 0;
        $SIG{TERM} = sub { POSIX::_exit(0) };
        $SIG{CHLD} = sub { 1 while waitpid(-1, WNOHANG) > 0 };
        $self->_serve($ls);
        POSIX::_exit(0);
    }

    close $ls;
    $self->{pid} = $pid;
    return $self;
}


# stop(): stops the listener and every connection child.
sub stop {
    my ($self) = @_;

    my $pid = $self->{pid} or return $self;
    $self->{pid} = undef;

    # The listener leads its own process group (setpgrp in the child).
    kill 'KILL', -$pid;
    kill 'KILL', $pid;
    waitpid($pid, 0);
    return $self;
}


# reset(): forgets recorded requests and accepts.
sub reset {
    my ($self) = @_;
    unlink "$self->{dir}/requests", "$self->{dir}/accepts";
    return $self;
}


# accepts(): the number of connections accepted so far.
sub accepts {
    my ($self) = @_;
    open my $fh, '<', "$self->{dir}/accepts" or return 0;
    my $n = () = <$fh>;
    return $n;
}


# requests(): every recorded request, in arrival order.
sub requests {
    my ($self) = @_;

    open my $fh, '<', "$self->{dir}/requests" or return ();
    binmode $fh;
    local $/;
    my $data = <$fh> // '';
    close $fh;

    my @out;
    while ($data =~ /\G=== (\d+) (\d+) (\d+) ([0-9a-f]*)\n/gc) {
        my ($len, $conn, $body_len, $md5) = ($1, $2, $3, $4);
        my $raw = substr($data, pos($data), $len);
        pos($data) += $len + 1;
        my $req = _parse_head($raw) // { raw => $raw };
        $req->{conn} = $conn;
        $req->{body_len} = $body_len;
        $req->{body_md5} = $md5;
        push @out, $req;
    }
    return @out;
}


# count(): the number of recorded requests.
sub count { scalar(my @r = $_[0]->requests) }


sub last_request { my @r = $_[0]->requests; $r[-1] }


# wait_requests(N, SECS): waits until N requests are recorded.
sub wait_requests {
    my ($self, $n, $secs) = @_;
    my $end = time + ($secs // 5);
    while (time < $end) {
        return 1 if $self->count >= $n;
        sleep 0.02;
    }
    return $self->count >= $n;
}


sub _append {
    my ($self, $file, $data) = @_;
    open my $fh, '>>', "$self->{dir}/$file" or return;
    binmode $fh;
    flock $fh, LOCK_EX;
    print $fh $data;
    close $fh;
}


sub _serve {
    my ($self, $ls) = @_;

    my $conn = 0;
    while (1) {
        my $c = $ls->accept;
        unless ($c) {
            next if $!{EINTR};
            POSIX::_exit(1);
        }
        $conn++;
        $self->_append('accepts', "$conn\n");

        my $pid = fork;
        if (!defined $pid) {
            close $c;
            next;
        }
        if ($pid == 0) {
            close $ls;
            $SIG{CHLD} = 'DEFAULT';
            $self->_connection($c, $conn);
            POSIX::_exit(0);
        }
        close $c;
    }
}


# Reads one request: returns (raw bytes, body) or () at EOF.
sub _read_request {
    my ($self, $c, $bufref) = @_;

    my $sel = IO::Select->new($c);
    my $read = sub {
        # TLS may hold decrypted bytes the socket no longer signals.
        return 0 unless ($c->can('pending') && $c->pending)
            || $sel->can_read(30);
        my $n = sysread($c, $$bufref, 65536, length $$bufref);
        return $n ? 1 : 0;
    };

    my $p;
    while (($p = index($$bufref, "\r\n\r\n")) < 0) {
        # a bare LF request is not expected from a proxy
        return () unless $read->();
    }

    my $head = substr($$bufref, 0, $p + 4);
    my $pos = $p + 4;
    my ($body, $rawbody) = ('', '');

    if ($head =~ /^Transfer-Encoding:[ \t]*[^\r\n]*chunked/mi) {
        while (1) {
            my $e;
            while (($e = index($$bufref, "\r\n", $pos)) < 0) {
                return () unless $read->();
            }
            my $line = substr($$bufref, $pos, $e - $pos);
            my ($hex) = $line =~ /^([0-9a-fA-F]+)/;
            return () unless defined $hex;
            my $n = hex $hex;
            if ($n == 0) {
                # trailers up to an empty line
                my $q = $e + 2;
                while (1) {
                    my $f;
                    while (($f = index($$bufref, "\r\n", $q)) < 0) {
                        return () unless $read->();
                    }
                    my $empty = $f == $q;
                    $q = $f + 2;
                    last if $empty;
                }
                $pos = $q;
                last;
            }
            while (length($$bufref) < $e + 2 + $n + 2) {
                return () unless $read->();
            }
            $body .= substr($$bufref, $e + 2, $n);
            $pos = $e + 2 + $n + 2;
        }
    } elsif ($head =~ /^Content-Length:[ \t]*(\d+)/mi) {
        my $len = $1;
        while (length($$bufref) < $pos + $len) {
            return () unless $read->();
        }
        $body = substr($$bufref, $pos, $len);
        $pos += $len;
    }

    my $raw = substr($$bufref, 0, $pos);
    substr($$bufref, 0, $pos) = '';
    return ($raw, $body, $head);
}


sub _connection {
    my ($self, $c, $conn) = @_;

    binmode $c;
    my $buf = '';
    my $n = 0;
    my %state = (conn => $conn, requests => 0, peer => $c->peerhost);

    if ($self->{tls}) {
        IO::Socket::SSL->start_SSL($c, SSL_server => 1,
            SSL_reuse_ctx => $self->{tls_ctx}) or return;
        $state{sni} = $c->get_servername // '';
        $state{reused} = Net::SSLeay::session_reused($c->_get_ssl_object)
            ? 1 : 0;
    }

    while (1) {
        my ($raw, $body, $head) = $self->_read_request($c, \$buf);
        return unless defined $raw;
        $n++;
        $state{requests} = $n;

        if ($self->{record}) {
            my $rec = length($raw) > $self->{record_max} + length($head)
                ? $head : $raw;
            my $md5 = Digest::MD5::md5_hex($body);
            $self->_append('requests', sprintf("=== %d %d %d %s\n%s\n",
                length $rec, $conn, length $body, $md5, $rec));
        }

        my $req = _parse_head($raw) // { raw => $raw };
        $req->{body} = $body;

        my $resp = $self->{handler} ? $self->{handler}->($req, \%state)
            : $self->{response} // { body => "$self->{name}\n" };
        $resp = { raw => $resp } unless ref $resp;

        my $keep = $self->_respond($c, $req, $resp);
        return unless $keep;
    }
}


sub _response_bytes {
    my ($self, $req, $r) = @_;

    return ($r->{raw}, '', 0) if defined $r->{raw};

    my $status = $r->{status} // 200;
    my %reasons = (200 => 'OK', 201 => 'Created', 204 => 'No Content',
        301 => 'Moved Permanently', 302 => 'Found', 304 => 'Not Modified',
        400 => 'Bad Request', 403 => 'Forbidden', 404 => 'Not Found',
        429 => 'Too Many Requests', 500 => 'Internal Server Error',
        502 => 'Bad Gateway', 503 => 'Service Unavailable',
        504 => 'Gateway Timeout');
    my $reason = $r->{reason} // $reasons{$status} // 'Whatever';
    my $framing = $r->{framing} // 'length';
    my @h = @{ $r->{headers} // [] };

    my $head = "HTTP/1.1 $status $reason\r\n";
    my $has_len = grep { !ref && /^(content-length|transfer-encoding)$/i }
        @h[ grep { $_ % 2 == 0 } 0 .. $#h ];
    for (my $i = 0; $i < @h; $i += 2) {
        $head .= "$h[$i]: $h[$i + 1]\r\n";
    }

    my $size = defined $r->{body} ? length $r->{body} : $r->{body_size} // 0;
    my $nobody = $req->{method} eq 'HEAD' || $status == 204 || $status == 304
        || $status < 200;

    unless ($has_len) {
        if ($framing eq 'length' && $status != 204 && $status != 304) {
            $head .= "Content-Length: $size\r\n";
        } elsif ($framing eq 'chunked' && !$nobody) {
            $head .= "Transfer-Encoding: chunked\r\n";
        } elsif ($framing eq 'close') {
            $head .= "Connection: close\r\n";
        }
    }
    $head .= "\r\n";

    return ($head, '', 1) if $nobody;
    return ($head, $r->{body} // '', 0) if defined $r->{body}
        && $framing ne 'chunked';
    return ($head, undef, 0);
}


# Writes the response; returns true when the connection stays open.
sub _respond {
    my ($self, $c, $req, $r) = @_;

    sleep $r->{delay} if $r->{delay};

    if ($r->{hang}) {
        sleep $r->{hang};
        return 0;
    }

    my ($head, $body, $nobody) = $self->_response_bytes($req, $r);
    my $framing = $r->{framing} // 'length';
    my $sent = 0;
    my $limit = $r->{abort_after};

    my $write = sub {
        my ($data) = @_;
        if (defined $limit && $sent + length($data) > $limit) {
            $data = substr($data, 0, $limit - $sent);
            _write($c, $data, $r->{slow});
            return 0;
        }
        return 0 unless _write($c, $data, $r->{slow});
        $sent += length $data;
        return 1;
    };

    $write->($head) or return 0;
    $r = { %$r, slow => $r->{slow_body} } if $r->{slow_body};

    if (!$nobody && !defined $r->{raw}) {
        if (defined $body) {
            $write->($body) or return 0 if length $body;
        } else {
            # generated (body_size) or chunked body
            my $src = $r->{body};
            my $total = defined $src ? length $src : $r->{body_size} // 0;
            my $piece = $framing eq 'chunked' ? ($r->{chunk} // 8192) : 65536;
            my $pattern = join('', map { chr(ord('a') + $_ % 26) } 0 .. 65535);
            my $off = 0;
            while ($off < $total) {
                my $n = $total - $off < $piece ? $total - $off : $piece;
                my $data = defined $src ? substr($src, $off, $n)
                    : substr($pattern x (1 + int($n / 65536)), 0, $n);
                $data = sprintf("%x\r\n", $n) . $data . "\r\n"
                    if $framing eq 'chunked';
                $write->($data) or return 0;
                $off += $n;
            }
            if ($framing eq 'chunked') {
                $write->("0\r\n" . ($r->{trailers} // '') . "\r\n") or return 0;
            }
        }
    }

    return 0 if defined $limit;
    return 0 if $r->{close} || $framing eq 'close';
    return 0 if defined $r->{raw} && !$r->{keep};
    return 0 if ($req->{headers}{connection} // '') =~ /close/i;
    return 0 if ($req->{version} // '1.1') eq '1.0'
        && ($req->{headers}{connection} // '') !~ /keep-alive/i;
    return 1;
}


sub _write {
    my ($c, $data, $slow) = @_;

    my $sel = IO::Select->new($c);
    if ($slow) {
        for my $ch (split //, $data) {
            return 0 unless $sel->can_write(30);
            return 0 unless syswrite($c, $ch);
            sleep $slow;
        }
        return 1;
    }

    my $off = 0;
    while ($off < length $data) {
        return 0 unless $sel->can_write(30);
        my $n = syswrite($c, $data, length($data) - $off, $off);
        return 0 unless $n;
        $off += $n;
    }
    return 1;
}


# Parses a request head: { raw, head, method, uri, version, headers
# (lower-case name => value, repeated ones joined by ", "), header_list }.
sub _parse_head {
    my ($raw) = @_;

    my $p = index($raw, "\r\n\r\n");
    return undef if $p < 0;
    my $head = substr($raw, 0, $p);
    my @lines = split /\r\n/, $head;
    my ($m, $u, $v) = (shift @lines) =~ m{^(\S+) (\S+) HTTP/(\d\.\d)$}
        or return undef;

    my (%h, @list);
    for my $l (@lines) {
        my ($n, $val) = $l =~ /^([^:]+):[ \t]*(.*?)[ \t]*$/ or next;
        push @list, [ $n, $val ];
        my $k = lc $n;
        $h{$k} = exists $h{$k} ? "$h{$k}, $val" : $val;
    }

    return { raw => $raw, head => $head, method => $m, uri => $u,
        version => $v, headers => \%h, header_list => \@list,
        body => substr($raw, $p + 4) };
}


END {
    if ($$ == $START_PID) {
        local $?;
        $_->stop for grep { $_->{pid} } @ALL;
    }
}


1;
