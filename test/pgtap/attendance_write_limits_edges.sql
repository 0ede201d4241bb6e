-- The overtime limit flags that attendance_write_days writes at the edges
-- of the limits: exactly 2 hours (1 on heavy work), 12 hours in a month and
-- 120 hours in a year are within them, and a second more is over.  Periods
-- that cross the year end, start right after a limit was reached, or are
-- computed out of order, with and without a parallel worker, must give the
-- flags of a computation month by month.
BEGIN;
SELECT plan(16);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = error;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4704, '090440004706', 'Edges');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4704, 4704, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, heavy_work)
VALUES (4704, 1, 'Office 09-18', false), (4704, 2, 'Foundry 09-18', true);
-- every day of the week is a working day
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT 4704, s, d, '09:00', '18:00' FROM generate_series(1, 7) d, generate_series(1, 2) s;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id)
SELECT 4704, v.n, v.c, 'Edges', 'Employee', CASE WHEN v.n = 2 THEN 2 ELSE 1 END
FROM (SELECT c, row_number() OVER (ORDER BY c)::integer AS n
      FROM (SELECT lpad((860101300000 + n)::text, 12, '0') AS c
            FROM generate_series(0, 500) n) x
      WHERE otan_enbek.is_valid_iin(c) ORDER BY c LIMIT 3) v;
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
SELECT 4704, n, 'person', n::text FROM generate_series(1, 3) n;
SELECT otan_enbek.ensure_event_partitions('2025-10-25', '2026-02-05') >= 0 AS partitions;

-- Overtime in seconds by employee and day.  Each day has an entry at 09:00
-- and an exit that many seconds after 18:00.
CREATE TEMP TABLE overtime_plan (emp integer, day date, overtime_sec integer);
-- Employee 1: 60 s on 25 December, then 2 hours a day from 26 to 31
-- December, so the month passes 12 hours on the 31st.  Then 2 hours and a
-- minute on 5 January.
INSERT INTO overtime_plan
SELECT 1, d::date, 7200 FROM generate_series(date '2025-12-26', '2025-12-31', '1 day') d;
INSERT INTO overtime_plan VALUES (1, '2025-12-25', 60), (1, '2026-01-05', 7260);
-- Employee 2, on heavy work: an hour, then an hour and a minute.
INSERT INTO overtime_plan VALUES (2, '2026-01-05', 3600), (2, '2026-01-06', 3660);
-- Employee 3: 4 hours a day for 30 days from 3 November, which makes 120
-- hours on 2 December, then 60 s on 3 December.
INSERT INTO overtime_plan
SELECT 3, d::date, 14400 FROM generate_series(date '2025-11-03', '2025-12-02', '1 day') d;
INSERT INTO overtime_plan VALUES (3, '2025-12-03', 60);
INSERT INTO otan_enbek.skud_event (org_id, occurred_at, source_id, external_id, device,
        credential_kind, credential, employee_id, direction)
SELECT 4704, t, 4704, emp || '-' || t || '-' || dir, 'T1', 'person', emp::text, emp, dir
FROM (SELECT emp, day + time '09:00' AS t, 'in' AS dir FROM overtime_plan
      UNION ALL
      SELECT emp, day + time '18:00' + make_interval(secs => overtime_sec), 'out'
      FROM overtime_plan) v;

CREATE FUNCTION pg_temp.flags(emp integer, d date) RETURNS text[] LANGUAGE sql AS $$
    SELECT anomalies FROM otan_enbek.attendance_day
    WHERE org_id = 4704 AND employee_id = emp AND work_day = d
$$;
CREATE FUNCTION pg_temp.stored_flags() RETURNS TABLE (employee_id integer, work_day date,
        overtime_sec integer, anomalies text[]) LANGUAGE sql AS $$
    SELECT employee_id, work_day, overtime_sec, anomalies FROM otan_enbek.attendance_day
    WHERE org_id = 4704
$$;

SELECT otan_enbek.compute_attendance(4704, '2025-11-01', '2025-11-30');
SELECT otan_enbek.compute_attendance(4704, '2025-12-01', '2025-12-31');
SELECT otan_enbek.compute_attendance(4704, '2026-01-01', '2026-01-31');
SELECT is((SELECT sum(overtime_sec) FROM otan_enbek.attendance_day
           WHERE org_id = 4704 AND employee_id = 3 AND work_day <= '2025-12-02'),
          432000::bigint, 'employee 3 reaches 120 hours on 2 December');
SELECT is(pg_temp.flags(1, '2025-12-30'), '{}'::text[],
          'daily limit allows exactly 2 hours');
SELECT is(pg_temp.flags(1, '2025-12-31'), '{overtime_month_limit}',
          'month limit passed by 60 s');
SELECT is(pg_temp.flags(1, '2026-01-05'), '{overtime_day_limit}',
          'January restarts month and year');
SELECT is(pg_temp.flags(2, '2026-01-05'), '{}'::text[],
          'heavy work allows exactly 1 hour');
SELECT is(pg_temp.flags(2, '2026-01-06'), '{overtime_day_limit}',
          'heavy work over 1 hour flagged');
-- December starts the month again: 8 hours on 2 December.
SELECT is(pg_temp.flags(3, '2025-12-02'), '{overtime_day_limit}',
          'year limit allows exactly 120 hours');
SELECT is(pg_temp.flags(3, '2025-12-03'), '{overtime_year_limit}',
          'year limit passed by 60 s');
SELECT is(otan_enbek.attendance_flag_overtime_limits(4704, '2025-11-01', '2026-01-31'), 0,
          'SQL flagging changes nothing');
CREATE TEMP TABLE by_month AS SELECT * FROM pg_temp.stored_flags();

-- Across the year end, after the rows of the later days.
SELECT otan_enbek.compute_attendance(4704, '2025-12-28', '2026-01-05');
SELECT set_eq('SELECT * FROM pg_temp.stored_flags()', 'SELECT * FROM by_month',
              'year-end period matches the months');
-- Starting the day after the totals reached 12 and 120 hours.
SELECT otan_enbek.compute_attendance(4704, '2025-12-03', '2026-01-31');
SELECT set_eq('SELECT * FROM pg_temp.stored_flags()', 'SELECT * FROM by_month',
              'period after the limits matches');
-- One day at a time, the last day first.
SELECT otan_enbek.compute_attendance(4704, d::date, d::date)
FROM generate_series(date '2026-01-06', '2025-12-25', '-1 day') d;
SELECT set_eq('SELECT * FROM pg_temp.stored_flags()', 'SELECT * FROM by_month',
              'single days in reverse match');

-- With a parallel worker, which computes the upper employees.
SET LOCAL otan_enbek.attendance_parallel_min_employees = 1;
SET LOCAL max_parallel_workers_per_gather = 2;
SELECT otan_enbek.compute_attendance(4704, '2025-11-15', '2026-01-31');
SELECT set_eq('SELECT * FROM pg_temp.stored_flags()', 'SELECT * FROM by_month',
              'parallel worker matches');
RESET otan_enbek.attendance_parallel_min_employees;

-- A second more on 30 December is over the daily limit of employee 1.
-- The recompute of that day alone keeps the month flag of the 31st.
UPDATE otan_enbek.skud_event SET occurred_at = occurred_at + interval '1 s'
WHERE org_id = 4704 AND employee_id = 1 AND direction = 'out'
  AND occurred_at = timestamp '2025-12-30 20:00';
SELECT otan_enbek.compute_attendance(4704, '2025-12-30', '2025-12-30');
SELECT is(pg_temp.flags(1, '2025-12-30'), '{overtime_day_limit}',
          'one second over 2 hours flagged');
SELECT is(pg_temp.flags(1, '2025-12-31'), '{overtime_month_limit}',
          'next day keeps the month flag');
SELECT is(otan_enbek.attendance_flag_overtime_limits(4704, '2025-11-01', '2026-01-31'), 0,
          'SQL flagging changes nothing after it');

SELECT * FROM finish();
ROLLBACK;
