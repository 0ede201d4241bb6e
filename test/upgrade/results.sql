-- Runs the current version's functions on a database filled by a
-- test/upgrade/fill-*.sql script and prints their results without the
-- columns that record when something ran.  The upgrade and dump tests run
-- it on two databases that hold the same rows and compare the outputs.
\set ON_ERROR_STOP on
\pset format unaligned
\pset tuples_only on
\pset null '<null>'
SET TimeZone = 'Asia/Almaty';

SELECT org_id AS org FROM otan_enbek.organization WHERE bin = '050440000012' \gset

\echo == stored events, batches and rejects
SELECT count(*), count(employee_id), count(*) FILTER (WHERE counts_for_attendance)
FROM otan_enbek.skud_event;
SELECT batch_id, source_id, format, read_count, inserted_count, duplicate_count,
       rejected_count, unknown_credential_count, non_attendance_count
FROM otan_enbek.ingest_batch ORDER BY batch_id;
SELECT batch_id, line_no, reason FROM otan_enbek.ingest_reject ORDER BY batch_id, line_no;
SELECT org_id, credential_kind, credential FROM otan_enbek.unmatched_credential
ORDER BY 1, 2, 3;

\echo == reading the yard log again stores nothing
SELECT read_count, inserted_count, duplicate_count, rejected_count
FROM otan_enbek.ingest((SELECT source_id FROM otan_enbek.source WHERE name = 'Yard gate'),
    'zkteco',
    E'101\t2025-11-05 12:30:00\t7\t0\n' ||
    E'102\t2025-11-05 12:31:00\t7\t0\n');
SELECT otan_enbek.resolve_credentials(:org);

\echo == attendance computed again
SELECT otan_enbek.compute_attendance(:org, date '2025-11-01', date '2025-11-30');
SELECT employee_id, work_day, schedule_id, day_kind, is_final, shift_start, shift_end,
       first_in, last_out, present_sec, worked_sec, late_sec, early_leave_sec,
       early_arrival_sec, overtime_sec, night_sec, punch_count, anomalies,
       cardinality(event_ids)
FROM otan_enbek.attendance_day
WHERE org_id = :org
ORDER BY employee_id, work_day;

\echo == timesheet built again
SELECT otan_enbek.build_timesheet(:org, date '2025-11-01') AS timesheet \gset
SELECT month, version, status, working_days, norm_hours, employee_count
FROM otan_enbek.timesheet WHERE org_id = :org ORDER BY month, version;
SELECT line_no, iin, full_name, department, position, personnel_no, contract_id,
       day_codes, day_hours, days_worked, hours_worked, overtime_hours, night_hours,
       holiday_hours, days_off, absence_days, norm_hours
FROM otan_enbek.timesheet_line
WHERE org_id = :org AND timesheet_id = :timesheet
ORDER BY line_no;

\echo == submissions and what HR was told
SELECT timesheet_id, part_no, part_count, status, attempts, response_code, last_event
FROM otan_enbek.submission_overview ORDER BY submission_id;
SELECT submission_id, string_agg(kind, ',' ORDER BY event_no)
FROM otan_enbek.submission_event GROUP BY submission_id ORDER BY submission_id;
SELECT submission_id, reason_no, code FROM otan_enbek.submission_reason
ORDER BY submission_id, reason_no;
SELECT kind, subject FROM otan_enbek.notification ORDER BY notification_id;

\echo == calendar
SELECT y FROM otan_enbek.calendar_missing_years(date '2025-01-01', date '2028-12-31') AS y;
SELECT count(*), count(*) FILTER (WHERE built_in) FROM otan_enbek.calendar_day;
