-- Generates organization 2 for bench/run-plans-bench: employees whose
-- schedules change by dated assignments, so that most employees have a
-- sequence of schedules of their own and attendance_plans packs a plan for
-- each.
--
-- psql variables: employees (default 2400) and first_year (default 2026,
-- the year that the assignments cover).  The random numbers are seeded, so
-- every run generates the same rows.
\if :{?employees}
\else
\set employees 2400
\endif
\if :{?first_year}
\else
\set first_year 2026
\endif

SELECT setseed(0.42) \g /dev/null

INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (2, '090440004637', 'Dated schedules');

-- One schedule of each kind: fixed, night, split, flexible with core hours,
-- two rotations (one of them crossing midnight) and one without rules.
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, kind, rotation_anchor,
        rotation_days, daily_norm_min, core_start, core_end, break_after_min,
        break_deduct_min, grace_late_min, window_before_min, count_early_arrival)
VALUES (2, 1, 'Fixed 09-18', 'weekly', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 5, 240,
        false),
       (2, 2, 'Night 20-08', 'weekly', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 120, true),
       (2, 3, 'Split 08-12 and 16-20', 'weekly', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0,
        60, false),
       (2, 4, 'Flexible 07-20', 'flexible', NULL, NULL, 480, '10:00', '16:00', 360, 60, 0, 240,
        false),
       (2, 5, 'Rotation 2 on 2 off', 'rotation', make_date(:first_year, 1, 3), 4, NULL, NULL,
        NULL, NULL, NULL, 0, 240, false),
       (2, 6, 'Rotation night 1 on 2 off', 'rotation', make_date(:first_year, 6, 10), 3, NULL,
        NULL, NULL, NULL, NULL, 0, 240, false),
       (2, 7, 'No rules', 'weekly', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0, 240, false);
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, part_no, start_time,
        end_time, break_start, break_end)
SELECT 2, 1, d, 1, time '09:00', time '18:00', time '13:00', time '14:00'
FROM generate_series(1, 5) d
UNION ALL
SELECT 2, 2, d, 1, '20:00', '08:00', '00:00', '01:00' FROM generate_series(1, 5) d
UNION ALL
SELECT 2, 3, d, p, CASE p WHEN 1 THEN time '08:00' ELSE '16:00' END,
       CASE p WHEN 1 THEN time '12:00' ELSE '20:00' END, NULL, NULL
FROM generate_series(1, 6) d CROSS JOIN generate_series(1, 2) p
UNION ALL
SELECT 2, 4, d, 1, '07:00', '20:00', NULL, NULL FROM generate_series(1, 5) d
UNION ALL
SELECT 2, 5, d, 1, '08:00', '20:00', '12:30', '13:00' FROM generate_series(1, 2) d
UNION ALL
SELECT 2, 6, 1, 1, '22:00', '06:00', '02:00', '02:30';

-- Every tenth employee has no schedule of their own, so that days between
-- assignments fall back to calendar-day mode.
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
        schedule_id)
SELECT 2, v.n, v.c, 'Dated', 'Employee', CASE WHEN v.n % 10 <> 0 THEN 1 + v.n % 7 END
FROM (SELECT row_number() OVER (ORDER BY c)::integer AS n, c
      FROM (SELECT lpad((850101300000 + n)::text, 12, '0') AS c
            FROM generate_series(0, 40 * :employees) n) x
      WHERE otan_enbek.is_valid_iin(c)
      ORDER BY c
      LIMIT :employees) v;

-- Up to eleven assignments an employee over the year, each of 5 to 45
-- days, with gaps of 0 to 10 days between them, to a random schedule.
INSERT INTO otan_enbek.employee_schedule (org_id, employee_id, schedule_id, valid_from,
        valid_to)
SELECT 2, a.employee_id, a.schedule_id, a.valid_from, a.valid_from + a.length_days - 1
FROM (SELECT g.employee_id, g.schedule_id, g.length_days,
             make_date(:first_year, 1, 1) - 5
             + (sum(g.length_days + g.gap_days) OVER w - g.length_days)::integer
                 AS valid_from
      FROM (SELECT e.employee_id, k.k, 1 + floor(random() * 7)::integer AS schedule_id,
                   5 + floor(random() * 41)::integer AS length_days,
                   floor(random() * 11)::integer AS gap_days
            FROM otan_enbek.employee e
            CROSS JOIN generate_series(1, 11) k
            WHERE e.org_id = 2) g
      WINDOW w AS (PARTITION BY g.employee_id ORDER BY g.k)) a
WHERE a.valid_from <= make_date(:first_year, 12, 31) + 5;

ANALYZE otan_enbek.employee, otan_enbek.employee_schedule, otan_enbek.work_schedule,
        otan_enbek.work_schedule_rule;
