-- A work schedule with the explicit id 0, assigned to an employee by a
-- dated assignment.  The attendance engine uses schedule id 0 to mean "no
-- schedule", so the day loses its schedule.  This test fails: the day
-- is computed as a day without a schedule.
BEGIN;
SELECT plan(3);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4961, '090440004657', 'Schedule 0');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4961, 0, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT 4961, 0, d, '09:00', '18:00' FROM generate_series(1, 5) d;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
VALUES (4961, 1, '850101300005', 'Abenova', 'Aigerim');
INSERT INTO otan_enbek.employee_schedule (org_id, employee_id, schedule_id, valid_from)
VALUES (4961, 1, 0, '2026-01-01');

SELECT otan_enbek.compute_attendance(4961, '2026-02-02', '2026-02-02') AS computed \gset
SELECT is((SELECT schedule_id FROM otan_enbek.attendance_day
           WHERE org_id = 4961 AND work_day = '2026-02-02'),
          0, 'the day keeps schedule 0');
SELECT is((SELECT norm_sec FROM otan_enbek.attendance_day
           WHERE org_id = 4961 AND work_day = '2026-02-02'),
          9 * 3600, 'the day has the norm of schedule 0');
SELECT ok(NOT (SELECT anomalies FROM otan_enbek.attendance_day
               WHERE org_id = 4961 AND work_day = '2026-02-02') @> '{no_schedule}',
          'the day is not flagged no_schedule');

SELECT * FROM finish();
ROLLBACK;
