-- Explanation of one employee's attendance day: the punches used, the
-- schedule and rules applied, and how each figure was obtained.

CREATE FUNCTION otan_enbek.attendance_tracefn(internal, bytea, date, date,
        timestamptz, text, bigint)
    RETURNS text
    LANGUAGE C PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_attendance_tracefn';

-- Uses the state and transition function of attendance_days, with a final
-- function that returns the engine's steps instead of the figures.
CREATE AGGREGATE otan_enbek.attendance_trace(plan bytea, emit_from date, emit_to date,
        occurred_at timestamptz, direction text, event_id bigint) (
    SFUNC = otan_enbek.attendance_transfn,
    STYPE = internal,
    FINALFUNC = otan_enbek.attendance_tracefn,
    FINALFUNC_EXTRA,
    FINALFUNC_MODIFY = READ_ONLY
);
COMMENT ON AGGREGATE otan_enbek.attendance_trace(bytea, date, date, timestamptz, text, bigint) IS
    'Steps of the attendance engine for one employee, as a JSON array: the input of attendance_days, grouped by employee';

-- Returns, for an employee and a work day, one row per step of the
-- computation, in the order the engine took them:
--   schedule  the schedule, day kind and the organization's policies
--   shift     each shift of the day with its grace, windows and overtime rules
--   punch     each punch of the day: kept, dropped as a duplicate of a kept
--             punch, or ignored as a zero-length pair, with the source of
--             its direction (device, access point or alternation)
--   pair      each entry-exit pair and the seconds it added to each figure
--   figure    each figure of the day with how it was obtained
--   flag      the flags set after the engine (ambiguous times, overtime
--             limits), as the stored attendance_day row has them
-- The day is computed afresh from the stored events, as compute_attendance
-- would compute it now; it does not read or change attendance_day except
-- for the flag rows.  Events are found by the employee's credentials, as
-- in refresh_attendance.
CREATE FUNCTION otan_enbek.explain_attendance(org integer, employee integer, day date)
    RETURNS TABLE (step text, event_id bigint, at timestamptz, direction text,
                   figure text, seconds bigint, detail text)
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    -- MAX_UNSCHEDULED_PAIR_SEC in src/attendance/engine.c
    unscheduled_pair_sec constant integer := 16 * 3600;
    epoch constant timestamptz := timestamptz '2000-01-01 00:00:00+00';
    settings record;
    reach_before integer;
    reach_after integer;
    max_skew_sec integer;
    fetch_from timestamptz;
    fetch_to timestamptz;
    figures otan_enbek.attendance_day_figures[];
    steps jsonb;
    the_day otan_enbek.attendance_day_figures;
    in_employment_month boolean;
    schedule record;
BEGIN
    IF org IS NULL OR employee IS NULL OR day IS NULL THEN
        RAISE EXCEPTION 'organization, employee and day must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass an org_id, an employee_id of that organization and a date.';
    END IF;
    SELECT o.time_zone, o.dedup_window_sec, o.missing_exit_policy, o.calendar_pair_policy
      INTO settings
    FROM otan_enbek.organization o
    WHERE o.org_id = explain_attendance.org;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'organization % does not exist', org
            USING ERRCODE = 'undefined_object',
                  HINT = 'Use the org_id of a row of otan_enbek.organization.';
    END IF;
    IF NOT EXISTS (SELECT FROM otan_enbek.employee e
                   WHERE e.org_id = explain_attendance.org
                     AND e.employee_id = explain_attendance.employee) THEN
        RAISE EXCEPTION 'employee % of organization % does not exist', employee, org
            USING ERRCODE = 'undefined_object',
                  HINT = 'Use the employee_id of a row of otan_enbek.employee of that organization.';
    END IF;

    -- events as compute_attendance reads them for a period of one day
    SELECT coalesce(max(ws.window_before_min * 60 - extract(epoch FROM r.start_time)), 0),
           coalesce(max(extract(epoch FROM r.end_time)
                        + CASE WHEN r.end_time <= r.start_time THEN 86400 ELSE 0 END
                        + ws.window_after_min * 60 - 86400), 0)
      INTO reach_before, reach_after
    FROM otan_enbek.work_schedule_rule r
    JOIN otan_enbek.work_schedule ws
      ON ws.org_id = r.org_id AND ws.schedule_id = r.schedule_id
    WHERE r.org_id = explain_attendance.org;
    SELECT coalesce(max(abs(ap.clock_skew_sec)), 0) INTO max_skew_sec
    FROM otan_enbek.access_point ap
    WHERE ap.org_id = explain_attendance.org;
    fetch_from := timezone(settings.time_zone, day::timestamp)
        - make_interval(secs => greatest(reach_before, unscheduled_pair_sec)
                                + settings.dedup_window_sec + max_skew_sec);
    fetch_to := timezone(settings.time_zone, (day + 1)::timestamp)
        + make_interval(secs => greatest(reach_after, 0) + unscheduled_pair_sec
                                + max_skew_sec);

    SELECT otan_enbek.attendance_days(u.plan, u.emit_from, u.emit_to, u.occurred_at,
                                      u.direction, u.event_id),
           otan_enbek.attendance_trace(u.plan, u.emit_from, u.emit_to, u.occurred_at,
                                       u.direction, u.event_id)::jsonb
      INTO figures, steps
    FROM (SELECT p.plan, p.emit_from, p.emit_to, NULL::timestamptz AS occurred_at,
                 NULL::text AS direction, NULL::bigint AS event_id
          FROM otan_enbek.attendance_plans(explain_attendance.org, day, day, now(),
                                           ARRAY[employee]) p
          UNION ALL
          SELECT NULL, NULL, NULL,
                 CASE WHEN max_skew_sec = 0 THEN e.occurred_at
                      ELSE e.occurred_at
                           + make_interval(secs => coalesce((SELECT ap.clock_skew_sec
                                                             FROM otan_enbek.access_point ap
                                                             WHERE ap.org_id = e.org_id
                                                               AND ap.source_id = e.source_id
                                                               AND ap.device = e.device), 0))
                 END,
                 coalesce(e.direction,
                          (SELECT ap.direction
                           FROM otan_enbek.access_point ap
                           WHERE ap.org_id = e.org_id AND ap.source_id = e.source_id
                             AND ap.device = e.device AND ap.direction IN ('in', 'out'))),
                 e.event_id
          FROM otan_enbek.skud_event e
          WHERE e.org_id = explain_attendance.org
            AND e.employee_id = explain_attendance.employee
            -- finds the events by the credential index
            AND (e.credential_kind, e.credential) IN (
                    SELECT c.kind, c.value
                    FROM otan_enbek.credential c
                    WHERE c.org_id = explain_attendance.org
                      AND c.employee_id = explain_attendance.employee)
            AND e.occurred_at >= fetch_from
            AND e.occurred_at < fetch_to
            AND e.counts_for_attendance
            AND NOT EXISTS (SELECT FROM otan_enbek.access_point ap
                            WHERE ap.org_id = e.org_id AND ap.source_id = e.source_id
                              AND ap.device = e.device AND NOT ap.counts_for_attendance)) u;

    SELECT f.* INTO the_day FROM unnest(figures) f WHERE f.work_day = day;
    IF NOT FOUND THEN
        -- A day outside the employment dates gets a row when it has punches
        -- and lies in a calendar month of the employment (attendance_plans).
        SELECT (e.contract_start IS NULL
                OR date_trunc('month', e.contract_start) <= date_trunc('month', day))
               AND (least(e.dismissed_on, e.contract_end) IS NULL
                    OR date_trunc('month', day)
                       <= date_trunc('month', least(e.dismissed_on, e.contract_end)))
          INTO in_employment_month
        FROM otan_enbek.employee e
        WHERE e.org_id = explain_attendance.org AND e.employee_id = explain_attendance.employee;
        RAISE EXCEPTION 'employee % has no attendance on %', employee, day
            USING ERRCODE = 'no_data_found',
                  DETAIL = CASE WHEN in_employment_month
                                THEN 'The day is outside the employee''s employment dates and has no punches.'
                                ELSE 'The day is outside the employee''s employment dates, in a calendar month without a day of the employment. Such a day gets no row, even with punches.'
                           END,
                  HINT = 'Check contract_start, contract_end and dismissed_on of the employee.';
    END IF;

    SELECT ws.schedule_id, ws.name, ws.kind INTO schedule
    FROM otan_enbek.work_schedule ws
    WHERE ws.org_id = explain_attendance.org AND ws.schedule_id = the_day.schedule_id;
    step := 'schedule';
    detail := CASE WHEN the_day.schedule_id IS NULL
                   THEN 'No schedule applies: calendar-day mode.'
                   ELSE format('Schedule %s "%s" (%s).', schedule.schedule_id, schedule.name,
                               schedule.kind)
              END
              || format(' Day kind %s. missing_exit_policy %s, calendar_pair_policy %s, de-duplication window %s s.',
                        the_day.day_kind, settings.missing_exit_policy,
                        settings.calendar_pair_policy, settings.dedup_window_sec);
    RETURN NEXT;

    RETURN QUERY
    SELECT s.value->>'step',
           (s.value->>'event_id')::bigint,
           CASE WHEN s.value ? 'at' THEN epoch + make_interval(secs => (s.value->>'at')::bigint)
                WHEN s.value ? 'from' THEN epoch + make_interval(secs => (s.value->>'from')::bigint)
           END,
           s.value->>'direction',
           s.value->>'figure',
           CASE WHEN s.value->>'step' = 'pair' THEN (s.value->>'present')::bigint
                ELSE (s.value->>'seconds')::bigint
           END,
           CASE s.value->>'step'
               WHEN 'punch' THEN
                   CASE s.value->>'action'
                       WHEN 'kept' THEN 'Kept'
                       WHEN 'ignored_zero_length' THEN
                           'Ignored: an exit at the same second as the open entry, which stays open'
                       ELSE format('Dropped: it repeats kept event %s less than %s s later, in the same direction or without one',
                                   s.value->>'kept_event_id', settings.dedup_window_sec)
                   END
                   || CASE WHEN (s.value->>'inferred')::boolean
                           THEN '; direction by alternation within the work day.'
                           WHEN ev.direction IS NOT NULL
                           THEN format('; direction reported by the device%s.',
                                       CASE WHEN ev.device_state IS NOT NULL
                                            THEN format(' (state %s)', ev.device_state) END)
                                || CASE WHEN ev.occurred_at <> epoch + make_interval(secs => (s.value->>'at')::bigint)
                                        THEN format(' The device''s time %s is corrected by its clock skew.',
                                                    to_char(timezone(settings.time_zone, ev.occurred_at),
                                                            'YYYY-MM-DD HH24:MI:SS'))
                                        ELSE '' END
                           WHEN s.value->>'direction' <> 'none'
                           THEN '; direction of the access point.'
                           ELSE '; without direction.'
                      END
               WHEN 'pair' THEN
                   format('Pair %s-%s: present %s s, worked %s s, early arrival %s s, overtime %s s, night %s s.',
                          to_char(timezone(settings.time_zone,
                                           epoch + make_interval(secs => (s.value->>'from')::bigint)),
                                  'YYYY-MM-DD HH24:MI:SS'),
                          to_char(timezone(settings.time_zone,
                                           epoch + make_interval(secs => (s.value->>'to')::bigint)),
                                  'YYYY-MM-DD HH24:MI:SS'),
                          s.value->>'present', s.value->>'worked', s.value->>'early_arrival',
                          s.value->>'overtime', s.value->>'night')
               WHEN 'shift' THEN
                   format('Shift %s-%s%s%s; grace %s s late, %s s early; window %s s before, %s s after; overtime %s from %s s per part; early arrival %s.',
                          to_char(timezone(settings.time_zone,
                                           epoch + make_interval(secs => (s.value->>'from')::bigint)),
                                  'HH24:MI'),
                          to_char(timezone(settings.time_zone,
                                           epoch + make_interval(secs => (s.value->>'to')::bigint)),
                                  'HH24:MI'),
                          CASE WHEN s.value ? 'break_from' THEN
                              format(', break %s-%s',
                                     to_char(timezone(settings.time_zone,
                                                      epoch + make_interval(secs => (s.value->>'break_from')::bigint)),
                                             'HH24:MI'),
                                     to_char(timezone(settings.time_zone,
                                                      epoch + make_interval(secs => (s.value->>'break_to')::bigint)),
                                             'HH24:MI'))
                          END,
                          CASE WHEN s.value ? 'break_after' THEN
                              format(', %s s break deducted after %s s present',
                                     s.value->>'break_deduct', s.value->>'break_after')
                          END,
                          s.value->>'grace_late', s.value->>'grace_early',
                          s.value->>'window_before', s.value->>'window_after',
                          CASE WHEN (s.value->>'allow_overtime')::boolean THEN 'allowed'
                               ELSE 'not allowed' END,
                          s.value->>'min_overtime',
                          CASE WHEN (s.value->>'count_early_arrival')::boolean
                               THEN 'counts as overtime' ELSE 'does not count as overtime' END)
               ELSE s.value->>'how'
           END
    FROM jsonb_array_elements(steps) WITH ORDINALITY AS s(value, n)
    LEFT JOIN otan_enbek.skud_event ev
           ON s.value ? 'event_id'
          AND ev.org_id = explain_attendance.org
          AND ev.event_id = (s.value->>'event_id')::bigint
    WHERE (s.value->>'day')::integer = day - date '2000-01-01'
    -- the engine writes a day's shifts when it finishes the day
    ORDER BY s.value->>'step' <> 'shift', s.n;

    RETURN QUERY
    SELECT 'flag'::text, NULL::bigint, NULL::timestamptz, NULL::text, f.flag, NULL::bigint,
           CASE f.flag
               WHEN 'ambiguous_time' THEN
                   'An event''s local time occurred twice, when the clocks were set back, and was read as its first occurrence.'
               WHEN 'clock_jump_back' THEN
                   'An event was recorded after its device''s clock was set back, so its time may be wrong; access_point.clock_skew_sec corrects a device whose clock runs off.'
               WHEN 'overtime_day_limit' THEN
                   'The day''s overtime is more than the Labour Code allows in a day: 2 hours, or 1 hour on heavy or harmful work.'
               WHEN 'overtime_month_limit' THEN
                   'The month''s overtime up to this day is more than 12 hours.'
               ELSE 'The year''s overtime up to this day is more than 120 hours.'
           END
    FROM otan_enbek.attendance_day a
    CROSS JOIN LATERAL unnest(a.anomalies) AS f(flag)
    WHERE a.org_id = explain_attendance.org
      AND a.employee_id = explain_attendance.employee
      AND a.work_day = explain_attendance.day
      AND f.flag IN ('ambiguous_time', 'clock_jump_back', 'overtime_day_limit',
                     'overtime_month_limit',
                     'overtime_year_limit');
END
$$;
COMMENT ON FUNCTION otan_enbek.explain_attendance(integer, integer, date) IS
    'Explains an employee''s attendance day: the punches used and dropped, the schedule and rules applied, each pair and how each figure was obtained';
