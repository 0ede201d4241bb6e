-- Timesheet of March 2026 (form No. 421 codes): holidays 8 (Sunday), 21-23
-- (Nauryz), days off 9, 24 and 25 by transfer, so 18 working days and a
-- norm of 144 hours.  Absences, hiring and dismissal within the month, a
-- reduced week, holiday work, rebuild in place and new versions.
-- The whole test runs in one transaction that is rolled back, the
-- extension included when this test created it.
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS otan_enbek;
SET LOCAL client_min_messages = notice;
SET LOCAL timezone = 'Asia/Almaty';

INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
VALUES (4202, '090440004220', 'School 43', 'Asia/Almaty');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4202, 4202, 'Turnstiles');
INSERT INTO otan_enbek.department (org_id, department_id, name)
VALUES (4202, 1, 'Teachers'), (4202, 2, 'Administration');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, week_hours)
VALUES (4202, 4211, 'Day 09-18', 40), (4202, 4212, 'Reduced 36 h', 36);
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
        end_time, break_start, break_end)
SELECT 4202, 4211, d, time '09:00', time '18:00', time '13:00', time '14:00'
FROM generate_series(1, 5) d
UNION ALL
SELECT 4202, 4212, d, time '09:00', time '17:12', time '13:00', time '14:00'
FROM generate_series(1, 5) d;

INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, middle_name,
        department_id, position, personnel_no, schedule_id, contract_id, contract_start,
        dismissed_on)
VALUES (4202, 1, '850111304210', 'Abenov', 'Arman', 'Serikovich', 1, 'Teacher', 'T-1', 4211, 'C-1', '2020-09-01', NULL),
       (4202, 2, '850212304222', 'Bekova', 'Aigul', NULL, 1, 'Teacher', 'T-2', 4211, 'C-2', '2021-09-01', NULL),
       (4202, 3, '850313304239', 'Zhaksylykov', 'Nurlan', NULL, 2, 'Accountant', 'A-1', 4211, 'C-3', '2026-03-16', NULL),
       (4202, 4, '850414304248', 'Omarova', 'Dana', NULL, 2, 'Secretary', 'A-2', 4211, 'C-4', '2019-01-10', '2026-03-20'),
       (4202, 5, '850515304257', 'Sultanov', 'Yerlan', NULL, 1, 'Teacher', 'T-3', 4212, 'C-5', '2018-02-01', NULL),
       (4202, 6, '850616304266', 'Tokayeva', 'Mira', NULL, 1, 'Teacher', 'T-4', 4211, 'C-6', '2015-05-05', '2026-02-27');

SELECT otan_enbek.ensure_event_partitions('2026-02-01', '2026-04-30') >= 0 AS partitions;

-- Every employee punches in at 09:00 and out at the end of the shift on
-- every working day of the production calendar, except where noted.
INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id,
        device, credential_kind, credential, employee_id, direction)
SELECT 4202, e.employee_id * 1000 + extract(day FROM d)::int * 10 + p.n,
       (d + p.at) AT TIME ZONE 'Asia/Almaty', 4202, 'x' || e.employee_id || d || p.n, 'T1',
       'person', e.employee_id::text, e.employee_id, p.dir
FROM otan_enbek.employee e
CROSS JOIN generate_series(timestamp '2026-03-01', '2026-03-31', interval '1 day') d
CROSS JOIN LATERAL (VALUES (1, time '09:00', 'in'),
                           (2, CASE WHEN e.schedule_id = 4212 THEN time '17:12'
                                    WHEN e.employee_id = 1 AND d = '2026-03-18' THEN time '19:00'
                                    ELSE time '18:00' END, 'out')) p(n, at, dir)
WHERE e.org_id = 4202
  AND extract(isodow FROM d) <= 5
  AND d::date NOT IN ('2026-03-09', '2026-03-23', '2026-03-24', '2026-03-25')
  AND NOT (e.employee_id = 1 AND d::date IN ('2026-03-10', '2026-03-11', '2026-03-12', '2026-03-17'))
  AND NOT (e.employee_id = 2 AND d::date BETWEEN '2026-03-16' AND '2026-03-20')
  AND NOT (e.employee_id = 3 AND d::date < '2026-03-16')
  AND NOT (e.employee_id = 4 AND d::date > '2026-03-20');

-- Holiday work on Nauryz (Monday 23 March): 10:00-15:00 less the lunch hour.
INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id,
        device, credential_kind, credential, employee_id, direction)
VALUES (4202, 9001, '2026-03-23 10:00+05', 4202, 'h1', 'T1', 'person', '1', 1, 'in'),
       (4202, 9002, '2026-03-23 15:00+05', 4202, 'h2', 'T1', 'person', '1', 1, 'out');

INSERT INTO otan_enbek.absence (org_id, employee_id, kind, first_day, last_day)
VALUES (4202, 1, 'vacation', '2026-03-10', '2026-03-12'),
       (4202, 2, 'sick_leave', '2026-03-16', '2026-03-20');

-- The first build computes the month's attendance, which was not computed.
SELECT count(*) AS attendance_rows_before FROM otan_enbek.attendance_day WHERE org_id = 4202;
SELECT otan_enbek.build_timesheet(4202, '2026-03-15') AS first_id \gset
SELECT count(*) AS attendance_rows_after FROM otan_enbek.attendance_day WHERE org_id = 4202;

SELECT month, version, status, working_days, norm_hours, employee_count
FROM otan_enbek.timesheet WHERE org_id = 4202 ORDER BY version;

-- Codes by day, a dot for an empty code.
CREATE TEMP VIEW lines AS
SELECT l.timesheet_id, l.line_no, l.employee_id AS emp, l.full_name, l.department,
       array_to_string(array_replace(l.day_codes, '', '.'), ' ') AS codes
FROM otan_enbek.timesheet_line l
WHERE l.org_id = 4202;
CREATE TEMP VIEW totals AS
SELECT l.timesheet_id, l.employee_id AS emp, l.days_worked, l.hours_worked, l.overtime_hours,
       l.night_hours, l.holiday_hours, l.days_off, l.absence_days, l.norm_hours,
       cardinality(l.day_codes) AS days, cardinality(l.day_hours) AS hour_cells
FROM otan_enbek.timesheet_line l
WHERE l.org_id = 4202;

SELECT line_no, emp, full_name, department, codes FROM lines
WHERE timesheet_id = :first_id ORDER BY line_no;
SELECT emp, days_worked, hours_worked, overtime_hours, night_hours, holiday_hours, days_off,
       absence_days, norm_hours, days, hour_cells
FROM totals WHERE timesheet_id = :first_id ORDER BY emp;

-- Hours by day of the employee with overtime and holiday work.
SELECT array_to_string(day_hours, ' ') AS hours
FROM otan_enbek.timesheet_line
WHERE org_id = 4202 AND timesheet_id = :first_id AND employee_id = 1;
SELECT iin, position, personnel_no, contract_id
FROM otan_enbek.timesheet_line
WHERE org_id = 4202 AND timesheet_id = :first_id AND employee_id = 1;

-- HR explains the unexplained absence of employee 1 on 17 March: while the
-- timesheet is only built, it is rebuilt in place.
INSERT INTO otan_enbek.absence (org_id, employee_id, kind, first_day, last_day)
VALUES (4202, 1, 'business_trip', '2026-03-17', '2026-03-17');
SELECT otan_enbek.build_timesheet(4202, '2026-03-01') = :first_id AS rebuilt_in_place;
SELECT codes FROM lines WHERE timesheet_id = :first_id AND emp = 1;
SELECT absence_days FROM totals WHERE timesheet_id = :first_id AND emp = 1;
SELECT version, status, employee_count FROM otan_enbek.timesheet
WHERE org_id = 4202 ORDER BY version;

-- Once submitted, a build makes version 2 and leaves version 1 as it was.
UPDATE otan_enbek.timesheet SET status = 'submitted'
WHERE org_id = 4202 AND timesheet_id = :first_id;
INSERT INTO otan_enbek.absence (org_id, employee_id, kind, first_day, last_day)
VALUES (4202, 5, 'study_leave', '2026-03-30', '2026-03-31');
SELECT otan_enbek.build_timesheet(4202, '2026-03-31') AS second_id \gset
SELECT :second_id <> :first_id AS new_version;
SELECT version, status, employee_count FROM otan_enbek.timesheet
WHERE org_id = 4202 ORDER BY version;
SELECT t.version, l.codes
FROM lines l JOIN otan_enbek.timesheet t ON t.org_id = 4202 AND t.timesheet_id = l.timesheet_id
WHERE l.emp = 5 ORDER BY t.version;

-- A further build rebuilds version 2, the latest, in place.
SELECT otan_enbek.build_timesheet(4202, '2026-03-02') = :second_id AS latest_rebuilt;
SELECT count(*) AS versions FROM otan_enbek.timesheet WHERE org_id = 4202;

ROLLBACK;
