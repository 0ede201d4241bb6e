-- Incremental attendance: ingest marks the employee-days its new events
-- touch, and refresh_attendance recomputes only those.
--
-- A statement that marks a day already marked locks the existing mark with
-- ON CONFLICT DO UPDATE ... WHERE false, which writes nothing.  The lock
-- lasts until its transaction ends, and refresh_attendance and
-- compute_attendance skip locked marks (FOR UPDATE SKIP LOCKED).  Without
-- the lock, a refresh could take a mark that a committed ingest made,
-- compute the day before an open ingest of the same day commits, and leave
-- the open ingest's events out of the day with no mark left.

CREATE TABLE otan_enbek.attendance_pending (
    org_id          integer NOT NULL,
    employee_id     integer NOT NULL,
    work_day        date NOT NULL,
    marked_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, employee_id, work_day)
);
COMMENT ON TABLE otan_enbek.attendance_pending IS
    'Employee-days to compute again, marked by ingest and by changes of credentials, absences, employment dates, schedules, organization settings and calendars; refresh_attendance recomputes them and compute_attendance clears the days it computes';

-- The plans of a list of employees, as attendance_plans gives them, built
-- in C from single-table reads without planning the SQL of
-- attendance_plans.  attendance_compute_days builds its plans this way for
-- a list of employees without a range of ids, as refresh_attendance calls
-- it.
CREATE FUNCTION otan_enbek.attendance_listed_plans(org integer, first_day date,
        last_day date, as_of timestamptz, employee_ids integer[])
    RETURNS TABLE (employee_id integer, plan bytea, emit_from date, emit_to date)
    LANGUAGE C STABLE
    -- its queries name generate_series, timezone and operators unqualified
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'otan_enbek_attendance_listed_plans';
COMMENT ON FUNCTION otan_enbek.attendance_listed_plans(integer, date, date, timestamptz,
        integer[]) IS
    'Work plans of the listed employees, with the rows of attendance_plans for the same arguments, built without its SQL; refresh_attendance uses them';

-- Whether an organization has an event in [fetch_from, fetch_to) without an
-- employee (unassigned), or with an ambiguous local time or a clock set back
-- (not unassigned).
-- Its first run in a session plans only the partitions of skud_event within
-- the window, which a kept plan of refresh_attendance would not.
CREATE FUNCTION otan_enbek.attendance_has_events(org integer, fetch_from timestamptz,
        fetch_to timestamptz, unassigned boolean)
    RETURNS boolean
    LANGUAGE C STABLE STRICT
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'otan_enbek_attendance_has_events';
COMMENT ON FUNCTION otan_enbek.attendance_has_events(integer, timestamptz, timestamptz,
        boolean) IS
    'Whether the organization has an event in [fetch_from, fetch_to) without an employee (unassigned), or with an ambiguous local time or a clock set back; refresh_attendance uses it';

-- Recomputes the pending employee-days of one organization, or of every
-- organization when org is NULL, and removes them from attendance_pending.
-- Returns the number of attendance_day rows written or deleted.
--
-- Each calendar month of pending days is one computation over the pending
-- employees only.  It spans the month's first pending day minus one to its
-- last plus one, so that a night shift that began the day before a pending
-- day gets its late exit.  Every pending day is written, or loses its row
-- when the computation gives none.  A neighbouring day is written only
-- when its figures come out different from its stored row, or when it has
-- no row but has punches, so that the rows of other days keep their place
-- and their computed_at.  The rows come out as compute_attendance
-- writes them, flags included: both take them from attendance_compute_days.
-- Events are found by the employee's credentials, as ingest and
-- resolve_credentials assign them.  NOTE: an event stored by a plain
-- INSERT with an employee_id but no credential of that employee is not
-- found, while compute_attendance counts it.
CREATE FUNCTION otan_enbek.refresh_attendance(org integer DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    -- Generic plans from the first call: a custom plan of each statement
    -- costs more than running it, and PostgreSQL makes custom plans for
    -- the first five calls of a session before it compares them with the
    -- generic one.
    SET plan_cache_mode = force_generic_plan
    AS $$
<<refresh>>
DECLARE
    -- How long after an entry an exit outside every window may still pair
    -- with it (MAX_UNSCHEDULED_PAIR_SEC in src/attendance/engine.c).
    unscheduled_pair_sec constant integer := 16 * 3600;
    -- the flags that attendance_flag_overtime_limits sets
    limit_flags constant text[] :=
        '{overtime_day_limit,overtime_month_limit,overtime_year_limit}';
    current_org integer;
    zone text;
    dedup_sec integer;
    unresolved boolean;
    reach_before integer;
    reach_after integer;
    max_skew_sec integer;
    first_pending date;
    last_pending date;
    month_start date;
    pending_employees integer[];
    pending_days date[];
    first_day date;
    last_day date;
    fetch_from timestamptz;
    fetch_to timestamptz;
    written_employees integer[];
    overtime_changed boolean;
    flags_carried boolean;
    has_flagged_events boolean;
    has_absence boolean;
    has_rounding boolean;
    n integer;
    written integer := 0;
BEGIN
    FOR current_org IN
        SELECT DISTINCT p.org_id FROM otan_enbek.attendance_pending p
        WHERE refresh_attendance.org IS NULL OR p.org_id = refresh_attendance.org
        ORDER BY p.org_id
    LOOP
        -- the lock of compute_attendance, which writes the same rows
        PERFORM pg_advisory_xact_lock(hashtext('otan_enbek.compute_attendance'), current_org);
        -- One statement reads the settings, the reach of the windows (as
        -- compute_attendance reads events), the largest clock skew and the
        -- first and last pending day.
        SELECT o.time_zone, o.dedup_window_sec, w.reach_before, w.reach_after,
               s.max_skew_sec, pd.first_pending, pd.last_pending
          INTO zone, dedup_sec, reach_before, reach_after, max_skew_sec, first_pending,
               last_pending
        FROM otan_enbek.organization o
        CROSS JOIN LATERAL (
            SELECT coalesce(max(ws.window_before_min * 60
                                - extract(epoch FROM r.start_time)), 0) AS reach_before,
                   coalesce(max(extract(epoch FROM r.end_time)
                                + CASE WHEN r.end_time <= r.start_time THEN 86400 ELSE 0 END
                                + ws.window_after_min * 60 - 86400), 0) AS reach_after
            FROM otan_enbek.work_schedule_rule r
            JOIN otan_enbek.work_schedule ws
              ON ws.org_id = r.org_id AND ws.schedule_id = r.schedule_id
            WHERE r.org_id = o.org_id) w
        CROSS JOIN LATERAL (
            SELECT coalesce(max(abs(ap.clock_skew_sec)), 0) AS max_skew_sec
            FROM otan_enbek.access_point ap
            WHERE ap.org_id = o.org_id) s
        CROSS JOIN LATERAL (
            SELECT min(p.work_day) AS first_pending, max(p.work_day) AS last_pending
            FROM otan_enbek.attendance_pending p
            WHERE p.org_id = o.org_id) pd
        WHERE o.org_id = current_org;
        IF NOT FOUND THEN
            DELETE FROM otan_enbek.attendance_pending p WHERE p.org_id = current_org;
            CONTINUE;
        END IF;
        -- Whether an event that the computations below may read has no
        -- employee.  Without the test, resolve_credentials would plan its
        -- reassignment even when there is nothing to assign.  The window
        -- spans the fetch windows of all pending days, so that a new
        -- session plans only the partitions of skud_event within it (see
        -- attendance_has_events).  Events outside the window are assigned
        -- by compute_attendance, which calls resolve_credentials.
        IF first_pending IS NOT NULL THEN
            unresolved := otan_enbek.attendance_has_events(
                current_org,
                timezone(zone, (first_pending - 1)::timestamp)
                - make_interval(secs => greatest(reach_before, unscheduled_pair_sec)
                                        + dedup_sec + max_skew_sec),
                timezone(zone, (last_pending + 2)::timestamp)
                + make_interval(secs => greatest(reach_after, 0) + unscheduled_pair_sec
                                        + max_skew_sec),
                true);
            IF unresolved THEN
                PERFORM otan_enbek.resolve_credentials(current_org);
            END IF;
        END IF;

        FOR month_start, pending_employees, pending_days, first_day, last_day IN
            -- A mark that an open transaction locked (see attendance_pending)
            -- stays for the refresh after that transaction commits.
            WITH taken AS (
                DELETE FROM otan_enbek.attendance_pending p
                WHERE p.org_id = current_org
                  AND (p.employee_id, p.work_day) IN (
                      SELECT l.employee_id, l.work_day
                      FROM otan_enbek.attendance_pending l
                      WHERE l.org_id = current_org
                      FOR UPDATE SKIP LOCKED)
                RETURNING p.employee_id, p.work_day
            )
            SELECT date_trunc('month', t.work_day)::date, array_agg(t.employee_id),
                   array_agg(t.work_day), min(t.work_day) - 1, max(t.work_day) + 1
            FROM taken t
            GROUP BY 1
            ORDER BY 1
        LOOP
            fetch_from := timezone(zone, first_day::timestamp)
                - make_interval(secs => greatest(reach_before, unscheduled_pair_sec) + dedup_sec
                                        + max_skew_sec);
            fetch_to := timezone(zone, (last_day + 1)::timestamp)
                + make_interval(secs => greatest(reach_after, 0) + unscheduled_pair_sec
                                        + max_skew_sec);

            -- A written day whose overtime and schedule are as before
            -- keeps its overtime limit flags, because the totals of its
            -- month and year are as before too.  Its daily limit flag must
            -- also agree with the schedule's daily limit, which changes
            -- with work_schedule.heavy_work (as in
            -- attendance_flag_overtime_limits).
            WITH computed AS (
                SELECT f.*,
                       coalesce(old.overtime_sec, 0) = f.overtime_sec
                       AND (f.overtime_sec = 0
                            OR (old.schedule_id IS NOT DISTINCT FROM f.schedule_id
                                AND coalesce('overtime_day_limit' = ANY (old.anomalies), false)
                                    = (f.overtime_sec > CASE WHEN ws.heavy_work THEN 3600
                                                             ELSE 7200 END)))
                           AS same_overtime,
                       ARRAY(SELECT l.flag
                             FROM unnest(limit_flags) WITH ORDINALITY AS l(flag, i)
                             WHERE l.flag = ANY (old.anomalies)
                             ORDER BY l.i) AS old_limit_flags
                FROM otan_enbek.attendance_compute_days(current_org, first_day, last_day,
                                                        fetch_from, fetch_to,
                                                        pending_employees) f
                LEFT JOIN otan_enbek.attendance_day old
                       ON old.org_id = current_org
                      AND old.employee_id = f.employee_id
                      AND old.work_day = f.work_day
                LEFT JOIN otan_enbek.work_schedule ws
                       ON ws.org_id = current_org AND ws.schedule_id = f.schedule_id
                WHERE (f.employee_id, f.work_day) IN (SELECT x.employee_id, x.work_day
                                                      FROM unnest(pending_employees, pending_days)
                                                           AS x(employee_id, work_day))
                   OR (old.work_day IS NULL AND f.punch_count > 0)
                   OR (old.work_day IS NOT NULL
                       AND (old.schedule_id, old.day_kind, old.is_final, old.shift_start,
                            old.shift_end, old.first_in, old.last_out, old.present_sec,
                            old.worked_sec, old.late_sec, old.early_leave_sec,
                            old.early_arrival_sec, old.overtime_sec, old.night_sec,
                            old.punch_count, old.event_ids, old.norm_sec)
                           IS DISTINCT FROM
                           (f.schedule_id, f.day_kind, f.is_final, f.shift_start, f.shift_end,
                            f.first_in, f.last_out, f.present_sec, f.worked_sec, f.late_sec,
                            f.early_leave_sec, f.early_arrival_sec, f.overtime_sec, f.night_sec,
                            f.punch_count, f.event_ids, f.norm_sec))
            ), upserted AS (
                INSERT INTO otan_enbek.attendance_day
                    (org_id, employee_id, work_day, schedule_id, day_kind, is_final,
                     shift_start, shift_end, first_in, last_out, present_sec, worked_sec,
                     late_sec, early_leave_sec, early_arrival_sec, overtime_sec, night_sec,
                     punch_count, anomalies, event_ids, norm_sec)
                SELECT current_org, c.employee_id, c.work_day, c.schedule_id,
                       c.day_kind, c.is_final, c.shift_start, c.shift_end, c.first_in,
                       c.last_out, c.present_sec, c.worked_sec, c.late_sec, c.early_leave_sec,
                       c.early_arrival_sec, c.overtime_sec, c.night_sec, c.punch_count,
                       CASE WHEN c.same_overtime THEN c.anomalies || c.old_limit_flags
                            ELSE c.anomalies END,
                       c.event_ids, c.norm_sec
                FROM computed c
                ON CONFLICT (org_id, employee_id, work_day) DO UPDATE
                SET schedule_id = excluded.schedule_id, day_kind = excluded.day_kind,
                    is_final = excluded.is_final, shift_start = excluded.shift_start,
                    shift_end = excluded.shift_end, first_in = excluded.first_in,
                    last_out = excluded.last_out, present_sec = excluded.present_sec,
                    worked_sec = excluded.worked_sec, late_sec = excluded.late_sec,
                    early_leave_sec = excluded.early_leave_sec,
                    early_arrival_sec = excluded.early_arrival_sec,
                    overtime_sec = excluded.overtime_sec, night_sec = excluded.night_sec,
                    punch_count = excluded.punch_count, anomalies = excluded.anomalies,
                    event_ids = excluded.event_ids, norm_sec = excluded.norm_sec,
                    absence_code = NULL, first_in_rounded = NULL, last_out_rounded = NULL,
                    computed_at = excluded.computed_at
                RETURNING employee_id, work_day
            ), deleted AS (
                -- A pending day that the computation no longer gives loses
                -- its row, as in a full computation.  An example is a day
                -- outside the employment dates whose punches went to
                -- another holder of the credential.
                DELETE FROM otan_enbek.attendance_day a
                USING unnest(pending_employees, pending_days) AS x(employee_id, work_day)
                WHERE a.org_id = current_org
                  AND a.employee_id = x.employee_id
                  AND a.work_day = x.work_day
                  AND NOT EXISTS (SELECT FROM computed c
                                  WHERE c.employee_id = x.employee_id
                                    AND c.work_day = x.work_day)
                RETURNING a.employee_id, a.overtime_sec
            )
            -- The last two columns test whether the flag steps below can
            -- change anything: they are the first statements of those
            -- functions, read here to save a statement.  The upsert and the
            -- delete do not write the tables they read.
            SELECT count(*), array_agg(DISTINCT w.employee_id),
                   coalesce(bool_or(NOT w.same_overtime), false),
                   coalesce(bool_or(w.same_overtime AND w.old_limit_flags <> '{}'), false),
                   EXISTS (SELECT FROM otan_enbek.absence ab
                           WHERE ab.org_id = current_org
                             AND ab.first_day <= refresh.last_day
                             AND ab.last_day >= refresh.first_day),
                   EXISTS (SELECT FROM otan_enbek.work_schedule ws
                           WHERE ws.org_id = current_org AND ws.rounding_min > 0)
              INTO n, written_employees, overtime_changed, flags_carried,
                   has_absence, has_rounding
            FROM (SELECT u.employee_id, c.same_overtime, c.old_limit_flags
                  FROM upserted u
                  JOIN computed c ON c.employee_id = u.employee_id AND c.work_day = u.work_day
                  UNION ALL
                  SELECT d.employee_id, d.overtime_sec = 0, '{}'::text[]
                  FROM deleted d) w;
            written := written + n;

            -- The steps below run for the employees just written, and only
            -- when a row was written, because the days left as they were
            -- keep the flags, codes and rounded times they had.  Each step
            -- runs only when its result can differ.
            IF n = 0 THEN
                CONTINUE;
            END IF;
            -- events with an ambiguous local time or a clock set back
            has_flagged_events := otan_enbek.attendance_has_events(current_org, fetch_from,
                                                                   fetch_to, false);
            IF has_flagged_events THEN
                PERFORM otan_enbek.attendance_flag_ambiguous_times(current_org, first_day,
                                                                   last_day, fetch_from,
                                                                   fetch_to,
                                                                   written_employees);
                PERFORM otan_enbek.attendance_flag_clock_jumps(current_org, first_day,
                                                               last_day, fetch_from,
                                                               fetch_to, written_employees);
            END IF;
            -- When no written day changed its overtime or schedule, every
            -- day keeps its overtime limit flags.  The function still runs
            -- after ambiguous_time or clock_jump_back was added to a day
            -- with carried flags, to put the limit flags last, as a full
            -- computation does.
            IF overtime_changed OR (has_flagged_events AND flags_carried) THEN
                PERFORM otan_enbek.attendance_flag_overtime_limits(current_org, first_day,
                                                                   last_day,
                                                                   written_employees);
            END IF;
            IF has_absence THEN
                PERFORM otan_enbek.attendance_apply_absences(current_org, first_day, last_day,
                                                             written_employees);
            END IF;
            IF has_rounding THEN
                PERFORM otan_enbek.attendance_round_times(current_org, first_day, last_day,
                                                          written_employees);
            END IF;
        END LOOP;
    END LOOP;
    RETURN written;
END
$$;
COMMENT ON FUNCTION otan_enbek.refresh_attendance(integer) IS
    'Recomputes the employee-days marked in attendance_pending, of one organization or (NULL) of all, writes their attendance_day rows and deletes those of days that no longer have one; returns the number of rows written or deleted';
