-- A change of an employee's employment dates marks the days it affects,
-- so that refresh_attendance gives the rows of a full computation.
BEGIN;
SELECT plan(12);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4717, '090440004706', 'Dates');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4717, 4717, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4717, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
        break_start, break_end)
SELECT 4717, 1, d, '09:00', '18:00', '13:00', '14:00' FROM generate_series(1, 5) d;
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = 4717;
-- Employee 1 is dismissed on 10 February, and employee 2 stays.
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
        dismissed_on)
VALUES (4717, 1, '810111300012', 'Abenova', 'Aigerim', '2026-02-10'),
       (4717, 2, '820212300023', 'Bekov', 'Arman', NULL);
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4717, 1, 'person', '1'), (4717, 2, 'person', '2');

CREATE FUNCTION pg_temp.zk(pin integer, t timestamp, state integer) RETURNS text
LANGUAGE sql AS $$
    SELECT format(E'%s\t%s\t1\t%s\t1\t0', pin, to_char(t, 'YYYY-MM-DD HH24:MI:SS'), state)
$$;
-- Every column that a computation writes, of both employees, in order.
CREATE FUNCTION pg_temp.digest() RETURNS text
LANGUAGE sql AS $$
    SELECT md5(string_agg((a.employee_id, a.work_day, a.schedule_id, a.day_kind, a.is_final,
                           a.first_in, a.last_out, a.present_sec, a.worked_sec, a.late_sec,
                           a.early_leave_sec, a.overtime_sec, a.punch_count, a.anomalies,
                           a.event_ids, a.norm_sec, a.absence_code)::text,
                          ';' ORDER BY a.employee_id, a.work_day))
    FROM otan_enbek.attendance_day a
    WHERE a.org_id = 4717
$$;

-- 09:00 to 18:00 on every weekday of 2 to 20 February, both employees.
SELECT otan_enbek.ingest(4717, 'zkteco',
       (SELECT string_agg(pg_temp.zk(p, d::date + t, s), E'\n')
        FROM generate_series(date '2026-02-02', date '2026-02-20', interval '1 day') d,
             (VALUES (time '09:00', 0), (time '18:00', 1)) v(t, s),
             (VALUES (1), (2)) e(p)
        WHERE extract(isodow FROM d) < 6));
SELECT otan_enbek.compute_attendance(4717, '2026-02-01', '2026-02-28');
SELECT is((SELECT anomalies FROM otan_enbek.attendance_day
           WHERE org_id = 4717 AND employee_id = 1 AND work_day = '2026-02-12'),
          '{outside_employment}', 'a day after the dismissal is outside employment');

-- The dismissal was entered by mistake.
UPDATE otan_enbek.employee SET dismissed_on = NULL WHERE org_id = 4717 AND employee_id = 1;
SELECT is((SELECT count(*) FROM otan_enbek.attendance_pending
           WHERE org_id = 4717 AND employee_id = 1),
          28::bigint, 'clearing the dismissal marks the days of its month');
SELECT is((SELECT count(*) FROM otan_enbek.attendance_pending
           WHERE org_id = 4717 AND employee_id = 2),
          0::bigint, 'the other employee has no marks');
SELECT otan_enbek.refresh_attendance(4717);
SELECT is((SELECT worked_sec FROM otan_enbek.attendance_day
           WHERE org_id = 4717 AND employee_id = 1 AND work_day = '2026-02-12'),
          8 * 3600, 'after the refresh the day is worked');
CREATE TEMP TABLE refreshed AS SELECT pg_temp.digest() AS d;
SELECT otan_enbek.compute_attendance(4717, '2026-02-01', '2026-02-28');
SELECT is(pg_temp.digest(), (SELECT d FROM refreshed),
          'the refresh gives the rows of a full computation');

-- The dismissal is entered again, a week later than before.
UPDATE otan_enbek.employee SET dismissed_on = '2026-02-17'
WHERE org_id = 4717 AND employee_id = 1;
SELECT otan_enbek.refresh_attendance(4717);
SELECT is((SELECT anomalies FROM otan_enbek.attendance_day
           WHERE org_id = 4717 AND employee_id = 1 AND work_day = '2026-02-18'),
          '{outside_employment}', 'after the refresh a later day is outside employment');
TRUNCATE refreshed;
INSERT INTO refreshed SELECT pg_temp.digest();
SELECT otan_enbek.compute_attendance(4717, '2026-02-01', '2026-02-28');
SELECT is(pg_temp.digest(), (SELECT d FROM refreshed),
          'the refresh gives the rows of a full computation again');

-- A change of anything else marks nothing.
UPDATE otan_enbek.employee SET last_name = 'Abenova-Serik', contract_end = contract_end
WHERE org_id = 4717 AND employee_id = 1;
SELECT is((SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = 4717),
          0::bigint, 'a change of the name marks no day');
-- A contract start before every computed day changes none of them.
UPDATE otan_enbek.employee SET contract_start = '2025-06-01'
WHERE org_id = 4717 AND employee_id = 2;
SELECT is((SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = 4717),
          0::bigint, 'an earlier contract start marks no day');
-- A contract start inside the computed month marks that month only.
UPDATE otan_enbek.employee SET contract_start = '2026-02-16'
WHERE org_id = 4717 AND employee_id = 2;
SELECT is((SELECT count(*) FROM otan_enbek.attendance_pending
           WHERE org_id = 4717 AND employee_id = 2
             AND work_day BETWEEN '2026-02-01' AND '2026-02-28'),
          28::bigint, 'a later contract start marks its month');

-- A change of schedule marks every computed day of the employee, and the
-- refresh gives the rows of a full computation.
DELETE FROM otan_enbek.attendance_pending WHERE org_id = 4717;
UPDATE otan_enbek.employee SET contract_start = NULL WHERE org_id = 4717 AND employee_id = 2;
SELECT otan_enbek.refresh_attendance(4717);
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4717, 2, 'Day 10-19');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
        break_start, break_end)
SELECT 4717, 2, d, '10:00', '19:00', '13:00', '14:00' FROM generate_series(1, 5) d;
UPDATE otan_enbek.employee SET schedule_id = 2 WHERE org_id = 4717 AND employee_id = 2;
SELECT is((SELECT count(*) FROM otan_enbek.attendance_pending
           WHERE org_id = 4717 AND employee_id = 2),
          28::bigint, 'a change of schedule marks every computed day');
SELECT otan_enbek.refresh_attendance(4717);
TRUNCATE refreshed;
INSERT INTO refreshed SELECT pg_temp.digest();
SELECT otan_enbek.compute_attendance(4717, '2026-02-01', '2026-02-28');
SELECT is(pg_temp.digest(), (SELECT d FROM refreshed),
          'the refresh after a change of schedule gives the rows of a full computation');

SELECT * FROM finish();
ROLLBACK;
