#!/usr/bin/perl
# SPDX-License-Identifier: BSD-2-Clause
# Runs the Check unit tests (objs/pt_unit) and hands their TAP to prove.

use strict;
use warnings;

use File::Basename qw(dirname);
use File::Spec;

my $objs = $ENV{PORTICO_BINARY}
    ? dirname($ENV{PORTICO_BINARY})
    : File::Spec->catdir(dirname(__FILE__), '..', 'objs');

my $unit = File::Spec->catfile($objs, 'pt_unit');

unless (-x $unit) {
    print "1..0 # SKIP $unit not built (make test builds it)\n";
    exit 0;
}

# Sanitizer builds run slower: give each test more than Check's 4 seconds.
$ENV{CK_TIMEOUT_MULTIPLIER} //= 5;

exec $unit or die "cannot run $unit: $!\n";
