-- Months that cannot be reported yet or at all: a year without production
-- calendar rows, a month that has not started, and a timesheet submitted
-- before its month ended.  The months are far enough in the past or the
-- future that the output does not depend on today's date.  The months
-- around today are checked in test/pgtap/timesheet_month.sql.
-- The whole test runs in one transaction that is rolled back, the
-- extension included when this test created it.
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS otan_enbek;
SET LOCAL client_min_messages = notice;
SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL DateStyle = 'ISO, YMD';
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never

INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
VALUES (4701, '050440000012', 'School 47', 'Asia/Almaty');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, window_after_min)
VALUES (4701, 4701, 'Day 09-18', 360);
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
        end_time, break_start, break_end)
SELECT 4701, 4701, d, time '09:00', time '18:00', time '13:00', time '14:00'
FROM generate_series(1, 5) d;
UPDATE otan_enbek.organization SET default_schedule_id = 4701 WHERE org_id = 4701;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
        contract_id, contract_start)
VALUES (4701, 1, '810111300012', 'Abenova', 'Aigerim', 'C-1', '2001-01-01');

-- The built-in calendar covers 2025 and 2026.
SELECT extract(year FROM day) AS year, count(*) AS days
FROM otan_enbek.calendar_day GROUP BY 1 ORDER BY 1;

-- compute_attendance warns about each year of its period without calendar
-- rows and computes the days all the same: 30 December 2024 to 2 January
-- 2025 warns about 2024 only, and a period in 2026 does not warn.
SELECT otan_enbek.compute_attendance(4701, '2024-12-30', '2025-01-02') AS rows_written;
SELECT work_day, day_kind FROM otan_enbek.attendance_day
WHERE org_id = 4701 ORDER BY work_day;
SELECT otan_enbek.compute_attendance(4701, '2026-05-01', '2026-05-03') AS rows_written;
SELECT otan_enbek.compute_attendance(4701, '2098-12-31', '2099-01-01') AS rows_written;

-- build_timesheet rejects a month of a year without calendar rows, and
-- stores nothing.
SELECT otan_enbek.build_timesheet(4701, '2024-05-01');
SELECT otan_enbek.build_timesheet(4701, '0001-01-01');
SELECT count(*) AS timesheets FROM otan_enbek.timesheet WHERE org_id = 4701;

-- A month that starts after today is rejected, even with its calendar.
SELECT otan_enbek.build_timesheet(4701, '2999-01-01');
INSERT INTO otan_enbek.calendar_day (day, kind, name)
VALUES ('2999-01-01', 'holiday', 'New Year');
SELECT otan_enbek.build_timesheet(4701, '2999-01-15');
SELECT count(*) AS timesheets FROM otan_enbek.timesheet WHERE org_id = 4701;

-- With rows of 2024 in the calendar, here only the holidays of May (1, 7
-- and 9 May), May 2024 is built: 23 weekdays less 3 holidays are 20
-- working days.
INSERT INTO otan_enbek.calendar_day (day, kind, name)
VALUES ('2024-05-01', 'holiday', 'Day of Unity of the People of Kazakhstan'),
       ('2024-05-07', 'holiday', 'Defender of the Fatherland Day'),
       ('2024-05-09', 'holiday', 'Victory Day');
SELECT otan_enbek.build_timesheet(4701, '2024-05-01') AS may_2024 \gset
SELECT month, working_days, norm_hours, employee_count
FROM otan_enbek.timesheet WHERE org_id = 4701;

-- submit_timesheet rejects a timesheet whose month has not ended, and one
-- built before its month ended.  These checks come before signing, so
-- this test needs no key.  The schedule's window closes 6 hours after the
-- end of the 18:00 shift, at midnight, so the last day of a month is final
-- from local midnight after it.
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, version, status,
        working_days, norm_hours, built_at)
OVERRIDING SYSTEM VALUE
VALUES (4701, 4791, '2999-01-01', 1, 'built', 22, 176, '2999-01-31 17:00+05'),
       (4701, 4792, '2025-11-01', 2, 'built', 20, 160, '2025-11-30 23:59:59+05'),
       (4701, 4793, '2025-11-01', 1, 'superseded', 20, 160, '2025-11-20 12:00+05');
SELECT otan_enbek.submit_timesheet(4791);
SELECT otan_enbek.submit_timesheet(4792);
-- The check of the status comes first.
SELECT otan_enbek.submit_timesheet(4793);
SELECT timesheet_id, status FROM otan_enbek.timesheet
WHERE org_id = 4701 AND timesheet_id > 4790 ORDER BY timesheet_id;
SELECT count(*) AS submissions FROM otan_enbek.submission WHERE org_id = 4701;

-- A later window moves the time from which a month is final: a night
-- shift 20:00-08:00 with 6 hours after it ends at 14:00 on the day after.
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, window_after_min)
VALUES (4701, 4702, 'Night 20-08', 360);
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
VALUES (4701, 4702, 7, time '20:00', time '08:00');
SELECT otan_enbek.attendance_final_at(4701, '2025-11-30') AS final_at;
UPDATE otan_enbek.timesheet SET built_at = '2025-12-01 13:59:59+05' WHERE timesheet_id = 4792;
SELECT otan_enbek.submit_timesheet(4792);
-- Built at that time, it passes these checks and fails the next one, as
-- it has no lines.
UPDATE otan_enbek.timesheet SET built_at = '2025-12-01 14:00:00+05' WHERE timesheet_id = 4792;
SELECT otan_enbek.submit_timesheet(4792);

ROLLBACK;
