# A crash during an attendance refresh leaves the rows of the last
# committed refresh as they were, and the next refresh gives the same rows
# as a computation from scratch.  The backend that runs compute_attendance
# is killed with SIGKILL, and on a second try the whole server stops in
# immediate mode.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use OtanAttendance;
use Test::More;

my $db = new_database('otan_t_crash_attendance');
my $employees = 2000;

# An organization with a 09:00-18:00 schedule on weekdays, 2000 employees
# with valid IINs and a person credential each, and four punches on every
# weekday of November 2025 up to the 14th.
my $org = add_school($db, name => 'School No. 7', employees => $employees,
	first_month => '2025-11-01', last_month => '2025-11-01');
is(psql($db, 'SELECT count(*) FROM otan_enbek.employee'), $employees,
	'2000 employees with valid IINs');

# Inserts the punches of the given days: in 08:55, out 13:02, in 13:58,
# out 18:05 local time (UTC+5).
sub add_punches
{
	my ($first, $last) = @_;
	psql($db, qq{
		INSERT INTO otan_enbek.skud_event (org_id, occurred_at, source_id, external_id,
		        credential_kind, credential, direction)
		SELECT $org, day + t.at - interval '5 hours', 1,
		       n || '/' || (day + t.at), 'person', n::text, t.direction
		FROM generate_series(date '$first', date '$last', interval '1 day') AS day,
		     generate_series(1, $employees) AS n,
		     (VALUES (time '08:55', 'in'), (time '13:02', 'out'),
		             (time '13:58', 'in'), (time '18:05', 'out')) AS t(at, direction)
		WHERE extract(isodow FROM day) < 6});
}
add_punches('2025-11-01', '2025-11-14');

my $refresh = "SELECT otan_enbek.compute_attendance($org, '2025-11-01', '2025-11-30')";

# A digest of every computed column of attendance_day, and the row count.
my $digest = q{
	SELECT count(*) || '|' || md5(string_agg(
	    concat_ws(',', employee_id, work_day, schedule_id, day_kind, is_final,
	              first_in, last_out, present_sec, worked_sec, late_sec,
	              early_leave_sec, early_arrival_sec, overtime_sec, night_sec,
	              punch_count, anomalies, event_ids),
	    ';' ORDER BY employee_id, work_day))
	FROM otan_enbek.attendance_day};

is(psql($db, $refresh), $employees * 30, 'first refresh writes 30 days per employee');
my $first = psql($db, $digest);

# The second half of the month arrives, and a refresh starts.
add_punches('2025-11-15', '2025-11-30');

# 1. SIGKILL of the refreshing backend.
my ($pid, $session, $holder) = start_uncommitted($db, $refresh, 'compute_attendance(');
like($pid, qr/^[1-9][0-9]*$/, 'the refresh is running');
ok(kill_process($pid), "backend $pid killed during the refresh");
finish_sessions($session, $holder);
ok(wait_for_server(), 'the server recovers from the killed backend');
like(server_log(), qr/server process \(PID $pid\) was terminated by signal 9/,
	'the postmaster saw the backend killed');
is(psql($db, $digest), $first, 'the rows of the first refresh are intact');

# 2. Immediate stop of the server during the next try.
($pid, $session, $holder) = start_uncommitted($db, $refresh, 'compute_attendance(');
like($pid, qr/^[1-9][0-9]*$/, 'the refresh is running again');
ok(stop_immediate(), 'immediate shutdown during the refresh');
finish_sessions($session, $holder);
ok(start_server(), 'server started again');
ok(wait_for_server(), 'the server accepts connections');
is(psql($db, $digest), $first, 'the rows of the first refresh are still intact');

# 3. The next refresh sees the whole month, and equals a computation from
# scratch.
is(psql($db, $refresh), $employees * 30, 'the refresh completes');
my $second = psql($db, $digest);
isnt($second, $first, 'it includes the second half of the month');
is(psql($db, qq{
	SELECT count(*) FROM otan_enbek.attendance_day
	WHERE work_day BETWEEN '2025-11-15' AND '2025-11-30' AND day_kind = 'work'
	  AND worked_sec <> 8 * 3600}),
	0, 'every working day of the second half has 8 hours worked');
psql($db, 'DELETE FROM otan_enbek.attendance_day');
psql($db, $refresh);
is(psql($db, $digest), $second, 'the same rows as a refresh from scratch');

done_testing();
