-- The schedule functions against the real pg_cron of the test cluster,
-- whose cron.database_name is this database.  Jobs appear in cron.job with
-- their name, schedule and command, change in place, are listed and
-- removed.  Invalid cron schedules raise an error that names the field,
-- and without the pg_cron extension the functions raise an error.
BEGIN;
SELECT plan(46);

-- Returns the SQLSTATE and message of the error that a statement raises,
-- on two lines, or NULL when it succeeds.
CREATE FUNCTION pg_temp.error_of(statement text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    state text;
    message text;
BEGIN
    EXECUTE statement;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
    RETURN state || E'\n' || message;
END
$$;

INSERT INTO otan_enbek.organization (org_id, bin, name)
    OVERRIDING SYSTEM VALUE VALUES (9301, '050440000012', 'School No. 7');

SELECT is(current_setting('cron.database_name'), current_database()::text,
          'pg_cron keeps its jobs in this database');

-- A job is created with its name, schedule and command.
SELECT isnt(otan_enbek.set_schedule(9301, 'attendance', '0 21 * * *'), NULL,
            'set_schedule returns the job id');
SELECT is((SELECT schedule FROM cron.job WHERE jobname = 'otan_enbek:9301:attendance'),
          '0 21 * * *', 'the job has the schedule');
SELECT is((SELECT command FROM cron.job WHERE jobname = 'otan_enbek:9301:attendance'),
          'CALL otan_enbek.run_scheduled(9301, ''attendance'')', 'the job has the command');
SELECT is((SELECT active FROM cron.job WHERE jobname = 'otan_enbek:9301:attendance'),
          true, 'the job is active');
SELECT is((SELECT database FROM cron.job WHERE jobname = 'otan_enbek:9301:attendance'),
          current_database()::text, 'the job runs in this database');

-- Setting it again changes the same job.
SELECT is(otan_enbek.set_schedule(9301, 'attendance', ' 30  20 * *  mon-fri '),
          (SELECT jobid FROM cron.job WHERE jobname = 'otan_enbek:9301:attendance'),
          'a second set_schedule returns the same job id');
SELECT is((SELECT count(*) FROM cron.job WHERE jobname = 'otan_enbek:9301:attendance'),
          1::bigint, 'the organization still has one attendance job');
SELECT is((SELECT schedule FROM cron.job WHERE jobname = 'otan_enbek:9301:attendance'),
          '30 20 * * mon-fri', 'the schedule is changed, with single spaces');

-- Each kind has its own job.
SELECT lives_ok($$SELECT otan_enbek.set_schedule(9301, 'timesheet_build', '0 3 1 * *')$$,
                'the timesheet build can be scheduled');
SELECT lives_ok($$SELECT otan_enbek.set_schedule(9301, 'timesheet_submit', '0 4 2 * *')$$,
                'the timesheet submission can be scheduled');
SELECT is((SELECT array_agg(kind ORDER BY kind) FROM otan_enbek.show_schedules(9301)),
          ARRAY['attendance', 'timesheet_build', 'timesheet_submit'],
          'show_schedules lists the three jobs of the organization');
SELECT is((SELECT schedule FROM otan_enbek.show_schedules(9301) WHERE kind = 'timesheet_submit'),
          '0 4 2 * *', 'show_schedules shows the schedule');
SELECT is((SELECT count(*) FROM otan_enbek.show_schedules(9302)), 0::bigint,
          'show_schedules of another organization is empty');

-- An operator schedules and sees only the organizations assigned to it.
INSERT INTO otan_enbek.organization (org_id, bin, name)
    OVERRIDING SYSTEM VALUE VALUES (9303, '090440004210', 'School No. 9');
CREATE ROLE tap_sched_operator IN ROLE otan_enbek_operator;
SELECT otan_enbek.grant_org_access('tap_sched_operator', 9303);
SET LOCAL ROLE tap_sched_operator;
SELECT is(pg_temp.error_of($$SELECT otan_enbek.set_schedule(9301, 'attendance', '0 22 * * *')$$),
          E'42501\nrole "tap_sched_operator" has no access to organization 9301',
          'an operator cannot schedule an organization not assigned to it');
SELECT is(pg_temp.error_of($$SELECT otan_enbek.remove_schedule(9301, 'attendance')$$),
          E'42501\nrole "tap_sched_operator" has no access to organization 9301',
          'an operator cannot remove a schedule of an organization not assigned to it');
SELECT lives_ok($$SELECT otan_enbek.set_schedule(9303, 'attendance', '0 22 * * *')$$,
                'an operator schedules its own organization');
SELECT is((SELECT array_agg(DISTINCT org_id) FROM otan_enbek.show_schedules()), '{9303}'::integer[],
          'an operator sees the schedules of its own organization only');
RESET ROLE;
SELECT otan_enbek.remove_schedule(9303, 'attendance');

-- Removal.
SELECT lives_ok($$SELECT otan_enbek.remove_schedule(9301, 'timesheet_build')$$,
                'remove_schedule removes a job');
SELECT is((SELECT count(*) FROM cron.job WHERE jobname = 'otan_enbek:9301:timesheet_build'),
          0::bigint, 'the job is gone from cron.job');
SELECT is(pg_temp.error_of($$SELECT otan_enbek.remove_schedule(9301, 'timesheet_build')$$),
          E'42704\norganization 9301 has no schedule for timesheet_build',
          'removing a missing schedule raises an error');
SELECT is((SELECT count(*) FROM cron.job WHERE jobname LIKE 'otan_enbek:9301:%'), 2::bigint,
          'the other jobs stay');

-- Invalid organization or kind.
SELECT is(pg_temp.error_of($$SELECT otan_enbek.set_schedule(9399, 'attendance', '0 21 * * *')$$),
          E'42704\norganization 9399 does not exist', 'an unknown organization is rejected');
SELECT is(pg_temp.error_of($$SELECT otan_enbek.set_schedule(9301, 'ingest', '0 21 * * *')$$),
          E'22023\njob kind "ingest" cannot be scheduled', 'a manual kind is rejected');
SELECT is(pg_temp.error_of($$SELECT otan_enbek.set_schedule(9301, 'vacuum', '0 21 * * *')$$),
          E'22023\njob kind "vacuum" cannot be scheduled', 'an unknown kind is rejected');

-- Invalid schedules: the error names the field and the value.
SELECT is(pg_temp.error_of(format('SELECT otan_enbek.set_schedule(9301, %L, %L)', 'attendance', c.schedule)),
          E'22023\ninvalid cron schedule "' || c.schedule || '": ' || c.message,
          'schedule "' || c.schedule || '" is rejected')
FROM (VALUES
    ('0 21 * *', 'it has 4 fields, not 5'),
    ('0 21 * * * *', 'it has 6 fields, not 5'),
    ('', 'it has 0 fields, not 5'),
    ('60 21 * * *', 'minute 60 is out of range'),
    ('0 24 * * *', 'hour 24 is out of range'),
    ('0 21 0 * *', 'day of month 0 is out of range'),
    ('0 21 * 13 *', 'month 13 is out of range'),
    ('0 21 * * 8', 'day of week 8 is out of range'),
    ('0 21 * foo *', 'month field "foo" has an unknown name "foo"'),
    ('0 21 * * mon-fry', 'day of week field "mon-fry" has an unknown name "fry"'),
    ('0 21 * * jan', 'day of week field "jan" has an unknown name "jan"'),
    ('0 18-6 * * *', 'hour range "18-6" ends before it starts'),
    ('*/0 21 * * *', 'minute step "/0" is out of range'),
    ('5/10 21 * * *', 'minute field "5/10" has an invalid item "5/10"'),
    ('0 21,,22 * * *', 'hour field "21,,22" has an invalid item ""'),
    ('0 21 L * *', 'day of month field "L" has an unknown name "l"')
) AS c (schedule, message);

SELECT is(otan_enbek.check_cron_schedule('0,30 8-18/2 1,15 jan-mar,DEC */2'),
          '0,30 8-18/2 1,15 jan-mar,DEC */2', 'lists, ranges, steps and names are accepted');
SELECT is(otan_enbek.check_cron_schedule('0 0 * * 7'), '0 0 * * 7',
          'Sunday may be 7');
SELECT is((SELECT count(*) FROM cron.job WHERE jobname = 'otan_enbek:9301:attendance'
                                          AND schedule = '30 20 * * mon-fri'),
          1::bigint, 'a rejected schedule leaves the job unchanged');

-- Without the pg_cron extension in this database.  The database that
-- cron.database_name names is this one, so the hint is to create it.
DROP EXTENSION pg_cron;
SELECT is(pg_temp.error_of($$SELECT otan_enbek.set_schedule(9301, 'attendance', '0 21 * * *')$$),
          E'55000\npg_cron is not installed in database "' || current_database() || '"',
          'set_schedule raises an error without pg_cron');
SELECT is(pg_temp.error_of($$SELECT * FROM otan_enbek.show_schedules()$$),
          E'55000\npg_cron is not installed in database "' || current_database() || '"',
          'show_schedules raises an error without pg_cron');

SELECT * FROM finish();
ROLLBACK;
