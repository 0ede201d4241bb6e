-- A timesheet reflects the events stored when it is built, also those read
-- after its month's attendance was computed.  May 2026 has 17 working
-- days: 1 May (Friday), 7, 9 (Saturday) and 27 are holidays, and Monday 11
-- is off for Victory Day.  The employee works 09:00-18:00 with lunch
-- 13:00-14:00, so a full day is 8 hours.
-- The whole test runs in one transaction that is rolled back, the
-- extension included when this test created it.
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS otan_enbek;
SET LOCAL client_min_messages = notice;
SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL DateStyle = 'ISO, YMD';

INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
VALUES (4501, '090440004210', 'School 45', 'Asia/Almaty');
INSERT INTO otan_enbek.source (org_id, source_id, name, default_format)
VALUES (4501, 4501, 'Turnstile', 'zkteco');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name)
VALUES (4501, 4501, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
        end_time, break_start, break_end)
SELECT 4501, 4501, d, time '09:00', time '18:00', time '13:00', time '14:00'
FROM generate_series(1, 5) d;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
        schedule_id, contract_id, contract_start)
VALUES (4501, 1, '850111304210', 'Abenov', 'Arman', 4501, 'C-1', '2020-09-01');
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4501, 1, 'person', '17');

-- Codes by day, a dot for an empty code, and the hours of days 1, 4, 22
-- and 25.
CREATE TEMP VIEW sheet AS
SELECT t.timesheet_id, t.version, t.status, t.working_days, t.norm_hours,
       array_to_string(array_replace(l.day_codes, '', '.'), ' ') AS codes,
       l.day_hours[1] AS h1, l.day_hours[4] AS h4, l.day_hours[22] AS h22,
       l.day_hours[25] AS h25,
       l.days_worked, l.hours_worked, l.holiday_hours, l.absence_days
FROM otan_enbek.timesheet t
JOIN otan_enbek.timesheet_line l USING (org_id, timesheet_id)
WHERE t.org_id = 4501;

-- Only Monday 4 May has punches when the month is first built.
SELECT inserted_count FROM otan_enbek.ingest(4501, NULL,
    E'17\t2026-05-04 08:58:00\t1\t0\t1\t0\n' ||
    E'17\t2026-05-04 18:02:00\t1\t1\t1\t0\n');
SELECT otan_enbek.build_timesheet(4501, '2026-05-01') AS first_id \gset
SELECT version, status, working_days, norm_hours, codes FROM sheet ORDER BY version;
SELECT h1, h4, h22, days_worked, hours_worked, holiday_hours, absence_days
FROM sheet ORDER BY version;

-- Punches of 1 May (holiday work 10:00-15:00, 4 hours after lunch) and of
-- 22 May are read after the build.  The next build, in place because the
-- timesheet is still built, shows them: 1 May РП, 22 May Я.
SELECT inserted_count FROM otan_enbek.ingest(4501, NULL,
    E'17\t2026-05-01 10:00:00\t1\t0\t1\t0\n' ||
    E'17\t2026-05-01 15:00:00\t1\t1\t1\t0\n' ||
    E'17\t2026-05-22 09:00:00\t1\t0\t1\t0\n' ||
    E'17\t2026-05-22 18:00:00\t1\t1\t1\t0\n');
SELECT otan_enbek.build_timesheet(4501, '2026-05-20') = :first_id AS rebuilt_in_place;
SELECT version, status, working_days, norm_hours, codes FROM sheet ORDER BY version;
SELECT h1, h4, h22, days_worked, hours_worked, holiday_hours, absence_days
FROM sheet ORDER BY version;
SELECT work_day, day_kind, punch_count, worked_sec
FROM otan_enbek.attendance_day
WHERE org_id = 4501 AND work_day IN ('2026-05-01', '2026-05-22')
ORDER BY work_day;

-- The school gives its staff Friday 29 May off (org_calendar_day): the
-- next build has 16 working days, and 29 May is В instead of П.
INSERT INTO otan_enbek.org_calendar_day (org_id, day, kind, name)
VALUES (4501, '2026-05-29', 'day_off', 'School day off');
SELECT otan_enbek.build_timesheet(4501, '2026-05-01') = :first_id AS rebuilt_in_place;
SELECT version, status, working_days, norm_hours, codes FROM sheet ORDER BY version;

-- Once version 1 is submitted, punches of 25 May read later appear in
-- version 2, and version 1 stays as it was submitted.
UPDATE otan_enbek.timesheet SET status = 'submitted'
WHERE org_id = 4501 AND timesheet_id = :first_id;
SELECT inserted_count FROM otan_enbek.ingest(4501, NULL,
    E'17\t2026-05-25 09:00:00\t1\t0\t1\t0\n' ||
    E'17\t2026-05-25 18:00:00\t1\t1\t1\t0\n');
SELECT otan_enbek.build_timesheet(4501, '2026-05-01') <> :first_id AS new_version;
SELECT version, status, codes FROM sheet ORDER BY version;
SELECT version, h25, days_worked, hours_worked, absence_days FROM sheet ORDER BY version;

ROLLBACK;
