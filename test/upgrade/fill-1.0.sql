-- Fills a database that has otan_enbek 1.0 with a school's November 2025,
-- through the 1.0 interface only: configuration, events ingested from CSV
-- and ZKTeco content (with a rejected line and an unknown card), attendance,
-- the timesheet and its submission.  The upgrade and dump tests run it and
-- then compare what the tables and functions return.  The delivery worker
-- sends the submission on its own after this script commits.
\set ON_ERROR_STOP on

INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES ('050440000012', 'School No. 7', 'Asia/Almaty')
RETURNING org_id AS org \gset

INSERT INTO otan_enbek.department (org_id, name, code)
VALUES (:org, 'Teachers', 'T'), (:org, 'Service', 'S');

INSERT INTO otan_enbek.work_schedule (org_id, name, grace_late_min, grace_early_min)
VALUES (:org, 'Day 09:00-18:00', 10, 10)
RETURNING schedule_id AS day_schedule \gset
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
                                           end_time, break_start, break_end)
SELECT :org, :day_schedule, d, '09:00', '18:00', '13:00', '14:00'
FROM generate_series(1, 5) AS d;
INSERT INTO otan_enbek.work_schedule (org_id, name)
VALUES (:org, 'Night 20:00-08:00')
RETURNING schedule_id AS night_schedule \gset
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT :org, :night_schedule, d, '20:00', '08:00'
FROM generate_series(1, 5) AS d;
UPDATE otan_enbek.organization SET default_schedule_id = :day_schedule WHERE org_id = :org;

-- Five employees with valid IINs: the first check digit that passes.
INSERT INTO otan_enbek.employee (org_id, iin, last_name, first_name, department_id,
                                 position, personnel_no, contract_id, contract_start)
SELECT :org, c.iin, 'Employee', 'No. ' || k, d.department_id,
       CASE WHEN k = 5 THEN 'Guard' ELSE 'Teacher' END, 'P-' || k, 'C-' || c.iin,
       date '2020-09-01'
FROM generate_series(1, 5) AS k
CROSS JOIN LATERAL (
    SELECT p.prefix || digit AS iin
    FROM (SELECT to_char(date '1980-01-01' + k * 400, 'YYMMDD') || '3' || lpad(k::text, 4, '0')
          AS prefix) AS p,
         generate_series(0, 9) AS digit
    WHERE otan_enbek.is_valid_iin(p.prefix || digit)
    ORDER BY digit
    LIMIT 1) AS c
JOIN otan_enbek.department d
  ON d.org_id = :org AND d.name = CASE WHEN k = 5 THEN 'Service' ELSE 'Teachers' END;

-- The guard works nights from November 10; before that, the default day.
INSERT INTO otan_enbek.employee_schedule (org_id, employee_id, schedule_id, valid_from)
SELECT :org, employee_id, :night_schedule, date '2025-11-10'
FROM otan_enbek.employee WHERE org_id = :org AND personnel_no = 'P-5';

INSERT INTO otan_enbek.source (org_id, name, default_format)
VALUES (:org, 'Main entrance', 'csv') RETURNING source_id AS main_source \gset
INSERT INTO otan_enbek.source (org_id, name, default_format)
VALUES (:org, 'Yard gate', 'zkteco') RETURNING source_id AS yard_source \gset
INSERT INTO otan_enbek.access_point (org_id, source_id, device, name, direction)
VALUES (:org, :main_source, 'door-1', 'Main door', 'both'),
       (:org, :yard_source, '7', 'Yard turnstile', 'in');

-- PINs 101 to 105; the guard's card replaced his PIN on November 20.
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value, valid_to)
SELECT :org, employee_id, 'person', '10' || substr(personnel_no, 3),
       CASE WHEN personnel_no = 'P-5' THEN date '2025-11-19' END
FROM otan_enbek.employee WHERE org_id = :org;
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value, valid_from)
SELECT :org, employee_id, 'card', 'CARD-5', date '2025-11-20'
FROM otan_enbek.employee WHERE org_id = :org AND personnel_no = 'P-5';

-- Employee 4 is on vacation in the week of November 17; employee 3 was ill
-- on November 26 and 27.
INSERT INTO otan_enbek.absence (org_id, employee_id, kind, first_day, last_day, note)
SELECT :org, employee_id, 'vacation', date '2025-11-17', date '2025-11-21', 'Annual leave'
FROM otan_enbek.employee WHERE org_id = :org AND personnel_no = 'P-4';
INSERT INTO otan_enbek.absence (org_id, employee_id, kind, first_day, last_day)
SELECT :org, employee_id, 'sick_leave', date '2025-11-26', date '2025-11-27'
FROM otan_enbek.employee WHERE org_id = :org AND personnel_no = 'P-3';

-- The school closed on Friday November 28; the administrator entered the
-- first day of the 2027 calendar.
INSERT INTO otan_enbek.org_calendar_day (org_id, day, kind, name)
VALUES (:org, '2025-11-28', 'day_off', 'Heating repair');
INSERT INTO otan_enbek.calendar_day (day, kind, name)
VALUES ('2027-01-01', 'holiday', 'New Year');

-- The main entrance's CSV export for November: day staff come at about
-- 08:50 and leave at about 18:05; employee 2 is 25 minutes late on odd
-- days; employee 3 has no exit on November 12; the guard works nights from
-- November 10 with his PIN and from November 20 with his card.  PIN 999
-- belongs to nobody.
SELECT (otan_enbek.ingest(:main_source, 'csv',
                          'occurred_at,credential,credential_kind,direction,device'
                          || E'\n' || string_agg(line, E'\n' ORDER BY line))).read_count
FROM (
    SELECT format('%s+05:00,%s,%s,%s,door-1', to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS'),
                  credential, kind, direction) AS line
    FROM (
        SELECT day + time '08:50' + k * interval '3 min'
                   + CASE WHEN k = 2 AND extract(day FROM day)::integer % 2 = 1
                          THEN interval '35 min' ELSE interval '0' END AS at,
               '10' || k AS credential, 'person' AS kind, 'in' AS direction, k, day
        FROM generate_series(date '2025-11-03', date '2025-11-28', interval '1 day') AS day,
             generate_series(1, 5) AS k
        UNION ALL
        SELECT day + time '18:05' + k * interval '1 min', '10' || k, 'person', 'out', k, day
        FROM generate_series(date '2025-11-03', date '2025-11-28', interval '1 day') AS day,
             generate_series(1, 5) AS k
        WHERE NOT (k = 3 AND day = date '2025-11-12')
    ) AS day_staff
    WHERE extract(isodow FROM day) <= 5
      AND NOT (k = 4 AND day BETWEEN date '2025-11-17' AND date '2025-11-21')
      AND NOT (k = 3 AND day BETWEEN date '2025-11-26' AND date '2025-11-27')
      AND NOT (k = 5 AND day >= date '2025-11-10')
    UNION ALL
    SELECT format('%s+05:00,%s,%s,%s,door-1', to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS'),
                  CASE WHEN at < date '2025-11-20' THEN '105' ELSE 'CARD-5' END,
                  CASE WHEN at < date '2025-11-20' THEN 'person' ELSE 'card' END, direction)
    FROM (
        SELECT day + time '19:55' AS at, 'in' AS direction
        FROM generate_series(date '2025-11-10', date '2025-11-28', interval '1 day') AS day
        WHERE extract(isodow FROM day) <= 5
        UNION ALL
        SELECT day + interval '1 day' + time '08:05', 'out'
        FROM generate_series(date '2025-11-10', date '2025-11-28', interval '1 day') AS day
        WHERE extract(isodow FROM day) <= 5
    ) AS nights
    UNION ALL
    SELECT format('2025-11-%s 12:00:00+05:00,999,person,in,door-1', d)
    FROM generate_series(11, 14) AS d
) AS lines;

-- The yard turnstile's ZKTeco log: two lunch-time passes, a line that
-- cannot be read, and one line repeated.
SELECT read_count, inserted_count, duplicate_count, rejected_count
FROM otan_enbek.ingest(:yard_source, 'zkteco',
    E'101\t2025-11-05 12:30:00\t7\t0\n' ||
    E'102\t2025-11-05 12:31:00\t7\t0\n' ||
    E'this is not a log line\n' ||
    E'102\t2025-11-05 12:31:00\t7\t0\n');

SELECT otan_enbek.compute_attendance(:org, date '2025-11-01', date '2025-11-30') AS days;
SELECT otan_enbek.build_timesheet(:org, date '2025-11-01') AS timesheet \gset
SELECT count(*) AS submissions FROM otan_enbek.submit_timesheet(:timesheet);
SELECT otan_enbek.wake_delivery();
