-- run_timesheet_build builds the month once and records the new version
-- in job_run: for an organization without any timesheet yet, and for one
-- that has timesheets of other months.
BEGIN;
SELECT plan(12);
SET LOCAL client_min_messages = warning;

INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (7201, '050440000012', 'School 72');
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
    OVERRIDING SYSTEM VALUE
VALUES (7201, 1, '850111304210', 'Abenov', 'Arman');

-- The first timesheet of the organization.
SELECT * INTO TEMP first_run FROM otan_enbek.run_timesheet_build(7201, '2026-09-01');
SELECT is((SELECT status FROM first_run), 'succeeded', 'the first build succeeds');
SELECT is((SELECT count(*) FROM otan_enbek.timesheet WHERE org_id = 7201), 1::bigint,
          'the first build makes a timesheet');
SELECT ok((SELECT (counts ->> 'timesheet_id')::integer FROM first_run)
          = (SELECT timesheet_id FROM otan_enbek.timesheet WHERE org_id = 7201),
          'the run records the timesheet it built');
SELECT is((SELECT (counts ->> 'version')::integer FROM first_run), 1,
          'the run records version 1');
SELECT is((SELECT (counts ->> 'employees')::integer FROM first_run), 1,
          'the run records one employee');

-- Two more months, then a new version of September.
SELECT otan_enbek.build_timesheet(7201, '2026-10-01') IS NOT NULL AS built;
UPDATE otan_enbek.timesheet SET status = 'cancelled' WHERE org_id = 7201 AND month = '2026-09-01';
SELECT * INTO TEMP second_run FROM otan_enbek.run_timesheet_build(7201, '2026-11-01');
SELECT * INTO TEMP third_run FROM otan_enbek.run_timesheet_build(7201, '2026-09-01');
SELECT is((SELECT count(*) FROM otan_enbek.timesheet WHERE org_id = 7201), 4::bigint,
          'each build adds one timesheet');
SELECT is((SELECT count(*) FROM otan_enbek.timesheet
           WHERE org_id = 7201 AND month = '2026-11-01'), 1::bigint,
          'november is built once');
SELECT ok((SELECT (counts ->> 'timesheet_id')::integer FROM second_run)
          = (SELECT timesheet_id FROM otan_enbek.timesheet
             WHERE org_id = 7201 AND month = '2026-11-01'),
          'the run records the november timesheet');
SELECT is((SELECT array_agg(version ORDER BY version) FROM otan_enbek.timesheet
           WHERE org_id = 7201 AND month = '2026-09-01'), ARRAY[1, 2],
          'september gets one new version');
SELECT is((SELECT (counts ->> 'version')::integer FROM third_run), 2,
          'the run records version 2 of september');
SELECT is((SELECT (counts ->> 'employees')::integer FROM third_run), 1,
          'the run records the employees of version 2');
SELECT is((SELECT counts FROM otan_enbek.job_run
           WHERE run_id = (SELECT run_id FROM third_run)),
          (SELECT counts FROM third_run), 'job_run keeps the same counts');

SELECT * FROM finish();
ROLLBACK;
