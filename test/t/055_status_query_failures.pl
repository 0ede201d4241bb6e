# Status queries that keep failing after Enbek received a timesheet.  The
# submission stays sent and the worker keeps asking with backoff, past
# otan_enbek.max_attempts: HR gets one submission_status_unknown
# notification and no failure, and Enbek's final answer, accepted or
# rejected with reasons, is recorded when it comes.  Enbek receives the
# document once.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

my $db = new_database('otan_t_status_failures');
reset_service();
add_contracts('050440000012', '810111300012');
my $listener = listen_start($db);

set_config('otan_enbek.max_attempts', 3);
END { eval { reset_config('otan_enbek.max_attempts') }; }
is(wait_for($db, q{SELECT setting FROM pg_settings WHERE name = 'otan_enbek.max_attempts'}, '3'),
	'3', 'max_attempts set to 3');
my $retry_delay = psql($db, q{SELECT setting FROM pg_settings WHERE name = 'otan_enbek.retry_delay'});
my $retry_max_delay = psql($db, q{SELECT setting FROM pg_settings WHERE name = 'otan_enbek.retry_max_delay'});

my $version = 0;

# Submits a timesheet of a new version for the IINs; returns the setup and
# the submission.
sub submit
{
	my (@iins) = @_;
	my $setup = setup_organization($db, iins => \@iins, version => ++$version);
	my $sub = add_submission($db, $setup, iins => \@iins);
	return ($setup, $sub);
}

# Waits until a submission has a final status and returns it.
sub final_status
{
	my ($id) = @_;
	wait_for($db, "SELECT status IN ('accepted', 'returned', 'failed') FROM otan_enbek.submission WHERE submission_id = $id",
		't');
	return psql($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $id");
}

# The kinds of the notifications of a submission, in order.
sub notification_kinds
{
	my ($id) = @_;
	return psql($db, "SELECT string_agg(kind, ',' ORDER BY notification_id) FROM otan_enbek.notification WHERE submission_id = $id");
}

# Five status queries answered with HTTP 503, two more than max_attempts.
control_post('fault', { mode => 'http503', count => 5, service => 'status' });
my ($setup, $sub) = submit('810111300012');
my $id = $sub->{submission_id};
is(final_status($id), 'accepted', '503 to status queries: accepted in the end');
is(submission_row($db, $id), 'accepted|1|SCSS001', '503: one send attempt');
like(event_kinds($db, $id),
	qr/^attempt,answer,(status_query,answer,retry_scheduled,){5}(status_query,answer,)+accepted$/,
	'503: every failed status query is recorded and retried');

my $events = events($db, $id);
is($events->[1]{detail}{state}, 'RECEIVED', '503: Enbek received the timesheet');
my @retries = grep { $_->{kind} eq 'retry_scheduled' } @$events;
is_deeply([ map { $_->{detail}{failures} } @retries ], [ 1 .. 5 ],
	'503: the failures in a row are counted past max_attempts');
foreach my $retry (@retries)
{
	my $n = $retry->{detail}{failures};
	my $base = $retry_delay * 2**($n - 1);
	$base = $retry_max_delay if $base > $retry_max_delay;
	ok($retry->{detail}{delay_s} >= $base / 2 && $retry->{detail}{delay_s} <= $base,
		"503: backoff after failure $n is between half and all of $base s");
}
is(scalar(grep { $_->{kind} eq 'answer' && ($_->{http_status} // 0) == 503 } @$events), 5,
	'503: each failed status query keeps its HTTP status');
is(scalar(grep { $_->{kind} eq 'failed' } @$events), 0, '503: the submission never failed');

is(notification_kinds($id), 'submission_status_unknown,submission_accepted',
	'503: one notification that the outcome is unknown, then the acceptance');
is(psql($db, "SELECT subject FROM otan_enbek.notification WHERE submission_id = $id AND kind = 'submission_status_unknown'"),
	'Результат проверки табеля за ноябрь 2025 г. в Enbek пока неизвестен',
	'503: the subject says the outcome is unknown');
my $body = psql($db, "SELECT body FROM otan_enbek.notification WHERE submission_id = $id AND kind = 'submission_status_unknown'");
like($body, qr/Неудачных запросов статуса подряд: 3\./,
	'503: the body counts the failed status queries');
like($body, qr/Не отправляйте табель заново/, '503: the body says not to send it again');
unlike($body, qr/отправьте табель заново/, '503: the body does not ask for a new submission');
is(psql($db, "SELECT payload->>'status' || '|' || (payload->>'timesheet_status') FROM otan_enbek.notification WHERE submission_id = $id AND kind = 'submission_status_unknown'"),
	'sent|submitted', '503: the payload shows the submission still in delivery');
is(psql($db, "SELECT (detail->>'notification_id' IS NOT NULL)::text FROM otan_enbek.submission_event WHERE submission_id = $id AND kind = 'retry_scheduled' ORDER BY event_no"),
	"false\nfalse\ntrue\nfalse\nfalse", '503: the third failure in a row raised the notification');
is(psql($db, "SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = $setup->{timesheet_id}"),
	'accepted', '503: the timesheet is accepted');
my $message = service_message($sub->{message_id});
is($message->{sendCount}, 1, '503: Enbek received the document once');
is($message->{state}, 'ACCEPTED', '503: Enbek accepted it');

# A timesheet that Enbek rejects, while four status queries fail.
control_post('fault', { mode => 'http503', count => 4, service => 'status' });
($setup, $sub) = submit('810111300012', '860616300067');
$id = $sub->{submission_id};
is(final_status($id), 'returned', 'rejected after failed status queries: returned');
is(submission_row($db, $id), 'returned|1|SCSE012', 'rejected: the code of the rejection is kept');
is(psql($db, "SELECT code || '|' || iin || '|' || employee_id FROM otan_enbek.submission_reason WHERE submission_id = $id"),
	"SCSE012|860616300067|$setup->{employee_id}{860616300067}",
	'rejected: the reason reaches submission_reason');
is(notification_kinds($id), 'submission_status_unknown,submission_returned',
	'rejected: notified once that the outcome is unknown, then of the return');
is(psql($db, "SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = $setup->{timesheet_id}"),
	'returned', 'rejected: the timesheet is returned');
is(service_message($sub->{message_id})->{sendCount}, 1, 'rejected: Enbek received the document once');

# Status queries that Enbek rejects with a soap:Client fault, because the
# status service id is wrong, until the setting is corrected.
set_config('otan_enbek.status_service_id', 'OTAN_UNKNOWN_STATUS_V1');
END { eval { reset_config('otan_enbek.status_service_id') }; }
is(wait_for($db, q{SELECT setting FROM pg_settings WHERE name = 'otan_enbek.status_service_id'},
		'OTAN_UNKNOWN_STATUS_V1'),
	'OTAN_UNKNOWN_STATUS_V1', 'status_service_id set to an unknown service');
($setup, $sub) = submit('810111300012');
$id = $sub->{submission_id};
is(wait_for($db, "SELECT count(*) FILTER (WHERE kind = 'submission_status_unknown') > 0 OR bool_or(kind = 'submission_failed') FROM otan_enbek.notification WHERE submission_id = $id",
		't'),
	't', 'soap:Client to status queries: HR is notified');
is(psql($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $id"), 'sent',
	'soap:Client to status queries: the submission stays sent');
$events = events($db, $id);
my ($fault) = grep { $_->{kind} eq 'answer' && ($_->{detail}{request} // '') eq 'status' } @$events;
is($fault->{code}, 'soap:Client', 'soap:Client to status queries: the fault is recorded');
is($fault->{http_status}, 500, 'soap:Client to status queries: with HTTP 500');
reset_config('otan_enbek.status_service_id');
is(final_status($id), 'accepted', 'soap:Client to status queries: accepted once the setting is corrected');
is(notification_kinds($id), 'submission_status_unknown,submission_accepted',
	'soap:Client to status queries: one notification that the outcome is unknown');

# Five failures in a row open the circuit breaker of the endpoint, whose
# notifications are left out here.
my @kinds = grep { /^submission_/ } map { $_->{kind} } @{ listen_notifications($db, $listener) };
is_deeply(\@kinds,
	[ 'submission_status_unknown', 'submission_accepted',
	  'submission_status_unknown', 'submission_returned',
	  'submission_status_unknown', 'submission_accepted' ],
	'a NOTIFY for each notification');

done_testing();
