-- Flexible schedules: a band in which a daily norm is due, core hours for
-- lateness and early leave, and worked time beyond the norm as overtime.
BEGIN;
SELECT plan(16);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4921, '090440004677', 'Flexible');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4921, 4921, 'Gate');
-- band 07:00-21:00, 8 hours due, core hours 10:00-16:00, an hour's break
-- after 6 hours present
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, kind, daily_norm_min,
        core_start, core_end, break_after_min, break_deduct_min)
VALUES (4921, 1, 'Flexible 8 h', 'flexible', 480, '10:00', '16:00', 360, 60),
       (4921, 2, 'Flexible without core', 'flexible', 480, NULL, NULL, NULL, NULL);
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT 4921, s, d, '07:00', '21:00' FROM generate_series(1, 2) s, generate_series(1, 5) d;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id)
VALUES (4921, 1, '850101300005', 'Flexible', 'Core', 1),
       (4921, 2, '850101300015', 'Flexible', 'No core', 2);
SELECT otan_enbek.ensure_event_partitions('2026-02-01', '2026-02-28') >= 0 AS partitions;
INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id,
        credential_kind, credential, employee_id, direction)
SELECT 4921, id, t AT TIME ZONE 'Asia/Almaty', 4921, 'f' || id, 'person', emp::text, emp, dir
FROM (VALUES (1, 1, timestamp '2026-02-02 07:30', 'in'), (2, 1, '2026-02-02 16:30', 'out'),
             (3, 1, '2026-02-03 10:20', 'in'), (4, 1, '2026-02-03 19:20', 'out'),
             (5, 1, '2026-02-04 08:00', 'in'), (6, 1, '2026-02-04 19:00', 'out'),
             (7, 1, '2026-02-05 09:00', 'in'), (8, 1, '2026-02-05 15:00', 'out'),
             (9, 2, '2026-02-02 11:00', 'in'), (10, 2, '2026-02-02 15:00', 'out'),
             (11, 1, '2026-02-09 09:00', 'in'), (12, 1, '2026-02-09 12:00', 'out'),
             (13, 1, '2026-02-09 12:45', 'in'), (14, 1, '2026-02-09 18:00', 'out'),
             (15, 2, '2026-02-03 09:00', 'in'), (16, 2, '2026-02-03 12:00', 'out'),
             (17, 2, '2026-02-03 12:45', 'in'), (18, 2, '2026-02-03 18:00', 'out'))
     AS v(id, emp, t, dir);
SELECT otan_enbek.compute_attendance(4921, '2026-02-02', '2026-02-09') AS computed;

CREATE FUNCTION pg_temp.day(emp integer, d date) RETURNS otan_enbek.attendance_day
LANGUAGE sql AS $$
    SELECT * FROM otan_enbek.attendance_day WHERE org_id = 4921 AND employee_id = emp AND work_day = d
$$;

SELECT is((pg_temp.day(1, '2026-02-02')).worked_sec, 480 * 60,
          '07:30-16:30 less the break is the norm');
SELECT is((pg_temp.day(1, '2026-02-02')).overtime_sec, 0, 'and no overtime');
SELECT is((pg_temp.day(1, '2026-02-02')).late_sec, 0, 'an entry before the core is not late');
SELECT is((pg_temp.day(1, '2026-02-02')).norm_sec, 480 * 60, 'the norm of a flexible day');
SELECT is((pg_temp.day(1, '2026-02-03')).late_sec, 20 * 60, 'an entry 20 minutes into the core is late');
SELECT is((pg_temp.day(1, '2026-02-03')).worked_sec, 480 * 60, 'and the day still has its norm');
SELECT is((pg_temp.day(1, '2026-02-04')).worked_sec, 480 * 60, 'regular time stops at the norm');
SELECT is((pg_temp.day(1, '2026-02-04')).overtime_sec, 120 * 60,
          '08:00-19:00 less the break is two hours over the norm');
SELECT is((pg_temp.day(1, '2026-02-05')).early_leave_sec, 60 * 60, 'leaving an hour before the core end');
SELECT is((pg_temp.day(1, '2026-02-05')).worked_sec, 300 * 60, 'six hours less the break');
SELECT ok((pg_temp.day(1, '2026-02-06')).anomalies @> '{absent}', 'a flexible day without punches is an absence');
SELECT is((pg_temp.day(2, '2026-02-02')).late_sec, NULL, 'no lateness without core hours');
SELECT is((pg_temp.day(2, '2026-02-02')).worked_sec, 240 * 60, 'four hours worked');

SELECT ok((pg_temp.day(1, '2026-02-09')).anomalies @> '{gap}', 'going out during the core hours is a gap');
SELECT is((pg_temp.day(2, '2026-02-03')).anomalies, '{}', 'without core hours going out is no gap');

SELECT throws_ok($$INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, kind)
                   VALUES (4921, 3, 'Flexible without norm', 'flexible')$$,
                 '23514', NULL, 'a flexible schedule needs a daily norm');

SELECT * FROM finish();
ROLLBACK;
