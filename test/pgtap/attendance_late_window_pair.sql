-- An entry in the window after a night shift, past midnight of the
-- period's last day, pairs with an exit in no window up to 16 hours later.
-- compute_attendance and refresh_attendance read the events that far, so
-- the row of that shift does not depend on where the period ends.
BEGIN;
SELECT plan(5);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4712, '090440004706', 'Late pair');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4712, 4712, 'Gate');
-- One night shift a week, Saturday 22:00 to Sunday 06:00, whose window
-- ends at 12:00 on Sunday (window_after_min 360).
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4712, 1, 'Saturday night');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
VALUES (4712, 1, 6, '22:00', '06:00');
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = 4712;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
VALUES (4712, 1, '810111300012', 'Abenova', 'Aigerim');
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4712, 1, 'person', '1');
-- Saturday 7 February 2026: an entry at 08:33 on Sunday, in the shift's
-- window, and an exit at 21:57, in no window and 13 h 24 min later.
SELECT otan_enbek.ingest(4712, 'zkteco',
       E'1\t2026-02-08 08:33:00\t1\t0\t1\t0\n1\t2026-02-08 21:57:00\t1\t1\t1\t0');

CREATE FUNCTION pg_temp.saturday() RETURNS text
LANGUAGE sql AS $$
    SELECT (a.first_in, a.last_out, a.present_sec, a.punch_count, a.anomalies)::text
    FROM otan_enbek.attendance_day a
    WHERE a.org_id = 4712 AND a.employee_id = 1 AND a.work_day = '2026-02-07'
$$;

SELECT otan_enbek.compute_attendance(4712, '2026-02-01', '2026-02-28');
CREATE TEMP TABLE month_row AS SELECT pg_temp.saturday() AS r;
SELECT is((SELECT present_sec FROM otan_enbek.attendance_day
           WHERE org_id = 4712 AND employee_id = 1 AND work_day = '2026-02-07'),
          (13 * 60 + 24) * 60, 'month pairs the Sunday exit');

SELECT otan_enbek.compute_attendance(4712, '2026-02-01', '2026-02-07');
SELECT is(pg_temp.saturday(), (SELECT r FROM month_row), 'period ending Saturday');
SELECT otan_enbek.compute_attendance(4712, '2026-02-07', '2026-02-07');
SELECT is(pg_temp.saturday(), (SELECT r FROM month_row), 'period of Saturday alone');

-- A late punch on Friday makes Saturday a neighbouring day of the refresh.
SELECT otan_enbek.compute_attendance(4712, '2026-02-01', '2026-02-28');
SELECT otan_enbek.ingest(4712, 'zkteco', E'1\t2026-02-06 10:00:00\t1\t0\t1\t0');
SELECT isnt(otan_enbek.refresh_attendance(4712), 0, 'refresh writes Friday');
SELECT is(pg_temp.saturday(), (SELECT r FROM month_row), 'refresh keeps Saturday');

SELECT * FROM finish();
ROLLBACK;
