-- attendance_compute_days: the attendance of an organization's employees in
-- one pass over their events, for compute_attendance and refresh_attendance.

-- Returns the day rows of the employees that attendance_plans gives for the
-- period, computed from their events in [fetch_from, fetch_to), as the
-- attendance_days aggregate grouped by employee would return them.  The
-- events are read by one query and grouped by employee in memory, without
-- an aggregate.  Only events that count for attendance are read: the
-- event's flag must be set and its access point, if one is configured,
-- must count.  The access point's clock_skew_sec is added to the event's
-- time, and an event without a direction takes the direction of its access
-- point when that is in or out.
--
-- employee_ids, when not NULL, limits the employees to those and finds
-- their events by their credentials (the credential index), as ingest and
-- resolve_credentials assign them.  lo and hi, when not NULL, limit the
-- employees to ids in lo..hi, so that a caller can bound the punches held
-- in memory by taking the employees in chunks.
CREATE FUNCTION otan_enbek.attendance_compute_days(org integer, first_day date,
        last_day date, fetch_from timestamptz, fetch_to timestamptz,
        employee_ids integer[] DEFAULT NULL, lo integer DEFAULT NULL,
        hi integer DEFAULT NULL)
    RETURNS TABLE (employee_id integer, work_day date, schedule_id integer,
                   day_kind text, is_final boolean, shift_start timestamptz,
                   shift_end timestamptz, first_in timestamptz, last_out timestamptz,
                   present_sec integer, worked_sec integer, late_sec integer,
                   early_leave_sec integer, early_arrival_sec integer,
                   overtime_sec integer, night_sec integer, punch_count integer,
                   anomalies text[], event_ids bigint[], norm_sec integer)
    LANGUAGE C STABLE
    SET search_path = pg_catalog, pg_temp
    -- about one employee's month, the size of a refresh, so that the
    -- planner looks up the stored rows that refresh_attendance compares by key
    ROWS 30
    AS 'MODULE_PATHNAME', 'otan_enbek_attendance_compute_days';
COMMENT ON FUNCTION otan_enbek.attendance_compute_days(integer, date, date, timestamptz,
        timestamptz, integer[], integer, integer) IS
    'Computes the attendance days of an organization''s employees for a period from their events in [fetch_from, fetch_to), in employee order, without writing; employee_ids limits the employees and reads their events by credential, lo and hi limit them by id';

-- Inserts the rows that attendance_compute_days returns into
-- attendance_day, as compute_attendance writes them (computed_at is now(),
-- absence_code and the rounded times NULL), and returns their number.  The
-- rows are written in batches like COPY's: the heap tuples of a batch
-- together, then their index entries.  The caller needs the INSERT privilege
-- on attendance_day.  The function raises an error while row-level security
-- applies to the caller or the table has triggers, because it would bypass
-- them; an INSERT ... SELECT from attendance_compute_days does the same work.
-- With flag_overtime_limits, each row gets the overtime limit flags that
-- attendance_flag_overtime_limits would set on it, counting the overtime
-- stored earlier in the month and year of first_day.  Stored days after
-- the period keep their flags.
CREATE FUNCTION otan_enbek.attendance_write_days(org integer, first_day date,
        last_day date, fetch_from timestamptz, fetch_to timestamptz,
        employee_ids integer[] DEFAULT NULL, lo integer DEFAULT NULL,
        hi integer DEFAULT NULL, flag_overtime_limits boolean DEFAULT false)
    RETURNS bigint
    LANGUAGE C VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'otan_enbek_attendance_write_days';
COMMENT ON FUNCTION otan_enbek.attendance_write_days(integer, date, date, timestamptz,
        timestamptz, integer[], integer, integer, boolean) IS
    'Inserts the rows of attendance_compute_days into attendance_day in batches, as COPY writes, and returns the number of rows written; with flag_overtime_limits the rows get their overtime limit flags; raises an error while row-level security applies to the caller';
