-- Incremental attendance: ingest marks the employee-days its new events
-- touch, and refresh_attendance recomputes only those.

CREATE TABLE otan_enbek.attendance_pending (
    org_id          integer NOT NULL,
    employee_id     integer NOT NULL,
    work_day        date NOT NULL,
    marked_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, employee_id, work_day)
);
COMMENT ON TABLE otan_enbek.attendance_pending IS
    'Employee-days whose events changed since their attendance was computed: the local dates of events stored by ingest; refresh_attendance recomputes them and compute_attendance clears the days it computes';

-- Recomputes the pending employee-days of one organization, or of every
-- organization when org is NULL, and removes them from attendance_pending.
-- Returns the number of attendance_day rows written.
--
-- Each calendar month of pending days is one computation over the pending
-- employees only.  It spans the month's first pending day minus one to its
-- last plus one, so that a night shift that began the day before a pending
-- day gets its late exit.  Every pending day is written.  A neighbouring day is
-- written only when its figures come out different from its stored row, or
-- when it has no row but has punches, so that the rows of other days keep
-- their place and their computed_at.  The rows come out as compute_attendance
-- writes them, flags included: both take them from attendance_compute_days.
-- Events are found by the employee's credentials, as ingest and
-- resolve_credentials assign them.  NOTE: an event stored by a plain
-- INSERT with an employee_id but no credential of that employee is not
-- found, while compute_attendance counts it.
CREATE FUNCTION otan_enbek.refresh_attendance(org integer DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    -- How long after an entry an exit outside every window may still pair
    -- with it (MAX_UNSCHEDULED_PAIR_SEC in src/attendance/engine.c).
    unscheduled_pair_sec constant integer := 16 * 3600;
    current_org integer;
    zone text;
    dedup_sec integer;
    reach_before integer;
    reach_after integer;
    max_skew_sec integer;
    month_start date;
    pending_employees integer[];
    pending_days date[];
    first_day date;
    last_day date;
    fetch_from timestamptz;
    fetch_to timestamptz;
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
        SELECT o.time_zone, o.dedup_window_sec INTO zone, dedup_sec
        FROM otan_enbek.organization o
        WHERE o.org_id = current_org;
        IF NOT FOUND THEN
            DELETE FROM otan_enbek.attendance_pending p WHERE p.org_id = current_org;
            CONTINUE;
        END IF;
        -- A partial index finds the events without an employee.  Without
        -- this test, resolve_credentials would plan its reassignment even
        -- when there is nothing to assign: about 2 ms in a new session.
        IF EXISTS (SELECT FROM otan_enbek.skud_event e
                   WHERE e.org_id = current_org AND e.employee_id IS NULL) THEN
            PERFORM otan_enbek.resolve_credentials(current_org);
        END IF;

        -- the reach of the windows, as compute_attendance reads events
        SELECT coalesce(max(ws.window_before_min * 60 - extract(epoch FROM r.start_time)), 0),
               coalesce(max(extract(epoch FROM r.end_time)
                            + CASE WHEN r.end_time <= r.start_time THEN 86400 ELSE 0 END
                            + ws.window_after_min * 60 - 86400), 0)
          INTO reach_before, reach_after
        FROM otan_enbek.work_schedule_rule r
        JOIN otan_enbek.work_schedule ws
          ON ws.org_id = r.org_id AND ws.schedule_id = r.schedule_id
        WHERE r.org_id = current_org;
        SELECT coalesce(max(abs(ap.clock_skew_sec)), 0) INTO max_skew_sec
        FROM otan_enbek.access_point ap
        WHERE ap.org_id = current_org;

        FOR month_start IN
            SELECT DISTINCT date_trunc('month', p.work_day)::date
            FROM otan_enbek.attendance_pending p
            WHERE p.org_id = current_org
            ORDER BY 1
        LOOP
            WITH taken AS (
                DELETE FROM otan_enbek.attendance_pending p
                WHERE p.org_id = current_org
                  AND p.work_day >= month_start
                  AND p.work_day < (month_start + interval '1 month')::date
                RETURNING p.employee_id, p.work_day
            )
            SELECT array_agg(t.employee_id), array_agg(t.work_day),
                   min(t.work_day) - 1, max(t.work_day) + 1
              INTO pending_employees, pending_days, first_day, last_day
            FROM taken t;

            fetch_from := timezone(zone, first_day::timestamp)
                - make_interval(secs => greatest(reach_before, unscheduled_pair_sec) + dedup_sec
                                        + max_skew_sec);
            fetch_to := timezone(zone, (last_day + 1)::timestamp)
                + make_interval(secs => greatest(reach_after, unscheduled_pair_sec)
                                        + max_skew_sec);

            INSERT INTO otan_enbek.attendance_day
                (org_id, employee_id, work_day, schedule_id, day_kind, is_final,
                 shift_start, shift_end, first_in, last_out, present_sec, worked_sec,
                 late_sec, early_leave_sec, early_arrival_sec, overtime_sec, night_sec,
                 punch_count, anomalies, event_ids, norm_sec)
            SELECT current_org, f.employee_id, f.work_day, f.schedule_id,
                   f.day_kind, f.is_final, f.shift_start, f.shift_end, f.first_in,
                   f.last_out, f.present_sec, f.worked_sec, f.late_sec, f.early_leave_sec,
                   f.early_arrival_sec, f.overtime_sec, f.night_sec, f.punch_count,
                   f.anomalies, f.event_ids, f.norm_sec
            FROM otan_enbek.attendance_compute_days(current_org, first_day, last_day,
                                                    fetch_from, fetch_to,
                                                    pending_employees) f
            LEFT JOIN otan_enbek.attendance_day old
                   ON old.org_id = current_org
                  AND old.employee_id = f.employee_id
                  AND old.work_day = f.work_day
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
                computed_at = excluded.computed_at;
            GET DIAGNOSTICS n = ROW_COUNT;
            written := written + n;

            PERFORM otan_enbek.attendance_flag_ambiguous_times(current_org, first_day, last_day,
                                                               fetch_from, fetch_to,
                                                               pending_employees);
            PERFORM otan_enbek.attendance_flag_overtime_limits(current_org, first_day, last_day,
                                                               pending_employees);
            PERFORM otan_enbek.attendance_apply_absences(current_org, first_day, last_day,
                                                         pending_employees);
            PERFORM otan_enbek.attendance_round_times(current_org, first_day, last_day,
                                                      pending_employees);
        END LOOP;
    END LOOP;
    RETURN written;
END
$$;
COMMENT ON FUNCTION otan_enbek.refresh_attendance(integer) IS
    'Recomputes the employee-days marked in attendance_pending, of one organization or (NULL) of all, and writes their attendance_day rows; returns the number of rows written';
