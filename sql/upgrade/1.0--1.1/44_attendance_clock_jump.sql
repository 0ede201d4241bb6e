-- The clock_jump_back flag: a day whose events include one that its device
-- recorded after its clock was set back (skud_event.clock_jump_sec).  Such
-- an event keeps its time, which may be wrong, so HR reviews the day and
-- can correct the device with access_point.clock_skew_sec.

-- Partial index of the events that flag their days: ambiguous local times
-- and records written after a clock was set back.  Both are rare, and
-- every computation looks for them.  One index with both conditions lets
-- the test of refresh_attendance (attendance_has_events) read one index of
-- each partition.
CREATE INDEX skud_event_flagged
    ON otan_enbek.skud_event (org_id, occurred_at)
    WHERE local_time_ambiguous OR clock_jump_sec IS NOT NULL;

-- Adds clock_jump_back to the attendance_day rows of first_day..last_day
-- whose events include one recorded after its device's clock was set back.
-- fetch_from and fetch_to bound the times of the events that those days can
-- contain.  Returns the number of rows changed.
CREATE FUNCTION otan_enbek.attendance_flag_clock_jumps(org integer, first_day date,
        last_day date, fetch_from timestamptz, fetch_to timestamptz,
        employee_ids integer[] DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN otan_enbek.attendance_add_event_flag(
        org, first_day, last_day, employee_ids, 'clock_jump_back',
        ARRAY(SELECT e.event_id
              FROM otan_enbek.skud_event e
              WHERE e.org_id = attendance_flag_clock_jumps.org
                AND e.clock_jump_sec IS NOT NULL
                AND e.occurred_at >= fetch_from
                AND e.occurred_at < fetch_to));
END
$$;
COMMENT ON FUNCTION otan_enbek.attendance_flag_clock_jumps(integer, date, date,
        timestamptz, timestamptz, integer[]) IS
    'Flags clock_jump_back on the attendance days whose events include one recorded after its device''s clock was set back; returns the number of rows changed';
