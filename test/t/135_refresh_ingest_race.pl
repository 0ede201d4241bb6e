# An ingest that is still open while the background worker refreshes its
# organization must not lose its punch.  When the ingest marks a day that a
# committed ingest marked already, the refresh must leave that mark for
# after the open ingest commits: a refresh that takes the mark computes the
# day without the open ingest's punch, and after that ingest commits no
# mark is left to refresh the day again.
#
# The worker refreshes right after every ingest commits, so this happens
# whenever controllers send the punches of one employee-day in overlapping
# transactions.  The test keeps the first refresh waiting on the lock of
# compute_attendance, opens the second ingest, lets the worker refresh,
# commits, and then requires the rows of a computation from scratch.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use IPC::Run qw(start pump finish);
use OtanTest;
use OtanAttendance;
use Test::More;

my $db = new_database('otan_t_refresh_ingest_race');
my $org = add_school($db, name => 'School No. 7', employees => 2,
	first_month => '2025-11-01', last_month => '2025-11-01');

# Every look waits for a wake-up, never for the naptime.
set_config('otan_enbek.refresh_naptime', '3600s');

# A ZKTeco line: employee, local time, state (0 in, 1 out).
sub punch
{
	my ($employee, $at, $state) = @_;
	return "$employee\t$at\t1\t$state\t1\t0";
}

sub ingest_sql
{
	my $content = join("\n", @_);
	return qq{SELECT inserted_count FROM otan_enbek.ingest(1, 'zkteco', \$zk\$$content\$zk\$)};
}

sub pending
{
	return psql($db, qq{SELECT count(*) FROM otan_enbek.attendance_pending
		WHERE org_id = $org});
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

psql($db, ingest_sql(punch(1, '2025-11-03 08:55:00', 0), punch(1, '2025-11-03 18:05:00', 1)));
psql($db, qq{SELECT otan_enbek.compute_attendance($org, '2025-11-01', '2025-11-30')});

set_config('otan_enbek.refresh_in_worker', 'on');

# A session holds the lock of compute_attendance, so the worker's refresh
# gives up and the entry of a late day stays marked.
my %holder = (in => "SELECT pg_advisory_lock(hashtext('otan_enbek.compute_attendance'), $org);\n",
	out => '', err => '');
$holder{handle} = start [ 'psql', '-X', '-q', '-A', '-t', '-d', $db ],
  \$holder{in}, \$holder{out}, \$holder{err};
pump $holder{handle} while length $holder{in};
is(wait_for($db, q{SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted},
		'1'), '1', 'a session holds the lock of the computation');
is(psql($db, ingest_sql(punch(1, '2025-11-04 09:10:00', 0))), 1, 'the late entry is stored');
is(wait_for($db, 'SELECT failures FROM otan_enbek.refresh_worker_info()', '1'), '1',
	'the refresh of the entry gives up waiting for the lock');
is(pending(), 1, 'the day of the entry stays marked');

# The exit of the same day is ingested in a transaction that stays open.
my %open = (in => "BEGIN;\n" . ingest_sql(punch(1, '2025-11-04 18:20:00', 1)) . ";\n"
	  . "SELECT 'ingested';\n", out => '', err => '');
$open{handle} = start [ 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', $db ],
  \$open{in}, \$open{out}, \$open{err};
pump $open{handle} until $open{out} =~ /ingested/ || length $open{err};
is($open{err}, '', 'the exit is ingested in an open transaction');

# The lock is released, and the worker refreshes the organization while
# that ingest is open.
$holder{in} .= "SELECT pg_advisory_unlock_all();\n\\q\n";
finish $holder{handle};
psql($db, 'SELECT otan_enbek.wake_delivery()');
is(wait_for($db, 'SELECT refreshes FROM otan_enbek.refresh_worker_info()', '1'), '1',
	'the worker refreshes the organization');

$open{in} .= "COMMIT;\n\\q\n";
finish $open{handle};
is($open{err}, '', 'the open ingest commits');

is(wait_for($db, "SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = $org",
		'0'), '0', 'no day stays marked');
is(psql($db, q{SELECT last_out IS NOT NULL FROM otan_enbek.attendance_day
		WHERE employee_id = 1 AND work_day = '2025-11-04'}), 't',
	'the day has the exit of the ingest that was open');
is(psql($db, $days), computed_days(), 'all rows equal a computation from scratch');

reset_config('otan_enbek.refresh_in_worker');
reset_config('otan_enbek.refresh_naptime');
drop_database($db);
done_testing();
