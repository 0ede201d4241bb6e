# A timesheet that Enbek accepts: queued -> sent -> accepted, with every
# attempt and response in submission_event, a notification row for HR, a
# NOTIFY on channel otan_enbek, the timesheet marked accepted, and a worker
# that runs no SQL once it is idle.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use JSON::PP;
use Test::More;

my $db = new_database('otan_t_accepted');
reset_service();
add_contracts('050440000012', '810111300012', '820212300023');

my $setup = setup_organization($db, iins => [ '810111300012', '820212300023' ]);
my $listener = listen_start($db);

my $sub = add_submission($db, $setup, iins => [ '810111300012', '820212300023' ]);
my $id = $sub->{submission_id};

is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $id",
		'accepted'),
	'accepted', 'submission is accepted');
is(submission_row($db, $id), 'accepted|1|SCSS001',
	'one send attempt, last code SCSS001');

# History: one send with the response RECEIVED, then status queries until ACCEPTED.
my $events = events($db, $id);
my @kinds = map { $_->{kind} } @$events;
is($kinds[0], 'attempt', 'history starts with the attempt');
is($kinds[1], 'answer', 'the attempt is answered');
is($events->[1]{http_status}, 200, 'the response is HTTP 200');
is($events->[1]{code}, 'SCSS001', 'the response has code SCSS001');
is($events->[1]{detail}{state}, 'RECEIVED', 'Enbek received the timesheet');
ok(defined $events->[1]{duration_ms}, 'the response records its duration');
is($kinds[-1], 'accepted', 'history ends with accepted');
is($kinds[-2], 'answer', 'accepted follows an answer');
is($events->[-2]{detail}{state}, 'ACCEPTED', 'the last response says ACCEPTED');
is(scalar(grep { $_ eq 'attempt' } @kinds), 1, 'the timesheet was sent once');
ok(scalar(grep { $_ eq 'status_query' } @kinds) >= 1,
	'the state was asked with a status query');
my @queries = grep { $_->{kind} eq 'status_query' } @$events;
isnt($queries[0]{detail}{request_message_id}, $sub->{message_id},
	'a status query has its own message id');
is(scalar(grep { $_ eq 'error' || $_ eq 'retry_scheduled' } @kinds), 0,
	'no error and no retry');

# The service saw the message once and accepted it.
my $message = service_message($sub->{message_id});
is($message->{sendCount}, 1, 'the service received the message once');
is($message->{state}, 'ACCEPTED', 'the service accepted the message');

# The timesheet follows, and HR gets a notification in Russian.
is(psql($db, "SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = $setup->{timesheet_id}"),
	'accepted', 'timesheet is accepted');
is(psql($db, "SELECT kind || '|' || subject FROM otan_enbek.notification WHERE submission_id = $id"),
	'submission_accepted|Табель за ноябрь 2025 г. принят Enbek',
	'notification row with a Russian subject');
my $payload = psql($db, "SELECT payload FROM otan_enbek.notification WHERE submission_id = $id");
unlike($payload, qr/810111300012|820212300023/, 'notification payload has no IIN');
unlike(psql($db, "SELECT body FROM otan_enbek.notification WHERE submission_id = $id"),
	qr/810111300012|820212300023/, 'notification body has no IIN');
is_deeply(decode_json($payload),
	{ kind => 'submission_accepted', org_id => $setup->{org_id} + 0,
	  submission_id => $id + 0, timesheet_id => $setup->{timesheet_id} + 0,
	  part_no => 1, part_count => 1, status => 'accepted',
	  timesheet_status => 'accepted' },
	'notification payload names the submission and its status');

my $payloads = listen_collect($listener);
is(scalar @$payloads, 1, 'one NOTIFY received');
is_deeply($payloads->[0],
	{ notification_id => psql($db, "SELECT notification_id FROM otan_enbek.notification WHERE submission_id = $id") + 0 },
	'NOTIFY payload names only the notification');

# The overview shows the last event; delivery_status shows the worker.
is(psql($db, "SELECT status || '|' || last_event FROM otan_enbek.submission_overview WHERE submission_id = $id"),
	'accepted|accepted', 'overview shows the last event');
is(psql($db, 'SELECT preloaded, worker_state, queued, sending, sent FROM otan_enbek.delivery_status()'),
	't|running|0|0|0', 'delivery_status shows a running worker and an empty queue');

# Once idle, the worker sleeps on its latch and runs no SQL: the scan and
# update counters of the submission table stay the same.
my $pid = psql($db, 'SELECT worker_pid FROM otan_enbek.delivery_status()');
is(wait_for($db, "SELECT state || '|' || wait_event FROM pg_stat_activity WHERE pid = $pid",
		'idle|Extension'),
	'idle|Extension', 'worker waits on its latch');
my $counters = q{SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) || '|' || n_tup_upd
	FROM pg_stat_user_tables WHERE relid = 'otan_enbek.submission'::regclass};
my $before = psql($db, $counters);
psql($db, 'SELECT pg_sleep(3)');
is(psql($db, $counters), $before, 'idle worker does not read the queue');

done_testing();
