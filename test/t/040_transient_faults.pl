# Transient faults are retried with backoff until the timesheet is
# accepted: HTTP 503, HTTP 429 with Retry-After, a response that is not XML,
# and a connection closed without a response, before or after Enbek
# processed the message.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

my $db = new_database('otan_t_transient');
reset_service();
add_contracts('050440000012', '810111300012');
my $retry_delay = psql($db, q{SELECT setting FROM pg_settings WHERE name = 'otan_enbek.retry_delay'});
my $version = 0;

# Sends one submission, of a new timesheet version, after injecting a
# fault; returns it once accepted.
sub deliver_with_fault
{
	my ($fault) = @_;
	my $setup = setup_organization($db, iins => ['810111300012'], version => ++$version);
	control_post('fault', $fault);
	my $sub = add_submission($db, $setup, iins => ['810111300012']);
	is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $sub->{submission_id}",
			'accepted'),
		'accepted', "accepted after fault $fault->{mode}");
	return $sub;
}

# HTTP 503: recorded, retried once with backoff, then accepted.
my $sub = deliver_with_fault({ mode => 'http503' });
my $id = $sub->{submission_id};
is(submission_row($db, $id), 'accepted|2|SCSS001', '503: two send attempts');
like(event_kinds($db, $id),
	qr/^attempt,answer,retry_scheduled,attempt,answer,(status_query,answer,)+accepted$/,
	'503: history');
my $events = events($db, $id);
is($events->[1]{http_status}, 503, '503: the response is recorded');
is($events->[2]{detail}{failures}, 1, '503: first failure');
ok($events->[2]{detail}{delay_s} >= $retry_delay / 2 &&
	  $events->[2]{detail}{delay_s} <= $retry_delay,
	'503: backoff between half and all of retry_delay');
is($events->[3]{attempt}, 2, '503: the retry is attempt 2');
is(service_message($sub->{message_id})->{sendCount}, 1, '503: Enbek processed it once');

# HTTP 429 with Retry-After: the retry waits at least that long.
$sub = deliver_with_fault({ mode => 'http429', retry_after => 2 });
$id = $sub->{submission_id};
is(submission_row($db, $id), 'accepted|2|SCSS001', '429: two send attempts');
$events = events($db, $id);
is($events->[1]{http_status}, 429, '429: the response is recorded');
is($events->[1]{detail}{retry_after}, 2, '429: Retry-After is read');
ok($events->[2]{detail}{delay_s} >= 2, '429: the delay honours Retry-After');
is(psql($db, "SELECT at >= ('$events->[2]{detail}{next_attempt_at}')::timestamptz FROM otan_enbek.submission_event WHERE submission_id = $id AND kind = 'attempt' AND attempt = 2"),
	't', '429: the retry was not sent before its time');

# A response that is not XML is retried.
$sub = deliver_with_fault({ mode => 'malformed' });
$id = $sub->{submission_id};
is(submission_row($db, $id), 'accepted|2|SCSS001', 'malformed: two send attempts');
$events = events($db, $id);
is($events->[1]{http_status}, 200, 'malformed: HTTP 200 recorded');
like($events->[1]{message}, qr/^malformed response: the response is not well-formed XML/,
	'malformed: the problem is recorded');
is($events->[2]{kind}, 'retry_scheduled', 'malformed: retried');

# The connection is closed before Enbek processed the message.
$sub = deliver_with_fault({ mode => 'drop' });
$id = $sub->{submission_id};
is(submission_row($db, $id), 'accepted|2|SCSS001', 'drop: two send attempts');
$events = events($db, $id);
is($events->[1]{kind}, 'error', 'drop: an error without an HTTP response');
ok(!defined $events->[1]{http_status}, 'drop: no HTTP status');
ok(length($events->[1]{message} // '') > 0, 'drop: the network error is recorded');
is(service_message($sub->{message_id})->{sendCount}, 1, 'drop: Enbek received it once');

# The connection is closed after Enbek processed the message: the re-send
# is recognised (SCSE196) and resolved by a status query.
$sub = deliver_with_fault({ mode => 'drop', process => JSON::PP::true });
$id = $sub->{submission_id};
is(submission_row($db, $id), 'accepted|2|SCSS001', 'drop after processing: two send attempts');
like(event_kinds($db, $id),
	qr/^attempt,error,retry_scheduled,attempt,answer,(status_query,answer,)+accepted$/,
	'drop after processing: history');
$events = events($db, $id);
is($events->[4]{code}, 'SCSE196', 'drop after processing: re-send recognised');
is(scalar(grep { $_->{kind} eq 'returned' } @$events), 0, 'drop after processing: SCSE196 is no rejection');
my $message = service_message($sub->{message_id});
is($message->{sendCount}, 2, 'drop after processing: sent twice');
is($message->{state}, 'ACCEPTED', 'drop after processing: accepted once');

done_testing();
