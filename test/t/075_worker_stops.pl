# A worker that stops loses nothing.  Terminated during a request, it
# aborts the transfer at once, records the interrupted attempt and puts the
# submission back.  Failing on an error while recording a response, it exits
# with a non-zero status and the launcher starts a new worker, which puts
# the claimed submission back in the queue.  Either way the re-send is
# recognised by Enbek (SCSE196) and resolved by a status query.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

my $db = new_database('otan_t_stops');
reset_service();
add_contracts('050440000012', '810111300012');
my $setup = setup_organization($db, iins => ['810111300012']);

# Terminated while waiting for a response that takes a minute.
set_config('otan_enbek.request_timeout', '120s');
END { eval { reset_config('otan_enbek.request_timeout') }; }
is(wait_for($db, q{SELECT setting FROM pg_settings WHERE name = 'otan_enbek.request_timeout'},
		'120000'),
	'120000', 'request_timeout raised');
control_post('fault', { mode => 'delay', delay => 60 });
my $sub = add_submission($db, $setup, iins => ['810111300012']);
my $id = $sub->{submission_id};
is(wait_for($db, q{SELECT a.wait_event IS DISTINCT FROM 'Extension' AND s.status = 'sending'
		FROM otan_enbek.delivery_status() AS d
		JOIN pg_stat_activity AS a ON a.pid = d.worker_pid
		CROSS JOIN otan_enbek.submission AS s WHERE s.submission_id = } . $id, 't'),
	't', 'the worker is in the request');
my $pid = psql($db, 'SELECT worker_pid FROM otan_enbek.delivery_status()');
psql($db, "SELECT pg_terminate_backend($pid)");
is(wait_for('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid", '0'),
	'0', 'the worker stops without waiting for the response');
my $events = events($db, $id);
is($events->[1]{kind}, 'error', 'the interrupted attempt is recorded');
like($events->[1]{message}, qr/interrupted because the worker is stopping/,
	'as interrupted');
is($events->[2]{kind}, 'requeued', 'and put back');
is($events->[2]{detail}{status}, 'queued', 'in the queue');

is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $id",
		'accepted'),
	'accepted', 'a new worker delivers it');
like(event_kinds($db, $id),
	qr/^attempt,error,requeued,attempt,answer,(status_query,answer,)+accepted$/,
	'interrupted, re-sent, resolved');
is(service_message($sub->{message_id})->{state}, 'ACCEPTED', 'Enbek accepted it once');

# An error while recording the response: the worker exits with status 1.
psql($db, q{
	CREATE FUNCTION public.reject_answers() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
	    RAISE EXCEPTION 'answers rejected by the test';
	END $$;
	CREATE TRIGGER reject_answers BEFORE INSERT ON otan_enbek.submission_event
	    FOR EACH ROW WHEN (NEW.kind = 'answer') EXECUTE FUNCTION public.reject_answers();});
my $setup2 = setup_organization($db, iins => ['810111300012'], version => 2);
$pid = psql($db, 'SELECT worker_pid FROM otan_enbek.delivery_status()');
my $second = add_submission($db, $setup2, iins => ['810111300012']);
is(wait_for('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid", '0'),
	'0', 'the worker exits on the error');
like(server_log(), qr/background worker "otan_enbek delivery worker" \(PID $pid\) exited with exit code 1/,
	'with exit code 1');

psql($db, 'DROP TRIGGER reject_answers ON otan_enbek.submission_event');
is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $second->{submission_id}",
		'accepted'),
	'accepted', 'the next worker delivers it');

# Each worker that failed left its claim, which the next one put back.
like(event_kinds($db, $second->{submission_id}),
	qr/^attempt,(requeued,attempt,)+answer,(status_query,answer,)+accepted$/,
	'requeued, re-sent, resolved');
my $attempts = psql($db, "SELECT attempts FROM otan_enbek.submission WHERE submission_id = $second->{submission_id}");
my $message = service_message($second->{message_id});
is($message->{sendCount}, $attempts, 'Enbek received each attempt');
is($message->{state}, 'ACCEPTED', 'and accepted it once');

done_testing();
