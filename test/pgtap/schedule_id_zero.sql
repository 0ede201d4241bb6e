-- Work schedule ids of 0 and below.  The attendance engine stores a day
-- without a schedule as schedule id 0, so work_schedule requires ids of 1
-- or more, and every table that refers to a schedule does so through a
-- foreign key to work_schedule.
BEGIN;
SELECT plan(11);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4961, '090440004657', 'Schedule ids');
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
VALUES (4961, 1, '850101300005', 'Abenova', 'Aigerim');

SELECT throws_ok($$INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name)
                   VALUES (4961, 0, 'Day 09-18')$$,
                 '23514', 'new row for relation "work_schedule" violates check constraint "work_schedule_schedule_id_check"',
                 'a schedule with id 0 is rejected');
SELECT throws_ok($$INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name)
                   VALUES (4961, -1, 'Day 09-18')$$,
                 '23514', 'new row for relation "work_schedule" violates check constraint "work_schedule_schedule_id_check"',
                 'a schedule with id -1 is rejected');

INSERT INTO otan_enbek.work_schedule (org_id, name) VALUES (4961, 'Day 09-18')
RETURNING schedule_id AS generated \gset
SELECT cmp_ok(:generated, '>=', 1, 'a generated schedule id is 1 or more');
SELECT throws_ok(format($$UPDATE otan_enbek.work_schedule SET schedule_id = 0
                          WHERE org_id = 4961 AND schedule_id = %s$$, :generated),
                 '23514', 'new row for relation "work_schedule" violates check constraint "work_schedule_schedule_id_check"',
                 'a schedule id changed to 0 is rejected');

-- The tables that refer to a schedule cannot name id 0, since none exists.
SELECT throws_ok($$INSERT INTO otan_enbek.employee_schedule (org_id, employee_id, schedule_id, valid_from)
                   VALUES (4961, 1, 0, '2026-01-01')$$,
                 '23503', NULL, 'an assignment to schedule 0 is rejected');
SELECT throws_ok($$INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
                   VALUES (4961, 0, 1, '09:00', '18:00')$$,
                 '23503', NULL, 'a rule of schedule 0 is rejected');
SELECT throws_ok($$UPDATE otan_enbek.employee SET schedule_id = 0 WHERE org_id = 4961$$,
                 '23503', NULL, 'an employee with schedule 0 is rejected');
SELECT throws_ok($$UPDATE otan_enbek.organization SET default_schedule_id = 0 WHERE org_id = 4961;
                   SET CONSTRAINTS ALL IMMEDIATE$$,
                 '23503', NULL, 'an organization default of schedule 0 is rejected');

-- A plan given to the engine directly gets the same rule.
SELECT throws_ok($$SELECT otan_enbek.attendance_plan('2026-02-02', '2026-02-02', now(), 60,
                       ARRAY[ROW('2026-02-02', 'work', 0, 18000)::otan_enbek.attendance_plan_day],
                       '{}')$$,
                 '22023', 'invalid schedule_id 0 for 2026-02-02 in attendance plan',
                 'attendance_plan rejects schedule_id 0');
SELECT lives_ok($$SELECT otan_enbek.attendance_plan('2026-02-02', '2026-02-02', now(), 60,
                      ARRAY[ROW('2026-02-02', 'work', NULL, 18000)::otan_enbek.attendance_plan_day],
                      '{}')$$,
                'attendance_plan takes a NULL schedule_id');

-- A day under a schedule keeps its id.
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT 4961, :generated, d, '09:00', '18:00' FROM generate_series(1, 5) d;
INSERT INTO otan_enbek.employee_schedule (org_id, employee_id, schedule_id, valid_from)
VALUES (4961, 1, :generated, '2026-01-01');
SELECT otan_enbek.compute_attendance(4961, '2026-02-02', '2026-02-02') AS computed \gset
SELECT is((SELECT schedule_id FROM otan_enbek.attendance_day
           WHERE org_id = 4961 AND work_day = '2026-02-02'),
          :generated, 'a day keeps the id of its assigned schedule');

SELECT * FROM finish();
ROLLBACK;
