# A crash of the server while the background worker refreshes attendance
# loses no punch: the refresh is rolled back with its deletion of the marks,
# and after the restart the worker refreshes the day with the rows of a
# computation from scratch.  The worker is killed with SIGKILL in the
# middle of a refresh, and on a second try the whole server stops in
# immediate mode.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use OtanAttendance;
use Test::More;

my $db = new_database('otan_t_refresh_worker_crash');
my $org = add_school($db, name => 'School No. 7', employees => 2,
	first_month => '2025-11-01', last_month => '2025-11-01');

# A ZKTeco line: employee, local time, state (0 in, 1 out).
sub punch
{
	my ($employee, $at, $state) = @_;
	return "$employee\t$at\t1\t$state\t1\t0";
}

sub ingest
{
	my $content = join("\n", @_);
	return psql($db, qq{
		SELECT inserted_count FROM otan_enbek.ingest(1, 'zkteco', \$zk\$$content\$zk\$)});
}

# Every computed column of attendance_day, as one text.
my $days = q{
	SELECT string_agg(concat_ws(',', employee_id, work_day, schedule_id, day_kind,
	           is_final, first_in, last_out, present_sec, worked_sec, late_sec,
	           early_leave_sec, early_arrival_sec, overtime_sec, night_sec,
	           punch_count, anomalies, event_ids, norm_sec),
	       ';' ORDER BY employee_id, work_day)
	FROM otan_enbek.attendance_day};

# The rows that compute_attendance gives for November, in a transaction that
# is rolled back.
sub computed_days
{
	return psql($db, qq{
		BEGIN;
		SELECT otan_enbek.compute_attendance($org, '2025-11-01', '2025-11-30') \\g /dev/null
		$days;
		ROLLBACK;});
}

ingest(punch(1, '2025-11-03 08:55:00', 0), punch(1, '2025-11-03 18:05:00', 1));
psql($db, qq{SELECT otan_enbek.compute_attendance($org, '2025-11-01', '2025-11-30')});

# While the gate is closed, every row that a refresh writes waits five
# minutes, longer than the waits of this test.  compute_attendance rejects
# a table with triggers, so the trigger exists only while a refresh is to
# wait.
psql($db, q{
	CREATE TABLE refresh_gate (closed boolean NOT NULL);
	INSERT INTO refresh_gate VALUES (true);
	CREATE FUNCTION wait_at_gate() RETURNS trigger LANGUAGE plpgsql AS $f$
	BEGIN
		IF (SELECT closed FROM public.refresh_gate) THEN
			PERFORM pg_sleep(300);
		END IF;
		RETURN NEW;
	END $f$;});
set_config('otan_enbek.refresh_naptime', '3600s');
set_config('otan_enbek.refresh_in_worker', 'on');

# Ingests the punches of a day with the gate closed and waits until the
# worker's refresh sleeps at it.  Then opens the gate for the next worker
# and returns the pid of the sleeping one.
sub start_refresh
{
	my ($work_day) = @_;
	psql($db, q{
		UPDATE refresh_gate SET closed = true;
		CREATE TRIGGER wait_at_gate BEFORE INSERT OR UPDATE ON otan_enbek.attendance_day
		    FOR EACH ROW EXECUTE FUNCTION wait_at_gate();});
	my $pid = psql($db, 'SELECT worker_pid FROM otan_enbek.delivery_worker_info()');
	is(ingest(punch(1, "$work_day 09:00:00", 0), punch(1, "$work_day 18:00:00", 1)), 2,
		"the late punches of $work_day are stored");
	is(wait_for($db, qq{SELECT count(*) FROM pg_stat_activity
			WHERE pid = $pid AND wait_event = 'PgSleep'}, '1'), '1',
		"the worker refreshes $work_day");
	psql($db, 'UPDATE refresh_gate SET closed = false');
	return $pid;
}

# After the restart, the worker refreshes the day again.
sub check_after_crash
{
	my ($work_day) = @_;
	is(wait_for($db, "SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = $org",
			'0'), '0', "the worker refreshes $work_day after the restart");
	is(psql($db, qq{SELECT last_out IS NOT NULL FROM otan_enbek.attendance_day
			WHERE employee_id = 1 AND work_day = '$work_day'}), 't',
		"$work_day has its exit");
	psql($db, 'DROP TRIGGER wait_at_gate ON otan_enbek.attendance_day');
	is(psql($db, $days), computed_days(), 'all rows equal a computation from scratch');
}

# 1. SIGKILL of the worker: the postmaster restarts every process.
my $pid = start_refresh('2025-11-04');
ok(kill_process($pid), 'the worker is killed');
ok(wait_for_server(), 'the server accepts connections again');
check_after_crash('2025-11-04');

# 2. Immediate stop of the server during a refresh.
start_refresh('2025-11-05');
ok(stop_immediate(), 'the server stops in immediate mode');
ok(start_server(), 'the server starts again');
check_after_crash('2025-11-05');

reset_config('otan_enbek.refresh_in_worker');
reset_config('otan_enbek.refresh_naptime');
drop_database($db);
done_testing();
