-- attendance_listed_plans, which refresh_attendance uses, builds the same
-- plans as attendance_plans for every kind of schedule: fixed, night,
-- split, flexible, rotation, dated assignments, calendar days of the
-- country and of the organization, and days without any schedule.
BEGIN;
SELECT plan(30);

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

-- Employees 101 to 140 change schedules by dated assignments of their own.
-- Each of the five patterns below has one employee for each schedule k
-- (1 to 8):
--   101-108: k for a week inside March, schedule k % 8 + 1 on other days;
--   109-116: k from 16 March, open-ended, calendar-day mode before it;
--   117-124: two adjacent assignments to k over the employee's own k;
--   125-132: k up to the first plan day of March, another kind on the
--            last two plan days, calendar-day mode between;
--   133-140: two days each of every kind in turn, with a gap of two days
--            after every third assignment.
-- Employee 141 is 101 with its assignment one day later.
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
        schedule_id)
SELECT 4703, 100 + v.n, v.c, 'Dated', 'Employee',
       CASE WHEN v.n <= 8 THEN v.n % 8 + 1
            WHEN v.n BETWEEN 17 AND 24 THEN v.n - 16
            WHEN v.n = 41 THEN 2 END
FROM (SELECT row_number() OVER (ORDER BY c)::integer AS n, c
      FROM (SELECT c FROM (SELECT lpad((850101300000 + n)::text, 12, '0') AS c
                           FROM generate_series(0, 2000) n) x
            WHERE otan_enbek.is_valid_iin(c) ORDER BY c OFFSET 14 LIMIT 41) y) v;
INSERT INTO otan_enbek.employee_schedule (org_id, employee_id, schedule_id, valid_from,
        valid_to)
SELECT 4703, 100 + k, k, date '2026-03-05', date '2026-03-11' FROM generate_series(1, 8) k
UNION ALL
SELECT 4703, 108 + k, k, '2026-03-16', NULL FROM generate_series(1, 8) k
UNION ALL
SELECT 4703, 116 + k, k, '2026-03-01', '2026-03-09' FROM generate_series(1, 8) k
UNION ALL
SELECT 4703, 116 + k, k, '2026-03-10', '2026-03-20' FROM generate_series(1, 8) k
UNION ALL
SELECT 4703, 124 + k, k, '2026-02-01', '2026-02-27' FROM generate_series(1, 8) k
UNION ALL
SELECT 4703, 124 + k, (k + 3) % 8 + 1, '2026-04-01', '2026-04-02' FROM generate_series(1, 8) k
UNION ALL
SELECT 4703, 132 + k, (k + i) % 8 + 1, date '2026-02-20' + 2 * i + 2 * (i / 3),
       date '2026-02-20' + 2 * i + 2 * (i / 3) + 1
FROM generate_series(1, 8) k CROSS JOIN generate_series(0, 19) i
UNION ALL
SELECT 4703, 141, 1, '2026-03-06', '2026-03-12';

CREATE TEMP TABLE dated_expected AS
SELECT pr.first_day, p.*
FROM periods pr
CROSS JOIN otan_enbek.attendance_plans(4703, pr.first_day, pr.last_day, now(),
                                       ARRAY(SELECT generate_series(101, 141))) p;
CREATE TEMP TABLE dated_listed AS
SELECT pr.first_day, p.*
FROM periods pr
CROSS JOIN otan_enbek.attendance_listed_plans(4703, pr.first_day, pr.last_day, now(),
                                              ARRAY(SELECT generate_series(101, 141))) p;

SELECT is((SELECT count(*) FROM dated_expected), 41::bigint * 4,
          'dated assignments: a plan for each employee and period');
-- One check per schedule kind, over its five employees and every period.
CREATE FUNCTION pg_temp.same_dated_plans(k integer) RETURNS boolean
    LANGUAGE sql AS $$
SELECT count(*) = 20 AND bool_and(l.plan = e.plan AND l.emit_from = e.emit_from
                                  AND l.emit_to = e.emit_to)
FROM dated_expected e
JOIN dated_listed l ON l.employee_id = e.employee_id AND l.first_day = e.first_day
WHERE e.employee_id IN (100 + k, 108 + k, 116 + k, 124 + k, 132 + k)
$$;
SELECT ok(pg_temp.same_dated_plans(1), 'dated assignments to a fixed schedule');
SELECT ok(pg_temp.same_dated_plans(2), 'dated assignments to a night schedule');
SELECT ok(pg_temp.same_dated_plans(3), 'dated assignments to a split schedule');
SELECT ok(pg_temp.same_dated_plans(4), 'dated assignments to a flexible schedule');
SELECT ok(pg_temp.same_dated_plans(5), 'dated assignments to a rotation');
SELECT ok(pg_temp.same_dated_plans(6), 'dated assignments to a later-anchored rotation');
SELECT ok(pg_temp.same_dated_plans(7), 'dated assignments to a schedule without rules');
SELECT ok(pg_temp.same_dated_plans(8), 'dated assignments to a flexible schedule without core');
SELECT set_eq($$SELECT * FROM dated_listed$$, $$SELECT * FROM dated_expected$$,
              'dated assignments: listed plans equal attendance_plans');

-- Employees share a plan exactly when they have the same schedule on every
-- plan day, found here day by day.
CREATE TEMP TABLE dated_days AS
SELECT pr.first_day, e.employee_id,
       array_agg(coalesce(a.schedule_id, e.schedule_id) ORDER BY g.day) AS schedules
FROM periods pr
CROSS JOIN otan_enbek.employee e
CROSS JOIN generate_series(pr.first_day - 2, pr.last_day + 2, interval '1 day') AS g(day)
LEFT JOIN otan_enbek.employee_schedule a
       ON a.org_id = e.org_id AND a.employee_id = e.employee_id
      AND g.day >= a.valid_from AND (a.valid_to IS NULL OR g.day <= a.valid_to)
WHERE e.org_id = 4703
GROUP BY pr.first_day, e.employee_id;
SELECT is((SELECT count(*)
           FROM dated_expected x
           JOIN dated_days dx ON dx.first_day = x.first_day AND dx.employee_id = x.employee_id
           JOIN expected y ON y.first_day = x.first_day
           JOIN dated_days dy ON dy.first_day = y.first_day AND dy.employee_id = y.employee_id
           WHERE (x.plan = y.plan) <> (dx.schedules = dy.schedules)), 0::bigint,
          'a dated employee shares a plan with an undated one only on equal days');
SELECT is((SELECT count(*)
           FROM dated_expected x
           JOIN dated_days dx ON dx.first_day = x.first_day AND dx.employee_id = x.employee_id
           JOIN dated_expected y ON y.first_day = x.first_day
           JOIN dated_days dy ON dy.first_day = y.first_day AND dy.employee_id = y.employee_id
           WHERE (x.plan = y.plan) <> (dx.schedules = dy.schedules)), 0::bigint,
          'dated employees share a plan only on equal days');
SELECT ok((SELECT bool_and(x.plan = y.plan)
           FROM dated_expected x
           JOIN expected y ON y.first_day = x.first_day AND y.employee_id = x.employee_id - 116
           WHERE x.employee_id BETWEEN 117 AND 124),
          'adjacent assignments to the own schedule keep its plan');
SELECT ok((SELECT x.plan <> y.plan
           FROM dated_expected x
           JOIN dated_expected y ON y.first_day = x.first_day AND y.employee_id = 101
           WHERE x.employee_id = 141 AND x.first_day = '2026-03-01'),
          'an assignment one day later changes the plan');

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
