-- The overtime limit flags that attendance_write_days writes for
-- compute_attendance equal those of attendance_flag_overtime_limits.  The
-- cases: stored days before and after the period in the same year, a
-- period across a month boundary, heavy work, and a recompute without
-- overtime.
BEGIN;
SELECT plan(17);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = error;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4703, '090440004706', 'Limits');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4703, 4703, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, heavy_work)
VALUES (4703, 1, 'Office 09-18', false), (4703, 2, 'Foundry 09-18', true);
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
        break_start, break_end)
SELECT 4703, s, d, '09:00', '18:00', '13:00', '14:00'
FROM generate_series(1, 5) d, generate_series(1, 2) s;
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = 4703;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
SELECT 4703, row_number() OVER (ORDER BY c), c, 'Limits', 'Employee'
FROM (SELECT c FROM (SELECT lpad((860101300000 + n)::text, 12, '0') AS c
                     FROM generate_series(0, 500) n) x
      WHERE otan_enbek.is_valid_iin(c) ORDER BY c LIMIT 4) v;
UPDATE otan_enbek.employee SET schedule_id = 2 WHERE org_id = 4703 AND employee_id = 3;
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
SELECT 4703, n, 'person', n::text FROM generate_series(1, 4) n;

-- zk(employee, local time, state) is one line of a ZKTeco log; state 0
-- is an entry and 1 an exit.
CREATE FUNCTION pg_temp.zk(emp integer, t timestamp, state integer) RETURNS text
LANGUAGE sql AS $$
    SELECT format(E'%s\t%s\t1\t%s\t1\t0', emp, to_char(t, 'YYYY-MM-DD HH24:MI:SS'), state)
$$;
CREATE FUNCTION pg_temp.flags(emp integer, d date) RETURNS text[] LANGUAGE sql AS $$
    SELECT anomalies FROM otan_enbek.attendance_day
    WHERE org_id = 4703 AND employee_id = emp AND work_day = d
$$;
-- limit_days(flag, first, last) counts the days of first..last with flag.
CREATE FUNCTION pg_temp.limit_days(flag text, first date, last date) RETURNS bigint
LANGUAGE sql AS $$
    SELECT count(*) FROM otan_enbek.attendance_day
    WHERE org_id = 4703 AND work_day BETWEEN first AND last AND flag = ANY (anomalies)
$$;

-- From 5 January to 30 April, on weekdays: employee 1 leaves at 21:00
-- (three hours of overtime), employee 2 at 19:30 and employee 3, on heavy
-- work, at 19:30 (an hour and a half each), employee 4 at 18:00.
SELECT (otan_enbek.ingest(4703, 'zkteco',
        (SELECT string_agg(l, E'\n' ORDER BY l)
         FROM (SELECT pg_temp.zk(emp, d::date + time '09:00', 0) AS l
               FROM generate_series(date '2026-01-05', '2026-04-30', '1 day') AS d,
                    generate_series(1, 4) AS emp
               WHERE extract(isodow FROM d) <= 5
               UNION ALL
               SELECT pg_temp.zk(emp, d::date + CASE emp WHEN 1 THEN time '21:00'
                                                         WHEN 4 THEN time '18:00'
                                                         ELSE time '19:30' END, 1)
               FROM generate_series(date '2026-01-05', '2026-04-30', '1 day') AS d,
                    generate_series(1, 4) AS emp
               WHERE extract(isodow FROM d) <= 5) x))).inserted_count AS log_lines;

-- January, February, then March and April: each period starts from the
-- overtime stored before it in its year.
SELECT otan_enbek.compute_attendance(4703, '2026-01-01', '2026-01-31');
SELECT otan_enbek.compute_attendance(4703, '2026-02-01', '2026-02-28');
SELECT otan_enbek.compute_attendance(4703, '2026-03-01', '2026-04-30');
SELECT is(otan_enbek.attendance_flag_overtime_limits(4703, '2026-01-01', '2026-12-31'), 0,
          'flags of three computations in order need no change');
SELECT cmp_ok(pg_temp.limit_days('overtime_year_limit', '2026-03-01', '2026-04-30'), '>', 0::bigint,
              'the year limit is passed in March and April');

-- The writer alone, for 10 February to 10 March, between stored days
-- before and after it.
DELETE FROM otan_enbek.attendance_day
WHERE org_id = 4703 AND work_day BETWEEN '2026-02-10' AND '2026-03-10';
SELECT cmp_ok(otan_enbek.attendance_write_days(4703, '2026-02-10', '2026-03-10',
                                               '2026-02-08', '2026-03-13',
                                               flag_overtime_limits => true),
              '>', 0::bigint, 'attendance_write_days writes the period');

-- Employee 2 has 9 hours of overtime on the six weekdays of February
-- before the 10th, so the month passes 12 hours on the 12th, the third
-- day of the period.
SELECT is(pg_temp.flags(2, '2026-02-11'), '{}'::text[],
          '12 hours in the month are within the limit');
SELECT is(pg_temp.flags(2, '2026-02-12'), '{overtime_month_limit}',
          'the month counts the overtime stored before the period');
SELECT is(pg_temp.flags(2, '2026-03-02'), '{}'::text[],
          'the month total starts again in March');
SELECT is(pg_temp.flags(3, '2026-02-10'), '{overtime_day_limit}',
          'an hour and a half of heavy work passes its daily limit');
SELECT is(pg_temp.flags(1, '2026-02-10'),
          '{overtime_day_limit,overtime_month_limit}',
          'three hours pass the daily limit, and the month passes 12 hours');
SELECT cmp_ok(pg_temp.limit_days('overtime_year_limit', '2026-02-10', '2026-03-10'),
              '>', 0::bigint, 'the year limit is passed in the period');
SELECT is(pg_temp.limit_days('overtime_day_limit', '2026-02-10', '2026-03-10'),
          (SELECT count(*) FROM otan_enbek.attendance_day
           WHERE org_id = 4703 AND work_day BETWEEN '2026-02-10' AND '2026-03-10'
             AND employee_id IN (1, 3) AND overtime_sec > 0),
          'every day of employees 1 and 3 with overtime passes the daily limit');

CREATE TEMP TABLE written AS
SELECT employee_id, work_day, anomalies FROM otan_enbek.attendance_day
WHERE org_id = 4703 AND work_day BETWEEN '2026-02-10' AND '2026-03-10';
SELECT is(otan_enbek.attendance_flag_overtime_limits(4703, '2026-02-10', '2026-03-10'), 0,
          'attendance_flag_overtime_limits changes none of the written flags');
SELECT set_eq(
    $$SELECT employee_id, work_day, anomalies FROM otan_enbek.attendance_day
      WHERE org_id = 4703 AND work_day BETWEEN '2026-02-10' AND '2026-03-10'$$,
    $$SELECT * FROM pg_temp.written$$,
    'the written days keep their flags');

-- Without overtime on the office schedule, a recompute of the period
-- removes the flags of employees 1 and 2 and moves the year limit of
-- employee 1 to a later day after the period.
CREATE TEMP TABLE year_flags_before AS
SELECT work_day FROM otan_enbek.attendance_day
WHERE org_id = 4703 AND employee_id = 1 AND 'overtime_year_limit' = ANY (anomalies);
UPDATE otan_enbek.work_schedule SET allow_overtime = false
WHERE org_id = 4703 AND schedule_id = 1;
SELECT otan_enbek.compute_attendance(4703, '2026-02-10', '2026-03-10');
SELECT is((SELECT sum(overtime_sec) FROM otan_enbek.attendance_day
           WHERE org_id = 4703 AND employee_id IN (1, 2)
             AND work_day BETWEEN '2026-02-10' AND '2026-03-10'), 0::bigint,
          'the office days of the period have no overtime');
SELECT is((SELECT count(*) FROM otan_enbek.attendance_day
           WHERE org_id = 4703 AND employee_id IN (1, 2)
             AND work_day BETWEEN '2026-02-10' AND '2026-03-10'
             AND anomalies && '{overtime_day_limit,overtime_month_limit,overtime_year_limit}'),
          0::bigint, 'and no overtime limit flags');
SELECT is(pg_temp.flags(3, '2026-02-10'), '{overtime_day_limit}',
          'heavy work keeps its overtime and flag');
SELECT cmp_ok((SELECT min(work_day) FROM otan_enbek.attendance_day
               WHERE org_id = 4703 AND employee_id = 1
                 AND 'overtime_year_limit' = ANY (anomalies)),
              '>', (SELECT min(work_day) FROM pg_temp.year_flags_before),
              'the year limit of employee 1 moves to a later day');
SELECT is(otan_enbek.attendance_flag_overtime_limits(4703, '2026-01-01', '2026-12-31'), 0,
          'flags after the recompute need no change');

SELECT * FROM finish();
ROLLBACK;
