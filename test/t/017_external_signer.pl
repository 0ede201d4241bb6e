#!/usr/bin/perl
# The external signer: a timesheet signed by the fake signing service of
# test/signer (with the test RSA key) verifies with xmlsec1 and is accepted
# by the local Enbek service.  The service's certificate passes the same
# checks as a key file, and each failure of the service raises its own
# SQLSTATE: down, timeout, HTTP error, wrong token, invalid answer, a
# signature that does not verify, and another certificate than the checked
# one.  Nothing is stored after a failure, and the token never appears in
# a message or in the server log.
#
# Runs against the cluster of test/harness/run-suites, whose configuration
# sets otan_enbek.external_signer_token to $OTAN_PKI/signer.token.  It
# starts the fake service on 127.0.0.1 and stops it by its process id.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use IPC::Run qw(run);
use OtanSigner;
use OtanTest;
use Test::More;

my $pki = $ENV{OTAN_PKI} or BAIL_OUT('OTAN_PKI is not set');
my $work = $ENV{OTAN_WORK} or BAIL_OUT('OTAN_WORK is not set');
$ENV{OTAN_TOP} or BAIL_OUT('OTAN_TOP is not set');
my $token = slurp("$pki/signer.token");
chomp $token;

my $db = new_database('otan_external_signer');
reset_service();
add_contracts('050440000012', '810111300012');
psql($db, q{
	INSERT INTO otan_enbek.organization (org_id, bin, name)
	VALUES (1701, '050440000012', 'School No. 7');
	INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, working_days, norm_hours)
	VALUES (1701, 1711, '2025-11-01', 20, 160), (1701, 1712, '2025-10-01', 23, 184);
	INSERT INTO otan_enbek.timesheet_line (org_id, timesheet_id, employee_id, line_no, iin,
	                                       full_name, day_codes, day_hours)
	SELECT 1701, id, 1, 1, '810111300012', 'Abenova Aigul', ARRAY['Я'], ARRAY[8]
	FROM generate_series(1711, 1712) AS id;});

# Submits a timesheet and returns the verbose error, which must come.
sub submit_error
{
	my ($timesheet_id) = @_;
	return psql_error($db, "\\set VERBOSITY verbose\n"
		  . "SELECT otan_enbek.submit_timesheet($timesheet_id)");
}

my ($pid, $url) = start_signer();
set_setting('otan_enbek.external_signer_timeout', '1s');
set_setting('otan_enbek.external_signer_url', $url);
set_setting('otan_enbek.signer', 'external');

# The certificate of the service is checked like a key file.
my $expected_fingerprint = `openssl pkcs12 -in '$pki/sign.p12' -passin 'file:$pki/p12.pass' -clcerts -nokeys | openssl x509 -noout -fingerprint -sha256`;
$expected_fingerprint =~ s/.*=//s;
$expected_fingerprint =~ s/[:\s]//g;
is(psql($db, 'SELECT fingerprint || \'|\' || trusted || \'|\' || key_algorithm FROM otan_enbek.check_signing_key(1701)'),
	lc($expected_fingerprint) . '|true|RSA',
	'check_signing_key describes the external signer\'s certificate');

# Each failure of the service: the fault, the SQLSTATE and the message.
my @faults = (
	[ '{"fault": "timeout"}', 'OE010',
	  qr/external signer "\Q$url\E" timed out after 1000 ms on POST sign/, 'timeout' ],
	[ '{"fault": "http_500"}', 'OE010',
	  qr/rejected POST sign with HTTP status 500\nDETAIL:  The signing service reported: the key token is locked/,
	  'HTTP error' ],
	[ '{"fault": "bad_answer"}', 'OE011',
	  qr/sent an invalid response to POST sign\nDETAIL:  The response is not a JSON object: /, 'invalid response' ],
	[ '{"fault": "bad_answer", "endpoint": "certificate"}', 'OE011',
	  qr/sent an invalid response to GET certificate/, 'invalid certificate response' ],
	[ '{"fault": "bad_signature"}', 'OE011',
	  qr/The signature value does not verify with the certificate's public key/, 'bad signature' ],
	[ '{"fault": "wrong_certificate"}', 'OE012',
	  qr/signed with another certificate than the one it presented\nDETAIL:  The signature came with the certificate with serial number [0-9A-F]+, but the checked certificate has serial number [0-9A-F]+\./,
	  'wrong certificate' ],
	[ qq({"fault": null, "key": "$pki/auth.p12"}), 'OE001',
	  qr/external signer "\Q$url\E" is an authentication key, not a signing key/,
	  'authentication key of the service' ],
	[ qq({"key": "$pki/revoked.p12"}), 'OE005',
	  qr/certificate of external signer "\Q$url\E" has been revoked/,
	  'revoked key of the service' ],
	[ qq({"key": "$pki/expired.p12"}), 'OE002',
	  qr/certificate of external signer "\Q$url\E" has expired\n.*\nHINT:  .*install it in the external signing service/,
	  'expired key of the service' ],
	[ qq({"key": "$pki/otherbin.p12"}), 'OE003',
	  qr/external signer "\Q$url\E" belongs to BIN 110340000072, not to the organization's BIN 050440000012/,
	  'key of another BIN at the service' ],
	[ qq({"key": "$pki/untrusted.p12"}), 'OE004',
	  qr/certificate of external signer "\Q$url\E" is not issued by a trusted CA/,
	  'untrusted key of the service' ],
);
for my $case (@faults)
{
	my ($fault, $sqlstate, $message, $name) = @$case;
	signer_control($url, $fault);
	my $err = submit_error(1711);
	like($err, qr/ERROR:  \Q$sqlstate\E: /, "$name: SQLSTATE $sqlstate");
	like($err, $message, "$name: message");
	unlike($err, qr/\Q$token\E/, "$name: no token in the message");
}
is(psql($db, 'SELECT count(*) FROM otan_enbek.submission'), '0',
	'failed submissions stored nothing');

# A cancel request stops a request that waits for the service.
signer_control($url, qq({"fault": "timeout", "key": "$pki/sign.p12"}));
set_setting('otan_enbek.external_signer_timeout', '60s');
my $cancel_err = psql_error($db, "\\set VERBOSITY verbose\nSET statement_timeout = '500ms';\n"
	  . "SELECT otan_enbek.submit_timesheet(1711)");
like($cancel_err, qr/ERROR:  57014: canceling statement due to statement timeout/,
	'statement_timeout cancels a waiting request');
set_setting('otan_enbek.external_signer_timeout', '1s');
signer_control($url, qq({"fault": null, "key": "$pki/sign.p12"}));

# A signed timesheet verifies and Enbek accepts it.
my $submission = psql($db, 'SELECT otan_enbek.submit_timesheet(1711)');
like($submission, qr/^\d+$/, 'timesheet submitted with the external signer');
my $document = psql($db, "SELECT document FROM otan_enbek.submission WHERE submission_id = $submission");
open(my $fh, '>', "$work/external-signed.xml") or die "cannot write: $!";
print $fh $document;
close($fh);
my ($xmlsec_out, $xmlsec_err) = ('', '');
ok(run([ 'xmlsec1', '--verify', '--trusted-pem', "$pki/ca.crt",
		'--enabled-reference-uris', 'empty', '--enabled-key-data', 'x509',
		"$work/external-signed.xml" ], \undef, \$xmlsec_out, \$xmlsec_err),
	'xmlsec1 --verify accepts the document')
  or diag($xmlsec_err);
is(psql($db, "SELECT valid FROM otan_enbek.submission s, otan_enbek.verify_document(s.document) WHERE submission_id = $submission"),
	't', 'verify_document accepts the document');
is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $submission", 'accepted'),
	'accepted', 'the local Enbek service accepts the document');

# Every request carried the token.
my $requests = `curl -sS --max-time 30 '${url}_control/requests'`;
unlike($requests, qr/"token": false/, 'every request carried the bearer token');
like($requests, qr/"path": "\/sign"/, 'the service received a sign request');

# A service that is down, a URL with a password, and a wrong token.
stop_signer($pid);
my $err = submit_error(1712);
like($err, qr/ERROR:  OE010: could not reach external signer "\Q$url\E"/, 'signer down: its own error');
like($err, qr/HINT:  Check that the signing service runs/, 'signer down: the hint');
my $port = free_port();
set_setting('otan_enbek.external_signer_url', "http://signer:url-secret\@127.0.0.1:$port/");
$err = submit_error(1712);
like($err, qr/could not reach external signer "http:\/\/\*\*\*\@127\.0\.0\.1:$port\/"/,
	'the URL in the message hides its user name and password');
unlike($err, qr/url-secret/, 'no password of the URL in the message');

my $other_token = "$work/other-signer.token";
open($fh, '>', $other_token) or die "cannot write $other_token: $!";
print $fh "another-token\n";
close($fh);
($pid, $url) = start_signer(token_file => $other_token);
set_setting('otan_enbek.external_signer_url', $url);
$err = submit_error(1712);
like($err, qr/ERROR:  OE010: external signer "\Q$url\E" rejected GET certificate with HTTP status 401/,
	'wrong token: its own error');
like($err, qr/HINT:  Set otan_enbek.external_signer_token/, 'wrong token: the hint');
stop_signer($pid);

# Over HTTPS the service's certificate is verified: with the test CA it
# passes, with another CA the connection is refused.
($pid, $url) = start_signer(tls => 1);
set_setting('otan_enbek.external_signer_url', $url);
set_setting('otan_enbek.external_signer_ca_file', "$pki/ca.crt");
is(psql($db, 'SELECT trusted FROM otan_enbek.check_signing_key(1701)'), 't',
	'HTTPS signer with a verified certificate');
set_setting('otan_enbek.external_signer_ca_file', "$pki/rogue-ca.crt");
$err = psql_error($db, "\\set VERBOSITY verbose\nSELECT * FROM otan_enbek.check_signing_key(1701)");
like($err, qr/ERROR:  OE010: could not establish a verified TLS connection to external signer "\Q$url\E"/,
	'HTTPS signer with an unverified certificate: its own error');
like($err, qr/HINT:  Set otan_enbek.external_signer_ca_file/, 'unverified certificate: the hint');
stop_signer($pid);
reset_setting('otan_enbek.external_signer_ca_file', '');

# An empty URL with the external signer chosen.
set_setting('otan_enbek.external_signer_url', '');
$err = submit_error(1712);
like($err, qr/ERROR:  55000: no external signer is configured/, 'no URL: its own error');
is(psql($db, 'SELECT count(*) FROM otan_enbek.submission WHERE timesheet_id = 1712'), '0',
	'nothing stored for the failed timesheet');

reset_setting('otan_enbek.signer', 'builtin');
reset_setting('otan_enbek.external_signer_url', '');
reset_setting('otan_enbek.external_signer_timeout', '10s');

unlike(server_log(), qr/\Q$token\E/, 'the token is not in the server log');

drop_database($db);
done_testing();
