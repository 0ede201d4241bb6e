-- The overtime limit flags when the statistics of attendance_day record
-- the table as empty, as an ANALYZE leaves them when it runs while the
-- rows are being written in another transaction.  The flags must be those
-- of any other run, and the caller's planner settings must come back.
-- NOTE: the plans chosen inside the function are not visible from here, so
-- a return of the nested loops would show as a slow test, not a failure.
BEGIN;
SELECT plan(9);

INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4704, '090440004716', 'Stats');
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
SELECT 4704, row_number() OVER (ORDER BY c), c, 'Stats', 'Employee'
FROM (SELECT c FROM (SELECT lpad((860101300000 + n)::text, 12, '0') AS c
                     FROM generate_series(0, 20000) n) x
      WHERE otan_enbek.is_valid_iin(c) ORDER BY c LIMIT 400) v;

-- Each employee has ten days in February 2026 with three hours of
-- overtime: every day passes the daily limit of 2 hours, and the month
-- passes 12 hours on its fifth day.  Employees 1 to 200 also have ten
-- days without overtime.
INSERT INTO otan_enbek.attendance_day (org_id, employee_id, work_day, day_kind, is_final,
                                       overtime_sec)
SELECT 4704, e, date '2026-02-01' + d, 'work', true, 3 * 3600
FROM generate_series(1, 400) e, generate_series(1, 10) d;
INSERT INTO otan_enbek.attendance_day (org_id, employee_id, work_day, day_kind, is_final)
SELECT 4704, e, date '2026-02-14' + d, 'work', true
FROM generate_series(1, 200) e, generate_series(1, 10) d;

-- What an ANALYZE records when none of the rows are visible to it.
UPDATE pg_class SET reltuples = 0 WHERE oid = 'otan_enbek.attendance_day'::regclass;
SET LOCAL enable_nestloop = on;

SELECT is(otan_enbek.attendance_flag_overtime_limits(4704, '2026-02-01', '2026-02-28'),
          4000, 'every day with overtime gets a flag');
SELECT is((SELECT count(*)::integer FROM otan_enbek.attendance_day
           WHERE org_id = 4704 AND 'overtime_day_limit' = ANY (anomalies)),
          4000, 'every day with 3 hours of overtime passes the daily limit');
SELECT is((SELECT count(*)::integer FROM otan_enbek.attendance_day
           WHERE org_id = 4704 AND 'overtime_month_limit' = ANY (anomalies)),
          400 * 6, 'the month limit is passed from the fifth day with overtime on');
SELECT is((SELECT min(work_day) FROM otan_enbek.attendance_day
           WHERE org_id = 4704 AND 'overtime_month_limit' = ANY (anomalies)),
          date '2026-02-06', 'the first day past the month limit is the fifth');
SELECT is((SELECT count(*)::integer FROM otan_enbek.attendance_day
           WHERE org_id = 4704 AND overtime_sec = 0 AND anomalies <> '{}'),
          0, 'days without overtime get no flag');
SELECT is(current_setting('enable_nestloop'), 'on',
          'the caller''s enable_nestloop is back after the call');


-- A refresh of one employee changes few rows, which are written one by one.
UPDATE otan_enbek.attendance_day SET anomalies = '{}' WHERE org_id = 4704 AND employee_id = 1;
UPDATE otan_enbek.attendance_day SET anomalies = '{overtime_year_limit}'
WHERE org_id = 4704 AND employee_id = 2 AND work_day = '2026-02-02';
UPDATE pg_class SET reltuples = 0 WHERE oid = 'otan_enbek.attendance_day'::regclass;
SELECT is(otan_enbek.attendance_flag_overtime_limits(4704, '2026-02-01', '2026-02-28',
                                                     ARRAY[1, 2]),
          11, 'a refresh of two employees changes their eleven wrong rows');
SELECT is((SELECT string_agg(anomalies::text, ';' ORDER BY work_day)
           FROM otan_enbek.attendance_day
           WHERE org_id = 4704 AND employee_id = 1 AND overtime_sec > 0),
          (SELECT string_agg(anomalies::text, ';' ORDER BY work_day)
           FROM otan_enbek.attendance_day
           WHERE org_id = 4704 AND employee_id = 3 AND overtime_sec > 0),
          'the refreshed employee has the flags of an employee with the same days');
SELECT is((SELECT anomalies FROM otan_enbek.attendance_day
           WHERE org_id = 4704 AND employee_id = 2 AND work_day = '2026-02-02'),
          '{overtime_day_limit}'::text[], 'a flag no longer true is removed');

SELECT * FROM finish();
ROLLBACK;
