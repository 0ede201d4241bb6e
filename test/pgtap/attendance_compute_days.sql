-- attendance_compute_days gives the rows of the attendance_days aggregate
-- grouped by employee, with the access point rules applied per event, and
-- attendance_write_days writes those rows.
BEGIN;
SELECT plan(9);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4941, '090440004697', 'Scan');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4941, 4941, 'Gate');
-- a slow clock, a door whose passes are entries, and a door that does not count
INSERT INTO otan_enbek.access_point (org_id, source_id, device, clock_skew_sec, direction,
        counts_for_attendance)
VALUES (4941, 4941, 'T-SLOW', 300, 'both', true), (4941, 4941, 'T-IN', 0, 'in', true),
       (4941, 4941, 'T-CAFE', 0, 'both', false);
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4941, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT 4941, 1, d, '09:00', '18:00' FROM generate_series(1, 5) d;
-- employee 3 is dismissed before the period: its events do not count
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id,
        dismissed_on)
VALUES (4941, 1, '850101300005', 'Scan', 'One', 1, NULL),
       (4941, 2, '850101300015', 'Scan', 'Two', 1, NULL),
       (4941, 3, '850101300025', 'Scan', 'Gone', 1, '2026-01-31');
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4941, 1, 'person', '1'), (4941, 2, 'person', '2'), (4941, 3, 'person', '3');
SELECT otan_enbek.ensure_event_partitions('2026-02-01', '2026-02-28') >= 0 AS partitions;
INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id, device,
        credential_kind, credential, employee_id, direction, counts_for_attendance)
SELECT 4941, id, t AT TIME ZONE 'Asia/Almaty', 4941, 's' || id, dev, 'person', emp::text, emp,
       dir, counts
FROM (VALUES (1, 1, timestamp '2026-02-02 08:57', 'in', 'T-SLOW', true),
             (2, 1, '2026-02-02 12:00', 'out', 'T-CAFE', true),
             (3, 1, '2026-02-02 17:55', 'out', 'T-SLOW', true),
             (4, 2, '2026-02-02 09:10', NULL, 'T-IN', true),
             (5, 2, '2026-02-02 18:05', 'out', NULL, true),
             (6, 2, '2026-02-03 09:00', 'in', 'T-OK', false),
             (7, 2, '2026-02-03 09:01', 'in', 'T-OK', true),
             (8, 2, '2026-02-03 09:01', 'in', 'T-OK', true),
             (9, 3, '2026-02-02 09:00', 'in', 'T-OK', true)) AS v(id, emp, t, dir, dev, counts);

-- The aggregate over the same events, with the access point rules of
-- compute_attendance written out in SQL.
CREATE TEMP TABLE expected AS
SELECT g.employee_id, d.*
FROM (SELECT u.employee_id,
             otan_enbek.attendance_days(u.plan, u.emit_from, u.emit_to, u.occurred_at,
                                        u.direction, u.event_id) AS days
      FROM (SELECT p.employee_id, p.plan, p.emit_from, p.emit_to,
                   NULL::timestamptz AS occurred_at, NULL::text AS direction,
                   NULL::bigint AS event_id
            FROM otan_enbek.attendance_plans(4941, '2026-02-02', '2026-02-06', now()) p
            UNION ALL
            SELECT e.employee_id, NULL, NULL, NULL,
                   e.occurred_at + make_interval(secs => coalesce(ap.clock_skew_sec, 0)),
                   coalesce(e.direction,
                            CASE WHEN ap.direction IN ('in', 'out') THEN ap.direction END),
                   e.event_id
            FROM otan_enbek.skud_event e
            LEFT JOIN otan_enbek.access_point ap
                   ON ap.org_id = e.org_id AND ap.source_id = e.source_id
                  AND ap.device = e.device
            WHERE e.org_id = 4941 AND e.counts_for_attendance
              AND e.employee_id IS NOT NULL
              AND coalesce(ap.counts_for_attendance, true)) u
      GROUP BY u.employee_id) g
CROSS JOIN LATERAL unnest(g.days) AS d;

SELECT is((SELECT count(*) FROM expected), 10::bigint, 'the aggregate gives five days of two employees');
SELECT results_eq(
    $$SELECT * FROM otan_enbek.attendance_compute_days(4941, '2026-02-02', '2026-02-06',
                                                       '2026-01-30', '2026-02-10')$$,
    $$SELECT * FROM expected ORDER BY employee_id, work_day$$,
    'attendance_compute_days returns the aggregate''s rows in employee and date order');
SELECT results_eq(
    $$SELECT * FROM otan_enbek.attendance_compute_days(4941, '2026-02-02', '2026-02-06',
                                                       '2026-01-30', '2026-02-10', '{2}')$$,
    $$SELECT * FROM expected WHERE employee_id = 2 ORDER BY work_day$$,
    'with employee ids it returns the days of those employees');
SELECT results_eq(
    $$SELECT * FROM otan_enbek.attendance_compute_days(4941, '2026-02-02', '2026-02-06',
                                                       '2026-01-30', '2026-02-10', NULL, 2, 2)$$,
    $$SELECT * FROM expected WHERE employee_id = 2 ORDER BY work_day$$,
    'lo and hi limit the employees by id');
SELECT is((SELECT array[late_sec, early_leave_sec, punch_count]
           FROM otan_enbek.attendance_compute_days(4941, '2026-02-02', '2026-02-02',
                                                   '2026-01-30', '2026-02-10')
           WHERE employee_id = 1),
          array[120, 0, 2],
          'the slow clock is corrected and the door that does not count is skipped');
SELECT is((SELECT first_in
           FROM otan_enbek.attendance_compute_days(4941, '2026-02-02', '2026-02-02',
                                                   '2026-01-30', '2026-02-10')
           WHERE employee_id = 2),
          timestamptz '2026-02-02 09:10+05',
          'a punch without direction takes the direction of its door');

-- attendance_write_days writes the same rows, as compute_attendance does
SELECT is(otan_enbek.attendance_write_days(4941, '2026-02-02', '2026-02-06',
                                           '2026-01-30', '2026-02-10'),
          10::bigint, 'attendance_write_days returns the number of rows written');
SELECT results_eq(
    $$SELECT employee_id, work_day, schedule_id, day_kind, is_final, shift_start, shift_end,
             first_in, last_out, present_sec, worked_sec, late_sec, early_leave_sec,
             early_arrival_sec, overtime_sec, night_sec, punch_count, anomalies, event_ids,
             norm_sec
      FROM otan_enbek.attendance_day WHERE org_id = 4941 AND computed_at = now()
        AND absence_code IS NULL AND first_in_rounded IS NULL
      ORDER BY employee_id, work_day$$,
    $$SELECT * FROM expected ORDER BY employee_id, work_day$$,
    'the written rows are the computed rows');

-- a role under row-level security inserts through its policies instead
DELETE FROM otan_enbek.attendance_day WHERE org_id = 4941;
SET LOCAL ROLE otan_enbek_operator;
SELECT throws_ok(
    $$SELECT otan_enbek.attendance_write_days(4941, '2026-02-02', '2026-02-06',
                                              '2026-01-30', '2026-02-10')$$,
    '0A000', 'attendance_write_days cannot write to attendance_day',
    'attendance_write_days refuses to bypass row-level security');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
