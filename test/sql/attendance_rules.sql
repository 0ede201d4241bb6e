-- Attendance rules on hand-made punches: one week of February 2026 (UTC+5),
-- a holiday in March 2026, dates before 2024-03-01 (Almaty at UTC+6) and a
-- period in the future.  Every figure below can be checked by hand.
-- The whole test runs in one transaction that is rolled back, the
-- extension included when this test created it.
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS otan_enbek;
SET LOCAL client_min_messages = notice;
SET LOCAL timezone = 'Asia/Almaty';

INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone, dedup_window_sec)
VALUES (4201, '090440004210', 'School 42', 'Asia/Almaty', 60);
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4201, 4201, 'Turnstiles');

-- Day shift 09:00-18:00 with lunch 13:00-14:00, 10 minutes of grace at
-- both ends, overtime counted from 10 minutes.
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, grace_late_min,
        grace_early_min, min_overtime_sec)
VALUES (4201, 4201, 'Day 09-18', 10, 10, 600),
       (4201, 4202, 'Night 20-08', 0, 0, 600);
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
        end_time, break_start, break_end)
SELECT 4201, 4201, d, time '09:00', time '18:00', time '13:00', time '14:00' FROM generate_series(1, 5) d
UNION ALL
SELECT 4201, 4202, d, time '20:00', time '08:00', time '00:00', time '01:00' FROM generate_series(1, 5) d;

INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id)
VALUES (4201, 1, '850111304210', 'Abenov', 'Day', 4201),
       (4201, 2, '850212304222', 'Baimukhanov', 'Night', 4202),
       (4201, 3, '850313304239', 'Serikova', 'Doors', 4201),
       (4201, 4, '850414304248', 'Dauletov', 'Absent', 4201),
       (4201, 5, '850515304257', 'Ermekova', 'Unscheduled', NULL);

INSERT INTO otan_enbek.access_point (org_id, source_id, device, direction, counts_for_attendance)
VALUES (4201, 4201, 'T-IN', 'in', true),
       (4201, 4201, 'T-OUT', 'out', true),
       (4201, 4201, 'T-BOTH', 'both', true),
       (4201, 4201, 'ALARM', 'both', false);

SELECT otan_enbek.ensure_event_partitions('2024-02-01', '2024-03-31') > 0 AS partitions_2024,
       otan_enbek.ensure_event_partitions('2026-02-01', '2026-03-31') >= 0 AS partitions_2026,
       otan_enbek.ensure_event_partitions('2099-01-01', '2099-01-31') >= 0 AS partitions_2099;

-- punch(event id, employee, local time, direction, device) stores one event.
CREATE FUNCTION pg_temp.punch(id bigint, emp integer, local_time timestamp,
                              dir text DEFAULT NULL, device text DEFAULT 'T1',
                              counts boolean DEFAULT true)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id,
            device, credential_kind, credential, employee_id, direction, counts_for_attendance)
    VALUES (4201, id, local_time AT TIME ZONE 'Asia/Almaty', 4201, 'e' || id, device,
            'person', emp::text, emp, dir, counts)
$$;

-- Employee 1, day shift, Monday 2 to Sunday 8 February 2026.
SELECT pg_temp.punch(101, 1, '2026-02-02 08:55', 'in'),      -- normal day with lunch
       pg_temp.punch(102, 1, '2026-02-02 13:05', 'out'),
       pg_temp.punch(103, 1, '2026-02-02 13:55', 'in'),
       pg_temp.punch(104, 1, '2026-02-02 18:05', 'out'),      -- 5 min: below the minimum
       pg_temp.punch(111, 1, '2026-02-03 09:08', 'in'),       -- late within the grace
       pg_temp.punch(112, 1, '2026-02-03 18:00', 'out'),
       pg_temp.punch(121, 1, '2026-02-04 09:25', 'in'),       -- late beyond the grace
       pg_temp.punch(122, 1, '2026-02-04 18:30', 'out'),      -- 30 min overtime
       pg_temp.punch(131, 1, '2026-02-05 09:00', 'in'),
       pg_temp.punch(132, 1, '2026-02-05 17:40', 'out'),      -- early leave
       pg_temp.punch(141, 1, '2026-02-06 09:00', 'in'),       -- missing exit
       pg_temp.punch(151, 1, '2026-02-07 10:00', 'in'),       -- weekend work
       pg_temp.punch(152, 1, '2026-02-07 14:00', 'out');

-- Employee 2, night shift 20:00-08:00 with a break 00:00-01:00.
SELECT pg_temp.punch(201, 2, '2026-02-02 19:50', 'in'),       -- crosses midnight
       pg_temp.punch(202, 2, '2026-02-03 08:10', 'out'),
       pg_temp.punch(211, 2, '2026-02-04 08:00', 'out'),      -- missing entry (Tuesday)
       pg_temp.punch(221, 2, '2026-02-04 20:00', 'in'),       -- consecutive entries
       pg_temp.punch(222, 2, '2026-02-04 21:00', 'in'),
       pg_temp.punch(223, 2, '2026-02-05 08:00', 'out'),
       pg_temp.punch(231, 2, '2026-02-05 20:00:00', 'in'),    -- repeats within 60 s
       pg_temp.punch(232, 2, '2026-02-05 20:00:40', 'in'),
       pg_temp.punch(233, 2, '2026-02-06 08:00:00', 'out'),
       pg_temp.punch(234, 2, '2026-02-06 08:00:30', 'out'),
       pg_temp.punch(241, 2, '2026-02-06 20:00', 'in'),       -- exit and entry at one second
       pg_temp.punch(242, 2, '2026-02-06 23:00', 'out'),
       pg_temp.punch(243, 2, '2026-02-06 23:00', 'in'),
       pg_temp.punch(244, 2, '2026-02-07 08:00', 'out');

-- Employee 3: directions from the access point, by alternation, and
-- events that do not count.
SELECT pg_temp.punch(301, 3, '2026-02-02 09:00', NULL, 'T-IN'),
       pg_temp.punch(302, 3, '2026-02-02 18:00', NULL, 'T-OUT'),
       pg_temp.punch(311, 3, '2026-02-03 09:00', NULL, 'T-BOTH'),
       pg_temp.punch(312, 3, '2026-02-03 13:00', NULL, 'T-BOTH'),
       pg_temp.punch(313, 3, '2026-02-03 14:00', NULL, 'T-BOTH'),
       pg_temp.punch(314, 3, '2026-02-03 18:00', NULL, 'T-BOTH'),
       pg_temp.punch(321, 3, '2026-02-04 09:00:00', NULL, 'T-BOTH'),
       pg_temp.punch(322, 3, '2026-02-04 09:00:30', NULL, 'T-BOTH'),  -- dropped: no direction
       pg_temp.punch(323, 3, '2026-02-04 17:55', NULL, 'T-BOTH'),     -- early within the grace
       pg_temp.punch(331, 3, '2026-02-05 09:00', 'in'),
       pg_temp.punch(332, 3, '2026-02-05 10:00', 'out', 'T1', false), -- denied pass
       pg_temp.punch(333, 3, '2026-02-05 12:00', 'out', 'ALARM'),     -- door that does not count
       pg_temp.punch(334, 3, '2026-02-05 18:00', 'out');

-- Employee 5 has no schedule: calendar days, and a pair across midnight
-- belongs to its entry's day.
SELECT pg_temp.punch(501, 5, '2026-02-02 10:00', 'in'),
       pg_temp.punch(502, 5, '2026-02-02 15:00', 'out'),
       pg_temp.punch(511, 5, '2026-02-03 22:00', 'in'),
       pg_temp.punch(512, 5, '2026-02-04 02:00', 'out');

SELECT otan_enbek.compute_attendance(4201, '2026-02-02', '2026-02-08') AS rows_written;

-- The figures as intervals, so that they read as clock times.
CREATE TEMP VIEW figures AS
SELECT employee_id AS emp, work_day, day_kind AS kind, is_final AS final,
       to_char(first_in, 'DD HH24:MI') AS first_in, to_char(last_out, 'DD HH24:MI') AS last_out,
       make_interval(secs => present_sec) AS present, make_interval(secs => worked_sec) AS worked,
       make_interval(secs => late_sec) AS late, make_interval(secs => early_leave_sec) AS early,
       make_interval(secs => early_arrival_sec) AS arrival,
       make_interval(secs => overtime_sec) AS overtime, make_interval(secs => night_sec) AS night,
       punch_count AS n, anomalies, event_ids
FROM otan_enbek.attendance_day
WHERE org_id = 4201;

SELECT * FROM figures WHERE emp = 1 ORDER BY work_day;
SELECT * FROM figures WHERE emp = 2 ORDER BY work_day;
SELECT * FROM figures WHERE emp = 3 ORDER BY work_day;
SELECT * FROM figures WHERE emp = 4 ORDER BY work_day;
SELECT * FROM figures WHERE emp = 5 ORDER BY work_day;

-- Shift times of the first day of each schedule.
SELECT employee_id, schedule_id, to_char(shift_start, 'DD HH24:MI') AS shift_start,
       to_char(shift_end, 'DD HH24:MI') AS shift_end
FROM otan_enbek.attendance_day
WHERE org_id = 4201 AND work_day = '2026-02-02'
ORDER BY employee_id;

-- A second run gives the same rows.
CREATE TEMP TABLE first_run AS
SELECT * FROM otan_enbek.attendance_day WHERE org_id = 4201;
SELECT otan_enbek.compute_attendance(4201, '2026-02-02', '2026-02-08') AS rows_written;
SELECT count(*) AS differing_rows
FROM ((SELECT org_id, employee_id, work_day, schedule_id, day_kind, is_final, shift_start,
              shift_end, first_in, last_out, present_sec, worked_sec, late_sec,
              early_leave_sec, early_arrival_sec, overtime_sec, night_sec, punch_count,
              anomalies, event_ids
       FROM first_run
       EXCEPT
       SELECT org_id, employee_id, work_day, schedule_id, day_kind, is_final, shift_start,
              shift_end, first_in, last_out, present_sec, worked_sec, late_sec,
              early_leave_sec, early_arrival_sec, overtime_sec, night_sec, punch_count,
              anomalies, event_ids
       FROM otan_enbek.attendance_day WHERE org_id = 4201)
      UNION ALL
      (SELECT org_id, employee_id, work_day, schedule_id, day_kind, is_final, shift_start,
              shift_end, first_in, last_out, present_sec, worked_sec, late_sec,
              early_leave_sec, early_arrival_sec, overtime_sec, night_sec, punch_count,
              anomalies, event_ids
       FROM otan_enbek.attendance_day WHERE org_id = 4201
       EXCEPT
       SELECT org_id, employee_id, work_day, schedule_id, day_kind, is_final, shift_start,
              shift_end, first_in, last_out, present_sec, worked_sec, late_sec,
              early_leave_sec, early_arrival_sec, overtime_sec, night_sec, punch_count,
              anomalies, event_ids
       FROM first_run)) d;

-- A computation of one day leaves the other days as they are.
SELECT otan_enbek.compute_attendance(4201, '2026-02-04', '2026-02-04') AS rows_written;
SELECT count(*) AS rows_of_week FROM otan_enbek.attendance_day WHERE org_id = 4201;

-- Monday 23 March 2026 is Nauryz, a holiday on a scheduled day: work on it
-- is holiday work, and no work on it is not an absence.
SELECT pg_temp.punch(601, 1, '2026-03-23 10:00', 'in'),
       pg_temp.punch(602, 1, '2026-03-23 15:00', 'out');
SELECT otan_enbek.compute_attendance(4201, '2026-03-23', '2026-03-23') AS rows_written;
SELECT * FROM figures WHERE work_day = '2026-03-23' ORDER BY emp;

-- Before 2024-03-01 Almaty was at UTC+6: 09:00 local on Thursday 29
-- February 2024 is 03:00 UTC, and on Friday 1 March it is 04:00 UTC.
SELECT pg_temp.punch(701, 1, '2024-02-29 09:00', 'in'),
       pg_temp.punch(702, 1, '2024-02-29 18:00', 'out'),
       pg_temp.punch(711, 1, '2024-03-01 09:00', 'in'),
       pg_temp.punch(712, 1, '2024-03-01 18:00', 'out');
SELECT otan_enbek.compute_attendance(4201, '2024-02-29', '2024-03-01') AS rows_written;
SELECT * FROM figures WHERE emp = 1 AND work_day < '2024-03-02' ORDER BY work_day;
SELECT work_day, shift_start AT TIME ZONE 'UTC' AS shift_start_utc,
       first_in AT TIME ZONE 'UTC' AS first_in_utc
FROM otan_enbek.attendance_day
WHERE org_id = 4201 AND employee_id = 1 AND work_day < '2024-03-02'
ORDER BY work_day;

-- Days whose window has not closed are not final and never absent.  An
-- entry already made is counted as it is.
SELECT pg_temp.punch(801, 1, '2099-01-05 09:00', 'in');
SELECT otan_enbek.compute_attendance(4201, '2099-01-05', '2099-01-06') AS rows_written;
SELECT * FROM figures WHERE work_day >= '2099-01-01' ORDER BY emp, work_day;

ROLLBACK;
