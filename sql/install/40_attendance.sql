-- Attendance: one row per employee and work day, computed from the events.

CREATE TABLE otan_enbek.attendance_day (
    org_id          integer NOT NULL,
    employee_id     integer NOT NULL,
    work_day        date NOT NULL,
    schedule_id     integer,
    day_kind        text NOT NULL CHECK (day_kind IN ('work', 'weekend', 'holiday', 'day_off')),
    is_final        boolean NOT NULL,
    shift_start     timestamptz,
    shift_end       timestamptz,
    first_in        timestamptz,
    last_out        timestamptz,
    present_sec     integer NOT NULL DEFAULT 0,
    worked_sec      integer NOT NULL DEFAULT 0,
    late_sec        integer,
    early_leave_sec integer,
    early_arrival_sec integer NOT NULL DEFAULT 0,
    overtime_sec    integer NOT NULL DEFAULT 0,
    night_sec       integer NOT NULL DEFAULT 0,
    punch_count     integer NOT NULL DEFAULT 0,
    anomalies       text[] NOT NULL DEFAULT '{}',
    event_ids       bigint[] NOT NULL DEFAULT '{}',
    computed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, employee_id, work_day),
    norm_sec        integer NOT NULL DEFAULT 0,
    absence_code    text,
    first_in_rounded timestamptz,
    last_out_rounded timestamptz
);
COMMENT ON TABLE otan_enbek.attendance_day IS
    'Working time of an employee on a work day, computed from the events; a night shift belongs to the day it starts';
COMMENT ON COLUMN otan_enbek.attendance_day.is_final IS
    'False while the day''s attribution window has not closed; such a day is never marked absent';
COMMENT ON COLUMN otan_enbek.attendance_day.present_sec IS
    'Seconds between paired entries and exits, and from an entry without exit to the shift end under missing_exit_policy close_at_shift_end';
COMMENT ON COLUMN otan_enbek.attendance_day.worked_sec IS
    'Seconds present inside the scheduled shift, minus the break';
COMMENT ON COLUMN otan_enbek.attendance_day.late_sec IS
    'Seconds between shift start and the first entry: 0 within the grace period, the whole lateness beyond it; NULL when the day''s first punch is not an entry';
COMMENT ON COLUMN otan_enbek.attendance_day.night_sec IS
    'Seconds present between 22:00 and 06:00 local time, less the break';
COMMENT ON COLUMN otan_enbek.attendance_day.early_leave_sec IS
    'Seconds between the last exit and shift end: 0 within the grace period, the whole early leave beyond it; NULL when the day''s last punch is not an exit';
COMMENT ON COLUMN otan_enbek.attendance_day.early_arrival_sec IS
    'Seconds present before the shift start';
COMMENT ON COLUMN otan_enbek.attendance_day.overtime_sec IS
    'Seconds present after the shift end (and before its start when the schedule counts early arrival), each part counted only when it reaches min_overtime_sec and the schedule allows overtime';
COMMENT ON COLUMN otan_enbek.attendance_day.norm_sec IS
    'Scheduled seconds of a work day: its shifts less their breaks, and less a deducted break when the shifts are long enough to earn it; 0 on other days';
COMMENT ON COLUMN otan_enbek.attendance_day.absence_code IS
    'Form No. 421 code of a documented absence on the day (see otan_enbek.absence_code); such a day is never flagged absent';
COMMENT ON COLUMN otan_enbek.attendance_day.first_in_rounded IS
    'first_in rounded as the schedule''s rounding_min and rounding_entry set, beside the raw time; NULL without rounding';
COMMENT ON COLUMN otan_enbek.attendance_day.last_out_rounded IS
    'last_out rounded as the schedule''s rounding_min and rounding_exit set, beside the raw time; NULL without rounding';
COMMENT ON COLUMN otan_enbek.attendance_day.punch_count IS
    'Punches of the day after de-duplication, paired or not';

-- Rows are written only by compute_attendance, for employees it has just
-- read, so the table has no foreign key to employee: checking one for each
-- of hundreds of thousands of rows would cost as much as computing them.
-- This trigger removes the rows of deleted employees instead.
CREATE FUNCTION otan_enbek.attendance_day_delete_employees() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    DELETE FROM otan_enbek.attendance_day a
    USING deleted_employee d
    WHERE a.org_id = d.org_id AND a.employee_id = d.employee_id;
    RETURN NULL;
END
$$;
CREATE TRIGGER attendance_day_employee_deleted
    AFTER DELETE ON otan_enbek.employee
    REFERENCING OLD TABLE AS deleted_employee
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.attendance_day_delete_employees();
COMMENT ON COLUMN otan_enbek.attendance_day.anomalies IS
    'Flags for HR to review: missing_entry (an exit without an entry), missing_exit (an entry without an exit), consecutive_entries (an entry left unpaired by the next entry), direction_inferred (a punch without direction took the opposite of the previous one), absent (a final work day without any punch; the timesheet shows a documented absence instead), no_schedule (no schedule applies: calendar day), outside_employment (punches on a day outside the employment dates but in a month of the employment: the row keeps the punches and the time present, without norm or work time), zero_length_pair (an exit at the same second as the open entry, ignored), gap (an exit and the next entry leave scheduled time uncovered), outside_window (a punch in no shift''s attribution window, given to a day with shifts), ambiguous_time (an event''s local time occurred twice and was read as the first occurrence), clock_jump_back (an event recorded after its device''s clock was set back, so its time may be wrong), overtime_day_limit, overtime_month_limit, overtime_year_limit (the Labour Code limits: 2 h a day or 1 h on heavy work, 12 h a month, 120 h a year, passed on this day; the hours are kept)';
COMMENT ON COLUMN otan_enbek.attendance_day.event_ids IS
    'Events the figures were computed from, so that each number can be traced to the turnstile log';
