-- Changes of dated assignments, schedule rules, schedule settings and
-- organization settings mark the computed days they affect, so that
-- refresh_attendance gives the rows of a full computation.
BEGIN;
SELECT plan(49);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (4718, '090440004706', 'Schedules');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4718, 4718, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name)
VALUES (4718, 1, 'Day 09-18'), (4718, 2, 'Day 10-19');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
        break_start, break_end)
SELECT 4718, 1, d, time '09:00', time '18:00', time '13:00', time '14:00'
FROM generate_series(1, 5) d
UNION ALL
SELECT 4718, 2, d, '10:00', '19:00', '14:00', '15:00' FROM generate_series(1, 5) d;
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = 4718;
-- Employees 1 and 2 have the default schedule, employee 3 has schedule 2
-- of their own, and employee 4 left in January.
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
        schedule_id, contract_start, dismissed_on)
VALUES (4718, 1, '830313300004', 'Abenova', 'Aigerim', NULL, NULL, NULL),
       (4718, 2, '830313300014', 'Bekov', 'Arman', NULL, NULL, NULL),
       (4718, 3, '830313300024', 'Serikov', 'Dias', 2, NULL, NULL),
       (4718, 4, '830313300034', 'Dosova', 'Dana', NULL, '2025-09-01', '2026-01-20');
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
SELECT 4718, n, 'person', n::text FROM generate_series(1, 4) n;

CREATE FUNCTION pg_temp.zk(pin integer, t timestamp, state integer) RETURNS text
LANGUAGE sql AS $$
    SELECT format(E'%s\t%s\t1\t%s\t1\t0', pin, to_char(t, 'YYYY-MM-DD HH24:MI:SS'), state)
$$;
-- Every column of the organization's rows except computed_at, in order.
CREATE FUNCTION pg_temp.digest() RETURNS text
LANGUAGE sql AS $$
    SELECT md5(string_agg((to_jsonb(a) - 'computed_at')::text, ';'
                          ORDER BY a.employee_id, a.work_day))
    FROM otan_enbek.attendance_day a
    WHERE a.org_id = 4718
$$;
-- The marked days of the organization, as (employee_id, work_day).
CREATE FUNCTION pg_temp.pending() RETURNS TABLE (employee_id integer, work_day date)
LANGUAGE sql AS $$
    SELECT p.employee_id, p.work_day FROM otan_enbek.attendance_pending p
    WHERE p.org_id = 4718
$$;
-- Days first to last of an employee, as (employee_id, work_day).
CREATE FUNCTION pg_temp.days(employee integer, first_day date, last_day date)
RETURNS TABLE (employee_id integer, work_day date)
LANGUAGE sql AS $$
    SELECT employee, d::date FROM generate_series(first_day, last_day, interval '1 day') d
$$;
-- The rows of the last full computation, before the change under test.
CREATE TEMP TABLE kept (digest text);
-- Two tests: the change alters the computed rows, so that a refresh
-- without marks would fail the second test, and the refresh gives the rows
-- of a full computation.
CREATE FUNCTION pg_temp.refresh_matches_compute(change text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    refreshed text;
    computed text;
BEGIN
    PERFORM otan_enbek.refresh_attendance(4718);
    refreshed := pg_temp.digest();
    PERFORM otan_enbek.compute_attendance(4718, '2026-02-01', '2026-02-28');
    computed := pg_temp.digest();
    RETURN NEXT isnt(computed, (SELECT k.digest FROM kept k), change || ' alters the rows');
    RETURN NEXT is(refreshed, computed, change || ': refresh equals full computation');
    UPDATE kept SET digest = computed;
END
$$;

-- 09:00 to 18:00 on the weekdays of 2 to 20 February for employees 1 and
-- 2, 10:00 to 19:00 for employee 3.  Employee 1 is 10 minutes late on
-- Tuesday 3 February, and employee 2 enters twice 90 seconds apart on
-- Wednesday 4 February.
SELECT otan_enbek.ingest(4718, 'zkteco',
       (SELECT string_agg(pg_temp.zk(e.pin, d::date + v.t
                                            + CASE WHEN e.pin = 3 THEN interval '1 hour'
                                                   WHEN e.pin = 1 AND v.s = 0
                                                        AND d = '2026-02-03'
                                                       THEN interval '10 minutes'
                                                   ELSE interval '0' END,
                                     v.s), E'\n')
        FROM generate_series(date '2026-02-02', date '2026-02-20', interval '1 day') d,
             (VALUES (time '09:00', 0), (time '18:00', 1)) v(t, s),
             (VALUES (1), (2), (3)) e(pin)
        WHERE extract(isodow FROM d) < 6)
       || E'\n' || pg_temp.zk(2, '2026-02-04 09:01:30', 0));
SELECT otan_enbek.compute_attendance(4718, '2026-02-01', '2026-02-28');
INSERT INTO kept SELECT pg_temp.digest();
SELECT is((SELECT count(*) FROM pg_temp.pending()), 0::bigint,
          'a full computation leaves no marks');

-- Dated assignments: the days of the old and the new range.
INSERT INTO otan_enbek.employee_schedule (org_id, assignment_id, employee_id, schedule_id,
        valid_from, valid_to)
VALUES (4718, 1, 1, 2, '2026-02-10', '2026-02-13');
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$SELECT * FROM pg_temp.days(1, '2026-02-10', '2026-02-13')$$,
              'an added assignment marks its days');
SELECT * FROM pg_temp.refresh_matches_compute('an added assignment');

UPDATE otan_enbek.employee_schedule SET valid_from = '2026-02-16', valid_to = '2026-02-18'
WHERE org_id = 4718 AND assignment_id = 1;
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$SELECT * FROM pg_temp.days(1, '2026-02-10', '2026-02-13')
                UNION ALL
                SELECT * FROM pg_temp.days(1, '2026-02-16', '2026-02-18')$$,
              'a moved assignment marks both ranges');
SELECT * FROM pg_temp.refresh_matches_compute('a moved assignment');

-- An open end reaches the last computed day only.
UPDATE otan_enbek.employee_schedule SET valid_to = NULL
WHERE org_id = 4718 AND assignment_id = 1;
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$SELECT * FROM pg_temp.days(1, '2026-02-16', '2026-02-28')$$,
              'an open assignment stops at the last computed day');
SELECT * FROM pg_temp.refresh_matches_compute('an open assignment');

DELETE FROM otan_enbek.employee_schedule WHERE org_id = 4718 AND assignment_id = 1;
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$SELECT * FROM pg_temp.days(1, '2026-02-16', '2026-02-28')$$,
              'a deleted assignment marks its days');
SELECT * FROM pg_temp.refresh_matches_compute('a deleted assignment');

-- A change of the schedule alone, with the same dates.
INSERT INTO otan_enbek.employee_schedule (org_id, assignment_id, employee_id, schedule_id,
        valid_from, valid_to)
VALUES (4718, 2, 2, 2, '2026-02-02', '2026-02-06');
SELECT * FROM pg_temp.refresh_matches_compute('an assignment of employee 2');
UPDATE otan_enbek.employee_schedule SET schedule_id = 1
WHERE org_id = 4718 AND assignment_id = 2;
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$SELECT * FROM pg_temp.days(2, '2026-02-02', '2026-02-06')$$,
              'a reassigned schedule marks its days');
SELECT * FROM pg_temp.refresh_matches_compute('a reassigned schedule');
UPDATE otan_enbek.employee_schedule SET schedule_id = 2
WHERE org_id = 4718 AND assignment_id = 2;
SELECT otan_enbek.refresh_attendance(4718);
SELECT otan_enbek.compute_attendance(4718, '2026-02-01', '2026-02-28');
UPDATE kept SET digest = pg_temp.digest();

-- An assignment outside the computed days marks nothing.
INSERT INTO otan_enbek.employee_schedule (org_id, assignment_id, employee_id, schedule_id,
        valid_from, valid_to)
VALUES (4718, 3, 3, 1, '2026-03-02', '2026-03-06');
SELECT is((SELECT count(*) FROM pg_temp.pending()), 0::bigint,
          'an assignment after computed days marks nothing');

-- Rules of schedule 2: every computed day of employee 3, whose own
-- schedule it is, and the assigned days of employee 2.
UPDATE otan_enbek.work_schedule_rule SET start_time = '11:00'
WHERE org_id = 4718 AND schedule_id = 2 AND day_no = 3;
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$SELECT * FROM pg_temp.days(3, '2026-02-01', '2026-02-28')
                UNION ALL
                SELECT * FROM pg_temp.days(2, '2026-02-02', '2026-02-06')$$,
              'a changed rule marks schedule days');
SELECT * FROM pg_temp.refresh_matches_compute('a changed rule');

INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
VALUES (4718, 2, 6, '10:00', '14:00');
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$SELECT * FROM pg_temp.days(3, '2026-02-01', '2026-02-28')
                UNION ALL
                SELECT * FROM pg_temp.days(2, '2026-02-02', '2026-02-06')$$,
              'an added rule marks schedule days');
SELECT * FROM pg_temp.refresh_matches_compute('an added rule');

DELETE FROM otan_enbek.work_schedule_rule
WHERE org_id = 4718 AND schedule_id = 2 AND day_no = 5;
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$SELECT * FROM pg_temp.days(3, '2026-02-01', '2026-02-28')
                UNION ALL
                SELECT * FROM pg_temp.days(2, '2026-02-02', '2026-02-06')$$,
              'a deleted rule marks schedule days');
SELECT * FROM pg_temp.refresh_matches_compute('a deleted rule');

-- Settings of schedule 1, the default: the days of employees 1 and 2
-- without an assignment.
UPDATE otan_enbek.work_schedule SET grace_late_min = 15 WHERE org_id = 4718 AND schedule_id = 1;
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$SELECT * FROM pg_temp.days(1, '2026-02-01', '2026-02-28')
                UNION ALL
                SELECT * FROM pg_temp.days(2, '2026-02-01', '2026-02-01')
                UNION ALL
                SELECT * FROM pg_temp.days(2, '2026-02-07', '2026-02-28')$$,
              'a changed grace marks default schedule days');
SELECT * FROM pg_temp.refresh_matches_compute('a changed grace');

UPDATE otan_enbek.work_schedule SET break_after_min = 300, break_deduct_min = 30
WHERE org_id = 4718 AND schedule_id = 2;
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$SELECT * FROM pg_temp.days(3, '2026-02-01', '2026-02-28')
                UNION ALL
                SELECT * FROM pg_temp.days(2, '2026-02-02', '2026-02-06')$$,
              'a changed break marks schedule days');
SELECT * FROM pg_temp.refresh_matches_compute('a changed break');

UPDATE otan_enbek.work_schedule SET heavy_work = true WHERE org_id = 4718 AND schedule_id = 2;
SELECT is((SELECT count(*) FROM pg_temp.pending() p WHERE p.employee_id = 3), 28::bigint,
          'a changed heavy_work marks schedule days');
SELECT otan_enbek.refresh_attendance(4718);
SELECT otan_enbek.compute_attendance(4718, '2026-02-01', '2026-02-28');
UPDATE kept SET digest = pg_temp.digest();

-- Organization settings.  A new default changes the days without an
-- assignment of the employees without a schedule of their own.
UPDATE otan_enbek.organization SET default_schedule_id = 2 WHERE org_id = 4718;
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$SELECT * FROM pg_temp.days(1, '2026-02-01', '2026-02-28')
                UNION ALL
                SELECT * FROM pg_temp.days(2, '2026-02-01', '2026-02-01')
                UNION ALL
                SELECT * FROM pg_temp.days(2, '2026-02-07', '2026-02-28')$$,
              'a new default marks unassigned days');
SELECT * FROM pg_temp.refresh_matches_compute('a new default schedule');

-- The de-duplication window applies to every day of every employee.
UPDATE otan_enbek.organization SET dedup_window_sec = 120 WHERE org_id = 4718;
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$SELECT * FROM pg_temp.days(1, '2026-02-01', '2026-02-28')
                UNION ALL
                SELECT * FROM pg_temp.days(2, '2026-02-01', '2026-02-28')
                UNION ALL
                SELECT * FROM pg_temp.days(3, '2026-02-01', '2026-02-28')$$,
              'a new dedup window marks every day');
SELECT * FROM pg_temp.refresh_matches_compute('a new dedup window');

UPDATE otan_enbek.organization SET missing_exit_policy = 'close_at_shift_end'
WHERE org_id = 4718;
SELECT is((SELECT count(*) FROM pg_temp.pending()), 84::bigint,
          'a new missing_exit_policy marks every day');
SELECT otan_enbek.refresh_attendance(4718);

-- Changes of columns that the computation does not read mark nothing.
UPDATE otan_enbek.work_schedule SET name = name || ' (renamed)', working_hours_code = 1
WHERE org_id = 4718;
SELECT is((SELECT count(*) FROM pg_temp.pending()), 0::bigint,
          'renamed schedules mark nothing');
UPDATE otan_enbek.work_schedule_rule SET start_time = start_time WHERE org_id = 4718;
SELECT is((SELECT count(*) FROM pg_temp.pending()), 0::bigint,
          'rules updated to the same times mark nothing');
UPDATE otan_enbek.employee_schedule SET valid_to = valid_to WHERE org_id = 4718;
SELECT is((SELECT count(*) FROM pg_temp.pending()), 0::bigint,
          'assignments updated to the same dates mark nothing');
UPDATE otan_enbek.organization SET name = 'Schedules renamed', enbek_sender_id = 'S-4718'
WHERE org_id = 4718;
SELECT is((SELECT count(*) FROM pg_temp.pending()), 0::bigint,
          'a renamed organization marks nothing');
UPDATE otan_enbek.employee SET last_name = upper(last_name) WHERE org_id = 4718;
SELECT is((SELECT count(*) FROM pg_temp.pending()), 0::bigint,
          'renamed employees mark nothing');

-- The marking function checks its arrays.
SELECT throws_ok($$SELECT otan_enbek.attendance_mark_days('{4718}', '{1, 2}', '{2026-02-01}',
                                                          '{2026-02-02}', '{false}')$$,
                 '22023', NULL, 'arrays of different lengths are rejected');
SELECT is(otan_enbek.attendance_mark_days('{4718}', '{NULL}', '{2026-02-27}', '{2026-03-03}',
                                          '{false}'),
          6::bigint, 'a range of every employee is cut to the computed days');

SELECT * FROM finish();
ROLLBACK;
