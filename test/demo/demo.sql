-- The demo's SQL: what an administrator would type in psql to set up a school
-- and turn its turnstile log into a timesheet.  Variables: bin, log, format,
-- month (YYYY-MM or empty: the month with the most events), roster (a CSV of
-- the bundled sample's people, or empty).

CREATE EXTENSION otan_enbek;

-- The school, its schedules and its turnstile.
INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES (:'bin', 'Школа-гимназия № 7', 'Asia/Almaty')
RETURNING org_id AS org \gset

INSERT INTO otan_enbek.work_schedule (org_id, name, grace_late_min, grace_early_min)
VALUES (:org, 'Пятидневка 09:00-18:00', 10, 10)
RETURNING schedule_id AS day_schedule \gset
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
                                           break_start, break_end)
SELECT :org, :day_schedule, d, '09:00', '18:00', '13:00', '14:00'
FROM generate_series(1, 5) AS d;

INSERT INTO otan_enbek.work_schedule (org_id, name)
VALUES (:org, 'Ночная охрана 20:00-08:00')
RETURNING schedule_id AS night_schedule \gset
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT :org, :night_schedule, d, '20:00', '08:00'
FROM generate_series(1, 5) AS d;

UPDATE otan_enbek.organization SET default_schedule_id = :day_schedule WHERE org_id = :org;

INSERT INTO otan_enbek.source (org_id, name, default_format)
VALUES (:org, 'Турникет главного входа', :'format')
RETURNING source_id AS source \gset

-- The people of the bundled sample, with their PINs on the turnstile.
SELECT :'roster' <> '' AS has_roster \gset
\if :has_roster
CREATE TEMP TABLE roster (pin text, iin text, last_name text, first_name text,
                          middle_name text, position text, department text, schedule text);
\set copy_roster '\\copy roster FROM ' :'roster' ' (FORMAT csv, HEADER)'
:copy_roster
INSERT INTO otan_enbek.department (org_id, name)
SELECT DISTINCT :org, department FROM roster;
INSERT INTO otan_enbek.employee (org_id, iin, last_name, first_name, middle_name, position,
                                 department_id, personnel_no, schedule_id,
                                 contract_id, contract_start)
SELECT :org, r.iin, r.last_name, r.first_name, r.middle_name, r.position, d.department_id,
       r.pin, CASE r.schedule WHEN 'night' THEN :night_schedule ELSE :day_schedule END,
       'DEMO-' || lpad(r.pin, 6, '0'), date '2020-09-01'
FROM roster r
JOIN otan_enbek.department d ON d.org_id = :org AND d.name = r.department;
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
SELECT :org, e.employee_id, 'person', e.personnel_no
FROM otan_enbek.employee e WHERE e.org_id = :org;
\endif

-- Read the log: the summary shows what was read, stored, repeated and rejected.
\set QUIET off
\x on
SELECT batch_id, read_count, inserted_count, duplicate_count, rejected_count,
       unknown_credential_count, non_attendance_count
FROM otan_enbek.ingest_file(:source, :'format', :'log');
\x off
SELECT line_no, reason FROM otan_enbek.ingest_reject ORDER BY line_no LIMIT 10;
\set QUIET on

-- Stop with a clear message when the log gave nothing to compute.
SELECT NOT EXISTS (SELECT FROM otan_enbek.skud_event
                   WHERE org_id = :org AND counts_for_attendance) AS no_events \gset
\if :no_events
DO $$
BEGIN
    RAISE EXCEPTION 'the log has no events that count for attendance'
        USING HINT = 'Check the rejected lines above and the format given to make demo.';
END
$$;
\endif

-- Demo only: enroll an employee with a generated valid IIN for every
-- credential of the log that no employee holds.
CREATE FUNCTION pg_temp.demo_iin(n integer) RETURNS text
    LANGUAGE sql AS $$
    SELECT iin
    FROM generate_series(0, 99) AS k,
         LATERAL (SELECT to_char(date '1960-01-01' + (n * 37) % 14600, 'YYMMDD') || '3'
                         || lpad(((n * 100 + k) % 10000)::text, 4, '0') || d AS iin
                  FROM generate_series(0, 9) AS d) AS candidate
    WHERE otan_enbek.is_valid_iin(iin)
    ORDER BY k
    LIMIT 1
$$;
CREATE TEMP TABLE enroll AS
SELECT row_number() OVER (ORDER BY credential_kind, credential)::integer AS n,
       credential_kind, credential
FROM (SELECT DISTINCT credential_kind, credential
      FROM otan_enbek.unmatched_credential WHERE org_id = :org) AS u;
INSERT INTO otan_enbek.employee (org_id, iin, last_name, first_name, personnel_no)
SELECT :org, pg_temp.demo_iin(n), 'Сотрудник', credential_kind || ' ' || credential,
       'DEMO-' || n
FROM enroll;
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
SELECT :org, e.employee_id, u.credential_kind, u.credential
FROM enroll AS u
JOIN otan_enbek.employee e ON e.org_id = :org AND e.personnel_no = 'DEMO-' || u.n;
SELECT otan_enbek.resolve_credentials(:org) AS resolved \gset

-- The month to report: the one given, or the one with the most events.
SELECT coalesce(nullif(:'month', '') || '-01',
                (SELECT to_char(date_trunc('month', occurred_at AT TIME ZONE 'Asia/Almaty'), 'YYYY-MM-DD')
                 FROM otan_enbek.skud_event WHERE org_id = :org
                 GROUP BY 1 ORDER BY count(*) DESC, 1 DESC LIMIT 1))::date AS month_start \gset

-- The extension ships the production calendar of 2025 and 2026 only.  For a
-- log of another year the demo adds that year's fixed-date public holidays,
-- without the transfers that the government decides each year, and prints
-- a note about it.
SELECT string_agg(y::text, ', ') AS missing_years
FROM otan_enbek.calendar_missing_years(:'month_start',
                                       (date :'month_start' + interval '1 month - 1 day')::date) AS y \gset
\if :{?missing_years}
SELECT :'missing_years' <> '' AS has_missing \gset
\else
\set has_missing false
\endif
\if :has_missing
\echo == note: no production calendar for :missing_years; the demo uses the fixed-date holidays of that year, without transfers
INSERT INTO otan_enbek.calendar_day (day, kind, name)
SELECT make_date(y, m, d), 'holiday', name || ' (demo, without transfers)'
FROM unnest(string_to_array(:'missing_years', ', ')::integer[]) AS y,
     (VALUES (1, 1, 'New Year'), (1, 2, 'New Year'), (1, 7, 'Orthodox Christmas'),
             (3, 8, 'International Women''s Day'), (3, 21, 'Nauryz'), (3, 22, 'Nauryz'),
             (3, 23, 'Nauryz'), (5, 1, 'Day of Unity of the People of Kazakhstan'),
             (5, 7, 'Defender of the Fatherland Day'), (5, 9, 'Victory Day'),
             (7, 6, 'Capital Day'), (8, 30, 'Constitution Day'),
             (12, 16, 'Independence Day')) AS h(m, d, name)
ON CONFLICT (day) DO NOTHING;
\endif

UPDATE otan_enbek.employee
SET contract_id = 'DEMO-' || lpad(employee_id::text, 6, '0'),
    contract_start = date :'month_start' - interval '1 year'
WHERE org_id = :org AND contract_id IS NULL;

-- Working time and the timesheet of the month.
SELECT otan_enbek.compute_attendance(:org, :'month_start',
                                     (date :'month_start' + interval '1 month - 1 day')::date) AS days \gset
SELECT otan_enbek.build_timesheet(:org, :'month_start') AS timesheet \gset

\set QUIET off
SELECT to_char(date :'month_start', 'YYYY-MM') AS month_label \gset
\echo == timesheet for :month_label (:days employee days computed)
SELECT l.line_no AS "№", l.full_name AS employee, l.position,
       l.days_worked AS days, l.hours_worked AS hours,
       count(*) FILTER (WHERE a.late_sec > 0) AS late,
       l.overtime_hours AS overtime, l.night_hours AS night,
       coalesce((l.absence_days ->> 'П')::integer, 0) AS absent,
       count(*) FILTER (WHERE a.anomalies <> '{}') AS anomalies
FROM otan_enbek.timesheet_line l
LEFT JOIN otan_enbek.attendance_day a
       ON a.org_id = l.org_id AND a.employee_id = l.employee_id
      AND a.work_day >= :'month_start' AND a.work_day < date :'month_start' + interval '1 month'
WHERE l.org_id = :org AND l.timesheet_id = :timesheet
GROUP BY l.line_no, l.full_name, l.position, l.days_worked, l.hours_worked,
         l.overtime_hours, l.night_hours, l.absence_days
ORDER BY l.line_no;
\set QUIET on

-- What the next steps of the demo read.
CREATE TABLE public.demo_state AS
SELECT :org AS org_id, date :'month_start' AS month, :timesheet AS timesheet_id;
CREATE VIEW public.demo_contracts AS
SELECT json_agg(json_build_object('bin', o.bin, 'iin', e.iin, 'contractId', e.contract_id,
                                  'start', e.contract_start, 'end', e.contract_end))
FROM otan_enbek.employee e
JOIN otan_enbek.organization o USING (org_id);
