-- Anomaly flags that the engine cannot set from one day's punches: local
-- times that occurred twice, and the Labour Code limits of overtime.

-- Partial index: ambiguous local times are rare, and the flagging below
-- looks for them in every computation.
CREATE INDEX skud_event_ambiguous
    ON otan_enbek.skud_event (org_id, occurred_at)
    WHERE local_time_ambiguous;

-- Adds ambiguous_time to the attendance_day rows of first_day..last_day
-- whose events include one with an ambiguous local time.  fetch_from and
-- fetch_to bound the times of the events that those days can contain.
-- Returns the number of rows changed.
CREATE FUNCTION otan_enbek.attendance_flag_ambiguous_times(org integer, first_day date,
        last_day date, fetch_from timestamptz, fetch_to timestamptz,
        employee_ids integer[] DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    ambiguous_ids bigint[];
    changed integer;
BEGIN
    SELECT array_agg(e.event_id) INTO ambiguous_ids
    FROM otan_enbek.skud_event e
    WHERE e.org_id = attendance_flag_ambiguous_times.org
      AND e.local_time_ambiguous
      AND e.occurred_at >= fetch_from
      AND e.occurred_at < fetch_to;
    IF ambiguous_ids IS NULL THEN
        RETURN 0;
    END IF;
    UPDATE otan_enbek.attendance_day a
    SET anomalies = a.anomalies || '{ambiguous_time}'::text[]
    WHERE a.org_id = attendance_flag_ambiguous_times.org
      AND a.work_day BETWEEN first_day AND last_day
      AND (employee_ids IS NULL OR a.employee_id = ANY (employee_ids))
      AND a.event_ids && ambiguous_ids
      AND NOT 'ambiguous_time' = ANY (a.anomalies);
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END
$$;
COMMENT ON FUNCTION otan_enbek.attendance_flag_ambiguous_times(integer, date, date,
        timestamptz, timestamptz, integer[]) IS
    'Flags ambiguous_time on the attendance days whose events include a local time that occurred twice; returns the number of rows changed';

-- Sets the overtime limit flags of the Labour Code of Kazakhstan on the
-- attendance_day rows of the years of first_day..last_day.
-- overtime_day_limit marks a day with more than 2 hours of overtime (1
-- hour on a schedule of heavy or harmful work).  overtime_month_limit and
-- overtime_year_limit mark each day with overtime once the calendar
-- month's total passes 12 hours or the year's 120 hours.  The hours are
-- never changed.  Whole years are read because a recomputed day moves the totals
-- of every later day of its month and year.  Returns the number of rows
-- whose flags changed.
CREATE FUNCTION otan_enbek.attendance_flag_overtime_limits(org integer, first_day date,
        last_day date, employee_ids integer[] DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    changed integer;
BEGIN
    WITH overtime AS (
        SELECT a.employee_id, a.work_day, a.anomalies,
               a.overtime_sec > CASE WHEN ws.heavy_work THEN 3600 ELSE 7200 END AS over_day,
               sum(a.overtime_sec) OVER (PARTITION BY a.employee_id,
                                                      date_trunc('month', a.work_day)
                                         ORDER BY a.work_day) > 12 * 3600 AS over_month,
               sum(a.overtime_sec) OVER (PARTITION BY a.employee_id,
                                                      date_trunc('year', a.work_day)
                                         ORDER BY a.work_day) > 120 * 3600 AS over_year
        FROM otan_enbek.attendance_day a
        LEFT JOIN otan_enbek.work_schedule ws
               ON ws.org_id = a.org_id AND ws.schedule_id = a.schedule_id
        WHERE a.org_id = attendance_flag_overtime_limits.org
          AND a.overtime_sec > 0
          AND a.work_day >= date_trunc('year', first_day)::date
          AND a.work_day < (date_trunc('year', last_day) + interval '1 year')::date
          AND (employee_ids IS NULL OR a.employee_id = ANY (employee_ids))
    ), flagged AS (
        SELECT o.employee_id, o.work_day,
               ARRAY(SELECT x FROM unnest(o.anomalies) AS x
                     WHERE x NOT IN ('overtime_day_limit', 'overtime_month_limit',
                                     'overtime_year_limit'))
               || CASE WHEN o.over_day THEN '{overtime_day_limit}'::text[] ELSE '{}' END
               || CASE WHEN o.over_month THEN '{overtime_month_limit}'::text[] ELSE '{}' END
               || CASE WHEN o.over_year THEN '{overtime_year_limit}'::text[] ELSE '{}' END
                   AS anomalies
        FROM overtime o
    )
    UPDATE otan_enbek.attendance_day a
    SET anomalies = f.anomalies
    FROM flagged f
    WHERE a.org_id = attendance_flag_overtime_limits.org
      AND a.employee_id = f.employee_id
      AND a.work_day = f.work_day
      AND a.anomalies <> f.anomalies;
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END
$$;
COMMENT ON FUNCTION otan_enbek.attendance_flag_overtime_limits(integer, date, date, integer[]) IS
    'Flags the days that exceed the Labour Code overtime limits (2 h a day, 1 h on heavy work, 12 h a month, 120 h a year) in the years of a period; returns the number of rows changed';
