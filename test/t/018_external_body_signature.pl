#!/usr/bin/perl
# The WS-Security signature of the SOAP body through the external signer:
# with otan_enbek.signer = 'external' and no otan_enbek.signing_key_file,
# the delivery worker signs the body of every request through the fake
# signing service of test/signer, and the local Enbek service, which
# verifies that signature, accepts the timesheet.  A worker terminated
# while the service signs puts the submission back without counting an
# attempt.  A service that is down when the worker sends makes the
# submission retry, and it is delivered once the service is back.  A re-send after a lost response repeats the
# request byte for byte, because the test service signs with RSA PKCS#1
# v1.5, whose signatures are deterministic.  A directory request that a
# session sends is signed the same way.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP;
use OtanSigner;
use OtanTest;
use Test::More;

my $pki = $ENV{OTAN_PKI} or BAIL_OUT('OTAN_PKI is not set');
$ENV{OTAN_WORK} or BAIL_OUT('OTAN_WORK is not set');
$ENV{OTAN_TOP} or BAIL_OUT('OTAN_TOP is not set');
my $key_file = psql('postgres', 'SHOW otan_enbek.signing_key_file');

my $db = new_database('otan_external_body');
reset_service();
add_contracts('050440000012', '810111300012');
psql($db, q{
	INSERT INTO otan_enbek.organization (org_id, bin, name)
	VALUES (1801, '050440000012', 'School No. 7');
	INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, working_days, norm_hours)
	VALUES (1801, 1811, '2025-11-01', 20, 160), (1801, 1812, '2025-10-01', 23, 184);
	INSERT INTO otan_enbek.timesheet_line (org_id, timesheet_id, employee_id, line_no, iin,
	                                       full_name, day_codes, day_hours)
	SELECT 1801, id, 1, 1, '810111300012', 'Abenova Aigul', ARRAY['Я'], ARRAY[8]
	FROM generate_series(1811, 1812) AS id;});

# The number of sign requests that the fake service received.
sub sign_requests
{
	my ($url) = @_;
	my $log = decode_json(`curl -sS --max-time 30 '${url}_control/requests'`);
	return scalar(grep { $_->{path} eq '/sign' } @{ $log->{requests} });
}

# The external signer is the only key: the built-in key file is empty.
my $port = free_port();
my $url = "http://127.0.0.1:$port/";
set_setting('otan_enbek.external_signer_url', $url);
set_setting('otan_enbek.signer', 'external');
set_setting('otan_enbek.signing_key_file', '');

# The worker is terminated while the service signs the body: the transfer
# stops, nothing is counted as an attempt, and the submission goes back to
# the queue.
set_config('otan_enbek.external_signer_timeout', '120s');
is(wait_for($db, q{SELECT setting FROM pg_settings WHERE name = 'otan_enbek.external_signer_timeout'},
		'120000'),
	'120000', 'external_signer_timeout raised');
my ($pid) = start_signer(port => $port);
signer_control($url, '{"fault": "timeout"}');
my $sub = add_submission($db, { org_id => 1801, timesheet_id => 1811 },
	iins => ['810111300012']);
my $id = $sub->{submission_id};
for (1 .. 600)
{
	last if sign_requests($url) > 0;
	select(undef, undef, undef, 0.2);
}
is(sign_requests($url), 1, 'worker stops: the service is signing the body');
my $worker = psql($db, 'SELECT worker_pid FROM otan_enbek.delivery_status()');
psql($db, "SELECT pg_terminate_backend($worker)");
is(wait_for('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $worker", '0'),
	'0', 'worker stops: the worker exits');
my $events = events($db, $id);
is($events->[1]{kind}, 'requeued', 'worker stops: the submission is put back');
like($events->[1]{message}, qr/not sent because the worker is stopping/,
	'worker stops: as not sent');
is(scalar(grep { $_->{kind} eq 'error' } @$events), 0, 'worker stops: no error is recorded');

# The service is down when the worker sends again: the body cannot be
# signed, the attempt is recorded as an error and retried, and nothing
# reaches Enbek.
stop_signer($pid);
is(wait_for($db, "SELECT count(*) > 0 FROM otan_enbek.submission_event
		WHERE submission_id = $id AND kind = 'error'
		  AND message LIKE '%could not reach external signer \"$url\"%'", 't'),
	't', 'signer down: the error names the signing service');
my $signer_error = psql($db, "SELECT code || '|' || (detail->>'internal_error')
		|| '|' || (detail->>'sqlstate') FROM otan_enbek.submission_event
		WHERE submission_id = $id AND kind = 'error' ORDER BY event_no LIMIT 1");
like($signer_error, qr/^OE\d{3}\|false\|OE\d{3}$/,
	'signer down: the error keeps its SQLSTATE and is no internal error');
is(wait_for($db, "SELECT count(*) > 0 FROM otan_enbek.submission_event
		WHERE submission_id = $id AND kind = 'retry_scheduled'", 't'),
	't', 'signer down: the send is retried');
isnt(psql($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $id"),
	'failed', 'signer down: the submission has not failed');
ok(!defined service_message($sub->{message_id}),
	'signer down: nothing reached Enbek');

# The service comes back on the same port: the retry delivers it.
($pid) = start_signer(port => $port);
is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $id",
		'accepted'),
	'accepted', 'signer back: the submission is accepted');
like(event_kinds($db, $id),
	qr/^attempt,requeued,(attempt,error,retry_scheduled,)+attempt,answer,(status_query,answer,)+accepted$/,
	'signer back: history');
my $message = service_message($sub->{message_id});
is($message->{sendCount}, 1, 'signer back: Enbek received the message once');
is($message->{state}, 'ACCEPTED', 'signer back: Enbek accepted it');
ok(sign_requests($url) >= 2,
	'signer back: the send and the status query were signed by the service');

# submit_timesheet signs the document and measures the request through the
# service, and the worker signs the body of each request through it.  The
# connection is closed after Enbek processed the first send, so the
# submission is sent again: both sends carry the same bytes.
my $before = sign_requests($url);
control_post('fault', { mode => 'drop', process => JSON::PP::true });
$id = psql($db, 'SELECT otan_enbek.submit_timesheet(1812)');
like($id, qr/^\d+$/, 'timesheet submitted with the external signer only');
is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $id",
		'accepted'),
	'accepted', 're-send: the submission is accepted');
like(event_kinds($db, $id),
	qr/^created,attempt,error,retry_scheduled,attempt,answer,(status_query,answer,)+accepted$/,
	're-send: history');
my $message_id = psql($db, "SELECT message_id FROM otan_enbek.submission WHERE submission_id = $id");
$message = service_message($message_id);
is($message->{sendCount}, 2, 're-send: Enbek received the message twice');
is(scalar @{ $message->{bodySha256} }, 1, 're-send: both sends carried the same bytes');
is($message->{state}, 'ACCEPTED', 're-send: Enbek accepted it once');
# the document, the measured request, two sends and at least one status query
ok(sign_requests($url) - $before >= 5,
	're-send: every signature came from the service');

# A directory request, which a session sends, is signed by the service too.
$before = sign_requests($url);
psql($db, 'SELECT otan_enbek.step_contract_sync(1801)');
is(psql($db, q{SELECT count(*) FROM otan_enbek.enbek_contract
		WHERE org_id = 1801 AND contract_id = 'C-810111300012'}),
	'1', 'contract sync: the contract list request is accepted');
# the document and the body of the request
is(sign_requests($url) - $before, 2, 'contract sync: both signatures came from the service');

stop_signer($pid);
reset_setting('otan_enbek.signer', 'builtin');
reset_setting('otan_enbek.external_signer_url', '');
reset_setting('otan_enbek.signing_key_file', $key_file);
reset_config('otan_enbek.external_signer_timeout');

drop_database($db);
done_testing();
