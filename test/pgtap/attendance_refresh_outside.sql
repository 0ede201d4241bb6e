-- Days outside the employment dates.  A day with punches in a calendar
-- month of the employment gets a row flagged outside_employment, whatever
-- period computes it.  So a refresh and a computation of a shorter period
-- write the rows of a full computation.
-- Such a row keeps the punches and the time present, but no work time:
-- no worked time, lateness, early leave, overtime or night time, and its
-- overtime does not count toward the overtime limits.
BEGIN;
SELECT plan(19);

SET LOCAL timezone = 'Asia/Almaty';
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4707, '090440004706', 'Outside');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4707, 4707, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4707, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
        break_start, break_end)
SELECT 4707, 1, d, '09:00', '18:00', '13:00', '14:00' FROM generate_series(1, 5) d;
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = 4707;
-- Employee 1 is dismissed on 10 February, employee 2 hired on 16 February.
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
        dismissed_on, contract_start)
VALUES (4707, 1, '810111300012', 'Abenova', 'Aigerim', '2026-02-10', NULL),
       (4707, 2, '820212300023', 'Bekov', 'Arman', NULL, '2026-02-16');
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4707, 1, 'person', '1'), (4707, 2, 'person', '2');

CREATE FUNCTION pg_temp.zk(pin integer, t timestamp, state integer) RETURNS text
LANGUAGE sql AS $$
    SELECT format(E'%s\t%s\t1\t%s\t1\t0', pin, to_char(t, 'YYYY-MM-DD HH24:MI:SS'), state)
$$;
CREATE FUNCTION pg_temp.day(emp integer, d date) RETURNS otan_enbek.attendance_day
LANGUAGE sql AS $$
    SELECT * FROM otan_enbek.attendance_day
    WHERE org_id = 4707 AND employee_id = emp AND work_day = d
$$;
CREATE FUNCTION pg_temp.rows_of(emp integer) RETURNS TABLE (r text)
LANGUAGE sql AS $$
    SELECT (a.work_day, a.schedule_id, a.day_kind, a.is_final, a.shift_start, a.shift_end,
            a.first_in, a.last_out, a.present_sec, a.worked_sec, a.late_sec,
            a.early_leave_sec, a.early_arrival_sec, a.overtime_sec, a.night_sec,
            a.punch_count, a.anomalies, a.event_ids, a.norm_sec)::text
    FROM otan_enbek.attendance_day a
    WHERE a.org_id = 4707 AND a.employee_id = emp
$$;

-- 08:00 to 21:00 on every weekday of 2 to 20 February: 3 hours of
-- overtime a day where they count.
SELECT otan_enbek.ingest(4707, 'zkteco',
       (SELECT string_agg(pg_temp.zk(p, d::date + t, s), E'\n')
        FROM generate_series(date '2026-02-02', date '2026-02-20', interval '1 day') d,
             (VALUES (time '08:00', 0), (time '21:00', 1)) v(t, s),
             (VALUES (1), (2)) e(p)
        WHERE extract(isodow FROM d) < 6));
SELECT otan_enbek.compute_attendance(4707, '2026-02-01', '2026-02-28');

SELECT is((pg_temp.day(1, '2026-02-12')).anomalies, '{outside_employment}',
          'day after dismissal flagged');
SELECT is((pg_temp.day(1, '2026-02-12')).present_sec, 13 * 3600,
          'day after dismissal keeps time present');
SELECT is((pg_temp.day(1, '2026-02-12')).worked_sec, 0,
          'day after dismissal has no worked time');
SELECT is((pg_temp.day(1, '2026-02-12')).overtime_sec, 0,
          'day after dismissal has no overtime');
SELECT is((pg_temp.day(2, '2026-02-09')).norm_sec, 0,
          'day before hire has no norm');
SELECT is((pg_temp.day(1, '2026-02-09')).overtime_sec, 3 * 3600,
          'employed day keeps its overtime');
-- Employee 2's first employed day, 16 February, brings 3 hours of the
-- month's overtime.  The 30 hours before the hire do not count.
SELECT ok(NOT 'overtime_month_limit' = ANY ((pg_temp.day(2, '2026-02-16')).anomalies),
          'overtime before hire not in month limit');
SELECT ok('overtime_month_limit' = ANY ((pg_temp.day(2, '2026-02-20')).anomalies),
          'month limit passed on fifth employed day');

-- The explanation of a day after the dismissal gives the reason of its
-- missing work time.
CREATE TEMP TABLE explained AS
SELECT * FROM otan_enbek.explain_attendance(4707, 1, '2026-02-12');
SELECT is((SELECT seconds FROM explained WHERE step = 'figure' AND figure = 'overtime'),
          0::bigint, 'explanation gives no overtime');
SELECT ok((SELECT detail FROM explained WHERE step = 'figure' AND figure = 'worked')
          LIKE 'None: the day is outside the employment dates%',
          'explanation says why no work time');

-- A late lunch break of employee 1 on 12 February, after the dismissal.
SELECT otan_enbek.ingest(4707, 'zkteco',
       pg_temp.zk(1, '2026-02-12 13:00', 1) || E'\n' || pg_temp.zk(1, '2026-02-12 13:30', 0));
SELECT otan_enbek.refresh_attendance(4707);
SELECT is((pg_temp.day(1, '2026-02-12')).punch_count, 4,
          'refresh rewrites day after dismissal');

CREATE TEMP TABLE refreshed AS
SELECT 1 AS employee_id, r FROM pg_temp.rows_of(1)
UNION ALL SELECT 2, r FROM pg_temp.rows_of(2);
SELECT otan_enbek.compute_attendance(4707, '2026-02-01', '2026-02-28');
SELECT set_eq($$SELECT r FROM refreshed WHERE employee_id = 1$$,
              $$SELECT r FROM pg_temp.rows_of(1)$$,
              'refresh equals full computation, dismissed');
SELECT set_eq($$SELECT r FROM refreshed WHERE employee_id = 2$$,
              $$SELECT r FROM pg_temp.rows_of(2)$$,
              'refresh equals full computation, hired');

-- Periods cut after the dismissal and before the hire give the same rows.
CREATE TEMP TABLE full_month AS
SELECT 1 AS employee_id, r FROM pg_temp.rows_of(1)
UNION ALL SELECT 2, r FROM pg_temp.rows_of(2);
SELECT otan_enbek.compute_attendance(4707, '2026-02-11', '2026-02-28');
SELECT otan_enbek.compute_attendance(4707, '2026-02-01', '2026-02-15');
SELECT set_eq($$SELECT r FROM full_month WHERE employee_id = 1$$,
              $$SELECT r FROM pg_temp.rows_of(1)$$,
              'shorter periods equal the month, dismissed');
SELECT set_eq($$SELECT r FROM full_month WHERE employee_id = 2$$,
              $$SELECT r FROM pg_temp.rows_of(2)$$,
              'shorter periods equal the month, hired');
-- employed days, and days outside employment with punches
SELECT is((SELECT count(*) FROM pg_temp.rows_of(1)), 18::bigint, 'rows of dismissed employee');
SELECT is((SELECT count(*) FROM pg_temp.rows_of(2)), 23::bigint, 'rows of hired employee');

-- A punch in the month after the dismissal gets no row, even in a period
-- that also covers February.
SELECT otan_enbek.ingest(4707, 'zkteco',
       pg_temp.zk(1, '2026-03-02 09:00', 0) || E'\n' || pg_temp.zk(1, '2026-03-02 18:00', 1));
SELECT otan_enbek.compute_attendance(4707, '2026-02-01', '2026-03-31');
SELECT is(pg_temp.day(1, '2026-03-02'), NULL, 'no row after dismissal month');
SELECT set_eq($$SELECT r FROM full_month WHERE employee_id = 1$$,
              $$SELECT r FROM pg_temp.rows_of(1)$$,
              'two months give the rows of February');

SELECT * FROM finish();
ROLLBACK;
