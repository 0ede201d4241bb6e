# The parallel worker of the month's attendance computation: it starts
# when there are enough employees, its share of the rows equals what the
# leader alone computes, and a statement cancelled while the worker sends
# its days leaves no error of the worker in the log, only the cancel.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use OtanAttendance;
use Test::More;
use Time::HiRes qw(gettimeofday tv_interval);

my $db = new_database('otan_t_parallel_worker');
my $employees = 3001;

# An organization with a 09:00-18:00 schedule on weekdays, employees with
# valid IINs and a person credential each, and four punches on every
# weekday of November 2025.  Every seventh employee forgets the last exit.
my $org = add_school($db, name => 'School No. 12', employees => $employees,
	first_month => '2025-11-01', last_month => '2025-11-01');
psql($db, qq{
	INSERT INTO otan_enbek.skud_event (org_id, occurred_at, source_id, external_id,
	        credential_kind, credential, direction)
	SELECT $org, day + t.at + make_interval(mins => n % 11) - interval '5 hours', 1,
	       n || '/' || (day + t.at), 'person', n::text, t.direction
	FROM generate_series(date '2025-11-01', date '2025-11-30', interval '1 day') AS day,
	     generate_series(1, $employees) AS n,
	     (VALUES (time '08:50', 'in'), (time '13:02', 'out'),
	             (time '13:58', 'in'), (time '18:05', 'out')) AS t(at, direction)
	WHERE extract(isodow FROM day) < 6
	  AND NOT (t.at = time '18:05' AND n % 7 = 0)});
is(psql($db, 'SELECT count(*) FROM otan_enbek.employee'), $employees,
	"$employees employees with valid IINs");

my $days = qq{otan_enbek.attendance_compute_days($org, '2025-11-01', '2025-11-30',
	'2025-10-30', '2025-12-02')};

# A digest of every column of the rows, in the order the function returns
# them.
my $digest = qq{
	SELECT count(*) || '|' || md5(string_agg(d::text, ';' ORDER BY n))
	FROM $days WITH ORDINALITY AS d(employee_id, work_day, schedule_id, day_kind,
	        is_final, shift_start, shift_end, first_in, last_out, present_sec, worked_sec,
	        late_sec, early_leave_sec, early_arrival_sec, overtime_sec, night_sec,
	        punch_count, anomalies, event_ids, norm_sec, n)};

my $serial = psql($db, "SET max_parallel_workers_per_gather = 0; $digest");
like($serial, qr/^${\($employees * 30)}\|/, 'the leader alone computes 30 days per employee');

my $log_from = length server_log();
my $parallel = psql($db, qq{
	SET max_parallel_workers_per_gather = 2;
	SET otan_enbek.attendance_parallel_min_employees = 1000;
	$digest});
like(substr(server_log(), $log_from),
	qr/DEBUG:  a parallel worker computes the attendance of \d+ of $employees employees/,
	'a parallel worker takes part');
is($parallel, $serial, 'with the worker the rows and their order are the same');

# Cancels at several points of the computation.  Each statement must end
# with the cancel alone: the worker may be exchanging punches or sending its
# days when the leader gives up, and that is no error of the worker's.  The
# points are fractions of how long one computation took here, so that most
# of them fall while both processes work.
my $parallel_sql = qq{
	SET max_parallel_workers_per_gather = 2;
	SET otan_enbek.attendance_parallel_min_employees = 1000;
	SELECT count(*) FROM $days};
my $started = [gettimeofday];
psql($db, $parallel_sql);
my $took_ms = int(1000 * tv_interval($started));
$log_from = length server_log();
my $cancelled = 0;
foreach my $fraction (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
{
	my $ms = int($took_ms * $fraction) || 1;
	$cancelled++
	  unless eval { psql($db, "SET statement_timeout = $ms; $parallel_sql"); 1 };
}
ok($cancelled > 0, "$cancelled of 8 computations were cancelled");
my $log = substr(server_log(), $log_from);
like($log, qr/DEBUG:  a parallel worker computes the attendance/,
	'a worker took part before a cancel');
my @errors = grep { !/canceling statement due to statement timeout/ }
  ($log =~ /^.*(?:ERROR|FATAL|PANIC):.*$/mg);
my @worker_errors = grep { /attendance computation/ } @errors;
is(scalar @worker_errors, 0, 'no error of the attendance computation after a cancel')
  or diag(join("\n", @worker_errors));

done_testing();
