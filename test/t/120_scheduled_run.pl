# pg_cron runs the jobs of otan_enbek.set_schedule: a scheduled attendance
# run writes its job_run row with the period of the day it ran, and a
# scheduled submission that fails keeps its failed job_run row while
# pg_cron records the failure too.  In a database without pg_cron the
# schedule functions raise an error whose hint explains cron.database_name.
# The jobs run in the database that pg_cron uses (OTAN_CRON_DATABASE of
# run-suites); pg_cron 1.4 starts a job at most once a minute, so the test
# waits for the next minute.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

my $db = $ENV{OTAN_CRON_DATABASE} // 'otan_tap';
my $org = 9601;

psql($db, 'CREATE EXTENSION IF NOT EXISTS pg_cron');
psql($db, 'CREATE EXTENSION IF NOT EXISTS otan_enbek');

# Removes what the test made in the shared database.
sub clean_up
{
	psql($db, qq{
		SELECT cron.unschedule(jobid) FROM cron.job
		WHERE jobname LIKE 'otan_enbek:$org:%';
		DELETE FROM otan_enbek.job_run WHERE target->>'org_id' = '$org';
		DELETE FROM otan_enbek.organization WHERE org_id = $org;});
}

END
{
	my $status = $?;
	eval { clean_up() };
	$? = $status;
}

clean_up();
psql($db, qq{INSERT INTO otan_enbek.organization (org_id, bin, name)
	OVERRIDING SYSTEM VALUE VALUES ($org, '050440000012', 'School No. 7')});
my $attendance_job = psql($db,
	qq{SELECT otan_enbek.set_schedule($org, 'attendance', '* * * * *')});
my $submit_job = psql($db,
	qq{SELECT otan_enbek.set_schedule($org, 'timesheet_submit', '* * * * *')});
like($attendance_job, qr/^\d+$/, 'the attendance job is scheduled');

is(wait_for($db, qq{SELECT count(*) > 0 FROM otan_enbek.job_run
		WHERE org_id = $org AND kind = 'attendance' AND trigger = 'schedule'
		  AND status <> 'running'}, 't'),
	't', 'pg_cron ran the attendance job');
is(psql($db, qq{SELECT status || '|' || run_by || '|' || (counts ? 'days_written')
		FROM otan_enbek.job_run
		WHERE org_id = $org AND kind = 'attendance' ORDER BY run_id LIMIT 1}),
	'succeeded|postgres|true', 'its job_run row records a success with counts');
is(psql($db, qq{SELECT first_day = date_trunc('month', last_day - 1)::date
		FROM otan_enbek.job_run
		WHERE org_id = $org AND kind = 'attendance' ORDER BY run_id LIMIT 1}),
	't', 'the period starts on the first day of yesterday\'s month');

is(wait_for($db, qq{SELECT count(*) > 0 FROM cron.job_run_details
		WHERE jobid = $submit_job AND status = 'failed'}, 't'),
	't', 'pg_cron records the failed submission job');
like(psql($db, qq{SELECT return_message FROM cron.job_run_details
		WHERE jobid = $submit_job AND status = 'failed' ORDER BY runid LIMIT 1}),
	qr/timesheet_submit run \d+ failed: organization $org has no timesheet for \d{4}-\d\d/,
	'with the step\'s error');
is(psql($db, qq{SELECT status || '|' || error_sqlstate || '|' || trigger
		FROM otan_enbek.job_run
		WHERE org_id = $org AND kind = 'timesheet_submit' ORDER BY run_id LIMIT 1}),
	'failed|P0002|schedule', 'the failed run keeps its job_run row');
is(psql($db, qq{SELECT count(*) FROM cron.job_run_details
		WHERE jobid = $attendance_job AND status = 'succeeded'}) > 0,
	1, 'pg_cron records the attendance job as succeeded');

psql($db, qq{SELECT otan_enbek.remove_schedule($org, 'attendance');
	SELECT otan_enbek.remove_schedule($org, 'timesheet_submit')});
is(psql($db, qq{SELECT count(*) FROM cron.job WHERE jobname LIKE 'otan_enbek:$org:%'}),
	0, 'remove_schedule removes both jobs');

# A database without pg_cron.
my $other = new_database('otan_t_nocron');
my $error = psql_error($other, q{SELECT otan_enbek.set_schedule(1, 'attendance', '0 21 * * *')});
like($error, qr/ERROR:  pg_cron is not installed in database "otan_t_nocron"/,
	'set_schedule raises an error without pg_cron');
like($error, qr/DETAIL:  pg_cron creates jobs only in the database that cron.database_name names, which is "\Q$db\E"\./,
	'the detail names the database of cron.database_name');
like($error, qr/HINT:  Schedule from database "\Q$db\E" with otan_enbek installed there, or set cron.database_name = 'otan_t_nocron'/,
	'the hint explains the choices');
like(psql_error($other, q{SELECT otan_enbek.remove_schedule(1, 'attendance')}),
	qr/ERROR:  pg_cron is not installed in database "otan_t_nocron"/,
	'remove_schedule raises the same error');

done_testing();
