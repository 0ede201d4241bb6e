-- Anomaly flags that the engine cannot set from one day's punches: local
-- times that occurred twice, and the Labour Code limits of overtime.

-- The events with an ambiguous local time are found by the partial index
-- skud_event_flagged (44_attendance_clock_jump.sql).

-- Adds flag to the attendance_day rows of first_day..last_day, of the listed
-- employees or (NULL) of all, whose events include one of flagged_ids and
-- that lack the flag.  The flag goes before the overtime limit flags, which
-- come last as attendance_flag_overtime_limits appends them.  Returns the
-- number of rows changed.
CREATE FUNCTION otan_enbek.attendance_add_event_flag(org integer, first_day date,
        last_day date, employee_ids integer[], flag text, flagged_ids bigint[])
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    limit_flags constant text[] :=
        '{overtime_day_limit,overtime_month_limit,overtime_year_limit}';
    changed integer;
BEGIN
    -- without ids no row can change, and the rows of the period are not read
    IF flag IS NULL OR coalesce(cardinality(flagged_ids), 0) = 0 THEN
        RETURN 0;
    END IF;
    UPDATE otan_enbek.attendance_day a
    SET anomalies = ARRAY(SELECT y FROM unnest(a.anomalies) WITH ORDINALITY AS u(y, i)
                          WHERE y <> ALL (limit_flags) ORDER BY i)
                    || ARRAY[flag]
                    || ARRAY(SELECT y FROM unnest(a.anomalies) WITH ORDINALITY AS u(y, i)
                             WHERE y = ANY (limit_flags) ORDER BY i)
    WHERE a.org_id = attendance_add_event_flag.org
      AND a.work_day BETWEEN first_day AND last_day
      AND (employee_ids IS NULL OR a.employee_id = ANY (employee_ids))
      AND a.event_ids && flagged_ids
      AND NOT flag = ANY (a.anomalies);
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END
$$;
COMMENT ON FUNCTION otan_enbek.attendance_add_event_flag(integer, date, date, integer[], text,
        bigint[]) IS
    'Adds a flag, before the overtime limit flags, to the attendance days whose events include one of the given event ids; returns the number of rows changed';

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
BEGIN
    RETURN otan_enbek.attendance_add_event_flag(
        org, first_day, last_day, employee_ids, 'ambiguous_time',
        ARRAY(SELECT e.event_id
              FROM otan_enbek.skud_event e
              WHERE e.org_id = attendance_flag_ambiguous_times.org
                AND e.local_time_ambiguous
                AND e.occurred_at >= fetch_from
                AND e.occurred_at < fetch_to));
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
    -- JIT compilation delayed the first row by about 0.2 s on a month of
    -- 20,000 employees (one measured run)
    SET jit = off
    AS $$
DECLARE
    limit_flags constant text[] :=
        '{overtime_day_limit,overtime_month_limit,overtime_year_limit}';
    flagged_employees integer[];
    flagged_days date[];
    flagged_masks integer[];
    changed integer;
    -- bounds of the years of the period, computed once instead of per row
    year_from constant date := date_trunc('year', first_day::timestamp)::date;
    year_to constant date := (date_trunc('year', last_day::timestamp)
                              + interval '1 year')::date;
    nestloop_setting constant text := current_setting('enable_nestloop');
    -- Up to this many flagged days are written one primary key at a time.
    -- For a month of 20,000 employees with 3,220 flagged days that took
    -- about 0.2 s, and the join below, which reads every day of the
    -- organization, about 0.8 s (estimates from a few runs on a busy
    -- machine).
    few_rows constant integer := 10000;
    new_flags text[];
    updated integer;
BEGIN
    -- One scan reads the days with overtime.  Running totals are computed
    -- only for the employees whose month or year passes its limit, and only
    -- the days that get or lose a flag are written.
    --
    -- Nested loops are off for the set-based statements below.  An ANALYZE
    -- of attendance_day that runs while the caller's transaction writes the
    -- period's rows records the table as empty (reltuples 0).  The planner
    -- then chooses nested loops that rescan one side for every row of the
    -- other: over_total for every day with overtime here, and the flagged
    -- days for every row of the organization in the UPDATE, so the time
    -- grows with the product of the two.  A setting made by set_config with
    -- is_local true is undone when a statement fails and its
    -- (sub)transaction aborts.
    PERFORM set_config('enable_nestloop', 'off', true);
    WITH overtime AS MATERIALIZED (
        SELECT a.employee_id, a.work_day, a.overtime_sec,
               a.overtime_sec > CASE WHEN ws.heavy_work THEN 3600 ELSE 7200 END AS over_day,
               a.anomalies && limit_flags AS was_flagged
        -- the days of the given employees by the primary key, or all days
        FROM (SELECT d.*
              FROM otan_enbek.attendance_day d
              WHERE employee_ids IS NULL
                AND d.org_id = attendance_flag_overtime_limits.org
              UNION ALL
              SELECT d.*
              FROM otan_enbek.attendance_day d
              WHERE d.org_id = attendance_flag_overtime_limits.org
                AND d.employee_id = ANY (employee_ids)) a
        LEFT JOIN otan_enbek.work_schedule ws
               ON ws.org_id = a.org_id AND ws.schedule_id = a.schedule_id
        WHERE a.overtime_sec > 0
          AND a.work_day >= year_from
          AND a.work_day < year_to
    ), over_total AS (
        SELECT DISTINCT o.employee_id
        FROM overtime o
        GROUP BY GROUPING SETS ((o.employee_id, date_trunc('month', o.work_day::timestamp)),
                                (o.employee_id, date_trunc('year', o.work_day::timestamp)))
        HAVING sum(o.overtime_sec)
               > CASE WHEN GROUPING(date_trunc('month', o.work_day::timestamp)) = 0
                      THEN 12 * 3600 ELSE 120 * 3600 END
    ), running AS (
        SELECT o.employee_id, o.work_day, o.over_day, o.was_flagged,
               sum(o.overtime_sec) OVER (PARTITION BY o.employee_id,
                                                      date_trunc('month', o.work_day::timestamp)
                                         ORDER BY o.work_day) > 12 * 3600 AS over_month,
               sum(o.overtime_sec) OVER (PARTITION BY o.employee_id,
                                                      date_trunc('year', o.work_day::timestamp)
                                         ORDER BY o.work_day) > 120 * 3600 AS over_year
        FROM overtime o
        WHERE o.employee_id IN (SELECT t.employee_id FROM over_total t)
        UNION ALL
        SELECT o.employee_id, o.work_day, o.over_day, o.was_flagged, false, false
        FROM overtime o
        WHERE (o.over_day OR o.was_flagged)
          AND NOT EXISTS (SELECT FROM over_total t WHERE t.employee_id = o.employee_id)
    )
    -- bit i - 1 of a mask is limit_flags[i]
    SELECT array_agg(r.employee_id), array_agg(r.work_day),
           array_agg(r.over_day::integer | (r.over_month::integer << 1)
                     | (r.over_year::integer << 2))
      INTO flagged_employees, flagged_days, flagged_masks
    FROM running r
    WHERE r.over_day OR r.over_month OR r.over_year OR r.was_flagged;
    IF flagged_employees IS NULL THEN
        PERFORM set_config('enable_nestloop', nestloop_setting, true);
        RETURN 0;
    END IF;

    IF cardinality(flagged_employees) <= few_rows THEN
        -- each row is found by the primary key, whatever the statistics estimate
        changed := 0;
        FOR k IN 1 .. cardinality(flagged_employees) LOOP
            new_flags := ARRAY(SELECT l.flag
                               FROM unnest(limit_flags) WITH ORDINALITY AS l(flag, i)
                               WHERE flagged_masks[k] & (1 << (l.i::integer - 1)) <> 0
                               ORDER BY l.i);
            UPDATE otan_enbek.attendance_day a
            SET anomalies = ARRAY(SELECT y FROM unnest(a.anomalies) AS y
                                  WHERE y <> ALL (limit_flags)) || new_flags
            WHERE a.org_id = attendance_flag_overtime_limits.org
              AND a.employee_id = flagged_employees[k]
              AND a.work_day = flagged_days[k]
              AND ARRAY(SELECT y FROM unnest(a.anomalies) AS y
                        WHERE y <> ALL (limit_flags)) || new_flags <> a.anomalies;
            GET DIAGNOSTICS updated = ROW_COUNT;
            changed := changed + updated;
        END LOOP;
        PERFORM set_config('enable_nestloop', nestloop_setting, true);
        RETURN changed;
    END IF;

    UPDATE otan_enbek.attendance_day a
    SET anomalies = f.anomalies
    FROM (SELECT x.employee_id, x.work_day,
                 ARRAY(SELECT y FROM unnest(d.anomalies) AS y WHERE y <> ALL (limit_flags))
                 || ARRAY(SELECT l.flag
                          FROM unnest(limit_flags) WITH ORDINALITY AS l(flag, i)
                          WHERE flagged_masks[x.n] & (1 << (l.i::integer - 1)) <> 0
                          ORDER BY l.i) AS anomalies,
                 d.anomalies AS old_anomalies
          FROM unnest(flagged_employees, flagged_days) WITH ORDINALITY AS x(employee_id, work_day, n)
          JOIN otan_enbek.attendance_day d
            ON d.org_id = attendance_flag_overtime_limits.org
           AND d.employee_id = x.employee_id AND d.work_day = x.work_day) f
    WHERE a.org_id = attendance_flag_overtime_limits.org
      AND a.employee_id = f.employee_id
      AND a.work_day = f.work_day
      AND f.anomalies <> f.old_anomalies;
    GET DIAGNOSTICS changed = ROW_COUNT;
    PERFORM set_config('enable_nestloop', nestloop_setting, true);
    RETURN changed;
END
$$;
COMMENT ON FUNCTION otan_enbek.attendance_flag_overtime_limits(integer, date, date, integer[]) IS
    'Flags the days that exceed the Labour Code overtime limits (2 h a day, 1 h on heavy work, 12 h a month, 120 h a year) in the years of a period; returns the number of rows changed';
