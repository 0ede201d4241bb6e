#!/usr/bin/perl
# The checks of a signing certificate before it signs, each with its own
# SQLSTATE and message: key usage, validity dates, BIN, the chain to
# otan_enbek.signing_ca_file, and revocation by the CRL of
# otan_enbek.signing_crl_file.  The keys and CRLs come from
# test/harness/make-pki.
#
# Runs against the cluster of test/harness/run-suites, whose configuration
# sets signing_ca_file to the test CA and signing_crl_file to its CRL, in
# a database of its own.  Settings changed here are reset at the end.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

my $pki = $ENV{OTAN_PKI} or BAIL_OUT('OTAN_PKI is not set');
my $work = $ENV{OTAN_WORK} or BAIL_OUT('OTAN_WORK is not set');

my $db = new_database('otan_signing_checks');
psql($db, q{
	INSERT INTO otan_enbek.organization (org_id, bin, name)
	VALUES (1601, '050440000012', 'School No. 7');
	INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, working_days, norm_hours)
	VALUES (1601, 1611, '2026-11-01', 21, 168);
	INSERT INTO otan_enbek.timesheet_line (org_id, timesheet_id, employee_id, line_no, iin,
	                                       full_name, day_codes, day_hours)
	VALUES (1601, 1611, 1, 1, '810111300012', 'Abenova Aigul', ARRAY['Я'], ARRAY[8]);});

# Sets a reloadable setting and waits until new sessions see it, because
# pg_reload_conf only signals the postmaster.
sub set_setting
{
	my ($name, $value) = @_;
	set_config($name, $value);
	wait_for('postgres', "SHOW $name", $value);
}

sub reset_setting
{
	my ($name, $value) = @_;
	reset_config($name);
	wait_for('postgres', "SHOW $name", $value);
}

# Returns the verbose error (with the SQLSTATE) of checking a key file.
sub check_error
{
	my ($file) = @_;
	return psql_error($db, "\\set VERBOSITY verbose\n"
		  . "SELECT * FROM otan_enbek.check_signing_key(1601, '$pki/$file')");
}

# The trusted column for a key that passes every check.
sub trusted
{
	my ($file) = @_;
	return psql($db, "SELECT trusted FROM otan_enbek.check_signing_key(1601, '$pki/$file')");
}

my $ca_file = "$pki/ca.crt";
my $crl_file = "$pki/crl.pem";

is(trusted('sign.p12'), 't', 'the signing key passes the chain and CRL checks');

# Each rejected key: its file, SQLSTATE, message, and a detail or hint
# that names what to do.
my @cases = (
	[ 'auth.p12', 'OE001', qr/is an authentication key, not a signing key/,
	  qr/clientAuth/, 'authentication key' ],
	[ 'expired.p12', 'OE002', qr/has expired/,
	  qr/was valid from 2020-01-01 00:00:00 UTC to 2021-01-01 00:00:00 UTC/, 'expired key' ],
	[ 'otherbin.p12', 'OE003',
	  qr/belongs to BIN 110340000072, not to the organization's BIN 050440000012/,
	  qr/Configure the signing key of the organization with BIN 050440000012/, 'BIN mismatch' ],
	[ 'untrusted.p12', 'OE004', qr/is not issued by a trusted CA/,
	  qr/does not chain to a CA certificate in "\Q$ca_file\E"/, 'untrusted chain' ],
	[ 'revoked.p12', 'OE005', qr/has been revoked/,
	  qr/The CRL in "\Q$crl_file\E" lists the certificate with serial number [0-9A-F]+\./,
	  'revoked certificate' ],
);
for my $case (@cases)
{
	my ($file, $sqlstate, $message, $detail, $name) = @$case;
	my $err = check_error($file);
	like($err, qr/ERROR:  \Q$sqlstate\E: /, "$name: SQLSTATE $sqlstate");
	like($err, qr/signing key file "\Q$pki\/$file\E"/, "$name: names the file");
	like($err, $message, "$name: message");
	like($err, $detail, "$name: detail or hint");
	unlike($err, qr/751201400423/, "$name: no IIN in the message");
}

# The revoked key passes with the CRL from before its revocation and
# without a CRL, so the CRL is what rejects it.
set_setting('otan_enbek.signing_crl_file', "$pki/old-crl.pem");
is(trusted('revoked.p12'), 't', 'revoked key passes with the older CRL');
set_setting('otan_enbek.signing_crl_file', '');
is(trusted('revoked.p12'), 't', 'revoked key passes without a CRL');

# A CRL whose next update is past cannot tell whether a key is revoked.
set_setting('otan_enbek.signing_crl_file', "$pki/expired-crl.pem");
my $err = check_error('sign.p12');
like($err, qr/ERROR:  OE006: could not check whether the certificate of signing key file ".*sign\.p12" has been revoked/,
	'expired CRL: its own error');
like($err, qr/CRL has expired/, 'expired CRL: the reason');
like($err, qr/HINT:  Download the current CRL/, 'expired CRL: the hint');

# A CA bundle with both CAs and the CRL of one: a key of the other CA
# chains, but its revocation cannot be checked, until its CA's CRL is
# added.
my $bundle = "$work/signing-ca-bundle.pem";
my $crls = "$work/signing-crls.pem";
system("cat '$pki/ca.crt' '$pki/rogue-ca.crt' > '$bundle'") == 0 or die "cannot write $bundle";
system("cat '$pki/crl.pem' '$pki/rogue-crl.pem' > '$crls'") == 0 or die "cannot write $crls";
set_setting('otan_enbek.signing_ca_file', $bundle);
set_setting('otan_enbek.signing_crl_file', $crl_file);
$err = check_error('untrusted.p12');
like($err, qr/ERROR:  OE006: .*untrusted\.p12" has been revoked\n.*has no usable CRL of the issuer/,
	'no CRL of the issuer: its own error');
set_setting('otan_enbek.signing_crl_file', $crls);
is(trusted('untrusted.p12'), 't', 'the key passes with its CA in the bundle and its CRL');

# Files that cannot be used raise configuration errors.
set_setting('otan_enbek.signing_ca_file', $ca_file);
set_setting('otan_enbek.signing_crl_file', "$pki/ca.crt");
$err = check_error('sign.p12');
like($err, qr/ERROR:  F0000: could not load a CRL from ".*ca\.crt"/, 'a file without a CRL');
set_setting('otan_enbek.signing_ca_file', '');
$err = check_error('sign.p12');
like($err, qr/ERROR:  22023: otan_enbek.signing_crl_file is set, but otan_enbek.signing_ca_file is empty/,
	'a CRL without a CA bundle');
set_setting('otan_enbek.signing_crl_file', '');
is(trusted('untrusted.p12'), 'f',
	'without a signing CA bundle, trusted reports the chain to otan_enbek.ca_file');
set_setting('otan_enbek.signing_ca_file', $ca_file);
set_setting('otan_enbek.signing_crl_file', $crl_file);

# Submitting with a revoked configured key fails before anything is
# signed or stored.
set_setting('otan_enbek.signing_key_file', "$pki/revoked.p12");
$err = psql_error($db, "\\set VERBOSITY verbose\nSELECT otan_enbek.submit_timesheet(1611)");
like($err, qr/ERROR:  OE005: certificate of signing key file ".*revoked\.p12" has been revoked/,
	'submit_timesheet rejects a revoked key');
is(psql($db, 'SELECT count(*) FROM otan_enbek.submission'), '0', 'nothing was stored');
set_setting('otan_enbek.signing_key_file', "$pki/sign.p12");
like(psql($db, 'SELECT otan_enbek.submit_timesheet(1611)'), qr/^\d+$/,
	'submit_timesheet signs with the configured key again');

drop_database($db);
done_testing();
