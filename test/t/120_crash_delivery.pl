# A crash in the middle of delivering 200 submissions loses none and
# makes Enbek process none twice.  The delivery worker is killed with
# SIGKILL while it is sending, and later the whole server stops in
# immediate mode.  After each restart the next worker puts the claimed
# submissions back in the queue, and Enbek recognises every re-sent message
# id (SCSE196).  In the end Enbek has received each message id, processed
# it once and accepted it, and every submission row is accepted.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP;
use OtanTest;
use Test::More;

my $count = 200;
my $db = new_database('otan_t_crash_delivery');
reset_service();

# 200 versions of one organization's November 2025 timesheet, each with one
# employee whose contract the service knows, so each is accepted.
my $org = psql($db, q{
	INSERT INTO otan_enbek.organization (bin, name)
	VALUES ('050440000012', 'School No. 7') RETURNING org_id});
my $employee = psql($db, qq{
	INSERT INTO otan_enbek.employee (org_id, iin, last_name, first_name)
	VALUES ($org, '810111300012', 'Employee', 'No. 1') RETURNING employee_id});
psql($db, qq{
	WITH sheet AS (
	    INSERT INTO otan_enbek.timesheet
	        (org_id, month, version, working_days, norm_hours, employee_count)
	    SELECT $org, '2025-11-01', v, 20, 160, 1 FROM generate_series(1, $count) AS v
	    RETURNING timesheet_id)
	INSERT INTO otan_enbek.timesheet_line
	    (org_id, timesheet_id, employee_id, line_no, iin, full_name,
	     day_codes, day_hours, days_worked, hours_worked)
	SELECT $org, timesheet_id, $employee, 1, '810111300012', 'Employee No. 1',
	       ARRAY['Я'], ARRAY[8.00], 1, 8.00
	FROM sheet});

# All of them are signed and queued in one transaction, so the worker
# finds 200 submissions at once.
is(psql($db, q{
	SELECT count(*) FROM otan_enbek.timesheet AS t,
	    LATERAL otan_enbek.submit_timesheet(t.timesheet_id)}),
	$count, '200 submissions queued');

# Submissions that Enbek has received so far, and claimed ones.
my $progress = q{
	SELECT count(*) FILTER (WHERE status IN ('sent', 'accepted')) >= %d
	       AND count(*) FILTER (WHERE status = 'sending') > 0
	FROM otan_enbek.submission};
my $requeued = q{
	(SELECT count(*) FROM otan_enbek.submission_event WHERE kind = 'requeued')};

# SIGKILL of the delivery worker while it has claimed submissions.  The
# service holds the next responses for 3 s, so that the worker still has
# some claimed when it is killed, however busy the machine is.
is(wait_for($db, sprintf($progress, 40), 't'), 't',
	'the worker is sending after 40 submissions');
control_post('fault', { mode => 'delay', delay => 3, count => 10,
	service => 'timesheet' });
# Responses already on their way when the fault was set arrive within it.
sleep 1;
is(wait_for($db, q{
	SELECT count(*) FILTER (WHERE status = 'sending') > 0
	FROM otan_enbek.submission}, 't'), 't',
	'submissions are sending when the worker is killed');
my $pid = psql($db, 'SELECT worker_pid FROM otan_enbek.delivery_status()');
ok(kill_process($pid), "delivery worker $pid killed");
ok(wait_for_server(), 'the server recovers from the killed worker');
like(server_log(), qr/background worker "otan_enbek delivery worker" \(PID $pid\) was terminated by signal 9/,
	'the postmaster saw the worker killed');
is(wait_for($db, "SELECT $requeued > 0", 't'), 't',
	'the next worker puts the claimed submissions back');
my $requeued_after_kill = psql($db, "SELECT $requeued");

# Immediate stop of the whole server while the new worker is sending.
# The service holds the next responses for 3 s, so that submissions are
# still claimed when the server stops, however busy the machine is.
is(wait_for($db, sprintf($progress, 120), 't'), 't',
	'the worker is sending after 120 submissions');
control_post('fault', { mode => 'delay', delay => 3, count => 10,
	service => 'timesheet' });
# Responses already on their way when the fault was set arrive within it.
sleep 1;
is(wait_for($db, q{
	SELECT count(*) FILTER (WHERE status = 'sending') > 0
	FROM otan_enbek.submission}, 't'), 't',
	'submissions are sending during the delay');
ok(stop_immediate(), 'immediate shutdown');
ok(start_server(), 'server started again');
ok(wait_for_server(), 'the server accepts connections');
is(wait_for($db, "SELECT $requeued > $requeued_after_kill", 't'), 't',
	'the worker after the restart puts the claimed submissions back');

is(wait_for($db, q{
	SELECT count(*) FROM otan_enbek.submission WHERE status = 'accepted'},
		$count),
	$count, 'every submission is accepted');
is(psql($db, q{
	SELECT count(*) FROM otan_enbek.submission WHERE status <> 'accepted'}),
	0, 'no submission in another state');
is(psql($db, q{
	SELECT count(*) FROM otan_enbek.timesheet WHERE status <> 'accepted'}),
	0, 'every timesheet is accepted');
is(psql($db, q{
	SELECT count(*) FROM otan_enbek.submission AS s
	WHERE (SELECT count(*) FROM otan_enbek.submission_event AS e
	       WHERE e.org_id = s.org_id AND e.submission_id = s.submission_id
	         AND e.kind = 'accepted') <> 1}),
	0, 'each submission has one accepted event');
is(psql($db, q{
	SELECT count(*) FROM otan_enbek.submission AS s
	WHERE (SELECT count(*) FROM otan_enbek.notification AS n
	       WHERE n.org_id = s.org_id AND n.submission_id = s.submission_id) <> 1}),
	0, 'each submission has one notification');

# Enbek's side: one message per submission, each processed once.
my @rows = split /\n/, psql($db, q{
	SELECT message_id || '|' || timesheet_id FROM otan_enbek.submission});
my %timesheet_of = map { split /\|/ } @rows;
my @messages = grep { exists $timesheet_of{ lc $_->{messageId} } }
  @{ control_get('messages')->{messages} };
is(scalar @messages, $count, 'Enbek has a record of each submission');
my %seen;
$seen{ lc $_->{messageId} }++ foreach @messages;
is(scalar(grep { $_ != 1 } values %seen), 0,
	'and one record per message id');
is(scalar(grep { $_->{state} ne 'ACCEPTED' } @messages), 0,
	'Enbek accepted every message');
is(scalar(grep { $_->{timesheetId} != $timesheet_of{ lc $_->{messageId} } } @messages),
	0, 'each message carries its own timesheet');

# Each request beyond the first of a message is a re-send after a crash,
# which Enbek answered with SCSE196 instead of processing it again.
my $resends = 0;
$resends += $_->{sendCount} - 1 foreach @messages;
is(psql($db, q{
	SELECT count(*) FROM otan_enbek.submission_event
	WHERE kind = 'answer' AND code = 'SCSE196'}),
	$resends, 'every re-send was answered as already received');
# A response held longer than otan_enbek.request_timeout is a failed
# attempt, which the worker sends again later, so re-sends come from
# submissions put back after a crash and from retries.
cmp_ok($resends, '<=', psql($db, qq{
	SELECT $requeued + (SELECT count(*) FROM otan_enbek.submission_event
	                    WHERE kind = 'retry_scheduled')}),
	'no more re-sends than submissions put back or retried');

done_testing();
