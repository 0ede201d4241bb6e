# Submissions that fail: a soap:Client fault fails at once, without a
# retry, and repeated transient faults fail after otan_enbek.max_attempts.
# Both notify HR.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

my $db = new_database('otan_t_failures');
reset_service();
add_contracts('050440000012', '810111300012');
my $setup = setup_organization($db, iins => ['810111300012']);
my $listener = listen_start($db);

# An unknown service id makes Enbek return a soap:Client fault.
my $sub = add_submission($db, $setup, iins => ['810111300012'],
	service_id => 'OTAN_UNKNOWN_V1');
my $id = $sub->{submission_id};
is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $id",
		'failed'),
	'failed', 'soap:Client fault fails the submission');
is(submission_row($db, $id), 'failed|1|soap:Client', 'failed after one attempt');
is(event_kinds($db, $id), 'attempt,answer,failed', 'no retry');
my $events = events($db, $id);
is($events->[1]{http_status}, 500, 'the fault came with HTTP 500');
is(psql($db, "SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = $setup->{timesheet_id}"),
	'failed', 'timesheet is failed');
is(psql($db, "SELECT subject FROM otan_enbek.notification WHERE submission_id = $id"),
	'Табель за ноябрь 2025 г. не доставлен в Enbek', 'notification of the failure');

# Transient faults up to max_attempts.
set_config('otan_enbek.max_attempts', 2);
END { eval { reset_config('otan_enbek.max_attempts') }; }
is(wait_for($db, q{SELECT setting FROM pg_settings WHERE name = 'otan_enbek.max_attempts'}, '2'),
	'2', 'max_attempts set to 2');

my $setup2 = setup_organization($db, iins => ['810111300012'], version => 2);
control_post('fault', { mode => 'http503', count => 2 });
$sub = add_submission($db, $setup2, iins => ['810111300012']);
$id = $sub->{submission_id};
is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $id",
		'failed'),
	'failed', 'submission fails after max_attempts');
is(psql($db, "SELECT status || '|' || attempts FROM otan_enbek.submission WHERE submission_id = $id"),
	'failed|2', 'failed after two attempts');
is(event_kinds($db, $id), 'attempt,answer,retry_scheduled,attempt,answer,failed',
	'one retry, then failed');
is(psql($db, "SELECT http_status FROM otan_enbek.submission_event WHERE submission_id = $id AND kind = 'answer' AND attempt = 2"),
	503, 'the last response was HTTP 503');
my $last_error = psql($db, "SELECT response_message FROM otan_enbek.submission WHERE submission_id = $id");
ok(length $last_error, 'the last error is kept');
like(psql($db, "SELECT body FROM otan_enbek.notification WHERE submission_id = $id"),
	qr/попыток отправки: 2\. Последняя ошибка: .*\Q$last_error\E/,
	'notification names the attempts and the last error');
ok(!defined service_message($sub->{message_id}), 'Enbek never took the message');

my @kinds = map { $_->{kind} } @{ listen_notifications($db, $listener) };
is_deeply(\@kinds, [ 'submission_failed', 'submission_failed' ], 'a NOTIFY for each failure');

# Transient faults past max_attempt_age: the submission fails before
# max_attempts.  The age counts from the submission's creation.
reset_config('otan_enbek.max_attempts');
set_config('otan_enbek.max_attempt_age', '3s');
END { eval { reset_config('otan_enbek.max_attempt_age') }; }
is(wait_for($db, q{SELECT setting FROM pg_settings WHERE name = 'otan_enbek.max_attempt_age'}, '3'),
	'3', 'max_attempt_age set to 3 s');
is(psql($db, q{SELECT setting FROM pg_settings WHERE name = 'otan_enbek.max_attempts'}), '10',
	'max_attempts is back at 10');
my $setup3 = setup_organization($db, iins => ['810111300012'], version => 3);
control_post('fault', { mode => 'http503', count => 100 });
$sub = add_submission($db, $setup3, iins => ['810111300012']);
$id = $sub->{submission_id};
is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $id",
		'failed'),
	'failed', 'submission fails at max_attempt_age');
my $attempts = psql($db, "SELECT attempts FROM otan_enbek.submission WHERE submission_id = $id");
cmp_ok($attempts, '>=', 2, 'it was retried before it failed');
cmp_ok($attempts, '<', 10, 'it failed before max_attempts');
is(psql($db, qq{SELECT finished_at - created_at >= interval '3 s'
		FROM otan_enbek.submission WHERE submission_id = $id}), 't',
	'it failed when it was at least max_attempt_age old');
control_post('clear-faults', {});

done_testing();
