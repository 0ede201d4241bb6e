-- attendance_compute_days gives the same rows with a parallel worker as
-- without one when the employee ids lie at the ends of the int32 range.
-- The worker finds its first employee by id in the employees that the
-- leader shared, through the id array for dense ids and through the hash
-- table for sparse ones.
BEGIN;
SELECT plan(6);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4951, '090440004697', 'Id edges');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4951, 4951, 'Gate');
INSERT INTO otan_enbek.access_point (org_id, source_id, device, clock_skew_sec, direction,
        counts_for_attendance)
VALUES (4951, 4951, 'T-SLOW', 300, 'both', true), (4951, 4951, 'T-CAFE', 0, 'both', false);
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4951, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT 4951, 1, d, '09:00', '18:00' FROM generate_series(1, 5) d;
SELECT otan_enbek.ensure_event_partitions('2026-02-01', '2026-02-28') >= 0 AS partitions;

-- Twenty dense ids at the bottom of int32 and twenty at the top, so that
-- the ids of all forty are sparse and those of either end are dense.
CREATE TEMP TABLE edge_ids AS
SELECT id, row_number() OVER (ORDER BY id) AS n
FROM (SELECT -2147483648 + g AS id FROM generate_series(0, 19) g
      UNION ALL
      SELECT 2147483647 - g FROM generate_series(0, 19) g) i;
-- valid IINs: a birth date, century digit 3, a serial and the check digit
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id)
SELECT 4951, e.id, x.iin, 'Edge', 'E' || e.n, 1
FROM edge_ids e
JOIN (SELECT row_number() OVER (ORDER BY p) AS n,
             (SELECT p || d FROM generate_series(0, 9) d
              WHERE otan_enbek.is_valid_iin(p || d) LIMIT 1) AS iin
      FROM (SELECT '8501013' || lpad(k::text, 4, '0') AS p
            FROM generate_series(1, 200) k) s
      WHERE EXISTS (SELECT 1 FROM generate_series(0, 9) d
                    WHERE otan_enbek.is_valid_iin(p || d))) x ON x.n = e.n;
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
SELECT 4951, employee_id, 'person', employee_id::text
FROM otan_enbek.employee WHERE org_id = 4951;

-- Each employee enters through the slow door, passes the cafe and leaves
-- on five days.  The ids next to each end (without a plan) have events
-- too, which must not count.
INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id, device,
        credential_kind, credential, employee_id, direction)
SELECT 4951, row_number() OVER (ORDER BY t, emp, dir), t AT TIME ZONE 'Asia/Almaty', 4951,
       'e' || emp || '-' || t || '-' || dir, dev, 'person', emp::text, emp, dir
FROM (SELECT e.id AS emp, w.d + time '09:00' + make_interval(mins => (e.n % 13)::int - 6) AS t,
             'in' AS dir, 'T-SLOW' AS dev
      FROM edge_ids e, (SELECT date '2026-02-02' + i AS d FROM generate_series(0, 4) i) w
      UNION ALL
      SELECT e.id, w.d + time '12:30', 'out', 'T-CAFE'
      FROM edge_ids e, (SELECT date '2026-02-02' + i AS d FROM generate_series(0, 4) i) w
      UNION ALL
      SELECT e.id, w.d + time '18:00' + make_interval(mins => (e.n % 11)::int - 5), 'out', 'T-OK'
      FROM edge_ids e, (SELECT date '2026-02-02' + i AS d FROM generate_series(0, 4) i) w
      WHERE e.n % 9 <> 0
      UNION ALL
      SELECT x.id, date '2026-02-03' + time '10:00', 'in', 'T-OK'
      FROM (VALUES (-2147483648 + 20), (2147483647 - 20)) x(id)) v;

SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_days AS
SELECT * FROM otan_enbek.attendance_compute_days(4951, '2026-02-02', '2026-02-06',
                                                 '2026-01-30', '2026-02-10')
WITH ORDINALITY AS d;
SELECT is((SELECT count(*) FROM serial_days), 200::bigint,
          'serial: five days of forty employees');
SELECT is((SELECT count(*) FROM serial_days WHERE punch_count > 0), 200::bigint,
          'serial: every day has punches');

SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL otan_enbek.attendance_parallel_min_employees = 1;
SELECT results_eq(
    $$SELECT * FROM otan_enbek.attendance_compute_days(4951, '2026-02-02', '2026-02-06',
                                                       '2026-01-30', '2026-02-10')
      WITH ORDINALITY AS d$$,
    $$SELECT * FROM serial_days ORDER BY ordinality$$,
    'worker: sparse ids at both ends');
SELECT results_eq(
    $$SELECT * FROM otan_enbek.attendance_compute_days(4951, '2026-02-02', '2026-02-06',
                                                       '2026-01-30', '2026-02-10', NULL,
                                                       2147483647 - 19, NULL)$$,
    $$SELECT employee_id, work_day, schedule_id, day_kind, is_final, shift_start, shift_end,
             first_in, last_out, present_sec, worked_sec, late_sec, early_leave_sec,
             early_arrival_sec, overtime_sec, night_sec, punch_count, anomalies, event_ids,
             norm_sec
      FROM serial_days WHERE employee_id >= 2147483647 - 19 ORDER BY ordinality$$,
    'worker: dense ids up to int32 maximum');
SELECT results_eq(
    $$SELECT * FROM otan_enbek.attendance_compute_days(4951, '2026-02-02', '2026-02-06',
                                                       '2026-01-30', '2026-02-10', NULL,
                                                       NULL, -2147483648 + 19)$$,
    $$SELECT employee_id, work_day, schedule_id, day_kind, is_final, shift_start, shift_end,
             first_in, last_out, present_sec, worked_sec, late_sec, early_leave_sec,
             early_arrival_sec, overtime_sec, night_sec, punch_count, anomalies, event_ids,
             norm_sec
      FROM serial_days WHERE employee_id <= -2147483648 + 19 ORDER BY ordinality$$,
    'worker: dense ids from int32 minimum');
SELECT is((SELECT count(*)
           FROM otan_enbek.attendance_compute_days(4951, '2026-02-02', '2026-02-06',
                                                   '2026-01-30', '2026-02-10')
           WHERE employee_id IN (-2147483648 + 20, 2147483647 - 20)),
          0::bigint, 'worker: no days without a plan');

SELECT * FROM finish();
ROLLBACK;
