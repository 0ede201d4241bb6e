-- attendance_listed_plans, which refresh_attendance uses, builds the same
-- plans as attendance_plans for every kind of schedule: fixed, night,
-- split, flexible, rotation, dated assignments, calendar days of the
-- country and of the organization, and days without any schedule.
BEGIN;
SELECT plan(16);

SET LOCAL timezone = 'Asia/Almaty';
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4703, '090440004637', 'Plans');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, kind, rotation_anchor,
        rotation_days, daily_norm_min, core_start, core_end, break_after_min,
        break_deduct_min, grace_late_min, window_before_min, count_early_arrival)
VALUES (4703, 1, 'Fixed 09-18', 'weekly', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 5, 240,
        false),
       (4703, 2, 'Night 20-08', 'weekly', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 120,
        true),
       (4703, 3, 'Split 08-12 and 16-20', 'weekly', NULL, NULL, NULL, NULL, NULL, NULL, NULL,
        0, 60, false),
       (4703, 4, 'Flexible 07-20', 'flexible', NULL, NULL, 480, '10:00', '16:00', 360, 60, 0,
        240, false),
       (4703, 5, 'Rotation 2 on 2 off', 'rotation', '2026-02-27', 4, NULL, NULL, NULL, NULL,
        NULL, 0, 240, false),
       (4703, 6, 'Rotation anchored later', 'rotation', '2026-04-10', 3, NULL, NULL, NULL,
        NULL, NULL, 0, 240, false),
       (4703, 7, 'No rules', 'weekly', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 240, false),
       (4703, 8, 'Flexible without core', 'flexible', NULL, NULL, 420, NULL, NULL, NULL, NULL,
        0, 240, false);
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, part_no, start_time,
        end_time, break_start, break_end)
SELECT 4703, 1, d, 1, time '09:00', time '18:00', time '13:00', time '14:00'
FROM generate_series(1, 5) d
UNION ALL
SELECT 4703, 2, d, 1, '20:00', '08:00', '00:00', '01:00' FROM generate_series(1, 5) d
UNION ALL
SELECT 4703, 3, d, p, CASE p WHEN 1 THEN time '08:00' ELSE '16:00' END,
       CASE p WHEN 1 THEN time '12:00' ELSE '20:00' END, NULL, NULL
FROM generate_series(1, 6) d CROSS JOIN generate_series(1, 2) p
UNION ALL
SELECT 4703, 4, d, 1, '07:00', '20:00', NULL, NULL FROM generate_series(1, 5) d
UNION ALL
SELECT 4703, 5, d, 1, '08:00', '20:00', '12:30', '13:00' FROM generate_series(1, 2) d
UNION ALL
SELECT 4703, 6, 2, 1, '22:00', '06:00', '02:00', '02:30'
UNION ALL
SELECT 4703, 8, d, 1, '06:00', '22:00', NULL, NULL FROM generate_series(1, 5) d;

-- Employee n has schedule n (n up to 8); 9 has none and the organization
-- no default; 10 and 11 change schedules by dated assignments; 12 starts
-- and 13 leaves within March; 14 left before it.
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
        schedule_id, contract_start, dismissed_on)
SELECT 4703, v.n, v.c, 'Plans', 'Employee',
       CASE WHEN v.n <= 8 THEN v.n WHEN v.n IN (10, 12, 13, 14) THEN 1 END,
       CASE WHEN v.n = 12 THEN date '2026-03-11' END,
       CASE WHEN v.n = 13 THEN date '2026-03-20' WHEN v.n = 14 THEN date '2026-02-20' END
FROM (SELECT row_number() OVER (ORDER BY c)::integer AS n, c
      FROM (SELECT c FROM (SELECT lpad((850101300000 + n)::text, 12, '0') AS c
                           FROM generate_series(0, 2000) n) x
            WHERE otan_enbek.is_valid_iin(c) ORDER BY c LIMIT 14) y) v;
INSERT INTO otan_enbek.employee_schedule (org_id, employee_id, schedule_id, valid_from,
        valid_to)
VALUES (4703, 10, 2, '2026-03-09', '2026-03-15'),
       (4703, 10, 5, '2026-03-16', NULL),
       (4703, 11, 3, '2026-02-01', '2026-03-04'),
       (4703, 11, 4, '2026-03-30', '2026-04-30');
-- A working Saturday and a day off of the country come from calendar_day.
-- The organization makes another Saturday a working day and a Tuesday a
-- holiday of its own.
INSERT INTO otan_enbek.calendar_day (day, kind, name)
VALUES ('2026-03-07', 'working', 'Working Saturday for the test'),
       ('2026-03-10', 'day_off', 'Transferred day off for the test')
ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name;
INSERT INTO otan_enbek.org_calendar_day (org_id, day, kind, name)
VALUES (4703, '2026-03-14', 'working', 'Working Saturday of the organization'),
       (4703, '2026-03-17', 'holiday', 'Holiday of the organization');

CREATE TEMP TABLE periods (first_day date, last_day date);
INSERT INTO periods
VALUES ('2026-03-01', '2026-03-31'), ('2026-03-09', '2026-03-11'), ('2026-03-16', '2026-03-16'),
       ('2026-02-27', '2026-03-02');

-- The rows of both functions for every period.
CREATE TEMP TABLE expected AS
SELECT pr.first_day, p.*
FROM periods pr
CROSS JOIN otan_enbek.attendance_plans(4703, pr.first_day, pr.last_day, now(),
                                       ARRAY(SELECT generate_series(1, 15))) p;
CREATE TEMP TABLE listed AS
SELECT pr.first_day, p.*
FROM periods pr
CROSS JOIN otan_enbek.attendance_listed_plans(4703, pr.first_day, pr.last_day, now(),
                                              ARRAY(SELECT generate_series(1, 15))) p;

SELECT is((SELECT count(*) FROM expected WHERE first_day = '2026-03-01'), 13::bigint,
          'attendance_plans gives the 13 employees employed in March');
SELECT set_eq($$SELECT employee_id, first_day FROM listed$$,
              $$SELECT employee_id, first_day FROM expected$$,
              'the listed plans are of the same employees and periods');
SELECT set_eq($$SELECT * FROM listed$$, $$SELECT * FROM expected$$,
              'the listed plans equal those of attendance_plans in every period');

-- One check per kind, so that a failure names the kind.
CREATE FUNCTION pg_temp.same_plan(emp integer) RETURNS boolean
    LANGUAGE sql AS $$
SELECT count(*) = 4 AND bool_and(l.plan = e.plan AND l.emit_from = e.emit_from
                                 AND l.emit_to = e.emit_to)
FROM expected e
JOIN listed l ON l.employee_id = e.employee_id AND l.first_day = e.first_day
WHERE e.employee_id = emp
$$;
SELECT ok(pg_temp.same_plan(1), 'fixed schedule with a break');
SELECT ok(pg_temp.same_plan(2), 'night schedule with a break after midnight');
SELECT ok(pg_temp.same_plan(3), 'split schedule of two parts a day');
SELECT ok(pg_temp.same_plan(4), 'flexible schedule with core hours and a deducted break');
SELECT ok(pg_temp.same_plan(5), 'rotation anchored before the period');
SELECT ok(pg_temp.same_plan(6), 'rotation anchored after the period, crossing midnight');
SELECT ok(pg_temp.same_plan(7) AND pg_temp.same_plan(8),
          'schedule without rules and flexible schedule without core hours');
SELECT ok(pg_temp.same_plan(9), 'calendar-day mode without any schedule');
SELECT ok(pg_temp.same_plan(10) AND pg_temp.same_plan(11), 'dated schedule assignments');

-- For more than 64 ids (LISTED_FILTER_MAX_IDS) the dated assignments are
-- matched to the employees in C.  The ids are out of order and include
-- ids of no employee.
SELECT set_eq(
    $$SELECT * FROM otan_enbek.attendance_listed_plans(4703, '2026-03-01', '2026-03-31', now(),
                                                       ARRAY(SELECT generate_series(200, -5, -1)))$$,
    $$SELECT * FROM otan_enbek.attendance_plans(4703, '2026-03-01', '2026-03-31', now(),
                                                ARRAY(SELECT generate_series(200, -5, -1)))$$,
    'a long list of employee ids gives the plans of attendance_plans');

-- A function of the caller's schema does not replace pg_catalog's in the
-- queries of attendance_listed_plans.
SAVEPOINT search_path;
CREATE SCHEMA listed_plans_shadow;
CREATE FUNCTION listed_plans_shadow.generate_series(integer, integer) RETURNS SETOF integer
    LANGUAGE sql AS $$ SELECT 0 $$;
SET LOCAL search_path = listed_plans_shadow, pg_catalog, public;
SELECT set_eq(
    $$SELECT * FROM otan_enbek.attendance_listed_plans(4703, '2026-03-01', '2026-03-31', now(),
                                                       '{1, 5, 10}')$$,
    $$SELECT employee_id, plan, emit_from, emit_to FROM expected
      WHERE first_day = '2026-03-01' AND employee_id IN (1, 5, 10)$$,
    'a generate_series of the caller''s search_path does not change the plans');
ROLLBACK TO SAVEPOINT search_path;

-- With a default schedule, the employee without one takes it.  An
-- organization that does not exist has no plans.
UPDATE otan_enbek.organization
SET default_schedule_id = 3, calendar_pair_policy = 'split_at_midnight',
    missing_exit_policy = 'close_at_shift_end', dedup_window_sec = 30
WHERE org_id = 4703;
SELECT set_eq(
    $$SELECT * FROM otan_enbek.attendance_listed_plans(4703, '2026-03-01', '2026-03-31', now(),
                                                       '{9, 10, 12}')$$,
    $$SELECT * FROM otan_enbek.attendance_plans(4703, '2026-03-01', '2026-03-31', now(),
                                                '{9, 10, 12}')$$,
    'the default schedule and the policies of the organization are in the plans');
SELECT is_empty(
    $$SELECT * FROM otan_enbek.attendance_listed_plans(4799, '2026-03-01', '2026-03-31', now(),
                                                       '{1}')$$,
    'an organization that does not exist has no plans');

SELECT * FROM finish();
ROLLBACK;
