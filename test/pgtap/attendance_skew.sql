-- A device whose clock runs off: its configured skew is added to its
-- events in every computation, and the stored times stay as sent.
BEGIN;
SELECT plan(8);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4931, '090440004687', 'Skew');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4931, 4931, 'Gate');
-- the clock of T-SLOW is five minutes behind
INSERT INTO otan_enbek.access_point (org_id, source_id, device, clock_skew_sec)
VALUES (4931, 4931, 'T-SLOW', 300), (4931, 4931, 'T-OK', 0);
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4931, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT 4931, 1, d, '09:00', '18:00' FROM generate_series(1, 5) d;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id)
VALUES (4931, 1, '850101300005', 'Skew', 'Slow', 1), (4931, 2, '850101300015', 'Skew', 'Ok', 1);
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4931, 1, 'person', '1'), (4931, 2, 'person', '2');
SELECT otan_enbek.ensure_event_partitions('2026-02-01', '2026-02-28') >= 0 AS partitions;
INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id, device,
        credential_kind, credential, employee_id, direction)
SELECT 4931, id, t AT TIME ZONE 'Asia/Almaty', 4931, 's' || id, dev, 'person', emp::text, emp, dir
FROM (VALUES (1, 1, timestamp '2026-02-02 08:57', 'in', 'T-SLOW'),
             (2, 1, '2026-02-02 17:55', 'out', 'T-SLOW'),
             (3, 2, '2026-02-02 08:57', 'in', 'T-OK'),
             (4, 2, '2026-02-02 17:55', 'out', 'T-OK')) AS v(id, emp, t, dir, dev);
SELECT otan_enbek.compute_attendance(4931, '2026-02-02', '2026-02-02') AS computed;

CREATE FUNCTION pg_temp.day(emp integer) RETURNS otan_enbek.attendance_day LANGUAGE sql AS $$
    SELECT * FROM otan_enbek.attendance_day
    WHERE org_id = 4931 AND employee_id = emp AND work_day = '2026-02-02'
$$;

SELECT is(to_char((pg_temp.day(1)).first_in, 'HH24:MI'), '09:02', 'the slow clock''s entry is corrected');
SELECT is((pg_temp.day(1)).late_sec, 120, 'and is late');
SELECT is((pg_temp.day(1)).early_leave_sec, 0, 'its exit at 18:00 is not early');
SELECT is((pg_temp.day(2)).late_sec, 0, 'the same times on a correct clock are not late');
SELECT is((pg_temp.day(2)).early_leave_sec, 300, 'but leave early');
SELECT is((SELECT to_char(occurred_at, 'HH24:MI') FROM otan_enbek.skud_event
           WHERE org_id = 4931 AND event_id = 1), '08:57', 'the stored time stays as sent');
SELECT ok((SELECT detail FROM otan_enbek.explain_attendance(4931, 1, '2026-02-02')
           WHERE step = 'punch' AND event_id = 1)
          LIKE '%The device''s time 2026-02-02 08:57:00 is corrected by its clock skew.',
          'explain shows the correction');

-- refresh applies the skew too
DELETE FROM otan_enbek.attendance_day WHERE org_id = 4931;
INSERT INTO otan_enbek.attendance_pending (org_id, employee_id, work_day)
VALUES (4931, 1, '2026-02-02');
SELECT otan_enbek.refresh_attendance(4931) AS refreshed;
SELECT is((pg_temp.day(1)).late_sec, 120, 'a refreshed day is corrected as well');

SELECT * FROM finish();
ROLLBACK;
