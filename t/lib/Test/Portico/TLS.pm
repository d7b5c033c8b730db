# SPDX-License-Identifier: BSD-2-Clause
# Test::Portico::TLS: test certificates made at run time with the openssl
# command, and HTTPS clients (IO::Socket::SSL and openssl s_client) for the
# t/ssl_*.t files.  No key is ever committed: each test makes its own in
# its temporary prefix.
#
#   make_ca(DIR)                          ca.crt/ca.key (+ a CRL database)
#   make_cert(DIR, NAME, type => 'rsa'|'ec', cn => CN, san => [names],
#             client => 1, pass => PASSWORD)   NAME.crt/NAME.key signed by ca
#   revoke_cert(DIR, NAME)                revokes NAME and writes ca.crl
#   https(REQUEST, port => P, %ssl_opts)  raw response text, or undef with
#                                         $Test::Portico::TLS::ERROR set
#   https_get(URI, port => P, host => SNI, %ssl_opts)
#   s_client(ARGS...)                     output of `openssl s_client`, with
#                                         stdin closed after the handshake

package Test::Portico::TLS;

use strict;
use warnings;

use Exporter qw/import/;
use IO::Socket::SSL;
use IO::Select;

our @EXPORT = qw/make_ca make_cert revoke_cert https https_get s_client
    openssl/;
our $ERROR = '';


sub openssl {
    my ($dir, @args) = @_;
    my $cmd = join ' ', 'cd', $dir, '&&', 'openssl', @args, '2>&1';
    my $out = `$cmd`;
    die "openssl @args failed: $out\n" if $?;
    return $out;
}


sub make_ca {
    my ($dir) = @_;

    open my $f, '>', "$dir/ca.cnf" or die "ca.cnf: $!\n";
    print $f <<'EOF';
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = .
database = ca.index
new_certs_dir = .
serial = ca.serial
crlnumber = ca.crlnumber
default_md = sha256
default_days = 2
default_crl_days = 2
policy = any
unique_subject = no
[ any ]
commonName = supplied
[ req ]
distinguished_name = dn
[ dn ]
EOF
    close $f;
    open $f, '>', "$dir/ca.index" or die; close $f;
    open $f, '>', "$dir/ca.serial" or die; print $f "1000\n"; close $f;
    open $f, '>', "$dir/ca.crlnumber" or die; print $f "1000\n"; close $f;

    openssl($dir, 'req -x509 -newkey rsa:2048 -nodes -keyout ca.key'
        . ' -out ca.crt -days 2 -config ca.cnf -subj "/CN=Portico Test CA"'
        . ' -addext basicConstraints=critical,CA:TRUE'
        . ' -addext keyUsage=critical,keyCertSign,cRLSign');
}


sub make_cert {
    my ($dir, $name, %o) = @_;
    my $type = $o{type} // 'rsa';
    my $cn = $o{cn} // $name;
    my @san = @{ $o{san} // [ $cn ] };
    my $newkey = $type eq 'ec'
        ? '-newkey ec -pkeyopt ec_paramgen_curve:P-256' : '-newkey rsa:2048';
    my $keyopt = defined $o{pass}
        ? "-passout pass:$o{pass}" : '-nodes';

    open my $f, '>', "$dir/$name.ext" or die "$name.ext: $!\n";
    print $f "subjectAltName = " . join(',', map { "DNS:$_" } @san) . "\n"
        unless $o{client};
    print $f "extendedKeyUsage = "
        . ($o{client} ? 'clientAuth' : 'serverAuth') . "\n";
    close $f;

    openssl($dir, "req -new $newkey $keyopt -keyout $name.key -out $name.csr"
        . " -config ca.cnf -subj /CN=$cn");
    openssl($dir, "ca -batch -config ca.cnf -cert ca.crt -keyfile ca.key"
        . " -in $name.csr -out $name.crt -extfile $name.ext -notext");
}


sub revoke_cert {
    my ($dir, $name) = @_;
    openssl($dir, "ca -config ca.cnf -cert ca.crt -keyfile ca.key"
        . " -revoke $name.crt");
    openssl($dir, "ca -config ca.cnf -cert ca.crt -keyfile ca.key"
        . " -gencrl -out ca.crl");
}


# https(REQUEST, port => P, host => SNI, timeout => S, session => ...):
# one connection, REQUEST written, everything read until the server closes.
sub https {
    my ($request, %o) = @_;
    my $port = delete $o{port};
    my $timeout = delete $o{timeout} // 5;
    my $host = delete $o{host};
    my $sock = delete $o{socket};

    $sock //= IO::Socket::SSL->new(
        PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => $timeout,
        SSL_verify_mode => SSL_VERIFY_NONE,
        (defined $host ? (SSL_hostname => $host) : ()),
        %o,
    );

    unless ($sock) {
        $ERROR = $SSL_ERROR || $! || 'unknown';
        return undef;
    }

    return $sock if $o{start};

    $sock->print($request) if defined $request;

    my $data = '';
    my $sel = IO::Select->new($sock);
    for (;;) {
        last unless $sock->pending || $sel->can_read($timeout);
        my $n = $sock->sysread($data, 65536, length $data);
        next if !defined $n && $!{EWOULDBLOCK};
        last unless $n;
    }
    return $data;
}


sub https_get {
    my ($uri, %o) = @_;
    my $hosthdr = $o{host} // 'localhost';
    return https("GET $uri HTTP/1.1\r\nHost: $hosthdr\r\n"
        . "Connection: close\r\n\r\n", %o);
}


# s_client(ARGS...): openssl s_client output; stdin is empty, so the
# client says goodbye right after the handshake.
sub s_client {
    my (@args) = @_;
    my $cmd = join ' ', 'openssl s_client', @args, '</dev/null 2>&1';
    return scalar `$cmd`;
}

1;
