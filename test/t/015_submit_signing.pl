#!/usr/bin/perl
# Signing keys that only openssl can make for a test (wrong password, not
# yet valid, EC, no private key, no BIN, no emailProtection), a submitted
# document checked with the xmlsec1 command line, documents signed by the
# xmlsec1 command line checked with otan_enbek.verify_document, two sessions
# submitting one timesheet at once, and a server log without secrets.
#
# Runs against the cluster of test/harness/run-suites (PGHOST, PGPORT,
# PGUSER, OTAN_PKI, OTAN_WORK) in a database of its own, dropped at the end.
use strict;
use warnings;

use File::Temp qw(tempdir);
use IPC::Run qw(run);
use Test::More;

my $pki = $ENV{OTAN_PKI} or BAIL_OUT('OTAN_PKI is not set');
my $work = $ENV{OTAN_WORK} or BAIL_OUT('OTAN_WORK is not set');
my $db = 'otan_submit_signing';
my $dir = tempdir('submit-signing.XXXXXX', DIR => $work, CLEANUP => 1);

sub slurp
{
	my ($path) = @_;
	open(my $fh, '<', $path) or die "cannot read $path: $!";
	local $/;
	my $text = <$fh>;
	close($fh);
	return $text;
}

sub spew
{
	my ($path, $text) = @_;
	open(my $fh, '>', $path) or die "cannot write $path: $!";
	print $fh $text;
	close($fh);
}

# Runs one SQL command; returns its output (unaligned, tuples only), its
# error output and whether it succeeded.
sub psql
{
	my ($sql, %opts) = @_;
	my ($out, $err);
	my $ok = run [ 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
		'-d', $opts{db} // $db, '-c', $sql ], '<', \undef, '>', \$out, '2>', \$err;
	chomp $out;
	return ($out, $err, $ok);
}

sub openssl
{
	my @args = @_;
	my $err;
	run [ 'openssl', @args ], '<', \undef, '>', \my $out, '2>', \$err
	  or die "openssl @args failed: $err";
}

my $password = slurp("$pki/p12.pass");
chomp $password;
my $sender_password = slurp("$pki/sender.pass");
chomp $sender_password;

# Keys in the layout of make-pki, issued by the test CA with explicit dates.
spew("$dir/ca.cnf", <<"EOF");
[ca]
default_ca = test_ca
[test_ca]
dir = $dir
database = $dir/index.txt
new_certs_dir = $dir
serial = $dir/serial
certificate = $pki/ca.crt
private_key = $pki/ca.key
default_md = sha256
policy = any
preserve = yes
unique_subject = no
copy_extensions = none
[any]
commonName = supplied
surname = optional
serialNumber = optional
countryName = optional
organizationName = optional
organizationalUnitName = optional
[signing]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
extendedKeyUsage = emailProtection
[code_signing]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = codeSigning
EOF
spew("$dir/index.txt", '');
spew("$dir/serial", "2000\n");

my $person = '/CN=TEST PERSON/serialNumber=IIN751201400423/C=KZ';
my $employer = "$person/O=School No. 7/OU=BIN050440000012";

# issue NAME SUBJECT EXTENSION START END [KEY OPTIONS...]
sub issue
{
	my ($name, $subject, $ext, $start, $end, @key) = @_;
	@key = ('-newkey', 'rsa:2048') unless @key;
	openssl('req', '-new', @key, '-nodes', '-subj', $subject,
		'-keyout', "$dir/$name.key", '-out', "$dir/$name.csr");
	openssl('ca', '-batch', '-notext', '-config', "$dir/ca.cnf",
		'-extensions', $ext, '-startdate', $start, '-enddate', $end,
		'-in', "$dir/$name.csr", '-out', "$dir/$name.crt");
	openssl('pkcs12', '-export', '-inkey', "$dir/$name.key",
		'-in', "$dir/$name.crt", '-passout', "pass:$password",
		'-out', "$dir/$name.p12");
}

issue('future', $employer, 'signing', '20990101000000Z', '21000101000000Z');
issue('ec', $employer, 'signing', '20200101000000Z', '20991231000000Z',
	'-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256');
issue('personal', $person, 'signing', '20200101000000Z', '20991231000000Z');
issue('codesign', $employer, 'code_signing', '20200101000000Z', '20991231000000Z');
openssl('pkcs12', '-export', '-nokeys', '-in', "$dir/future.crt",
	'-passout', "pass:$password", '-out', "$dir/certonly.p12");
openssl('pkcs12', '-export', '-inkey', "$dir/personal.key",
	'-in', "$dir/personal.crt", '-passout', 'pass:another-password',
	'-out', "$dir/otherpass.p12");
spew("$dir/garbage.p12", "this is not a key file\n");
spew("$dir/empty.p12", '');
chmod 0644, glob("$dir/*.p12");

my (undef, $err, $ok) = psql("CREATE DATABASE $db", db => 'postgres');
ok($ok, 'test database created') or diag($err);
(undef, $err, $ok) = psql(<<'EOF');
CREATE EXTENSION otan_enbek;
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (7001, '050440000012', 'School No. 7');
EOF
ok($ok, 'extension and organization created') or diag($err);

# Each key and the error it must raise.
my @rejected_keys = (
	[ 'otherpass.p12', qr/ERROR:  wrong password for signing key file "\Q$dir\E\/otherpass\.p12"/,
	  'a key with another password' ],
	[ 'future.p12', qr/ERROR:  certificate of signing key file ".*future\.p12" is not valid yet\n.*valid from 2099-01-01 00:00:00 UTC to 2100-01-01 00:00:00 UTC/,
	  'a certificate that is not valid yet, with its dates' ],
	[ 'ec.p12', qr/ERROR:  signing key file ".*ec\.p12" does not hold an RSA key\nDETAIL:  Its key type is EC, .*\nHINT:  .*For a GOST key \(GOSTKNCA_\*\.p12\), set otan_enbek\.signer to 'external'/,
	  'a key that is not RSA, with the external signer hint' ],
	[ 'certonly.p12', qr/ERROR:  signing key file ".*certonly\.p12" contains no private key/,
	  'a file without a private key' ],
	[ 'personal.p12', qr/ERROR:  certificate of signing key file ".*personal\.p12" names no BIN/,
	  'a personal key without a BIN' ],
	[ 'codesign.p12', qr/ERROR:  certificate of signing key file ".*codesign\.p12" is not for signing documents/,
	  'a certificate without emailProtection' ],
	[ 'garbage.p12', qr/ERROR:  signing key file ".*garbage\.p12" is not a PKCS#12 file/,
	  'a file that is not PKCS#12' ],
	[ 'empty.p12', qr/ERROR:  signing key file ".*empty\.p12" is not a PKCS#12 file/,
	  'an empty file' ],
);
for my $case (@rejected_keys)
{
	my ($file, $expected, $name) = @$case;
	my (undef, $err, $ok) =
	  psql("SELECT * FROM otan_enbek.check_signing_key(7001, '$dir/$file')");
	ok(!$ok, "rejected: $name");
	like($err, $expected, "message: $name");
	unlike($err, qr/\Q$password\E/, "no password in the message: $name");
	unlike($err, qr/751201400423/, "no IIN in the message: $name");
}

# A submitted document verifies with the xmlsec1 command line, with the
# test CA as the only trusted certificate.
(undef, $err, $ok) = psql(<<'EOF');
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, working_days, norm_hours)
VALUES (7001, 7101, '2026-11-01', 21, 168);
INSERT INTO otan_enbek.timesheet_line (org_id, timesheet_id, employee_id, line_no, iin,
                                       full_name, day_codes, day_hours)
VALUES (7001, 7101, 1, 1, '810111300012', 'Abenova Aigul',
        ARRAY['В', 'Я', 'РП'], ARRAY[0, 8, 6.5]);
SELECT otan_enbek.submit_timesheet(7101);
EOF
ok($ok, 'timesheet submitted') or diag($err);

my ($document) = psql('SELECT document FROM otan_enbek.submission WHERE timesheet_id = 7101');
spew("$dir/signed.xml", $document);
my @verify = ('xmlsec1', '--verify', '--trusted-pem', "$pki/ca.crt",
	'--enabled-reference-uris', 'empty', '--enabled-key-data', 'x509');
my $xmlsec_err;
ok(run([ @verify, "$dir/signed.xml" ], '>', \my $xmlsec_out, '2>', \$xmlsec_err),
	'xmlsec1 --verify accepts the stored document')
  or diag($xmlsec_err);

(my $tampered = $document) =~ s/hours="6\.50"/hours="7.50"/;
isnt($tampered, $document, 'the tampered copy differs');
spew("$dir/tampered.xml", $tampered);
ok(!run([ @verify, "$dir/tampered.xml" ], '>', \my $out2, '2>', \my $err2),
	'xmlsec1 --verify rejects a tampered copy');

# The same template signed by the xmlsec1 command line: verify_document
# accepts it with the test key and rejects it with the untrusted CA's key.
(my $template = $document) =~ s{(<ds:DigestValue>|<ds:SignatureValue>|<ds:X509Certificate>).*?(</ds:)}{$1$2}gs;
spew("$dir/template.xml", $template);
for my $case ([ 'sign', 'true', '' ], [ 'untrusted', 'false', 'certificate verification failed' ])
{
	my ($key, $valid, $reason) = @$case;
	my $sign_err;
	ok(run([ 'xmlsec1', '--sign', '--pkcs12', "$pki/$key.p12", '--pwd', $password,
			'--output', "$dir/cli-$key.xml", "$dir/template.xml" ],
			'>', \my $sign_out, '2>', \$sign_err),
		"xmlsec1 signs the template with $key.p12")
	  or diag($sign_err);
	my $signed = slurp("$dir/cli-$key.xml");
	$signed =~ s/^<\?xml[^>]*\?>\n//;
	$signed =~ s/'/''/g;
	my ($result) = psql("SELECT valid || '|' || coalesce(reason, '') FROM otan_enbek.verify_document('$signed')");
	is($result, "$valid|$reason", "verify_document on the xmlsec1 signature with $key.p12");
}

# A signature whose KeyInfo has only the public key (KeyValue), without a
# certificate, proves nothing about the signer and must not verify.
(my $keyvalue_template = $template) =~ s{<ds:X509Data>.*</ds:X509Data>}{<ds:KeyValue/>}s;
isnt($keyvalue_template, $template, 'KeyValue template made');
spew("$dir/keyvalue-template.xml", $keyvalue_template);
my $keyvalue_err;
ok(run([ 'xmlsec1', '--sign', '--privkey-pem', "$dir/personal.key",
		'--output', "$dir/keyvalue.xml", "$dir/keyvalue-template.xml" ],
		'>', \my $keyvalue_out, '2>', \$keyvalue_err),
	'xmlsec1 signs with a bare RSA key')
  or diag($keyvalue_err);
my $keyvalue_signed = slurp("$dir/keyvalue.xml");
like($keyvalue_signed, qr/<ds:Modulus>/, 'the signature carries the public key');
$keyvalue_signed =~ s/^<\?xml[^>]*\?>\n//;
$keyvalue_signed =~ s/'/''/g;
my ($keyvalue_result) = psql("SELECT valid FROM otan_enbek.verify_document('$keyvalue_signed')");
is($keyvalue_result, 'f', 'verify_document rejects a key without a certificate');

# Two sessions submit the same timesheet at once: the second waits for the
# first one's row lock, then sees the timesheet submitted and fails.
(undef, $err, $ok) = psql(<<'EOF');
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, working_days, norm_hours)
VALUES (7001, 7102, '2026-10-01', 21, 168);
INSERT INTO otan_enbek.timesheet_line (org_id, timesheet_id, employee_id, line_no, iin,
                                       full_name, day_codes, day_hours)
VALUES (7001, 7102, 1, 1, '810111300012', 'Abenova Aigul', ARRAY['Я'], ARRAY[8]);
EOF
ok($ok, 'second timesheet created') or diag($err);

my ($first_in, $first_out, $first_err) = ('', '', '');
my $first = IPC::Run::start(
	[ 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', $db ],
	'<', \$first_in, '>', \$first_out, '2>', \$first_err);
$first_in .= "BEGIN;\nSELECT otan_enbek.submit_timesheet(7102);\n\\echo submitted\n";
$first->pump until $first_out =~ /submitted/ || $first_err ne '';
is($first_err, '', 'first session submitted inside its transaction');

my ($second_out, $second_err) = ('', '');
my $second = IPC::Run::start(
	[ 'psql', '-X', '-q', '-A', '-t', '-d', $db,
	  '-c', 'SELECT otan_enbek.submit_timesheet(7102)' ],
	'<', \undef, '>', \$second_out, '2>', \$second_err);

# Poll until the second session waits for the lock.  The loop bounds the
# number of polls; no assertion depends on how long the wait takes.
my $waiting = 0;
for (1 .. 600)
{
	($waiting) = psql(q{SELECT count(*) FROM pg_stat_activity
	                     WHERE wait_event_type = 'Lock'
	                       AND query LIKE '%submit_timesheet(7102)%'});
	last if $waiting;
	select(undef, undef, undef, 0.1);
}
is($waiting, 1, 'second session waits for the row lock');

$first_in .= "COMMIT;\n";
ok($first->finish, 'first session committed');
ok(!$second->finish, 'second session failed');
like($second_err, qr/ERROR:  timesheet 7102 has already been submitted/,
	'second session sees the timesheet submitted');
my ($count) = psql('SELECT count(*) FROM otan_enbek.submission WHERE timesheet_id = 7102');
is($count, 1, 'one submission for the timesheet');

(undef, $err, $ok) = psql("DROP DATABASE $db", db => 'postgres');
ok($ok, 'test database dropped') or diag($err);

# Nothing so far, in this test or the suites before it, wrote a password or
# the IIN of the test certificates to the server log.
my $log = slurp("$work/cluster/server.log");
ok(length($log) > 0, 'the server log has content');
unlike($log, qr/\Q$password\E/, 'the key password is not in the server log');
unlike($log, qr/\Q$sender_password\E/, 'the sender password is not in the server log');
unlike($log, qr/751201400423/, 'the certificate holder\'s IIN is not in the server log');

done_testing();
