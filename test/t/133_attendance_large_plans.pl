# Plans too large to copy for the parallel worker: a year of plans that
# differ for every employee.  The leader then computes alone, logs why at
# DEBUG1, and gives the same rows as without a worker.  A month of the same
# employees is small enough, and the worker takes part.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use OtanAttendance;
use Test::More;

my $db = new_database('otan_t_large_plans');
my $employees = 2100;

# Two schedules, and for each employee a dated assignment to the second
# one whose first day and length differ from every other employee's, so
# that no two employees share a plan for the year.
my $org = add_school($db, name => 'School No. 13', employees => $employees,
	first_month => '2025-01-01', last_month => '2025-12-01');
psql($db, qq{
	INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name)
	VALUES ($org, 2, 'Day 08-17');
	INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
	        end_time, break_start, break_end)
	SELECT $org, 2, d, '08:00', '17:00', '12:00', '13:00' FROM generate_series(1, 5) AS d;
	INSERT INTO otan_enbek.employee_schedule (org_id, employee_id, schedule_id, valid_from,
	        valid_to)
	SELECT $org, n, 2, date '2025-01-02' + n % 360,
	       date '2025-01-02' + n % 360 + n / 360
	FROM generate_series(1, $employees) AS n;
	INSERT INTO otan_enbek.skud_event (org_id, occurred_at, source_id, external_id,
	        credential_kind, credential, direction)
	SELECT $org, day + t.at - interval '5 hours', 1, n || '/' || (day + t.at), 'person',
	       n::text, t.direction
	FROM generate_series(date '2025-01-06', date '2025-12-29', interval '7 days') AS day,
	     generate_series(1, $employees, 10) AS n,
	     (VALUES (time '08:55', 'in'), (time '18:05', 'out')) AS t(at, direction)});
is(psql($db, qq{
	SELECT count(DISTINCT (valid_from, valid_to)) FROM otan_enbek.employee_schedule
	WHERE org_id = $org}), $employees, 'every employee has an assignment of their own');

# A digest of every column of the rows, in the order the function returns
# them.
sub digest
{
	my ($first, $last) = @_;
	return qq{
		SELECT count(*) || '|' || md5(string_agg(d::text, ';' ORDER BY n))
		FROM otan_enbek.attendance_compute_days($org, '$first', '$last',
		        date '$first' - 2, date '$last' + 2)
		     WITH ORDINALITY AS d(employee_id, work_day, schedule_id, day_kind, is_final,
		        shift_start, shift_end, first_in, last_out, present_sec, worked_sec,
		        late_sec, early_leave_sec, early_arrival_sec, overtime_sec, night_sec,
		        punch_count, anomalies, event_ids, norm_sec, n)};
}
my $with_worker = q{
	SET max_parallel_workers_per_gather = 2;
	SET otan_enbek.attendance_parallel_min_employees = 1000;};
my $too_large = qr/DEBUG:  the plans of the attendance computation are too large to share with a worker/;
my $launched = qr/DEBUG:  a parallel worker computes the attendance of \d+ of $employees employees/;

# The year: the plans are too large for the copy.
my $year_serial = psql($db, 'SET max_parallel_workers_per_gather = 0;'
	  . digest('2025-01-01', '2025-12-31'));
like($year_serial, qr/^${\($employees * 365)}\|/, 'the year has 365 days per employee');
my $log_from = length server_log();
my $year = psql($db, $with_worker . digest('2025-01-01', '2025-12-31'));
my $log = substr(server_log(), $log_from);
like($log, $too_large, 'the year\'s plans are too large to share');
unlike($log, $launched, 'no worker takes part in the year');
is($year, $year_serial, 'the leader alone gives the year\'s rows');

# A month: the plans are small enough.
my $month_serial = psql($db, 'SET max_parallel_workers_per_gather = 0;'
	  . digest('2025-03-01', '2025-03-31'));
$log_from = length server_log();
my $month = psql($db, $with_worker . digest('2025-03-01', '2025-03-31'));
$log = substr(server_log(), $log_from);
unlike($log, $too_large, 'a month\'s plans are shared');
like($log, $launched, 'a worker takes part in the month');
is($month, $month_serial, 'with the worker the month\'s rows are the same');

done_testing();
