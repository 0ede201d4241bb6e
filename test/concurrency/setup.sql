-- Organization of the concurrency run: 100 employees with valid IINs, a
-- person credential each, a 09:00-18:00 weekday schedule, one source, and
-- a function that adds a timesheet version to submit.  Every timesheet has
-- one line for the employee with IIN 810111300012, whose contract is
-- seeded in the local Enbek service, so each submission ends accepted.
\set ON_ERROR_STOP 1

CREATE EXTENSION otan_enbek;

INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
VALUES (1, '050440000012', 'Concurrency school', 'Asia/Almaty');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (1, 1, 'Main entrance');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (1, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
        end_time, break_start, break_end)
SELECT 1, 1, d, '09:00', '18:00', '13:00', '14:00' FROM generate_series(1, 5) AS d;
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = 1;

INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
        contract_start)
SELECT 1, n, iin, 'Employee', 'No. ' || n, '2020-01-01'
FROM (SELECT row_number() OVER (ORDER BY iin) AS n, iin
      FROM (SELECT '8202123' || lpad(serial::text, 4, '0') || digit AS iin
            FROM generate_series(1, 200) AS serial,
                 generate_series(0, 9) AS digit) AS candidate
      WHERE otan_enbek.is_valid_iin(iin)) AS valid
WHERE n <= 100;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
VALUES (1, 1000, '810111300012', 'Submitted', 'Employee');
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
SELECT 1, employee_id, 'person', employee_id::text FROM otan_enbek.employee
WHERE employee_id <= 100;

CREATE SEQUENCE public.concurrency_version;

-- Adds a built timesheet for November 2025 with the next version number and
-- returns its id.
CREATE FUNCTION public.concurrency_new_timesheet() RETURNS integer
    LANGUAGE sql AS $$
WITH sheet AS (
    INSERT INTO otan_enbek.timesheet (org_id, month, version, working_days, norm_hours,
                                      employee_count)
    VALUES (1, '2025-11-01', nextval('public.concurrency_version'), 20, 160, 1)
    RETURNING timesheet_id
), line AS (
    INSERT INTO otan_enbek.timesheet_line (org_id, timesheet_id, employee_id, line_no, iin,
                                           full_name, day_codes, day_hours, days_worked,
                                           hours_worked)
    SELECT 1, timesheet_id, 1000, 1, '810111300012', 'Submitted Employee',
           ARRAY['Я'], ARRAY[8.00], 1, 8.00
    FROM sheet
)
SELECT timesheet_id FROM sheet
$$;
