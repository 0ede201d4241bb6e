-- Attendance engine: work plans, the attendance_days aggregate and
-- compute_attendance, which fills attendance_day.

-- One local date of a work plan, as otan_enbek.attendance_plan reads it.
CREATE TYPE otan_enbek.attendance_plan_day AS (
    work_day        date,
    day_kind        text,
    schedule_id     integer,
    utc_offset_sec  integer
);
COMMENT ON TYPE otan_enbek.attendance_plan_day IS
    'A date of a work plan: day kind, schedule (NULL for none) and the UTC offset of its local midnight in seconds';

-- One shift of a date, in seconds from the date's local midnight.
CREATE TYPE otan_enbek.attendance_plan_shift AS (
    work_day        date,
    start_sec       integer,
    end_sec         integer,
    break_start_sec integer,
    break_end_sec   integer,
    grace_late_sec  integer,
    grace_early_sec integer,
    window_before_sec integer,
    window_after_sec integer,
    min_overtime_sec integer,
    allow_overtime  boolean,
    count_early_arrival boolean,
    break_after_sec integer,
    break_deduct_sec integer,
    core_start_sec  integer,
    core_end_sec    integer,
    daily_norm_sec  integer
);
COMMENT ON TYPE otan_enbek.attendance_plan_shift IS
    'A shift of a work plan date, in seconds from local midnight; end_sec above 86400 ends the next day; break_deduct_sec is taken off worked time on a day with break_after_sec present; daily_norm_sec makes the shift a flexible band with optional core hours';

-- Figures of one work day, as the attendance_days aggregate returns them.
-- The fields are the columns of attendance_day after employee_id.
CREATE TYPE otan_enbek.attendance_day_figures AS (
    work_day        date,
    schedule_id     integer,
    day_kind        text,
    is_final        boolean,
    shift_start     timestamptz,
    shift_end       timestamptz,
    first_in        timestamptz,
    last_out        timestamptz,
    present_sec     integer,
    worked_sec      integer,
    late_sec        integer,
    early_leave_sec integer,
    early_arrival_sec integer,
    overtime_sec    integer,
    night_sec       integer,
    punch_count     integer,
    anomalies       text[],
    event_ids       bigint[],
    norm_sec        integer
);

CREATE FUNCTION otan_enbek.attendance_plan(
        period_first date, period_last date, as_of timestamptz,
        dedup_window_sec integer,
        days otan_enbek.attendance_plan_day[],
        shifts otan_enbek.attendance_plan_shift[],
        split_at_midnight boolean DEFAULT false,
        close_missing_exit boolean DEFAULT false)
    RETURNS bytea
    LANGUAGE C IMMUTABLE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_attendance_plan';
COMMENT ON FUNCTION otan_enbek.attendance_plan(date, date, timestamptz, integer,
        otan_enbek.attendance_plan_day[], otan_enbek.attendance_plan_shift[], boolean,
        boolean) IS
    'Packs a work plan for the attendance_days aggregate; days are consecutive dates covering the period, days whose window ends by as_of are final, and the two flags are the organization''s calendar_pair_policy and missing_exit_policy';

CREATE FUNCTION otan_enbek.attendance_transfn(internal, bytea, date, date,
        timestamptz, text, bigint)
    RETURNS internal
    LANGUAGE C PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_attendance_transfn';

CREATE FUNCTION otan_enbek.attendance_combinefn(internal, internal)
    RETURNS internal
    LANGUAGE C PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_attendance_combinefn';

CREATE FUNCTION otan_enbek.attendance_serialfn(internal)
    RETURNS bytea
    LANGUAGE C STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_attendance_serialfn';

CREATE FUNCTION otan_enbek.attendance_deserialfn(bytea, internal)
    RETURNS internal
    LANGUAGE C STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_attendance_deserialfn';

CREATE FUNCTION otan_enbek.attendance_finalfn(internal, bytea, date, date,
        timestamptz, text, bigint)
    RETURNS otan_enbek.attendance_day_figures[]
    LANGUAGE C PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_attendance_finalfn';

-- SSPACE is the planner's estimate of one employee's state (about 130
-- punches of 16 bytes for a month, with the array's spare room), so that it
-- chooses a hash aggregate without sorting the events.
CREATE AGGREGATE otan_enbek.attendance_days(plan bytea, emit_from date, emit_to date,
        occurred_at timestamptz, direction text, event_id bigint) (
    SFUNC = otan_enbek.attendance_transfn,
    STYPE = internal,
    SSPACE = 4096,
    FINALFUNC = otan_enbek.attendance_finalfn,
    FINALFUNC_EXTRA,
    FINALFUNC_MODIFY = READ_ONLY,
    COMBINEFUNC = otan_enbek.attendance_combinefn,
    SERIALFUNC = otan_enbek.attendance_serialfn,
    DESERIALFUNC = otan_enbek.attendance_deserialfn,
    PARALLEL = SAFE
);
COMMENT ON AGGREGATE otan_enbek.attendance_days(bytea, date, date, timestamptz, text, bigint) IS
    'Attendance of one employee: group by employee, give one row with the work plan and employment dates (NULL time) and one row per punch (NULL plan); returns the days of the plan''s period';

-- Work plans of an organization's employees for a period: one row per
-- employee employed on some day of the calendar months of the period, with
-- the packed plan and the employment dates clipped to the period (emit_from
-- after last_day or emit_to before first_day when the employment lies
-- outside the period).  A plan covers the period and two days
-- on each side, so that punches near its edges are attributed as they would
-- be in a longer period.
--
-- A day's schedule is the dated assignment (employee_schedule) that covers
-- it, else the employee's schedule_id, else the organization's default.  A
-- rotation schedule takes the rules of the day's place in its cycle,
-- counted from rotation_anchor, and ignores transferred days off and
-- working weekend days, which are made for the five-day week.
-- Without any, the day is in calendar-day mode: Monday to Friday are work
-- days without shifts and punches belong to their local date.  The day kind
-- comes from the weekly rules and the calendar, org_calendar_day overriding
-- calendar_day: a holiday or a transferred day off on a scheduled day keeps
-- its shifts only to attribute punches, and a weekend day made working takes
-- the shifts of the schedule's first working weekday.
--
-- Employees with the same schedules on every day share one plan, which is
-- packed once.  employee_ids, when not NULL, limits the plans to those
-- employees.
--
-- The cost is proportional to the assignments and to the plan days of the
-- distinct plans.  An employee's schedules are runs of days, found from the
-- assignments' dates, and each schedule in use is classified once for
-- every plan day.  A plan takes the days and shifts of each of its runs as
-- slices of its schedule's arrays.
CREATE FUNCTION otan_enbek.attendance_plans(org integer, first_day date, last_day date,
        as_of timestamptz, employee_ids integer[] DEFAULT NULL)
    RETURNS TABLE (employee_id integer, plan bytea, emit_from date, emit_to date)
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$
WITH settings AS (
    SELECT o.time_zone, o.default_schedule_id, o.dedup_window_sec,
           o.calendar_pair_policy = 'split_at_midnight' AS split_at_midnight,
           o.missing_exit_policy = 'close_at_shift_end' AS close_missing_exit
    FROM otan_enbek.organization o
    WHERE o.org_id = attendance_plans.org
), plan_day AS (
    SELECT g.i + 1 AS day_no,
           attendance_plans.first_day - 2 + g.i AS day
    FROM generate_series(0, attendance_plans.last_day - attendance_plans.first_day + 4) AS g(i)
), employed AS (
    -- Two branches, every employee or those of employee_ids, so that a
    -- plan made without knowing employee_ids (the generic plan of a
    -- prepared statement) still finds a few employees by the primary key.
    SELECT e.employee_id, e.schedule_id,
           greatest(attendance_plans.first_day, e.contract_start) AS emit_from,
           least(attendance_plans.last_day, e.dismissed_on, e.contract_end) AS emit_to
    FROM (SELECT x.employee_id, x.schedule_id, x.contract_start, x.dismissed_on,
                 x.contract_end
          FROM otan_enbek.employee x
          WHERE attendance_plans.employee_ids IS NULL
            AND x.org_id = attendance_plans.org
          UNION ALL
          SELECT x.employee_id, x.schedule_id, x.contract_start, x.dismissed_on,
                 x.contract_end
          FROM otan_enbek.employee x
          WHERE x.org_id = attendance_plans.org
            AND x.employee_id = ANY (attendance_plans.employee_ids)) e
    -- employed on some day of the calendar months of the period, because
    -- a day outside the employment dates gets its row in those months
    WHERE (e.contract_start IS NULL
           OR e.contract_start < (date_trunc('month', attendance_plans.last_day::timestamp)
                                  + interval '1 month')::date)
      AND coalesce(least(e.dismissed_on, e.contract_end), attendance_plans.first_day)
          >= date_trunc('month', attendance_plans.first_day::timestamp)::date
), assignment AS (
    -- Dated assignments that cover some plan day, as plan day numbers
    -- (day_no of plan_day), with the schedule of the employee's other days.
    SELECT a.employee_id, a.schedule_id,
           greatest(a.valid_from, attendance_plans.first_day - 2)
               - (attendance_plans.first_day - 3) AS from_no,
           least(coalesce(a.valid_to, attendance_plans.last_day + 2),
                 attendance_plans.last_day + 2)
               - (attendance_plans.first_day - 3) AS to_no,
           coalesce(em.schedule_id, s.default_schedule_id) AS other_schedule_id
    FROM otan_enbek.employee_schedule a
    JOIN employed em ON em.employee_id = a.employee_id
    CROSS JOIN settings s
    WHERE a.org_id = attendance_plans.org
      AND a.valid_from <= attendance_plans.last_day + 2
      AND (a.valid_to IS NULL OR a.valid_to >= attendance_plans.first_day - 2)
), schedule_change AS (
    -- The plan days on which the schedule of an employee with assignments
    -- may change, with the schedule from that day on.  The employee's own
    -- schedule, else the organization's default, starts on the first plan
    -- day and after each assignment, and an assignment's on its first day.
    -- Assignments of one employee never overlap, so only the day after an
    -- assignment can also be the first day of another, and then the
    -- assignment wins (rank 0).
    SELECT DISTINCT a.employee_id, 1 AS day_no, 1 AS rank,
           a.other_schedule_id AS schedule_id
    FROM assignment a
    UNION ALL
    SELECT a.employee_id, a.from_no, 0, a.schedule_id
    FROM assignment a
    UNION ALL
    SELECT a.employee_id, a.to_no + 1, 1, a.other_schedule_id
    FROM assignment a
    WHERE a.to_no < attendance_plans.last_day - attendance_plans.first_day + 5
), schedule_run AS (
    -- Runs of days with one schedule, with their first and last plan day.
    -- A run starts on the first plan day and where the schedule differs
    -- from the day before.
    SELECT c.employee_id, c.day_no,
           coalesce(lead(c.day_no) OVER (PARTITION BY c.employee_id ORDER BY c.day_no) - 1,
                    attendance_plans.last_day - attendance_plans.first_day + 5) AS last_no,
           c.schedule_id
    FROM (SELECT u.employee_id, u.day_no, u.schedule_id,
                 u.day_no = 1
                 OR u.schedule_id IS DISTINCT FROM
                    lag(u.schedule_id) OVER (PARTITION BY u.employee_id ORDER BY u.day_no)
                     AS starts_run
          FROM (SELECT DISTINCT ON (x.employee_id, x.day_no)
                       x.employee_id, x.day_no, x.schedule_id
                FROM schedule_change x
                ORDER BY x.employee_id, x.day_no, x.rank) u) c
    WHERE c.starts_run
), assigned AS (
    -- Each employee's schedules, as the first days, last days and schedules
    -- of the runs.  Two employees with the same schedule on each day have
    -- equal arrays, whose length is the number of runs, not of days.
    SELECT em.employee_id, em.emit_from, em.emit_to, r.run_days, r.run_last_days,
           r.run_schedules
    FROM employed em
    JOIN (SELECT x.employee_id,
                 array_agg(x.day_no ORDER BY x.day_no) AS run_days,
                 array_agg(x.last_no ORDER BY x.day_no) AS run_last_days,
                 array_agg(x.schedule_id ORDER BY x.day_no) AS run_schedules
          FROM schedule_run x
          GROUP BY x.employee_id) r ON r.employee_id = em.employee_id
    UNION ALL
    -- one run for an employee without assignments
    SELECT em.employee_id, em.emit_from, em.emit_to, ARRAY[1],
           ARRAY[attendance_plans.last_day - attendance_plans.first_day + 5],
           ARRAY[coalesce(em.schedule_id, s.default_schedule_id)]
    FROM employed em
    CROSS JOIN settings s
    WHERE NOT EXISTS (SELECT FROM assignment a WHERE a.employee_id = em.employee_id)
), schedule_group AS (
    -- the employees' distinct schedules, each packed into one plan, with
    -- the employees that have them
    SELECT a.run_days, a.run_last_days, a.run_schedules,
           array_agg(a.employee_id) AS member_ids,
           array_agg(a.emit_from) AS member_emit_from,
           array_agg(a.emit_to) AS member_emit_to
    FROM assigned a
    GROUP BY a.run_days, a.run_last_days, a.run_schedules
), rule AS (
    -- Shifts in seconds from midnight.  A break that starts before the
    -- shift is taken to be on the next day, and a break is clipped to its
    -- shift.
    SELECT t.schedule_id, t.day_no, t.start_sec, t.end_sec,
           CASE WHEN t.bs < t.be THEN t.bs END AS break_start_sec,
           CASE WHEN t.bs < t.be THEN t.be END AS break_end_sec,
           t.grace_late_min * 60 AS grace_late_sec,
           t.grace_early_min * 60 AS grace_early_sec,
           t.window_before_min * 60 AS window_before_sec,
           t.window_after_min * 60 AS window_after_sec,
           t.min_overtime_sec, t.allow_overtime, t.count_early_arrival,
           t.break_after_min * 60 AS break_after_sec,
           t.break_deduct_min * 60 AS break_deduct_sec,
           t.core_start_sec, t.core_end_sec, t.daily_norm_min * 60 AS daily_norm_sec
    FROM (SELECT u.*,
                 CASE WHEN u.bs0 IS NOT NULL THEN greatest(u.bs0, u.start_sec) END AS bs,
                 CASE WHEN u.bs0 IS NOT NULL THEN least(u.bs0 + u.break_len, u.end_sec) END AS be
          FROM (SELECT r.schedule_id, r.day_no, ws.grace_late_min, ws.grace_early_min,
                       ws.window_before_min, ws.window_after_min, ws.min_overtime_sec,
                       ws.allow_overtime, ws.count_early_arrival, ws.break_after_min,
                       ws.break_deduct_min, ws.daily_norm_min,
                       extract(epoch FROM ws.core_start)::integer
                           + CASE WHEN ws.core_start < r.start_time THEN 86400 ELSE 0 END
                           AS core_start_sec,
                       extract(epoch FROM ws.core_end)::integer
                           + CASE WHEN ws.core_end <= r.start_time THEN 86400 ELSE 0 END
                           AS core_end_sec,
                       extract(epoch FROM r.start_time)::integer AS start_sec,
                       extract(epoch FROM r.end_time)::integer
                           + CASE WHEN r.end_time <= r.start_time THEN 86400 ELSE 0 END AS end_sec,
                       extract(epoch FROM r.break_start)::integer
                           + CASE WHEN r.break_start < r.start_time THEN 86400 ELSE 0 END AS bs0,
                       (extract(epoch FROM r.break_end - r.break_start)::integer + 86400) % 86400
                           AS break_len
                FROM otan_enbek.work_schedule_rule r
                JOIN otan_enbek.work_schedule ws
                  ON ws.org_id = r.org_id AND ws.schedule_id = r.schedule_id
                WHERE r.org_id = attendance_plans.org) u) t
), schedule_week AS (
    SELECT r.schedule_id, array_agg(DISTINCT r.day_no) AS day_nos, min(r.day_no) AS first_day_no,
           min(ws.kind) AS kind, min(ws.rotation_anchor) AS rotation_anchor,
           min(ws.rotation_days) AS rotation_days
    FROM rule r
    JOIN otan_enbek.work_schedule ws
      ON ws.org_id = attendance_plans.org AND ws.schedule_id = r.schedule_id
    GROUP BY r.schedule_id
), calendar AS (
    SELECT pd.day, pd.day_no, coalesce(oc.kind, c.kind) AS kind,
           extract(isodow FROM pd.day)::integer AS iso_day,
           (extract(epoch FROM pd.day::timestamp)
            - extract(epoch FROM timezone(s.time_zone, pd.day::timestamp)))::integer AS utc_offset_sec
    FROM plan_day pd
    CROSS JOIN settings s
    LEFT JOIN otan_enbek.calendar_day c ON c.day = pd.day
    LEFT JOIN otan_enbek.org_calendar_day oc
           ON oc.org_id = attendance_plans.org AND oc.day = pd.day
), classified AS (
    -- Every plan day of every schedule that some employee has on some day,
    -- and of no schedule (NULL) when some employee has none.
    SELECT us.schedule_id AS day_schedule_id, cal.day_no, cal.day, cal.utc_offset_sec,
           sw.schedule_id,
           CASE WHEN sw.kind = 'rotation' THEN
                     CASE WHEN cyc.day_no = ANY (sw.day_nos) THEN cyc.day_no END
                WHEN cal.iso_day = ANY (sw.day_nos) THEN cal.iso_day
                WHEN cal.kind = 'working' THEN sw.first_day_no
           END AS rule_day_no,
           CASE WHEN cal.kind = 'holiday' THEN 'holiday'
                WHEN us.schedule_id IS NULL THEN
                     CASE WHEN cal.kind = 'working' OR (cal.kind IS NULL AND cal.iso_day <= 5) THEN 'work'
                          WHEN cal.kind = 'day_off' THEN 'day_off'
                          ELSE 'weekend' END
                WHEN sw.kind = 'rotation' THEN
                     CASE WHEN cyc.day_no = ANY (sw.day_nos) THEN 'work' ELSE 'weekend' END
                WHEN cal.iso_day = ANY (sw.day_nos) THEN
                     CASE WHEN cal.kind = 'day_off' THEN 'day_off' ELSE 'work' END
                WHEN cal.kind = 'working' AND sw.day_nos IS NOT NULL THEN 'work'
                ELSE 'weekend'
           END AS day_kind
    FROM (SELECT DISTINCT r.schedule_id
          FROM schedule_group g
          CROSS JOIN LATERAL unnest(g.run_schedules) AS r(schedule_id)) us
    CROSS JOIN calendar cal
    LEFT JOIN schedule_week sw ON sw.schedule_id = us.schedule_id
    -- day of the rotation cycle, 1 on the anchor, also before the anchor
    CROSS JOIN LATERAL (
        SELECT 1 + ((cal.day - sw.rotation_anchor) % sw.rotation_days + sw.rotation_days)
                   % sw.rotation_days AS day_no
    ) AS cyc
), day_shift AS (
    SELECT c.day_schedule_id, c.day_no,
           ROW(c.day, r.start_sec, r.end_sec, r.break_start_sec, r.break_end_sec,
               r.grace_late_sec, r.grace_early_sec, r.window_before_sec,
               r.window_after_sec, r.min_overtime_sec, r.allow_overtime,
               r.count_early_arrival, r.break_after_sec, r.break_deduct_sec,
               r.core_start_sec, r.core_end_sec, r.daily_norm_sec)
               ::otan_enbek.attendance_plan_shift AS shift
    FROM classified c
    JOIN rule r ON r.schedule_id = c.schedule_id AND r.day_no = c.rule_day_no
), schedule_plan AS (
    -- Each schedule's days and shifts over the whole plan, in day_no order.
    -- The shifts of days a to b are shifts[shift_from[a]:shift_to[b]],
    -- an empty array when those days have none.
    SELECT d.day_schedule_id AS schedule_id, d.days, d.shift_from, d.shift_to,
           coalesce(sh.shifts, '{}') AS shifts
    FROM (SELECT n.day_schedule_id,
                 array_agg(ROW(n.day, n.day_kind, n.day_schedule_id, n.utc_offset_sec)
                               ::otan_enbek.attendance_plan_day ORDER BY n.day_no) AS days,
                 array_agg(n.shifts_to - n.shift_count + 1 ORDER BY n.day_no) AS shift_from,
                 array_agg(n.shifts_to ORDER BY n.day_no) AS shift_to
          FROM (SELECT c.day_schedule_id, c.day_no, c.day, c.day_kind, c.utc_offset_sec,
                       k.shift_count,
                       sum(k.shift_count) OVER (PARTITION BY c.day_schedule_id
                                                ORDER BY c.day_no)::integer AS shifts_to
                FROM classified c
                CROSS JOIN LATERAL (
                    SELECT count(*)::integer AS shift_count
                    FROM rule r
                    WHERE r.schedule_id = c.schedule_id AND r.day_no = c.rule_day_no) k) n
          GROUP BY n.day_schedule_id) d
    LEFT JOIN (SELECT x.day_schedule_id, array_agg(x.shift ORDER BY x.day_no) AS shifts
               FROM day_shift x
               GROUP BY x.day_schedule_id) sh
           ON sh.day_schedule_id IS NOT DISTINCT FROM d.day_schedule_id
), plans AS MATERIALIZED (
    -- The plan of each row of schedule_group, packed once.  The days and
    -- shifts of its runs are slices of their schedules' arrays, so the cost
    -- is per plan day and run.
    SELECT g.member_ids, g.member_emit_from, g.member_emit_to,
           otan_enbek.attendance_plan(attendance_plans.first_day, attendance_plans.last_day,
                                      attendance_plans.as_of, s.dedup_window_sec,
                                      p.days, p.shifts,
                                      s.split_at_midnight, s.close_missing_exit) AS plan
    FROM schedule_group g
    CROSS JOIN settings s
    -- unnest in the select list returns each composite as it is, while
    -- unnest in FROM would split it into columns and form it again.  The
    -- join matches NULL to NULL (no schedule) in a form that a hash join
    -- can use, so that a group can read schedule_plan once, not once a run.
    CROSS JOIN LATERAL (
        SELECT ARRAY(SELECT unnest(sp.days[r.first_no:r.last_no])
                     FROM unnest(g.run_days, g.run_last_days, g.run_schedules)
                              AS r(first_no, last_no, schedule_id)
                     JOIN schedule_plan sp
                       ON (sp.schedule_id IS NULL) = (r.schedule_id IS NULL)
                      AND coalesce(sp.schedule_id, 0) = coalesce(r.schedule_id, 0)) AS days,
               ARRAY(SELECT unnest(sp.shifts[sp.shift_from[r.first_no]:sp.shift_to[r.last_no]])
                     FROM unnest(g.run_days, g.run_last_days, g.run_schedules)
                              AS r(first_no, last_no, schedule_id)
                     JOIN schedule_plan sp
                       ON (sp.schedule_id IS NULL) = (r.schedule_id IS NULL)
                      AND coalesce(sp.schedule_id, 0) = coalesce(r.schedule_id, 0)) AS shifts
    ) AS p
)
SELECT m.employee_id, p.plan, m.emit_from, m.emit_to
FROM plans p
CROSS JOIN LATERAL unnest(p.member_ids, p.member_emit_from, p.member_emit_to)
    AS m(employee_id, emit_from, emit_to)
$$;
COMMENT ON FUNCTION otan_enbek.attendance_plans(integer, date, date, timestamptz, integer[]) IS
    'Work plans for the attendance_days aggregate: one row per employee employed during the calendar months of the period (of employee_ids only, unless NULL), with the packed plan and the employment dates within the period';

-- Computes attendance of an organization's employees for the days
-- first_day..last_day and replaces their attendance_day rows; returns the
-- number of rows written.  Running it twice gives the same rows.
--
-- Events of credentials that became known are assigned first
-- (resolve_credentials).  Then each chunk of employees is one INSERT ...
-- SELECT from attendance_compute_days, which reads the chunk's events in
-- one pass, groups them by employee in memory and runs the rules of the
-- attendance_days aggregate per employee.  Chunks of about a million
-- employee-days keep the punches in memory near 100 MB (an estimate)
-- however large the organization is, and work_mem is raised so that the
-- day rows of a chunk stay in memory until they are inserted.
--
-- A day of a year without production calendar rows gets a WARNING, not an
-- error, so that a daily job keeps running: such days are classified by
-- the Monday-to-Friday rule alone.
--
-- Only events that count for attendance are read: the event's flag must be
-- set and its access point, if one is configured, must count.  The access
-- point's clock_skew_sec is added to the event's time.  An event
-- without a direction takes the direction of its access point when that is
-- in or out.  Events of employees not employed on any day of the period are
-- not counted.
CREATE FUNCTION otan_enbek.compute_attendance(org integer, first_day date, last_day date)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    SET work_mem = '256MB'
    AS $$
DECLARE
    -- Employee-days per chunk.  At about five punches a day of 16 bytes each,
    -- with the arrays' spare room, a chunk keeps about 100 MB of punches.
    chunk_employee_days constant integer := 1000000;
    -- How long after an entry an exit outside every window may still pair
    -- with it (MAX_UNSCHEDULED_PAIR_SEC in src/attendance/engine.c).
    unscheduled_pair_sec constant integer := 16 * 3600;
    zone text;
    dedup_sec integer;
    reach_before integer;
    reach_after integer;
    fetch_from timestamptz;
    fetch_to timestamptz;
    max_skew_sec integer;
    chunk_size integer;
    bounds integer[];
    lo integer;
    hi integer;
    written integer := 0;
    -- whether attendance_write_days wrote every row with its overtime
    -- limit flags
    limits_written boolean := true;
    later_employees integer[];
    n integer;
    i integer;
    missing_year integer;
BEGIN
    IF org IS NULL OR first_day IS NULL OR last_day IS NULL THEN
        RAISE EXCEPTION 'organization, first_day and last_day must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT isfinite(first_day) OR NOT isfinite(last_day) THEN
        RAISE EXCEPTION 'attendance period must have finite dates'
            USING ERRCODE = 'invalid_parameter_value';
    ELSIF first_day < date '0001-01-01' OR last_day > date '9999-12-31' THEN
        RAISE EXCEPTION 'attendance period % to % is out of range', first_day, last_day
            USING ERRCODE = 'datetime_field_overflow',
                  DETAIL = 'Attendance is computed for days of the years 1 to 9999, the years that device logs can carry.',
                  HINT = 'Give the first and the last day of the period within those years.';
    END IF;
    IF last_day < first_day THEN
        RAISE EXCEPTION 'invalid attendance period: last_day % is before first_day %',
                last_day, first_day
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Give the first and the last day of the period, in that order.';
    END IF;
    IF last_day - first_day + 1 > 366 THEN
        RAISE EXCEPTION 'attendance period % to % is % days long', first_day, last_day,
                last_day - first_day + 1
            USING ERRCODE = 'program_limit_exceeded',
                  DETAIL = 'A period has at most 366 days.',
                  HINT = 'Compute a longer period one month at a time.';
    END IF;

    SELECT o.time_zone, o.dedup_window_sec INTO zone, dedup_sec
    FROM otan_enbek.organization o
    WHERE o.org_id = compute_attendance.org;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'organization % does not exist', org
            USING ERRCODE = 'undefined_object',
                  HINT = 'Use the org_id of a row of otan_enbek.organization.';
    END IF;

    FOR missing_year IN
        SELECT y FROM otan_enbek.calendar_missing_years(first_day, last_day) AS y
    LOOP
        RAISE WARNING 'production calendar has no entries for year %', missing_year
            USING ERRCODE = '01000',
                  DETAIL = format('The days of year %s from %s to %s are classified by the Monday-to-Friday rule alone. Holidays and transferred days off of that year count as working days, and an employee without punches on them is marked absent.',
                                  missing_year,
                                  to_char(greatest(first_day, make_date(missing_year, 1, 1)),
                                          'YYYY-MM-DD'),
                                  to_char(least(last_day, make_date(missing_year, 12, 31)),
                                          'YYYY-MM-DD')),
                  HINT = format('Insert the public holidays and transferred days off of year %s, as the government''s decree sets them, into otan_enbek.calendar_day, then compute the attendance again.',
                                missing_year);
    END LOOP;

    -- Two computations of one organization would replace each other's rows.
    PERFORM pg_advisory_xact_lock(hashtext('otan_enbek.compute_attendance'), org);
    PERFORM otan_enbek.resolve_credentials(org);

    -- The days at the edges of the period must come out as they would in a
    -- longer period.  So events are read as far as any window reaches beyond
    -- the period, at least as far as an exit may pair with an entry outside
    -- every window, and one de-duplication window earlier.  After the
    -- period, such an exit may come up to 16 hours after an entry in a
    -- window that reaches past the end of the period.
    SELECT coalesce(max(ws.window_before_min * 60 - extract(epoch FROM r.start_time)), 0),
           coalesce(max(extract(epoch FROM r.end_time)
                        + CASE WHEN r.end_time <= r.start_time THEN 86400 ELSE 0 END
                        + ws.window_after_min * 60 - 86400), 0)
      INTO reach_before, reach_after
    FROM otan_enbek.work_schedule_rule r
    JOIN otan_enbek.work_schedule ws
      ON ws.org_id = r.org_id AND ws.schedule_id = r.schedule_id
    WHERE r.org_id = compute_attendance.org;
    fetch_from := timezone(zone, first_day::timestamp)
        - make_interval(secs => greatest(reach_before, unscheduled_pair_sec) + dedup_sec);
    fetch_to := timezone(zone, (last_day + 1)::timestamp)
        + make_interval(secs => greatest(reach_after, 0) + unscheduled_pair_sec);

    SELECT coalesce(max(abs(ap.clock_skew_sec)), 0) INTO max_skew_sec
    FROM otan_enbek.access_point ap
    WHERE ap.org_id = compute_attendance.org;
    -- a device's clock skew moves its events by up to max_skew_sec
    fetch_from := fetch_from - make_interval(secs => max_skew_sec);
    fetch_to := fetch_to + make_interval(secs => max_skew_sec);

    IF EXISTS (SELECT FROM otan_enbek.organization o
               WHERE o.org_id = compute_attendance.org AND o.default_schedule_id IS NULL) THEN
        SELECT count(*) INTO n
        FROM otan_enbek.employee e
        WHERE e.org_id = compute_attendance.org
          AND e.schedule_id IS NULL
          AND NOT EXISTS (SELECT FROM otan_enbek.employee_schedule a
                          WHERE a.org_id = e.org_id AND a.employee_id = e.employee_id
                            AND a.valid_from <= last_day
                            AND (a.valid_to IS NULL OR a.valid_to >= first_day));
        IF n > 0 THEN
            RAISE NOTICE '% employees of organization % have no work schedule', n, org
                USING DETAIL = 'Their days follow the production calendar without shifts: no lateness, early leave or overtime, and punches belong to their local date.',
                      HINT = 'Set employee.schedule_id, an employee_schedule row or organization.default_schedule_id.';
        END IF;
    END IF;

    -- NOTE: a recompute deletes and rewrites every row of the period, even
    -- rows that come out the same.
    DELETE FROM otan_enbek.attendance_day d
    WHERE d.org_id = compute_attendance.org
      AND d.work_day BETWEEN first_day AND last_day;

    -- Stored days with overtime after the period, in the year of last_day,
    -- have month and year totals that include the period's overtime.
    -- Their employees' limit flags are set again below.
    SELECT array_agg(DISTINCT d.employee_id) INTO later_employees
    FROM otan_enbek.attendance_day d
    WHERE d.org_id = compute_attendance.org
      AND d.work_day > last_day
      AND d.work_day < (date_trunc('year', last_day::timestamp) + interval '1 year')::date
      AND d.overtime_sec > 0;

    chunk_size := greatest(chunk_employee_days / (last_day - first_day + 1), 100);
    SELECT array_agg(x.employee_id ORDER BY x.employee_id) INTO bounds
    FROM (SELECT e.employee_id, row_number() OVER (ORDER BY e.employee_id) AS rn
          FROM otan_enbek.employee e
          WHERE e.org_id = compute_attendance.org) x
    WHERE (x.rn - 1) % chunk_size = 0;

    FOR i IN 1 .. coalesce(array_length(bounds, 1), 0) LOOP
        lo := CASE WHEN i = 1 THEN NULL ELSE bounds[i] END;
        hi := CASE WHEN i = array_length(bounds, 1) THEN NULL ELSE bounds[i + 1] - 1 END;

        -- The rows come in key order, so that the B-tree takes its fast
        -- path for insertions at the right end.  attendance_write_days
        -- writes them in batches, as COPY does; a role under row-level
        -- security inserts them through its policies instead, without the
        -- overtime limit flags, which are then set on the stored rows.
        IF row_security_active('otan_enbek.attendance_day') THEN
            INSERT INTO otan_enbek.attendance_day
                (org_id, employee_id, work_day, schedule_id, day_kind, is_final,
                 shift_start, shift_end, first_in, last_out, present_sec, worked_sec,
                 late_sec, early_leave_sec, early_arrival_sec, overtime_sec, night_sec,
                 punch_count, anomalies, event_ids, norm_sec)
            SELECT compute_attendance.org, d.*
            FROM otan_enbek.attendance_compute_days(compute_attendance.org, first_day,
                                                    last_day, fetch_from, fetch_to, NULL,
                                                    lo, hi) d;
            GET DIAGNOSTICS n = ROW_COUNT;
            limits_written := false;
        ELSE
            n := otan_enbek.attendance_write_days(compute_attendance.org, first_day, last_day,
                                                  fetch_from, fetch_to, NULL, lo, hi,
                                                  flag_overtime_limits => true);
        END IF;
        written := written + n;
    END LOOP;

    -- The period's days are fresh, so marks of ingest on them are done,
    -- except those that an open transaction locked (see attendance_pending).
    DELETE FROM otan_enbek.attendance_pending p
    WHERE p.org_id = compute_attendance.org
      AND p.work_day BETWEEN first_day AND last_day
      AND (p.employee_id, p.work_day) IN (
          SELECT l.employee_id, l.work_day
          FROM otan_enbek.attendance_pending l
          WHERE l.org_id = compute_attendance.org
            AND l.work_day BETWEEN first_day AND last_day
          FOR UPDATE SKIP LOCKED);
    PERFORM otan_enbek.attendance_flag_ambiguous_times(compute_attendance.org, first_day,
                                                       last_day, fetch_from, fetch_to);
    PERFORM otan_enbek.attendance_flag_clock_jumps(compute_attendance.org, first_day,
                                                   last_day, fetch_from, fetch_to);
    -- NOTE: with the flags written by attendance_write_days, stored days
    -- before the period keep their limit flags, even when they are stale
    -- because work_schedule.heavy_work or a stored figure changed since.
    IF NOT limits_written THEN
        PERFORM otan_enbek.attendance_flag_overtime_limits(compute_attendance.org, first_day,
                                                           last_day, NULL);
    ELSIF later_employees IS NOT NULL THEN
        PERFORM otan_enbek.attendance_flag_overtime_limits(compute_attendance.org, first_day,
                                                           last_day, later_employees);
    END IF;
    PERFORM otan_enbek.attendance_apply_absences(compute_attendance.org, first_day, last_day,
                                                 NULL);
    PERFORM otan_enbek.attendance_round_times(compute_attendance.org, first_day, last_day,
                                              NULL);
    RETURN written;
END
$$;
COMMENT ON FUNCTION otan_enbek.compute_attendance(integer, date, date) IS
    'Computes attendance_day rows of an organization for first_day..last_day from its events, replacing the rows of those days; returns the number of rows written';

-- Returns the time from which the attendance of a day, and of every day
-- before it, is final for an organization.  attendance_days makes a day
-- final when the later of its next local midnight and the end of its last
-- shift plus the schedule's window_after_min has passed.  This takes the
-- latest such end over every shift rule of the organization, so it may be
-- later than the day's own shifts need, never earlier.
CREATE FUNCTION otan_enbek.attendance_final_at(org integer, day date) RETURNS timestamptz
    LANGUAGE sql STABLE STRICT
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT greatest(timezone(o.time_zone, (attendance_final_at.day + 1)::timestamp),
                timezone(o.time_zone, attendance_final_at.day::timestamp)
                + make_interval(secs => w.window_end_sec))
FROM otan_enbek.organization o
CROSS JOIN LATERAL (
    -- seconds from the day's local midnight, with an end at or before the
    -- start on the next day, as attendance_plans counts them
    SELECT coalesce(max(extract(epoch FROM r.end_time)
                        + CASE WHEN r.end_time <= r.start_time THEN 86400 ELSE 0 END
                        + ws.window_after_min * 60), 0) AS window_end_sec
    FROM otan_enbek.work_schedule_rule r
    JOIN otan_enbek.work_schedule ws
      ON ws.org_id = r.org_id AND ws.schedule_id = r.schedule_id
    WHERE r.org_id = o.org_id
) AS w
WHERE o.org_id = attendance_final_at.org
$$;
COMMENT ON FUNCTION otan_enbek.attendance_final_at(integer, date) IS
    'Returns the time from which the attendance of a day and of every day before it is final for an organization: its next local midnight or the latest end of a shift plus its window_after_min, whichever is later';
