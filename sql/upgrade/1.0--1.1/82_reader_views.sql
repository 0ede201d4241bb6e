-- Views for otan_enbek_reader: the reports, with IINs masked by mask_iin
-- (the first six digits, the birth date, hidden), without raw event
-- records, signed documents or file paths.  The views run with their
-- owner's privileges, so a reader needs no privilege on the tables behind
-- them.  The owner is not subject to row-level security, so each view
-- filters by organization itself, with the predicate of the policies.
-- security_barrier keeps a caller's own functions from seeing rows before
-- that filter.

CREATE VIEW otan_enbek.reader_employee WITH (security_barrier) AS
SELECT e.org_id, e.employee_id,
       otan_enbek.mask_iin(e.iin) AS iin_masked,
       e.last_name, e.first_name, e.middle_name,
       d.name AS department, e.position, e.personnel_no,
       e.contract_start, e.contract_end, e.dismissed_on
FROM otan_enbek.employee AS e
LEFT JOIN otan_enbek.department AS d
       ON d.org_id = e.org_id AND d.department_id = e.department_id
WHERE (SELECT otan_enbek.sees_every_org())
   OR e.org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]);
COMMENT ON VIEW otan_enbek.reader_employee IS
    'Employees of the organizations the caller may see, with the IIN masked';
COMMENT ON COLUMN otan_enbek.reader_employee.iin_masked IS
    'IIN with its first six digits (the birth date) replaced by asterisks';

CREATE VIEW otan_enbek.reader_attendance_day WITH (security_barrier) AS
SELECT a.org_id, a.employee_id,
       otan_enbek.mask_iin(e.iin) AS iin_masked,
       e.last_name, e.first_name, e.middle_name,
       a.work_day, a.day_kind, a.is_final, a.shift_start, a.shift_end,
       a.first_in, a.last_out, a.present_sec, a.worked_sec, a.late_sec,
       a.early_leave_sec, a.early_arrival_sec, a.overtime_sec, a.night_sec,
       a.punch_count, a.anomalies, a.computed_at
FROM otan_enbek.attendance_day AS a
JOIN otan_enbek.employee AS e ON e.org_id = a.org_id AND e.employee_id = a.employee_id
WHERE (SELECT otan_enbek.sees_every_org())
   OR a.org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]);
COMMENT ON VIEW otan_enbek.reader_attendance_day IS
    'Working time per employee and work day of the organizations the caller may see, with the IIN masked and without the events behind it';
COMMENT ON COLUMN otan_enbek.reader_attendance_day.iin_masked IS
    'IIN with its first six digits (the birth date) replaced by asterisks';

CREATE VIEW otan_enbek.reader_timesheet WITH (security_barrier) AS
SELECT t.org_id, t.timesheet_id, t.month, t.version, t.status,
       t.working_days, t.norm_hours, t.employee_count, t.built_at
FROM otan_enbek.timesheet AS t
WHERE (SELECT otan_enbek.sees_every_org())
   OR t.org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]);
COMMENT ON VIEW otan_enbek.reader_timesheet IS
    'Timesheets of the organizations the caller may see';

CREATE VIEW otan_enbek.reader_timesheet_line WITH (security_barrier) AS
SELECT l.org_id, l.timesheet_id, t.month, t.version, l.employee_id, l.line_no,
       otan_enbek.mask_iin(l.iin) AS iin_masked,
       l.full_name, l.department, l.position, l.personnel_no, l.contract_id,
       l.day_codes, l.day_hours, l.days_worked, l.hours_worked,
       l.overtime_hours, l.night_hours, l.holiday_hours, l.days_off,
       l.absence_days, l.norm_hours
FROM otan_enbek.timesheet_line AS l
JOIN otan_enbek.timesheet AS t ON t.org_id = l.org_id AND t.timesheet_id = l.timesheet_id
WHERE (SELECT otan_enbek.sees_every_org())
   OR l.org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]);
COMMENT ON VIEW otan_enbek.reader_timesheet_line IS
    'Timesheet lines of the organizations the caller may see, with the IIN masked';
COMMENT ON COLUMN otan_enbek.reader_timesheet_line.iin_masked IS
    'IIN with its first six digits (the birth date) replaced by asterisks';

-- Enbek's messages are left out because an error message may name an
-- employee's IIN in full.  The view reads the tables, not
-- submission_overview, because that view checks privileges as the caller.
CREATE VIEW otan_enbek.reader_submission WITH (security_barrier) AS
SELECT s.org_id, s.submission_id, s.timesheet_id, s.part_no, s.part_count,
       t.month, t.version, s.status, s.attempts, s.next_attempt_at,
       s.last_attempt_at, s.response_code, s.created_at, s.finished_at,
       e.kind AS last_event, e.at AS last_event_at,
       e.http_status AS last_http_status, e.code AS last_code,
       (SELECT count(*) FROM otan_enbek.submission_reason AS r
        WHERE r.org_id = s.org_id AND r.submission_id = s.submission_id) AS reasons
FROM otan_enbek.submission AS s
JOIN otan_enbek.timesheet AS t ON t.org_id = s.org_id AND t.timesheet_id = s.timesheet_id
LEFT JOIN LATERAL (
    SELECT ev.kind, ev.at, ev.http_status, ev.code
    FROM otan_enbek.submission_event AS ev
    WHERE ev.org_id = s.org_id AND ev.submission_id = s.submission_id
    ORDER BY ev.event_no DESC
    LIMIT 1) AS e ON true
WHERE (SELECT otan_enbek.sees_every_org())
   OR s.org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]);
COMMENT ON VIEW otan_enbek.reader_submission IS
    'Delivery state of the submissions of the organizations the caller may see, without documents and without Enbek''s messages';
COMMENT ON COLUMN otan_enbek.reader_submission.reasons IS
    'Number of reasons Enbek gave for returning the document';
