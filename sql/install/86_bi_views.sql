-- Views for BI tools: daily attendance, monthly totals, lateness and
-- overtime by department, and delivery status.  Their names and columns are
-- a stable interface: a later version adds columns at the end and renames
-- none.
--
-- The views run with the privileges of their owner, so a reader needs
-- SELECT on the views alone and never on the tables behind them.  They show
-- IINs masked by otan_enbek.mask_iin (the first six digits, the birth date,
-- hidden), and no event payloads, signed documents, key fingerprints or file
-- paths.  Functions called by a view are checked against the caller, hence
-- the grants on mask_iin below.
--
-- The owner's privileges bypass row-level security on the tables, so each
-- view filters by organization itself, with the predicate of the policies.
-- The latest edit of a day is looked up in day_edit directly: through the
-- security_invoker view day_edit_current it would be checked against the
-- reader, who may not read the reasons of edits.

GRANT USAGE ON SCHEMA otan_enbek TO otan_enbek_admin, otan_enbek_operator, otan_enbek_reader;
GRANT EXECUTE ON FUNCTION otan_enbek.mask_iin(text)
    TO otan_enbek_admin, otan_enbek_operator, otan_enbek_reader;

CREATE VIEW otan_enbek.bi_attendance_daily WITH (security_barrier = true) AS
SELECT a.org_id,
       o.name AS organization,
       d.name AS department,
       a.employee_id,
       otan_enbek.mask_iin(e.iin) AS iin_masked,
       concat_ws(' ', e.last_name, e.first_name, e.middle_name) AS full_name,
       e.position,
       a.work_day,
       a.day_kind,
       a.is_final,
       a.first_in,
       a.last_out,
       round(a.worked_sec / 3600.0, 2) AS worked_hours,
       round(a.late_sec / 60.0, 1) AS late_minutes,
       round(a.early_leave_sec / 60.0, 1) AS early_leave_minutes,
       round(a.overtime_sec / 3600.0, 2) AS overtime_hours,
       round(a.night_sec / 3600.0, 2) AS night_hours,
       a.punch_count,
       a.anomalies,
       ed.action AS edit_action,
       ed.day_code AS edited_day_code,
       ed.hours AS edited_hours,
       -- HR may type an IIN into a reason, so its runs of 12 digits are
       -- masked like Enbek's messages in bi_delivery_status.
       regexp_replace(ed.reason, '(?<![0-9])[0-9]{6}(?=[0-9]{6}(?![0-9]))', '******', 'g')
           AS edit_reason,
       ed.edited_by,
       ed.edited_at
FROM otan_enbek.attendance_day a
JOIN otan_enbek.organization o ON o.org_id = a.org_id
JOIN otan_enbek.employee e ON e.org_id = a.org_id AND e.employee_id = a.employee_id
LEFT JOIN otan_enbek.department d ON d.org_id = e.org_id AND d.department_id = e.department_id
LEFT JOIN LATERAL (
    SELECT de.*
    FROM otan_enbek.day_edit AS de
    WHERE de.org_id = a.org_id AND de.employee_id = a.employee_id
      AND de.work_day = a.work_day
    ORDER BY de.edit_id DESC
    LIMIT 1) AS ed ON true
WHERE ((SELECT otan_enbek.sees_every_org())
       OR a.org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]));
COMMENT ON VIEW otan_enbek.bi_attendance_daily IS
    'Computed attendance of each employee and work day, with the edit HR made to the day if any; IINs masked';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.org_id IS 'Organization id';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.organization IS 'Organization name';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.department IS 'Current department of the employee; NULL for none';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.employee_id IS 'Employee id within the organization';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.iin_masked IS 'IIN with its first six digits (the birth date) replaced by asterisks';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.full_name IS 'Last, first and middle name';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.position IS 'Position of the employee';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.work_day IS 'Work day; a night shift belongs to the day it starts';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.day_kind IS 'work, weekend, holiday or day_off';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.is_final IS 'False while punches can still arrive for the day';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.first_in IS 'First entry of the day';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.last_out IS 'Last exit of the day';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.worked_hours IS 'Hours present inside the shift, less the break, as computed';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.late_minutes IS 'Minutes late beyond the grace period (0 within it); NULL when the first punch is not an entry';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.early_leave_minutes IS 'Minutes left early beyond the grace period (0 within it); NULL when the last punch is not an exit';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.overtime_hours IS 'Overtime hours as computed';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.night_hours IS 'Hours present between 22:00 and 06:00 local time, as computed';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.punch_count IS 'Punches of the day after de-duplication';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.anomalies IS 'Flags for HR to review, as in attendance_day.anomalies';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.edit_action IS 'approve or edit when HR approved or corrected the day (the latest day_edit); NULL otherwise';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.edited_day_code IS 'Form No. 421 code HR set for the day; NULL unless edit_action is edit';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.edited_hours IS 'Hours HR set for the day; NULL unless edit_action is edit';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.edit_reason IS 'Reason HR gave for the approval or correction, with the first six digits of every run of 12 digits (an IIN) masked';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.edited_by IS 'Login role that entered the approval or correction';
COMMENT ON COLUMN otan_enbek.bi_attendance_daily.edited_at IS 'When the approval or correction was entered';

-- Monthly totals come from the latest timesheet version of each month,
-- because that is the document HR signs, day edits included.
CREATE VIEW otan_enbek.bi_monthly_totals WITH (security_barrier = true) AS
SELECT t.org_id,
       o.name AS organization,
       t.month,
       t.timesheet_id,
       t.version,
       t.status AS timesheet_status,
       l.department,
       l.employee_id,
       otan_enbek.mask_iin(l.iin) AS iin_masked,
       l.full_name,
       l.position,
       l.days_worked,
       l.hours_worked,
       l.norm_hours,
       l.overtime_hours,
       l.night_hours,
       l.holiday_hours,
       l.days_off,
       l.absence_days,
       cardinality(array_positions(l.day_marks, 'edited')) AS edited_days,
       cardinality(array_positions(l.day_marks, 'approved')) AS approved_days
FROM otan_enbek.timesheet t
JOIN otan_enbek.organization o ON o.org_id = t.org_id
JOIN otan_enbek.timesheet_line l ON l.org_id = t.org_id AND l.timesheet_id = t.timesheet_id
WHERE t.version = (SELECT max(t2.version) FROM otan_enbek.timesheet t2
                   WHERE t2.org_id = t.org_id AND t2.month = t.month)
  AND ((SELECT otan_enbek.sees_every_org())
       OR t.org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]));
COMMENT ON VIEW otan_enbek.bi_monthly_totals IS
    'Totals of each employee and month from the latest timesheet version of the month, day edits included; IINs masked';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.org_id IS 'Organization id';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.organization IS 'Organization name';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.month IS 'First day of the month';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.timesheet_id IS 'Timesheet the totals come from';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.version IS 'Version of that timesheet, the latest of the month';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.timesheet_status IS 'built, submitted, accepted, returned, failed or superseded';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.department IS 'Department of the employee when the timesheet was built';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.employee_id IS 'Employee id within the organization';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.iin_masked IS 'IIN with its first six digits (the birth date) replaced by asterisks';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.full_name IS 'Last, first and middle name';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.position IS 'Position of the employee';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.days_worked IS 'Days with code Я or РП';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.hours_worked IS 'Hours of the days with code Я or РП';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.norm_hours IS 'Hours the employee should work in the month by the production calendar and schedule';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.overtime_hours IS 'Overtime hours of the month';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.night_hours IS 'Hours worked between 22:00 and 06:00 local time';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.holiday_hours IS 'Hours of the days with code РП';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.days_off IS 'Days with code В';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.absence_days IS 'Number of days by absence code, for example {"О": 3, "П": 1}';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.edited_days IS 'Days whose figures HR replaced with a day edit';
COMMENT ON COLUMN otan_enbek.bi_monthly_totals.approved_days IS 'Days whose computed figures HR approved';

-- Lateness and early leave are the computed figures, because a day edit has
-- no such fields.  Overtime and night hours take a day edit's hours where
-- HR gave them.
CREATE VIEW otan_enbek.bi_department_month WITH (security_barrier = true) AS
SELECT a.org_id,
       o.name AS organization,
       d.name AS department,
       date_trunc('month', a.work_day::timestamp)::date AS month,
       count(DISTINCT a.employee_id) AS employees,
       count(*) FILTER (WHERE a.day_kind = 'work' AND a.is_final
                          AND NOT 'outside_employment' = ANY (a.anomalies)) AS work_days,
       count(*) FILTER (WHERE a.late_sec > 0) AS late_days,
       round(coalesce(sum(a.late_sec), 0) / 3600.0, 2) AS late_hours,
       count(*) FILTER (WHERE a.early_leave_sec > 0) AS early_leave_days,
       round(coalesce(sum(a.early_leave_sec), 0) / 3600.0, 2) AS early_leave_hours,
       round(coalesce(sum(CASE WHEN ed.action = 'edit' AND ed.overtime_hours IS NOT NULL
                               THEN ed.overtime_hours * 3600
                               ELSE a.overtime_sec END), 0) / 3600.0, 2) AS overtime_hours,
       round(coalesce(sum(CASE WHEN ed.action = 'edit' AND ed.night_hours IS NOT NULL
                               THEN ed.night_hours * 3600
                               ELSE a.night_sec END), 0) / 3600.0, 2) AS night_hours,
       count(*) FILTER (WHERE 'absent' = ANY (a.anomalies)) AS absent_days,
       count(*) FILTER (WHERE a.anomalies && ARRAY['missing_entry', 'missing_exit',
                                                   'consecutive_entries']) AS unpaired_days
FROM otan_enbek.attendance_day a
JOIN otan_enbek.organization o ON o.org_id = a.org_id
JOIN otan_enbek.employee e ON e.org_id = a.org_id AND e.employee_id = a.employee_id
LEFT JOIN otan_enbek.department d ON d.org_id = e.org_id AND d.department_id = e.department_id
LEFT JOIN LATERAL (
    SELECT de.*
    FROM otan_enbek.day_edit AS de
    WHERE de.org_id = a.org_id AND de.employee_id = a.employee_id
      AND de.work_day = a.work_day
    ORDER BY de.edit_id DESC
    LIMIT 1) AS ed ON true
WHERE ((SELECT otan_enbek.sees_every_org())
       OR a.org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]))
GROUP BY a.org_id, o.name, d.name, date_trunc('month', a.work_day::timestamp);
COMMENT ON VIEW otan_enbek.bi_department_month IS
    'Lateness, early leave, overtime and night hours of each department and month, from the computed attendance';
COMMENT ON COLUMN otan_enbek.bi_department_month.org_id IS 'Organization id';
COMMENT ON COLUMN otan_enbek.bi_department_month.organization IS 'Organization name';
COMMENT ON COLUMN otan_enbek.bi_department_month.department IS 'Current department of the employees; NULL groups employees without one';
COMMENT ON COLUMN otan_enbek.bi_department_month.month IS 'First day of the month';
COMMENT ON COLUMN otan_enbek.bi_department_month.employees IS 'Employees with attendance rows in the month';
COMMENT ON COLUMN otan_enbek.bi_department_month.work_days IS 'Final work days of those employees within their employment dates, summed';
COMMENT ON COLUMN otan_enbek.bi_department_month.late_days IS 'Days with lateness beyond the grace period';
COMMENT ON COLUMN otan_enbek.bi_department_month.late_hours IS 'Hours of lateness beyond the grace period';
COMMENT ON COLUMN otan_enbek.bi_department_month.early_leave_days IS 'Days left early beyond the grace period';
COMMENT ON COLUMN otan_enbek.bi_department_month.early_leave_hours IS 'Hours left early beyond the grace period';
COMMENT ON COLUMN otan_enbek.bi_department_month.overtime_hours IS 'Overtime hours; a day edit with overtime hours replaces the computed ones of its day';
COMMENT ON COLUMN otan_enbek.bi_department_month.night_hours IS 'Hours between 22:00 and 06:00 local time; a day edit with night hours replaces the computed ones of its day';
COMMENT ON COLUMN otan_enbek.bi_department_month.absent_days IS 'Final work days without any punch (anomaly absent)';
COMMENT ON COLUMN otan_enbek.bi_department_month.unpaired_days IS 'Days with a missing entry, a missing exit or consecutive entries';

-- Enbek's status message may name an employee by IIN, so any run of 12
-- digits in it is shown masked.
CREATE VIEW otan_enbek.bi_delivery_status WITH (security_barrier = true) AS
SELECT t.org_id,
       o.name AS organization,
       t.month,
       t.timesheet_id,
       t.version,
       t.status AS timesheet_status,
       t.employee_count,
       t.built_at,
       s.submission_id,
       s.part_no,
       s.part_count,
       s.status AS submission_status,
       s.attempts,
       s.created_at AS submitted_at,
       s.last_attempt_at,
       CASE WHEN s.status IN ('queued', 'sending', 'sent') THEN s.next_attempt_at END
           AS next_attempt_at,
       s.finished_at,
       s.response_code,
       regexp_replace(s.response_message, '(?<![0-9])[0-9]{6}(?=[0-9]{6}(?![0-9]))',
                      '******', 'g') AS response_message,
       coalesce(r.reason_count, 0) AS reason_count,
       r.reason_codes
FROM otan_enbek.timesheet t
JOIN otan_enbek.organization o ON o.org_id = t.org_id
LEFT JOIN otan_enbek.submission s ON s.org_id = t.org_id AND s.timesheet_id = t.timesheet_id
LEFT JOIN LATERAL (
    SELECT count(*) AS reason_count,
           array_agg(DISTINCT sr.code ORDER BY sr.code) AS reason_codes
    FROM otan_enbek.submission_reason sr
    WHERE sr.org_id = s.org_id AND sr.submission_id = s.submission_id
) r ON s.submission_id IS NOT NULL
WHERE ((SELECT otan_enbek.sees_every_org())
       OR t.org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]));
COMMENT ON VIEW otan_enbek.bi_delivery_status IS
    'Every timesheet version with the delivery state of each submitted part; one row with empty submission columns for a version not submitted';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.org_id IS 'Organization id';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.organization IS 'Organization name';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.month IS 'First day of the timesheet''s month';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.timesheet_id IS 'Timesheet id';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.version IS 'Version of the timesheet within its month';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.timesheet_status IS 'built, submitted, accepted, returned, failed or superseded';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.employee_count IS 'Employees in the timesheet';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.built_at IS 'When the timesheet was last built';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.submission_id IS 'Submission of the part; NULL when the version was not submitted';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.part_no IS 'Number of the part, from 1';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.part_count IS 'Parts the timesheet was split into; 1 for a timesheet sent whole';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.submission_status IS 'queued, sending, sent, accepted, returned or failed';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.attempts IS 'Sends and status queries made so far';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.submitted_at IS 'When the part was signed and queued';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.last_attempt_at IS 'When the part was last sent or asked about';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.next_attempt_at IS 'When the worker will next send or ask; NULL once the part is accepted, returned or failed';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.finished_at IS 'When the part was accepted, returned or failed';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.response_code IS 'Status code of Enbek''s last answer, such as SCSS001';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.response_message IS 'Message of Enbek''s last answer, every run of 12 digits masked as an IIN';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.reason_count IS 'Errors Enbek gave for returning the part';
COMMENT ON COLUMN otan_enbek.bi_delivery_status.reason_codes IS 'Distinct codes of those errors, such as SCSE012';

GRANT SELECT ON otan_enbek.bi_attendance_daily, otan_enbek.bi_monthly_totals,
                otan_enbek.bi_department_month, otan_enbek.bi_delivery_status
    TO otan_enbek_admin, otan_enbek_operator, otan_enbek_reader;
