-- A punch in no shift's attribution window is flagged outside_window on the
-- day it is given to, so that HR can review time that no shift explains.
-- Times are Asia/Almaty.  The schedule is 09:00-18:00 with lunch 13:00-14:00
-- on Monday to Friday, so a work day's window runs from 05:00 to midnight.
BEGIN;
SELECT plan(8);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4721, '090440004796', 'Outside');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4721, 4721, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4721, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
        break_start, break_end)
SELECT 4721, 1, d, '09:00', '18:00', '13:00', '14:00' FROM generate_series(1, 5) d;
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = 4721;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
VALUES (4721, 1, '810111300012', 'Abenova', 'Aigerim'),
       (4721, 2, '751201400423', 'Bekov', 'Nurlan'),
       (4721, 3, '860616300067', 'Serikova', 'Zhanna');
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4721, 1, 'person', '1'), (4721, 2, 'person', '2'), (4721, 3, 'person', '3');

-- Employee 1, Wednesday 4 February 2026: a pair at 02:00-03:00, before the
-- window opens at 05:00, then the normal day.  Employee 2: the normal day
-- only.  Employee 3: Saturday 7 February, a day without a shift.
SELECT otan_enbek.ingest(4721, 'zkteco',
       E'1\t2026-02-04 02:00:00\t1\t0\t1\t0\n'
       '1\t2026-02-04 03:00:00\t1\t1\t1\t0\n'
       '1\t2026-02-04 09:00:00\t1\t0\t1\t0\n'
       '1\t2026-02-04 18:00:00\t1\t1\t1\t0\n'
       '2\t2026-02-04 09:00:00\t1\t0\t1\t0\n'
       '2\t2026-02-04 18:00:00\t1\t1\t1\t0\n'
       '3\t2026-02-07 10:00:00\t1\t0\t1\t0\n'
       '3\t2026-02-07 12:00:00\t1\t1\t1\t0');
SELECT otan_enbek.compute_attendance(4721, '2026-02-02', '2026-02-08');

CREATE FUNCTION pg_temp.day(emp integer, d date) RETURNS otan_enbek.attendance_day
LANGUAGE sql AS $$
    SELECT * FROM otan_enbek.attendance_day
    WHERE org_id = 4721 AND employee_id = emp AND work_day = d
$$;

SELECT ok((pg_temp.day(1, '2026-02-04')).anomalies @> '{outside_window}',
          'pair before the window is flagged');
SELECT is((pg_temp.day(1, '2026-02-04')).present_sec, 10 * 3600,
          'its time is kept in present');
SELECT is((pg_temp.day(1, '2026-02-04')).worked_sec, 8 * 3600,
          'worked counts the shift alone');
SELECT ok(NOT (pg_temp.day(2, '2026-02-04')).anomalies @> '{outside_window}',
          'day inside the window is not flagged');
SELECT ok(NOT (pg_temp.day(3, '2026-02-07')).anomalies @> '{outside_window}',
          'day without a shift is not flagged');

-- The refresh after a late punch gives the same flags.
SELECT otan_enbek.ingest(4721, 'zkteco', E'2\t2026-02-05 01:30:00\t1\t0\t1\t0\n'
                                          '2\t2026-02-05 02:00:00\t1\t1\t1\t0');
SELECT isnt(otan_enbek.refresh_attendance(4721), 0, 'refresh writes the late pair');
SELECT ok((pg_temp.day(2, '2026-02-05')).anomalies @> '{outside_window}',
          'refreshed day is flagged');

-- explain_attendance shows the flag with the day's figures.
SELECT ok(EXISTS (SELECT FROM otan_enbek.explain_attendance(4721, 1, '2026-02-04') x
                  WHERE x.figure = 'outside_window'),
          'explanation names the flag');

SELECT * FROM finish();
ROLLBACK;
