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
    FOREIGN KEY (org_id, employee_id) REFERENCES otan_enbek.employee ON DELETE CASCADE
);
COMMENT ON TABLE otan_enbek.attendance_day IS
    'Working time of an employee on a work day, computed from the events; a night shift belongs to the day it starts';
COMMENT ON COLUMN otan_enbek.attendance_day.is_final IS
    'False while the day''s attribution window has not closed; such a day is never marked absent';
COMMENT ON COLUMN otan_enbek.attendance_day.present_sec IS
    'Seconds between paired entries and exits';
COMMENT ON COLUMN otan_enbek.attendance_day.worked_sec IS
    'Seconds present inside the scheduled shift, minus the break';
COMMENT ON COLUMN otan_enbek.attendance_day.late_sec IS
    'Seconds between shift start and the first entry: 0 within the grace period, the whole lateness beyond it; NULL when not known';
COMMENT ON COLUMN otan_enbek.attendance_day.night_sec IS
    'Seconds present between 22:00 and 06:00 local time';
COMMENT ON COLUMN otan_enbek.attendance_day.anomalies IS
    'Named flags, such as missing_entry and missing_exit, for HR to review';
COMMENT ON COLUMN otan_enbek.attendance_day.event_ids IS
    'Events the figures were computed from, so that each number can be traced to the turnstile log';
