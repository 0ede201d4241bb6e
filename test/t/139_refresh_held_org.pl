# An organization whose refresh fails in the worker is held until the next
# look by naptime, while the worker keeps refreshing the other
# organizations at each wake-up.  Once the days of the failed refresh are
# refreshed by hand, the organization is no longer held: its next late punch
# is refreshed at the wake-up after its ingest, not at the next look by
# naptime.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use OtanAttendance;
use Test::More;

my $db = new_database('otan_t_refresh_held_org');
my $recovered = add_school($db, name => 'School No. 7', employees => 2,
	first_month => '2025-11-01', last_month => '2025-11-01');

# A second organization with source 2 and the same schedule.
my $failing = psql($db, q{
	INSERT INTO otan_enbek.organization (bin, name, time_zone)
	SELECT bin, 'School No. 8', 'Asia/Almaty'
	FROM (SELECT '0504400001' || lpad(n::text, 2, '0') AS bin
	      FROM generate_series(0, 99) AS n) AS candidate
	WHERE otan_enbek.is_valid_bin(bin)
	LIMIT 1
	RETURNING org_id});
psql($db, qq{
	INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name)
	VALUES ($failing, 1, 'Day 09-18');
	INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
	        end_time, break_start, break_end)
	SELECT $failing, 1, d, '09:00', '18:00', '13:00', '14:00'
	FROM generate_series(1, 5) AS d;
	UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = $failing;
	INSERT INTO otan_enbek.source (org_id, source_id, name)
	VALUES ($failing, 2, 'Main entrance');
	INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
	        contract_start)
	SELECT $failing, employee_id, iin, last_name, first_name, contract_start
	FROM otan_enbek.employee WHERE org_id = $recovered;
	INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
	SELECT $failing, employee_id, 'person', employee_id::text
	FROM otan_enbek.employee WHERE org_id = $failing;});

# No look by naptime comes during the test: every look after the first one
# is a wake-up.
set_config('otan_enbek.refresh_naptime', '3600s');

# A ZKTeco line: employee, local time, state (0 in, 1 out).
sub punch
{
	my ($employee, $at, $state) = @_;
	return "$employee\t$at\t1\t$state\t1\t0";
}

sub ingest
{
	my ($source, @lines) = @_;
	my $content = join("\n", @lines);
	return psql($db, qq{
		SELECT inserted_count FROM otan_enbek.ingest($source, 'zkteco', \$zk\$$content\$zk\$)});
}

sub pending
{
	my ($org) = @_;
	return psql($db, qq{SELECT count(*) FROM otan_enbek.attendance_pending
		WHERE org_id = $org});
}

sub worker_count
{
	my ($column) = @_;
	return psql($db, "SELECT $column FROM otan_enbek.refresh_worker_info()");
}

# Every computed column of an organization's attendance_day rows, as one text.
sub days
{
	my ($org) = @_;
	return qq{
	SELECT string_agg(concat_ws(',', employee_id, work_day, schedule_id, day_kind,
	           is_final, first_in, last_out, present_sec, worked_sec, late_sec,
	           early_leave_sec, early_arrival_sec, overtime_sec, night_sec,
	           punch_count, anomalies, event_ids, norm_sec),
	       ';' ORDER BY employee_id, work_day)
	FROM otan_enbek.attendance_day WHERE org_id = $org};
}

for my $source (1, 2)
{
	ingest($source, map { (punch($_, '2025-11-03 08:55:00', 0),
			punch($_, '2025-11-03 18:05:00', 1)) } 1 .. 2);
}
psql($db, qq{
	SELECT otan_enbek.compute_attendance($recovered, '2025-11-01', '2025-11-30');
	SELECT otan_enbek.compute_attendance($failing, '2025-11-01', '2025-11-30');});

# A trigger that rejects the rows of the organizations in rejected_org.
psql($db, q{
	CREATE TABLE rejected_org (org_id integer PRIMARY KEY);
	CREATE FUNCTION reject_org_day() RETURNS trigger LANGUAGE plpgsql AS $f$
	BEGIN
		IF EXISTS (SELECT FROM public.rejected_org r WHERE r.org_id = NEW.org_id) THEN
			RAISE EXCEPTION 'attendance_day of organization % rejected for the test',
				NEW.org_id;
		END IF;
		RETURN NEW;
	END $f$;
	CREATE TRIGGER reject_org_day BEFORE INSERT OR UPDATE ON otan_enbek.attendance_day
	    FOR EACH ROW EXECUTE FUNCTION reject_org_day();});
psql($db, "INSERT INTO rejected_org VALUES ($recovered), ($failing)");

# 1. Both refreshes fail, and both organizations are held.
set_config('otan_enbek.refresh_in_worker', 'on');
is(ingest(1, punch(1, '2025-11-04 09:10:00', 0)), 1, 'a late punch of the first school');
is(ingest(2, punch(1, '2025-11-04 09:10:00', 0)), 1, 'a late punch of the second school');
is(wait_for($db, 'SELECT failures FROM otan_enbek.refresh_worker_info()', '2'), '2',
	'both refreshes fail');
like(server_log(), qr/refresh of organization $recovered failed; the worker tries again/,
	'the first school is held');
like(server_log(), qr/refresh of organization $failing failed; the worker tries again/,
	'the second school is held');

# 2. A wake-up does not retry a held organization.
my $looks = worker_count('looks');
ingest(1, punch(2, '2025-11-04 09:20:00', 0));
is(wait_for($db, 'SELECT looks FROM otan_enbek.refresh_worker_info()', $looks + 1),
	$looks + 1, 'the ingest wakes the worker');
is(worker_count('failures'), 2, 'the wake-up does not retry a held organization');
is(pending($recovered), 2, 'the days of the first school stay pending');

# 3. The first school's error is gone, and its days are refreshed by hand.
psql($db, "DELETE FROM rejected_org WHERE org_id = $recovered");
psql($db, "SELECT otan_enbek.refresh_attendance($recovered)");
is(pending($recovered), 0, 'refresh_attendance refreshes the pending days by hand');

# 4. The first school's next late punch is refreshed at the wake-up after
# its ingest, and the second school is not retried.
my $refreshes = worker_count('refreshes');
is(ingest(1, punch(1, '2025-11-05 09:05:00', 0)), 1, 'another late punch of the first school');
is(wait_for($db, "SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = $recovered",
		'0'), '0', 'the worker refreshes it at the wake-up');
is(worker_count('refreshes'), $refreshes + 1, 'one refresh is counted');
is(worker_count('failures'), 2, 'the second school is not retried');
is(pending($failing), 1, 'the day of the second school stays pending');

# compute_attendance writes no rows while a trigger is on attendance_day.
psql($db, 'DROP TRIGGER reject_org_day ON otan_enbek.attendance_day');
my $by_worker = psql($db, days($recovered));
my $computed = psql($db, qq{
	BEGIN;
	SELECT otan_enbek.compute_attendance($recovered, '2025-11-01', '2025-11-30') \\g /dev/null
	@{[days($recovered)]};
	ROLLBACK;});
is($by_worker, $computed, 'the rows of the first school equal a computation from scratch');

reset_config('otan_enbek.refresh_in_worker');
reset_config('otan_enbek.refresh_naptime');
drop_database($db);
done_testing();
