# The background worker refreshes attendance when otan_enbek.refresh_in_worker
# is on: the days marked while the setting was off when it is switched on,
# a late punch as soon as its ingest commits, with the rows of a
# computation from scratch; a refresh that waits for a running computation
# gives up, and the days are refreshed at the next look; a refresh that
# fails is logged and leaves its days pending until the next look by
# naptime, and the worker goes on.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use IPC::Run qw(start pump finish);
use OtanTest;
use OtanAttendance;
use Test::More;

my $db = new_database('otan_t_refresh_in_worker');
my $org = add_school($db, name => 'School No. 7', employees => 3,
	first_month => '2025-11-01', last_month => '2025-11-01');

# The looks of the worker wait for a wake-up, never for the naptime, until
# the naptime test below.
set_config('otan_enbek.refresh_naptime', '3600s');

# A ZKTeco line: employee, local time, state (0 in, 1 out).
sub punch
{
	my ($employee, $at, $state) = @_;
	return "$employee\t$at\t1\t$state\t1\t0";
}

sub ingest
{
	my @lines = @_;
	my $content = join("\n", @lines);
	return psql($db, qq{
		SELECT inserted_count FROM otan_enbek.ingest(1, 'zkteco', \$zk\$$content\$zk\$)});
}

sub pending
{
	return psql($db, qq{SELECT count(*) FROM otan_enbek.attendance_pending
		WHERE org_id = $org});
}

# The worker's counts: looks|refreshes|failures.
sub worker_counts
{
	return psql($db, q{SELECT looks || '|' || refreshes || '|' || failures
		FROM otan_enbek.refresh_worker_info()});
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

# 1. With the setting off, a late punch waits in attendance_pending.
is(psql($db, 'SELECT refresh_in_worker FROM otan_enbek.refresh_worker_info()'), 'f',
	'refresh_in_worker is off by default');
ingest(map { (punch($_, '2025-11-03 08:55:00', 0), punch($_, '2025-11-03 18:05:00', 1)) }
	1 .. 3);
psql($db, qq{SELECT otan_enbek.compute_attendance($org, '2025-11-01', '2025-11-30')});
is(ingest(punch(1, '2025-11-04 09:10:00', 0)), 1, 'a late punch is stored');
is(pending(), 1, 'its day is pending');

# 2. Switched on, the worker refreshes the days marked before.
set_config('otan_enbek.refresh_in_worker', 'on');
is(wait_for($db, "SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = $org",
		'0'), '0', 'the worker refreshes the day marked while the setting was off');
is(psql($db, $days), computed_days(), 'with the rows of a computation from scratch');
like(psql($db, q{SELECT worker_running || '|' || looks || '|' || refreshes || '|'
		|| failures || '|' || last_look_rows FROM otan_enbek.refresh_worker_info()}),
	qr/^true\|1\|1\|0\|1$/, 'refresh_worker_info counts one look that wrote one row');

# 3. A late punch is refreshed when its ingest commits.
is(ingest(punch(1, '2025-11-04 18:20:00', 1), punch(2, '2025-11-05 08:50:00', 0)), 2,
	'two late punches are stored');
is(wait_for($db, "SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = $org",
		'0'), '0', 'the worker refreshes their days after the commit');
is(psql($db, q{SELECT present_sec FROM otan_enbek.attendance_day
		WHERE employee_id = 1 AND work_day = '2025-11-04'}), 9 * 3600 + 600,
	'the day of the late exit has its pair');
is(psql($db, $days), computed_days(), 'all rows equal a computation from scratch');
is(worker_counts(), '2|2|0', 'a second look refreshed the organization');
ok(psql($db, 'SELECT last_look_ms > 0 FROM otan_enbek.refresh_worker_info()') eq 't',
	'the duration of the last look is recorded');

# 4. A refresh that waits for a running computation gives up, and the
# worker refreshes the days at its next look.
my ($in, $out, $err) = ("SELECT pg_advisory_lock(hashtext('otan_enbek.compute_attendance'), $org);\n",
	'', '');
my $holder = start [ 'psql', '-X', '-q', '-A', '-t', '-d', $db ], \$in, \$out, \$err;
pump $holder while length $in;
is(wait_for($db, q{SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted},
		'1'), '1', 'a session holds the lock of the computation');
ingest(punch(3, '2025-11-06 09:00:00', 0));
is(wait_for($db, 'SELECT failures FROM otan_enbek.refresh_worker_info()', '1'), '1',
	'the refresh gives up waiting for the lock');
is(pending(), 1, 'its day stays pending');
set_config('otan_enbek.refresh_naptime', '1s');
$in .= "SELECT pg_advisory_unlock_all();\n\\q\n";
finish $holder;
is(wait_for($db, "SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = $org",
		'0'), '0', 'the next look refreshes the day');
is(psql($db, $days), computed_days(), 'with the rows of a computation from scratch');

# 5. A refresh that fails is logged and rolled back; the worker goes on,
# and tries the organization again at the next look by naptime only.
set_config('otan_enbek.refresh_naptime', '3600s');
psql($db, q{
	CREATE FUNCTION reject_day() RETURNS trigger LANGUAGE plpgsql AS $f$
	BEGIN
		RAISE EXCEPTION 'attendance_day rejected for the test';
	END $f$;
	CREATE TRIGGER reject_day BEFORE INSERT OR UPDATE ON otan_enbek.attendance_day
	    FOR EACH ROW EXECUTE FUNCTION reject_day();});
my $pid = psql($db, 'SELECT worker_pid FROM otan_enbek.delivery_worker_info()');
my $failures = psql($db, 'SELECT failures FROM otan_enbek.refresh_worker_info()');
ingest(punch(3, '2025-11-06 18:00:00', 1));
is(wait_for($db, 'SELECT failures FROM otan_enbek.refresh_worker_info()', $failures + 1),
	$failures + 1, 'the failed refresh is counted');
is(pending(), 1, 'its day stays pending');
my $log = server_log();
like($log, qr/attendance_day rejected for the test/, 'the error is logged');
like($log, qr/refresh of organization $org failed; the worker tries again in 3600 s/,
	'the log says when the worker tries again');
is(psql($db, 'SELECT worker_pid FROM otan_enbek.delivery_worker_info()'), $pid,
	'the worker keeps running');

my $looks = psql($db, 'SELECT looks FROM otan_enbek.refresh_worker_info()');
ingest(punch(2, '2025-11-06 09:00:00', 0));
is(wait_for($db, 'SELECT looks FROM otan_enbek.refresh_worker_info()', $looks + 1),
	$looks + 1, 'the next ingest wakes the worker');
is(psql($db, 'SELECT failures FROM otan_enbek.refresh_worker_info()'), $failures + 1,
	'the wake-up does not refresh the failed organization again');
is(pending(), 2, 'both days stay pending');

# 6. Looks by naptime try the organization again.  A failure with the same
# error as the one before is logged in one line, without the error's context.
set_config('otan_enbek.refresh_naptime', '1s');
is(wait_for($db, 'SELECT failures >= ' . ($failures + 3) . ' FROM otan_enbek.refresh_worker_info()',
		't'), 't', 'looks by naptime try the organization again');
$log = server_log();
my @full = ($log =~ /ERROR:\s+attendance_day rejected for the test/g);
is(scalar(@full), 1, 'the error is logged in full once');
like($log, qr/refresh of organization $org failed again; the worker tries again in 1 s\n[^\n]*DETAIL:\s+The error, logged in full at the first failure, was: attendance_day rejected for the test\n/,
	'a failure with the same error is logged in one line with the error');

psql($db, 'DROP TRIGGER reject_day ON otan_enbek.attendance_day');
is(wait_for($db, "SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = $org",
		'0'), '0', 'the look by naptime refreshes the days once the error is gone');
is(psql($db, $days), computed_days(), 'with the rows of a computation from scratch');

reset_config('otan_enbek.refresh_in_worker');
reset_config('otan_enbek.refresh_naptime');
drop_database($db);
done_testing();
