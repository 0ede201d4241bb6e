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
DECLARE
    limit_flags constant text[] :=
        '{overtime_day_limit,overtime_month_limit,overtime_year_limit}';
    jumped_ids bigint[];
    changed integer;
BEGIN
    SELECT array_agg(e.event_id) INTO jumped_ids
    FROM otan_enbek.skud_event e
    WHERE e.org_id = attendance_flag_clock_jumps.org
      AND e.clock_jump_sec IS NOT NULL
      AND e.occurred_at >= fetch_from
      AND e.occurred_at < fetch_to;
    IF jumped_ids IS NULL THEN
        RETURN 0;
    END IF;
    -- clock_jump_back goes before the overtime limit flags, which come last
    -- as attendance_flag_overtime_limits appends them
    UPDATE otan_enbek.attendance_day a
    SET anomalies = ARRAY(SELECT y FROM unnest(a.anomalies) WITH ORDINALITY AS u(y, i)
                          WHERE y <> ALL (limit_flags) ORDER BY i)
                    || '{clock_jump_back}'::text[]
                    || ARRAY(SELECT y FROM unnest(a.anomalies) WITH ORDINALITY AS u(y, i)
                             WHERE y = ANY (limit_flags) ORDER BY i)
    WHERE a.org_id = attendance_flag_clock_jumps.org
      AND a.work_day BETWEEN first_day AND last_day
      AND (employee_ids IS NULL OR a.employee_id = ANY (employee_ids))
      AND a.event_ids && jumped_ids
      AND NOT 'clock_jump_back' = ANY (a.anomalies);
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END
$$;
COMMENT ON FUNCTION otan_enbek.attendance_flag_clock_jumps(integer, date, date,
        timestamptz, timestamptz, integer[]) IS
    'Flags clock_jump_back on the attendance days whose events include one recorded after its device''s clock was set back; returns the number of rows changed';
