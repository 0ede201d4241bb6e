-- attendance_compute_days and attendance_write_days give the same rows
-- with a parallel worker as without one.
BEGIN;
SELECT plan(6);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4942, '090440004697', 'Parallel');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4942, 4942, 'Gate');
INSERT INTO otan_enbek.access_point (org_id, source_id, device, clock_skew_sec, direction,
        counts_for_attendance)
VALUES (4942, 4942, 'T-SLOW', 300, 'both', true), (4942, 4942, 'T-IN', 0, 'in', true),
       (4942, 4942, 'T-CAFE', 0, 'both', false);
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4942, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT 4942, 1, d, '09:00', '18:00' FROM generate_series(1, 5) d;
-- valid IINs: a birth date, century digit 3, a serial and the check digit
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id)
SELECT 4942, row_number() OVER (ORDER BY x.p), x.iin, 'Parallel', 'E' || x.p, 1
FROM (SELECT p, (SELECT p || d FROM generate_series(0, 9) d
                 WHERE otan_enbek.is_valid_iin(p || d) LIMIT 1) AS iin
      FROM (SELECT '8501013' || lpad(n::text, 4, '0') AS p
            FROM generate_series(1, 120) n) s) x
WHERE x.iin IS NOT NULL
ORDER BY x.p
LIMIT 60;
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
SELECT 4942, employee_id, 'person', employee_id::text
FROM otan_enbek.employee WHERE org_id = 4942;
SELECT otan_enbek.ensure_event_partitions('2026-02-01', '2026-02-28') >= 0 AS partitions;

-- Each employee enters and leaves on five days, through doors that vary by
-- employee: a slow clock, a door without direction, and a door that does
-- not count.  Every ninth employee has no exit punch, every seventh enters
-- twice, and the events are inserted in time order, not by employee.
INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id, device,
        credential_kind, credential, employee_id, direction)
SELECT 4942, row_number() OVER (ORDER BY t, emp, dir), t AT TIME ZONE 'Asia/Almaty', 4942,
       'p' || emp || '-' || t || '-' || dir, dev, 'person', emp::text, emp,
       CASE WHEN dev = 'T-IN' THEN NULL ELSE dir END
FROM (SELECT n AS emp, w.d + time '09:00' + make_interval(mins => n % 13 - 6) AS t, 'in' AS dir,
             (ARRAY['T-SLOW', 'T-IN', 'T-OK'])[n % 3 + 1] AS dev
      FROM generate_series(1, 60) n, (SELECT date '2026-02-02' + i AS d FROM generate_series(0, 4) i) w
      UNION ALL
      SELECT n, w.d + time '09:00' + make_interval(mins => n % 13 - 4), 'in', 'T-OK'
      FROM generate_series(7, 60, 7) n, (SELECT date '2026-02-02' + i AS d FROM generate_series(0, 4) i) w
      UNION ALL
      SELECT n, w.d + time '12:30', 'out', 'T-CAFE'
      FROM generate_series(1, 60) n, (SELECT date '2026-02-02' + i AS d FROM generate_series(0, 4) i) w
      UNION ALL
      SELECT n, w.d + time '18:00' + make_interval(mins => n % 11 - 5), 'out', 'T-OK'
      FROM generate_series(1, 60) n, (SELECT date '2026-02-02' + i AS d FROM generate_series(0, 4) i) w
      WHERE n % 9 <> 0) v;

SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE serial_days AS
SELECT * FROM otan_enbek.attendance_compute_days(4942, '2026-02-02', '2026-02-06',
                                                 '2026-01-30', '2026-02-10')
WITH ORDINALITY AS d;
SELECT is((SELECT count(*) FROM serial_days), 300::bigint,
          'without a worker there are five days of sixty employees');

SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL otan_enbek.attendance_parallel_min_employees = 1;
SELECT results_eq(
    $$SELECT * FROM otan_enbek.attendance_compute_days(4942, '2026-02-02', '2026-02-06',
                                                       '2026-01-30', '2026-02-10')
      WITH ORDINALITY AS d$$,
    $$SELECT * FROM serial_days ORDER BY ordinality$$,
    'with a worker the rows and their order are the same');
SELECT results_eq(
    $$SELECT * FROM otan_enbek.attendance_compute_days(4942, '2026-02-02', '2026-02-06',
                                                       '2026-01-30', '2026-02-10', NULL, 20, 45)$$,
    $$SELECT employee_id, work_day, schedule_id, day_kind, is_final, shift_start, shift_end,
             first_in, last_out, present_sec, worked_sec, late_sec, early_leave_sec,
             early_arrival_sec, overtime_sec, night_sec, punch_count, anomalies, event_ids,
             norm_sec
      FROM serial_days WHERE employee_id BETWEEN 20 AND 45 ORDER BY ordinality$$,
    'with a worker lo and hi limit the employees by id');
SELECT results_eq(
    $$SELECT count(*) FILTER (WHERE 'missing_exit' = ANY (anomalies)),
             count(*) FILTER (WHERE punch_count = 3),
             count(*) FILTER (WHERE punch_count = 3 AND employee_id % 7 <> 0)
      FROM otan_enbek.attendance_compute_days(4942, '2026-02-02', '2026-02-06',
                                              '2026-01-30', '2026-02-10')$$,
    $$VALUES (30::bigint, 40::bigint, 0::bigint)$$,
    'with a worker the cafe door does not count and missing exits are found');

SELECT is(otan_enbek.attendance_write_days(4942, '2026-02-02', '2026-02-06',
                                           '2026-01-30', '2026-02-10'),
          300::bigint, 'attendance_write_days with a worker returns the number of rows');
SELECT results_eq(
    $$SELECT employee_id, work_day, schedule_id, day_kind, is_final, shift_start, shift_end,
             first_in, last_out, present_sec, worked_sec, late_sec, early_leave_sec,
             early_arrival_sec, overtime_sec, night_sec, punch_count, anomalies, event_ids,
             norm_sec
      FROM otan_enbek.attendance_day WHERE org_id = 4942
      ORDER BY employee_id, work_day$$,
    $$SELECT employee_id, work_day, schedule_id, day_kind, is_final, shift_start, shift_end,
             first_in, last_out, present_sec, worked_sec, late_sec, early_leave_sec,
             early_arrival_sec, overtime_sec, night_sec, punch_count, anomalies, event_ids,
             norm_sec
      FROM serial_days ORDER BY ordinality$$,
    'attendance_write_days with a worker writes the rows computed without one');

SELECT * FROM finish();
ROLLBACK;
