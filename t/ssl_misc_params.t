#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# ssl_session_timeout: the lifetime a session is resumable for (session
# cache and tickets, TLS 1.2 and 1.3), the ticket lifetime hint, inheritance
# from http; ssl_trusted_certificate: CA certificates that verify client
# certificate chains without being sent as acceptable CA names, not enough
# alone for ssl_verify_client on, and a missing file refused.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes ();
use Test::Portico;
use Test::Portico::TLS;

my $t = Test::Portico->new->has(qw/http ssl/)->plan(30);
my $dir = $t->testdir;
my $conf = $t->conf_file;

# Root CA (ca.crt) -> intermediate (inter.crt) -> client "bob"; "alice"
# straight under the root; an unrelated CA with a name of its own.
make_ca($dir);
make_cert($dir, 'server', cn => 'localhost');
make_cert($dir, 'alice', cn => 'alice', client => 1);
$t->write_file('inter.ext', "basicConstraints = critical,CA:TRUE\n"
    . "keyUsage = critical,keyCertSign,cRLSign\n");
$t->write_file('bob.ext', "extendedKeyUsage = clientAuth\n");
openssl($dir, 'req -new -newkey rsa:2048 -nodes -keyout inter.key'
    . ' -out inter.csr -config ca.cnf -subj "/CN=Portico Test Intermediate"');
openssl($dir, 'x509 -req -in inter.csr -CA ca.crt -CAkey ca.key'
    . ' -set_serial 4096 -days 2 -extfile inter.ext -out inter.crt');
openssl($dir, 'req -new -newkey rsa:2048 -nodes -keyout bob.key'
    . ' -out bob.csr -config ca.cnf -subj /CN=bob');
openssl($dir, 'x509 -req -in bob.csr -CA inter.crt -CAkey inter.key'
    . ' -set_serial 4097 -days 2 -extfile bob.ext -out bob.crt');
openssl($dir, 'req -x509 -newkey rsa:2048 -nodes -keyout unrelated.key'
    . ' -out unrelated.crt -days 2 -config ca.cnf -subj "/CN=Unrelated CA"'
    . ' -addext basicConstraints=critical,CA:TRUE');
$t->write_file('both.crt', $t->read_file('ca.crt') . $t->read_file('inter.crt'));

my $show = 'return 200 "verify=$ssl_client_verify s=$ssl_client_s_dn '
    . 'i=$ssl_client_i_dn\n";';
my $reused = 'return 200 "reused=$ssl_session_reused\n";';

$t->write_conf(<<"EOF");
events { }
http {
    access_log off;
    ssl_certificate server.crt;
    ssl_certificate_key server.key;
    # nginx 1.22 leaves TLS 1.3 off unless told.
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_timeout 1s;

    # ssl_session_timeout 1s from http: tickets, then the session cache.
    server {
        listen 127.0.0.1:%%PORT_TICKET1%% ssl;
        location / { $reused }
    }
    server {
        listen 127.0.0.1:%%PORT_CACHE1%% ssl;
        ssl_session_cache shared:ONE:1m;
        ssl_session_tickets off;
        location / { $reused }
    }
    # The same, overridden back to nginx's default of 5m.
    server {
        listen 127.0.0.1:%%PORT_TICKET5%% ssl;
        ssl_session_timeout 5m;
        location / { $reused }
    }
    server {
        listen 127.0.0.1:%%PORT_CACHE5%% ssl;
        ssl_session_timeout 5m;
        ssl_session_cache shared:FIVE:1m;
        ssl_session_tickets off;
        location / { $reused }
    }

    # Client certificates: the intermediate is trusted, not advertised.
    server {
        listen 127.0.0.1:%%PORT_TRUST%% ssl;
        ssl_verify_client on;
        ssl_verify_depth 2;
        ssl_client_certificate ca.crt;
        ssl_trusted_certificate inter.crt;
        location / { $show }
    }
    server {
        listen 127.0.0.1:%%PORT_NOTRUST%% ssl;
        ssl_verify_client on;
        ssl_verify_depth 2;
        ssl_client_certificate ca.crt;
        location / { $show }
    }
    # Only an unrelated CA is advertised; the real ones are trusted.
    server {
        listen 127.0.0.1:%%PORT_HIDDEN%% ssl;
        ssl_verify_client on;
        ssl_verify_depth 2;
        ssl_client_certificate unrelated.crt;
        ssl_trusted_certificate both.crt;
        location / { $show }
    }
}
EOF
$t->run;

######################################################################
# ssl_session_timeout

# One connection with a request; the session is read from and saved to
# FILE.  Returns "reused=r" or "reused=." and the ticket lifetime hint
# ('-' when no ticket came).
sub sess {
    my ($key, $file, $proto) = @_;
    my $port = $t->port($key);
    my $in = -s "$dir/$file" ? "-sess_in $dir/$file" : '';
    my $out = `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | openssl s_client -connect 127.0.0.1:$port -$proto $in -sess_out $dir/$file -ign_eof 2>&1`;
    my ($body) = $out =~ /^(reused=\S*)$/m;
    my ($hint) = $out =~ /lifetime hint: (\d+)/;
    return ($body // 'no response', $hint // '-');
}

my @cases = ([ TICKET1 => 'tls1_2' ], [ TICKET1 => 'tls1_3' ],
    [ CACHE1 => 'tls1_2' ], [ CACHE1 => 'tls1_3' ],
    [ TICKET5 => 'tls1_2' ], [ TICKET5 => 'tls1_3' ],
    [ CACHE5 => 'tls1_2' ]);

# Every session is made, then resumed at once (well within even 1s).
# Expiry counts whole seconds (as nginx's): a 1s session made late in a
# second may be gone early in the next, so those are made just after one
# begins.
my (%first, %hint);
for my $c (@cases) {
    my ($key, $proto) = @$c;
    if ($key =~ /1$/) {
        my $frac = Time::HiRes::time() - int(Time::HiRes::time());
        Time::HiRes::sleep(1.02 - $frac) if $frac > 0.05;
    }
    ($first{"$key $proto"}, $hint{"$key $proto"}) = sess($key, "$key.$proto", $proto);
    ($first{"$key $proto"}) .= ' ' . (sess($key, "$key.$proto", $proto))[0];
}
is(join(', ', map { "$_->[0] $_->[1]: " . $first{"$_->[0] $_->[1]"} } @cases),
   join(', ', map { "$_->[0] $_->[1]: reused=. reused=r" } @cases),
   'a fresh session resumes at once, whatever the timeout');

is($hint{'TICKET1 tls1_2'}, 1, 'TLS 1.2 ticket lifetime hint: 1s from http');
is($hint{'TICKET1 tls1_3'}, 1, 'TLS 1.3 ticket lifetime hint: 1s');
is($hint{'TICKET5 tls1_2'}, 300, 'ssl_session_timeout 5m in server: hint 300');
is($hint{'TICKET5 tls1_3'}, 300, 'TLS 1.3 hint 300');
is($hint{'CACHE1 tls1_2'}, '-', 'tickets off: no ticket in TLS 1.2');

# Past the 1s timeout (the session time has a one second granularity).
sleep 2.5;
my %later = map { my ($k, $p) = @$_; ("$k $p" => (sess($k, "$k.$p", $p))[0]) } @cases;
is($later{'TICKET1 tls1_2'}, 'reused=.', 'TLS 1.2 ticket older than the timeout: full handshake');
is($later{'TICKET1 tls1_3'}, 'reused=.', 'TLS 1.3 ticket older than the timeout: full handshake');
is($later{'CACHE1 tls1_2'}, 'reused=.', 'cached session older than the timeout: full handshake');
is($later{'CACHE1 tls1_3'}, 'reused=.', 'TLS 1.3 stateful session older than the timeout: full handshake');
is($later{'TICKET5 tls1_2'}, 'reused=r', '5m: the TLS 1.2 ticket still resumes');
is($later{'TICKET5 tls1_3'}, 'reused=r', '5m: the TLS 1.3 ticket still resumes');
is($later{'CACHE5 tls1_2'}, 'reused=r', '5m: the cached session still resumes');

######################################################################
# ssl_trusted_certificate

sub get {
    my ($key, $who) = @_;
    my $r = https_get('/', port => $t->port($key),
        SSL_cert_file => "$dir/$who.crt", SSL_key_file => "$dir/$who.key");
    return $r // "no response: $Test::Portico::TLS::ERROR";
}

# The CA names a server asks client certificates from, as s_client lists
# them ('none' when it sends none).
sub ca_names {
    my ($key) = @_;
    my $out = s_client('-connect', '127.0.0.1:' . $t->port($key),
        '-cert', "$dir/bob.crt", '-key', "$dir/bob.key");
    return 'none' if $out =~ /No client certificate CA names sent/;
    my ($list) = $out =~ /^Acceptable client certificate CA names\n((?:(?!Requested|Client Certificate Types|Peer signing|Server Temp Key|---).*\n)*)/m;
    return 'unparsed' unless defined $list;
    return join '; ', map { s/^\s+|\s+$//gr } split /\n/, $list;
}

my $r = get('TRUST', 'bob');
like($r, qr/^HTTP\/1\.1 200 /, 'a client certificate issued by a trusted intermediate is accepted');
like($r, qr/^verify=SUCCESS s=CN=bob i=CN=Portico Test Intermediate$/m,
    '... and verified through the intermediate');
like(get('TRUST', 'alice'), qr/^verify=SUCCESS s=CN=alice i=CN=Portico Test CA$/m,
    'ssl_client_certificate still verifies on its own');
is(ca_names('TRUST'), 'CN = Portico Test CA',
    'only ssl_client_certificate names are sent, not the trusted intermediate');

$r = get('NOTRUST', 'bob');
like($r, qr/^HTTP\/1\.1 400 /, 'without ssl_trusted_certificate the chain does not verify');
like($r, qr/The SSL certificate error/, '... nginx\'s SSL certificate error page');

like(get('HIDDEN', 'alice'), qr/^verify=SUCCESS s=CN=alice i=CN=Portico Test CA$/m,
    'a CA only in ssl_trusted_certificate verifies clients');
like(get('HIDDEN', 'bob'), qr/^verify=SUCCESS s=CN=bob i=CN=Portico Test Intermediate$/m,
    '... through its intermediate as well');
is(ca_names('HIDDEN'), 'CN = Unrelated CA',
    'trusted CAs are never listed as acceptable issuers');
$t->stop;

# Configuration checks run in a prefix of their own, whose error log is
# expected to hold [emerg] lines.
my $c = Test::Portico->new->allow_errors;
$conf = $c->conf_file;

# ssl_trusted_certificate alone does not satisfy ssl_verify_client on or
# optional (nginx 1.22: "no ssl_client_certificate for ssl_verify_client").
for my $mode (qw/on optional/) {
    $c->write_conf(<<"EOF");
events { }
http {
    server {
        listen 127.0.0.1:%%PORT_CHECK%% ssl;
        ssl_certificate $dir/server.crt;
        ssl_certificate_key $dir/server.key;
        ssl_trusted_certificate $dir/both.crt;
        ssl_verify_client $mode;
    }
}
EOF
    my ($rc, $out) = $c->conf_test;
    like("rc=$rc $out", qr/^rc=1 .*\[emerg\] .*no ssl_client_certificate for ssl_verify_client/s,
        "ssl_trusted_certificate alone with ssl_verify_client $mode: refused")
        or diag($out);
}

# A missing file is refused at start.
$c->write_conf(<<"EOF");
events { }
http {
    server {
        listen 127.0.0.1:%%PORT_CHECK%% ssl;
        ssl_certificate $dir/server.crt;
        ssl_certificate_key $dir/server.key;
        ssl_trusted_certificate $dir/missing.crt;
    }
}
EOF
my ($rc, $out) = $c->conf_test;
is($rc, 1, 'missing ssl_trusted_certificate file: exit 1');
like($out, qr/\[emerg\] .*SSL_CTX_load_verify_locations.*\Q$dir\E\/missing\.crt.*No such file or directory/,
    '... naming SSL_CTX_load_verify_locations, the file and the error');
like($out, qr/SSL_CTX_load_verify_locations\("\Q$dir\E\/missing\.crt"\) failed/,
    '... in nginx\'s wording');

######################################################################
# ssl_session_timeout: what nginx accepts and refuses.

$c->write_conf("events { }\nhttp {\n    ssl_session_timeout 10q;\n}\n");
($rc, $out) = $c->conf_test;
like("rc=$rc $out", qr/^rc=1 .*\[emerg\] .*"ssl_session_timeout" directive invalid value in \Q$conf\E:6\n/s,
    'ssl_session_timeout with a bad time: nginx\'s error, file and line');

$c->write_conf("events { }\nhttp {\n    server {\n        location / { ssl_session_timeout 1s; }\n    }\n}\n");
($rc, $out) = $c->conf_test;
like("rc=$rc $out", qr/^rc=1 .*"ssl_session_timeout" directive is not allowed here in \Q$conf\E:7\n/s,
    'ssl_session_timeout is not allowed in a location');

$c->write_conf("events { }\nhttp {\n    ssl_session_timeout 0;\n}\n");
($rc, $out) = $c->conf_test;
is($rc, 0, 'ssl_session_timeout 0 is accepted') or diag($out);
