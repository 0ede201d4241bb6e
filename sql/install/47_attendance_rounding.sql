-- Rounded entry and exit times, kept beside the raw ones.

-- Returns t rounded to step_min minutes of local time in time_zone: up,
-- down or to the nearest step (a half step rounds up).  The result keeps
-- the UTC offset of t, so a time in an hour that occurred twice rounds
-- within its own occurrence.
CREATE FUNCTION otan_enbek.round_local_time(t timestamptz, time_zone text, step_min integer,
        mode text)
    RETURNS timestamptz
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT t + make_interval(secs => CASE round_local_time.mode
                                     WHEN 'up' THEN ceil(x.local_sec / x.step)
                                     WHEN 'down' THEN floor(x.local_sec / x.step)
                                     ELSE floor(x.local_sec / x.step + 0.5)
                                 END * x.step - x.local_sec)
FROM (SELECT extract(epoch FROM timezone(round_local_time.time_zone, t)) AS local_sec,
             round_local_time.step_min * 60 AS step) x
$$;
COMMENT ON FUNCTION otan_enbek.round_local_time(timestamptz, text, integer, text) IS
    'Returns a time rounded up, down or to the nearest step of minutes of local time in a zone';

-- Sets first_in_rounded and last_out_rounded on the attendance_day rows of
-- first_day..last_day (of employee_ids only, unless NULL) whose schedule
-- rounds times.  Returns the number of rows changed.
CREATE FUNCTION otan_enbek.attendance_round_times(org integer, first_day date,
        last_day date, employee_ids integer[] DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    zone text;
    changed integer;
BEGIN
    IF NOT EXISTS (SELECT FROM otan_enbek.work_schedule ws
                   WHERE ws.org_id = attendance_round_times.org AND ws.rounding_min > 0) THEN
        RETURN 0;
    END IF;
    SELECT o.time_zone INTO zone
    FROM otan_enbek.organization o
    WHERE o.org_id = attendance_round_times.org;
    UPDATE otan_enbek.attendance_day a
    SET first_in_rounded = otan_enbek.round_local_time(a.first_in, zone, ws.rounding_min,
                                                       ws.rounding_entry),
        last_out_rounded = otan_enbek.round_local_time(a.last_out, zone, ws.rounding_min,
                                                       ws.rounding_exit)
    FROM otan_enbek.work_schedule ws
    WHERE ws.org_id = attendance_round_times.org
      AND ws.rounding_min > 0
      AND a.org_id = attendance_round_times.org
      AND a.schedule_id = ws.schedule_id
      AND a.work_day BETWEEN first_day AND last_day
      AND (employee_ids IS NULL OR a.employee_id = ANY (employee_ids));
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END
$$;
COMMENT ON FUNCTION otan_enbek.attendance_round_times(integer, date, date, integer[]) IS
    'Sets the rounded entry and exit times of attendance days whose schedule rounds them; returns the number of rows changed';
