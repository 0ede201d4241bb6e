-- refresh_attendance and the steps after the engine: the overtime limits
-- of the Labour Code, kept or set again, and rounded times.  Each refresh
-- must leave the rows that a full computation writes.
BEGIN;
SELECT plan(13);

SET LOCAL timezone = 'Asia/Almaty';
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4702, '090440004706', 'Flags');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4702, 4702, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, rounding_min)
VALUES (4702, 1, 'Day 09-18', 15);
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
        break_start, break_end)
SELECT 4702, 1, d, '09:00', '18:00', '13:00', '14:00' FROM generate_series(1, 5) d;
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = 4702;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
SELECT 4702, row_number() OVER (ORDER BY c), c, 'Flags', 'Employee'
FROM (SELECT c FROM (SELECT lpad((860101300000 + n)::text, 12, '0') AS c
                     FROM generate_series(0, 500) n) x
      WHERE otan_enbek.is_valid_iin(c) ORDER BY c LIMIT 3) v;
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
SELECT 4702, n, 'person', n::text FROM generate_series(1, 3) n;

-- zk(employee, local time, state) is one line of a ZKTeco log; state 0
-- is an entry and 1 an exit.
CREATE FUNCTION pg_temp.zk(emp integer, t timestamp, state integer) RETURNS text
LANGUAGE sql AS $$
    SELECT format(E'%s\t%s\t1\t%s\t1\t0', emp, to_char(t, 'YYYY-MM-DD HH24:MI:SS'), state)
$$;
-- The rows of the organization with punches, as both paths write them.
CREATE FUNCTION pg_temp.stored_days() RETURNS SETOF record LANGUAGE sql AS $$
    SELECT employee_id, work_day, schedule_id, day_kind, is_final, shift_start, shift_end,
           first_in, last_out, present_sec, worked_sec, late_sec, early_leave_sec,
           early_arrival_sec, overtime_sec, night_sec, punch_count, anomalies, event_ids,
           norm_sec, absence_code, first_in_rounded, last_out_rounded
    FROM otan_enbek.attendance_day
    WHERE org_id = 4702 AND punch_count > 0
$$;
CREATE FUNCTION pg_temp.flags(emp integer, d date) RETURNS text[] LANGUAGE sql AS $$
    SELECT anomalies FROM otan_enbek.attendance_day
    WHERE org_id = 4702 AND employee_id = emp AND work_day = d
$$;
-- same_as_full(description) compares the stored rows with those of a
-- full computation of February, which then replace them.
CREATE FUNCTION pg_temp.same_as_full(description text) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
    DROP TABLE IF EXISTS pg_temp.refreshed;
    CREATE TEMP TABLE refreshed AS
    SELECT * FROM pg_temp.stored_days()
        AS d(employee_id integer, work_day date, schedule_id integer, day_kind text,
             is_final boolean, shift_start timestamptz, shift_end timestamptz,
             first_in timestamptz, last_out timestamptz, present_sec integer,
             worked_sec integer, late_sec integer, early_leave_sec integer,
             early_arrival_sec integer, overtime_sec integer, night_sec integer,
             punch_count integer, anomalies text[], event_ids bigint[], norm_sec integer,
             absence_code text, first_in_rounded timestamptz, last_out_rounded timestamptz);
    PERFORM otan_enbek.compute_attendance(4702, '2026-02-01', '2026-02-28');
    RETURN set_eq($q$SELECT * FROM pg_temp.refreshed$q$,
                  $q$SELECT * FROM pg_temp.stored_days()
                         AS d(employee_id integer, work_day date, schedule_id integer,
                              day_kind text, is_final boolean, shift_start timestamptz,
                              shift_end timestamptz, first_in timestamptz,
                              last_out timestamptz, present_sec integer, worked_sec integer,
                              late_sec integer, early_leave_sec integer,
                              early_arrival_sec integer, overtime_sec integer,
                              night_sec integer, punch_count integer, anomalies text[],
                              event_ids bigint[], norm_sec integer, absence_code text,
                              first_in_rounded timestamptz,
                              last_out_rounded timestamptz)$q$,
                  description);
END
$$;

-- Employee 1 stays until 21:00 on the ten working days from 2 to 13
-- February: three hours of overtime a day, so every day passes the daily
-- limit and the month passes 12 hours on its fifth day.  Employee 2 leaves
-- at 18:00.
SELECT otan_enbek.ingest(4702, 'zkteco',
       (SELECT string_agg(l, E'\n' ORDER BY l)
        FROM (SELECT pg_temp.zk(emp, d::date + time '09:00', 0) AS l
              FROM generate_series(date '2026-02-02', '2026-02-13', '1 day') AS d,
                   generate_series(1, 2) AS emp
              WHERE extract(isodow FROM d) <= 5
              UNION ALL
              SELECT pg_temp.zk(emp, d::date + CASE WHEN emp = 1 THEN time '21:00'
                                              ELSE time '18:00' END, 1)
              FROM generate_series(date '2026-02-02', '2026-02-13', '1 day') AS d,
                   generate_series(1, 2) AS emp
              WHERE extract(isodow FROM d) <= 5) x)) AS first_log \gset
SELECT is(otan_enbek.refresh_attendance(4702), 20, 'refresh computes the 20 days');
SELECT is(pg_temp.flags(1, '2026-02-06'),
          '{overtime_day_limit,overtime_month_limit}',
          'the fifth day passes the daily and monthly limits');
SELECT pg_temp.same_as_full('refreshed days with new overtime equal a full computation');

-- A lunch break on 10 February adds two punches to a day of employee 1
-- but does not change its overtime: the refresh keeps the day's limit
-- flags.
SELECT is((SELECT overtime_sec FROM otan_enbek.attendance_day
           WHERE org_id = 4702 AND employee_id = 1 AND work_day = '2026-02-10'),
          3 * 3600, 'the day has three hours of overtime before the lunch');
SELECT (otan_enbek.ingest(4702, 'zkteco',
        pg_temp.zk(1, '2026-02-10 13:00', 1) || E'\n'
        || pg_temp.zk(1, '2026-02-10 14:00', 0))).inserted_count AS lunch;
SELECT cmp_ok(otan_enbek.refresh_attendance(4702), '>=', 1, 'refresh writes the lunch day');
SELECT is((SELECT punch_count FROM otan_enbek.attendance_day
           WHERE org_id = 4702 AND employee_id = 1 AND work_day = '2026-02-10'),
          4, 'the lunch day has four punches');
SELECT is(pg_temp.flags(1, '2026-02-10'),
          '{overtime_day_limit,overtime_month_limit}',
          'and the day keeps its limit flags');
SELECT pg_temp.same_as_full('refreshed days with the same overtime equal a full computation');

-- A return from 21:30 to 23:00 on 3 February adds an hour and a half of
-- overtime to that day, so the month passes 12 hours a day earlier.
SELECT (otan_enbek.ingest(4702, 'zkteco',
        pg_temp.zk(1, '2026-02-03 21:30', 0) || E'\n'
        || pg_temp.zk(1, '2026-02-03 23:00', 1))).inserted_count AS late_return;
SELECT cmp_ok(otan_enbek.refresh_attendance(4702), '>=', 1, 'refresh writes the long day');
SELECT is((SELECT overtime_sec FROM otan_enbek.attendance_day
           WHERE org_id = 4702 AND employee_id = 1 AND work_day = '2026-02-03'),
          4 * 3600 + 1800, 'the long day has four and a half hours of overtime');
SELECT is(pg_temp.flags(1, '2026-02-05'),
          '{overtime_day_limit,overtime_month_limit}',
          'the fourth day now passes the monthly limit');
SELECT pg_temp.same_as_full('refreshed days with changed overtime equal a full computation');

-- Every refresh above rounded the times of the days it wrote.
SELECT is((SELECT count(*) FROM otan_enbek.attendance_day
           WHERE org_id = 4702 AND punch_count > 0 AND first_in_rounded IS NULL),
          0::bigint, 'the days with punches have rounded times');

SELECT * FROM finish();
ROLLBACK;
