-- Attendance rules of version 1.1: rotation schedules, breaks deducted
-- after hours of presence, the missing-exit and midnight policies, norms,
-- ambiguous local times, overtime limits, absence codes, rounded times and
-- incremental refresh.

ALTER TABLE otan_enbek.organization
    ADD COLUMN missing_exit_policy text NOT NULL DEFAULT 'flag'
        CHECK (missing_exit_policy IN ('flag', 'close_at_shift_end')),
    ADD COLUMN calendar_pair_policy text NOT NULL DEFAULT 'entry_date'
        CHECK (calendar_pair_policy IN ('entry_date', 'split_at_midnight'));
COMMENT ON COLUMN otan_enbek.organization.missing_exit_policy IS
    'flag: an entry without an exit adds no time; close_at_shift_end: it is paired with the end of its last shift (when later than the entry), and the day keeps the missing_exit flag either way';
COMMENT ON COLUMN otan_enbek.organization.calendar_pair_policy IS
    'Days without a schedule: entry_date gives a pair across local midnight to its entry''s date, split_at_midnight gives each date its own part';

ALTER TABLE otan_enbek.work_schedule
    DROP CONSTRAINT work_schedule_kind_check,
    ADD CONSTRAINT work_schedule_kind_check CHECK (kind IN ('weekly', 'rotation', 'flexible')),
    ADD COLUMN rotation_anchor date,
    ADD COLUMN rotation_days integer CHECK (rotation_days BETWEEN 1 AND 366),
    ADD COLUMN break_after_min integer CHECK (break_after_min BETWEEN 1 AND 1440),
    ADD COLUMN break_deduct_min integer CHECK (break_deduct_min BETWEEN 1 AND 720),
    ADD COLUMN heavy_work boolean NOT NULL DEFAULT false,
    ADD COLUMN rounding_min integer NOT NULL DEFAULT 0 CHECK (rounding_min BETWEEN 0 AND 60),
    ADD COLUMN rounding_entry text NOT NULL DEFAULT 'up'
        CHECK (rounding_entry IN ('up', 'down', 'nearest')),
    ADD COLUMN rounding_exit text NOT NULL DEFAULT 'down'
        CHECK (rounding_exit IN ('up', 'down', 'nearest')),
    ADD COLUMN daily_norm_min integer CHECK (daily_norm_min BETWEEN 1 AND 1440),
    ADD COLUMN core_start time,
    ADD COLUMN core_end time,
    ADD CONSTRAINT work_schedule_rotation_check
        CHECK ((kind = 'rotation') = (rotation_anchor IS NOT NULL AND rotation_days IS NOT NULL)),
    ADD CONSTRAINT work_schedule_break_after_check
        CHECK ((break_after_min IS NULL) = (break_deduct_min IS NULL)),
    ADD CONSTRAINT work_schedule_flexible_check
        CHECK ((kind = 'flexible') = (daily_norm_min IS NOT NULL)
               AND (core_start IS NULL) = (core_end IS NULL)
               AND (core_start IS NULL OR kind = 'flexible'));
COMMENT ON COLUMN otan_enbek.work_schedule.kind IS
    'weekly: work_schedule_rule.day_no is the ISO weekday (1 Monday to 7 Sunday); rotation: day_no is the day of a cycle of rotation_days days that starts on rotation_anchor; flexible: weekly, each rule is a band in which daily_norm_min minutes are due, with optional core hours core_start to core_end';
COMMENT ON COLUMN otan_enbek.work_schedule.daily_norm_min IS
    'Flexible schedules: minutes due on a work day within the rule''s band; worked time beyond them is overtime';
COMMENT ON COLUMN otan_enbek.work_schedule.core_start IS
    'Flexible schedules: start of the core hours, against which lateness is counted (with core_end, against which early leave is counted); no lateness or early leave without them';
COMMENT ON COLUMN otan_enbek.work_schedule.break_after_min IS
    'With break_deduct_min: a shift day with at least this many minutes present loses break_deduct_min minutes of worked time, once a day, in place of or besides a fixed break window';
COMMENT ON COLUMN otan_enbek.work_schedule.heavy_work IS
    'Heavy work or work in harmful conditions: the Labour Code limit of overtime is 1 hour a day instead of 2';
COMMENT ON COLUMN otan_enbek.work_schedule.rounding_min IS
    'When above 0, attendance_day.first_in_rounded and last_out_rounded keep the first entry and the last exit rounded to this many minutes of local time (rounding_entry and rounding_exit: up, down or nearest); the figures use the raw times';

ALTER TABLE otan_enbek.work_schedule_rule
    DROP CONSTRAINT work_schedule_rule_day_no_check,
    ADD CONSTRAINT work_schedule_rule_day_no_check CHECK (day_no BETWEEN 1 AND 366);
COMMENT ON TABLE otan_enbek.work_schedule_rule IS
    'Shifts of a schedule; a weekly schedule has day_no 1 (Monday) to 7 (Sunday), a rotation day_no 1 to rotation_days, and a day without a row is a day off';

ALTER TABLE otan_enbek.access_point
    ADD COLUMN clock_skew_sec integer NOT NULL DEFAULT 0
        CHECK (clock_skew_sec BETWEEN -86400 AND 86400);
COMMENT ON COLUMN otan_enbek.access_point.clock_skew_sec IS
    'Seconds added to the times of this device''s events when attendance is computed, for a device whose clock runs off; the stored times stay as the device sent them';

ALTER TABLE otan_enbek.skud_event
    ADD COLUMN local_time_ambiguous boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN otan_enbek.skud_event.local_time_ambiguous IS
    'The device sent a local time without a UTC offset that occurred twice, when the zone''s clocks were set back; occurred_at is its first occurrence';

ALTER TABLE otan_enbek.attendance_day
    ADD COLUMN norm_sec integer NOT NULL DEFAULT 0,
    ADD COLUMN absence_code text,
    ADD COLUMN first_in_rounded timestamptz,
    ADD COLUMN last_out_rounded timestamptz;
COMMENT ON COLUMN otan_enbek.attendance_day.present_sec IS
    'Seconds between paired entries and exits, and from an entry without exit to the shift end under missing_exit_policy close_at_shift_end';
COMMENT ON COLUMN otan_enbek.attendance_day.norm_sec IS
    'Scheduled seconds of a work day: its shifts less their breaks, and less a deducted break when the shifts are long enough to earn it; 0 on other days';
COMMENT ON COLUMN otan_enbek.attendance_day.absence_code IS
    'Form No. 421 code of a documented absence on the day (see otan_enbek.absence_code); such a day is never flagged absent';
COMMENT ON COLUMN otan_enbek.attendance_day.first_in_rounded IS
    'first_in rounded as the schedule''s rounding_min and rounding_entry set, beside the raw time; NULL without rounding';
COMMENT ON COLUMN otan_enbek.attendance_day.last_out_rounded IS
    'last_out rounded as the schedule''s rounding_min and rounding_exit set, beside the raw time; NULL without rounding';
COMMENT ON COLUMN otan_enbek.attendance_day.anomalies IS
    'Flags for HR to review: missing_entry (an exit without an entry), missing_exit (an entry without an exit), consecutive_entries (an entry left unpaired by the next entry), direction_inferred (a punch without direction took the opposite of the previous one), absent (a final work day without any punch; the timesheet shows a documented absence instead), no_schedule (no schedule applies: calendar day), outside_employment (punches on a day outside the employment dates but in a month of the employment: the row keeps the punches and the time present, without norm or work time), zero_length_pair (an exit at the same second as the open entry, ignored), gap (an exit and the next entry leave scheduled time uncovered), outside_window (a punch in no shift''s attribution window, given to a day with shifts), ambiguous_time (an event''s local time occurred twice and was read as the first occurrence), clock_jump_back (an event recorded after its device''s clock was set back, so its time may be wrong), overtime_day_limit, overtime_month_limit, overtime_year_limit (the Labour Code limits: 2 h a day or 1 h on heavy work, 12 h a month, 120 h a year, passed on this day; the hours are kept)';

ALTER TYPE otan_enbek.attendance_plan_shift
    ADD ATTRIBUTE break_after_sec integer,
    ADD ATTRIBUTE break_deduct_sec integer,
    ADD ATTRIBUTE core_start_sec integer,
    ADD ATTRIBUTE core_end_sec integer,
    ADD ATTRIBUTE daily_norm_sec integer;
COMMENT ON TYPE otan_enbek.attendance_plan_shift IS
    'A shift of a work plan date, in seconds from local midnight; end_sec above 86400 ends the next day; break_deduct_sec is taken off worked time on a day with break_after_sec present; daily_norm_sec makes the shift a flexible band with optional core hours';

ALTER TYPE otan_enbek.attendance_day_figures
    ADD ATTRIBUTE norm_sec integer;

-- The plan and plans functions gained parameters with defaults, which
-- CREATE OR REPLACE cannot add.
DROP FUNCTION otan_enbek.attendance_plan(date, date, timestamptz, integer,
        otan_enbek.attendance_plan_day[], otan_enbek.attendance_plan_shift[]);
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

DROP FUNCTION otan_enbek.attendance_plans(integer, date, date, timestamptz);
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
CREATE OR REPLACE FUNCTION otan_enbek.compute_attendance(org integer, first_day date, last_day date)
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

-- Assigns the stored events of the given credential values again, to the
-- employee that the credential table names now, or to no one when no
-- credential matches.  A credential applies on the local dates of its
-- validity, and one limited to the event's source wins over one that
-- applies to every source.  The three arrays give the values element by
-- element.  Only events whose employee changes are written, and the local
-- dates of those events are marked in attendance_pending for the old and
-- the new employee.  Returns the number of events written.
CREATE OR REPLACE FUNCTION otan_enbek.reassign_credential_events(org_ids integer[], kinds text[],
        credential_values text[])
    RETURNS bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    written bigint;
BEGIN
    WITH affected AS (
        SELECT DISTINCT k.org_id, k.kind, k.value
        FROM unnest(org_ids, kinds, credential_values) AS k(org_id, kind, value)
    ), owner AS MATERIALIZED (
        -- materialized, so that the owner of each event is looked up once
        SELECT e.org_id, e.event_id, e.occurred_at,
               e.employee_id AS old_employee_id,
               (SELECT c.employee_id
                FROM otan_enbek.credential c
                WHERE c.org_id = e.org_id
                  AND c.kind = e.credential_kind
                  AND c.value = e.credential
                  AND (c.source_id IS NULL OR c.source_id = e.source_id)
                  AND (c.valid_from IS NULL
                       OR c.valid_from <= (e.occurred_at AT TIME ZONE o.time_zone)::date)
                  AND (c.valid_to IS NULL
                       OR c.valid_to >= (e.occurred_at AT TIME ZONE o.time_zone)::date)
                ORDER BY c.source_id IS NULL
                LIMIT 1) AS employee_id
        FROM affected a
        JOIN otan_enbek.organization o ON o.org_id = a.org_id
        JOIN otan_enbek.skud_event e
          ON e.org_id = a.org_id
         AND e.credential_kind = a.kind
         AND e.credential = a.value
    ), changed AS (
        UPDATE otan_enbek.skud_event e
        SET employee_id = owner.employee_id
        FROM owner
        WHERE e.org_id = owner.org_id
          AND e.event_id = owner.event_id
          AND e.occurred_at = owner.occurred_at
          AND owner.employee_id IS DISTINCT FROM owner.old_employee_id
        RETURNING e.org_id, e.occurred_at, e.counts_for_attendance, owner.employee_id,
                  owner.old_employee_id
    ), marked AS (
        -- the days of both employees change, for refresh_attendance
        INSERT INTO otan_enbek.attendance_pending (org_id, employee_id, work_day)
        SELECT DISTINCT c.org_id, x.employee_id,
               (c.occurred_at AT TIME ZONE o.time_zone)::date
        FROM changed c
        JOIN otan_enbek.organization o ON o.org_id = c.org_id
        CROSS JOIN LATERAL (VALUES (c.employee_id), (c.old_employee_id)) AS x(employee_id)
        WHERE x.employee_id IS NOT NULL AND c.counts_for_attendance
        ON CONFLICT (org_id, employee_id, work_day)
            DO UPDATE SET marked_at = excluded.marked_at WHERE false
    )
    SELECT count(*) INTO written FROM changed;
    RETURN written;
END
$$;
COMMENT ON FUNCTION otan_enbek.reassign_credential_events(integer[], text[], text[]) IS
    'Assigns the events of the given (org_id, kind, value) credentials to the employee the credential table names now, or to no one; returns the number of events changed';

-- Returns the local times of a zone that occurred twice between two
-- instants, because the clocks were set back: each range [local_from,
-- local_to) and the UTC offset of its first occurrence.  Offsets are read
-- every 15 minutes from a whole UTC hour.  NOTE: a change at another time
-- than a quarter hour would be found up to 15 minutes late, with a range
-- shorter than it should be.
CREATE FUNCTION otan_enbek.ambiguous_local_times(time_zone text, first timestamptz,
        last timestamptz)
    RETURNS TABLE (local_from timestamp, local_to timestamp, first_offset interval)
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NOT (isfinite(first) AND isfinite(last)) OR last - first > interval '100 years' THEN
        RAISE EXCEPTION 'cannot look for repeated local times from % to %', first, last
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The instants must be finite and at most 100 years apart.',
                  HINT = 'Pass the first and the last time of the events of one file.';
    END IF;
    RETURN QUERY
SELECT (c.next_at AT TIME ZONE 'UTC') + c.next_offset,
       (c.next_at AT TIME ZONE 'UTC') + c.utc_offset,
       c.utc_offset
FROM (SELECT s.at, s.utc_offset,
             lead(s.at) OVER (ORDER BY s.at) AS next_at,
             lead(s.utc_offset) OVER (ORDER BY s.at) AS next_offset
      FROM (SELECT g.at,
                   (g.at AT TIME ZONE ambiguous_local_times.time_zone)
                   - (g.at AT TIME ZONE 'UTC') AS utc_offset
            FROM generate_series((date_trunc('hour', first AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
                                 - interval '15 minutes',
                                 last, interval '15 minutes') AS g(at)) s) c
WHERE c.next_offset < c.utc_offset;
END
$$;
COMMENT ON FUNCTION otan_enbek.ambiguous_local_times(text, timestamptz, timestamptz) IS
    'Returns the ranges of local times of a zone that occurred twice between two instants, with the UTC offset of their first occurrence';

-- Stores the events of a file given as UTF-8 bytes.  Times without a UTC
-- offset are local times of the organization's zone.  Such a time that
-- occurred twice, when the zone's clocks were set back, is read as its
-- first occurrence and the event is marked local_time_ambiguous.  The
-- local dates of stored events that count for an employee's attendance are
-- marked in attendance_pending for refresh_attendance.  Events before
-- 2001-01-01 or more than one day after the transaction's start are
-- rejected: such times come from devices whose clock was never set.
CREATE OR REPLACE FUNCTION otan_enbek.ingest_bytes(source_id integer, format text,
                                        content bytea, file_name text DEFAULT NULL)
    RETURNS otan_enbek.ingest_batch
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    -- a generic plan would assume the row estimate of an unknown file
    SET plan_cache_mode = force_custom_plan
    AS $$
#variable_conflict use_column
DECLARE
    src record;
    fmt text;
    not_before timestamptz;
    not_after timestamptz;
    months timestamptz[];
    ambiguous_from timestamp[];
    ambiguous_to timestamp[];
    ambiguous_offset interval[];
    batch otan_enbek.ingest_batch;
    stream record;
    counts record;
BEGIN
    IF ingest_bytes.source_id IS NULL THEN
        RAISE EXCEPTION 'source_id is NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the source_id of a row of otan_enbek.source.';
    END IF;
    SELECT s.org_id, s.name, s.default_format, o.time_zone INTO src
    FROM otan_enbek.source s
    JOIN otan_enbek.organization o ON o.org_id = s.org_id
    WHERE s.source_id = ingest_bytes.source_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'source % does not exist', ingest_bytes.source_id
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'List the sources with SELECT source_id, name FROM otan_enbek.source, or add one.';
    END IF;

    fmt := coalesce(ingest_bytes.format, src.default_format);
    IF fmt IS NULL THEN
        RAISE EXCEPTION 'no format given for source %', ingest_bytes.source_id
            USING ERRCODE = 'null_value_not_allowed',
                  DETAIL = format('Source %s ("%s") has no default_format.',
                                  ingest_bytes.source_id, src.name),
                  HINT = 'Pass the format (zkteco, hikvision or csv), or set default_format of the source.';
    END IF;
    IF content IS NULL THEN
        RAISE EXCEPTION 'content is NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the text of the file; an empty string is a file without events.';
    END IF;

    not_before := timestamp '2001-01-01 00:00:00' AT TIME ZONE src.time_zone;
    not_after := now() + interval '1 day';

    -- This first pass also raises the errors of unreadable content, so
    -- that such content stores nothing, not even a batch row.  NOTE: so
    -- the content is parsed twice, which was about 2% of a large ingest in
    -- a profile.  ingest_events could create the partitions as it meets them.
    months := ARRAY(SELECT m.month
                    FROM otan_enbek.event_months(fmt, content, src.time_zone,
                                                 not_before, not_after) AS m(month));

    INSERT INTO otan_enbek.ingest_batch (org_id, source_id, format, file_name,
                                         content_sha256, content_bytes)
    VALUES (src.org_id, ingest_bytes.source_id, fmt, ingest_bytes.file_name,
            sha256(content), octet_length(content))
    RETURNING * INTO batch;

    PERFORM otan_enbek.ensure_event_partitions(month, month)
    FROM unnest(months) AS month;

    SELECT array_agg(a.local_from), array_agg(a.local_to), array_agg(a.first_offset)
      INTO ambiguous_from, ambiguous_to, ambiguous_offset
    FROM unnest(months) AS m(month)
    CROSS JOIN LATERAL otan_enbek.ambiguous_local_times(src.time_zone, m.month,
                                                        m.month + interval '1 month') AS a;

    -- ingest_events streams the records into skud_event without holding
    -- them, with the rules of the statement below, unless the table has
    -- triggers or row-level security or the caller lacks INSERT or SELECT.
    SELECT * INTO stream
    FROM otan_enbek.ingest_events(src.org_id, ingest_bytes.source_id, batch.batch_id,
                                  fmt, content, src.time_zone, not_before, not_after,
                                  ambiguous_from, ambiguous_to, ambiguous_offset);
    IF stream.streamed THEN
        -- unnest in the select list walks the arrays in step, without the
        -- tuplestore (spilled above work_mem) that unnest in FROM fills
        INSERT INTO otan_enbek.attendance_pending (org_id, employee_id, work_day)
        SELECT src.org_id, unnest(stream.pending_employee_ids),
               unnest(stream.pending_work_days)
        ON CONFLICT (org_id, employee_id, work_day)
            DO UPDATE SET marked_at = excluded.marked_at WHERE false;
        INSERT INTO otan_enbek.ingest_reject (org_id, batch_id, line_no, reason, raw)
        SELECT src.org_id, batch.batch_id, unnest(stream.reject_line_nos),
               unnest(stream.reject_reasons), unnest(stream.reject_raws);
        SELECT stream.read_count AS read, stream.inserted_count AS inserted,
               stream.rejected_count AS rejected,
               stream.unknown_credential_count AS unknown_credential,
               stream.non_attendance_count AS non_attendance
        INTO counts;
    ELSE
        -- The tuplestore of parse_events, the CTE parsed and the sort of
        -- DISTINCT ON each hold every record of the file and spill to disk
        -- above work_mem (973 MiB for 2.5 million events).
        WITH parsed AS (
            SELECT p.record_no, p.external_id, t.occurred_at,
                   t.first_offset IS NOT NULL AS local_time_ambiguous,
                   (t.occurred_at AT TIME ZONE src.time_zone)::date AS local_date,
                   p.device,
                   p.credential_kind, p.credential, p.direction, p.device_state,
                   p.counts_for_attendance, p.raw, p.clock_jump_sec,
                   CASE
                       WHEN p.reject_reason IS NOT NULL THEN p.reject_reason
                       WHEN t.occurred_at < not_before THEN
                           format('The time %s is before 2001-01-01.',
                                  to_char(p.local_time, 'YYYY-MM-DD HH24:MI:SS'))
                       WHEN t.occurred_at > not_after THEN
                           format('The time %s is more than one day in the future.',
                                  to_char(p.local_time, 'YYYY-MM-DD HH24:MI:SS'))
                   END AS reason,
                   -- a boolean, because the planner estimates a half of the rows
                   -- for it, against 0.5% for reason IS NULL
                   p.reject_reason IS NULL
                       AND t.occurred_at BETWEEN not_before AND not_after AS accepted
            FROM otan_enbek.parse_events(fmt, content) AS p
            CROSS JOIN LATERAL (
                -- the offset of the first occurrence, for an ambiguous local time
                SELECT CASE
                           WHEN p.utc_offset IS NULL AND ambiguous_from IS NOT NULL THEN
                               (SELECT a.first_offset
                                FROM unnest(ambiguous_from, ambiguous_to, ambiguous_offset)
                                     AS a(local_from, local_to, first_offset)
                                WHERE p.local_time >= a.local_from AND p.local_time < a.local_to
                                LIMIT 1)
                       END AS first_offset
            ) AS amb
            CROSS JOIN LATERAL (
                SELECT CASE
                           WHEN amb.first_offset IS NOT NULL THEN
                               (p.local_time - amb.first_offset) AT TIME ZONE 'UTC'
                           WHEN p.utc_offset IS NULL THEN p.local_time AT TIME ZONE src.time_zone
                           ELSE (p.local_time - make_interval(secs => p.utc_offset)) AT TIME ZONE 'UTC'
                       END AS occurred_at,
                       amb.first_offset
            ) AS t
        ),
        stored AS (
            -- A plain INSERT of the new events only, because ON CONFLICT costs a
            -- speculative insertion for every row.  The events already stored
            -- are found through the unique key.  Of the events repeated within
            -- the file the first one is kept, and the others count as
            -- duplicates.  Ingests wait for each other on the advisory lock of
            -- ensure_event_partitions (taken above, held until commit), so no
            -- other ingest stores the same event between this statement's
            -- snapshot and its insert.  An INSERT into skud_event by another
            -- path that commits the same key in that time makes this statement
            -- fail with unique_violation and store nothing.  The unique key
            -- never lets an event be stored twice.
            INSERT INTO otan_enbek.skud_event AS e
                   (org_id, occurred_at, source_id, external_id, batch_id, line_no,
                    device, credential_kind, credential, employee_id, direction,
                    device_state, counts_for_attendance, raw, local_time_ambiguous,
                    clock_jump_sec)
            SELECT src.org_id, p.occurred_at, ingest_bytes.source_id, p.external_id,
                   batch.batch_id, p.record_no, p.device, p.credential_kind,
                   p.credential, p.employee_id, p.direction, p.device_state,
                   p.counts_for_attendance, p.raw, p.local_time_ambiguous,
                   p.clock_jump_sec
            FROM (SELECT DISTINCT ON (q.external_id, q.occurred_at)
                         q.*, coalesce(own.employee_id, every.employee_id) AS employee_id
                  FROM parsed AS q
                  -- The credential rule of reassign_credential_events: valid on
                  -- the event's local date, and one limited to this source wins
                  -- over one for all sources.  With the row estimate of
                  -- parse_events the planner joins a large file by hash, which
                  -- reads the organization's credentials once.
                  LEFT JOIN otan_enbek.credential AS own
                    ON own.org_id = src.org_id
                   AND own.kind = q.credential_kind
                   AND own.value = q.credential
                   AND own.source_id = ingest_bytes.source_id
                   AND (own.valid_from IS NULL OR own.valid_from <= q.local_date)
                   AND (own.valid_to IS NULL OR own.valid_to >= q.local_date)
                  LEFT JOIN otan_enbek.credential AS every
                    ON every.org_id = src.org_id
                   AND every.kind = q.credential_kind
                   AND every.value = q.credential
                   AND every.source_id IS NULL
                   AND (every.valid_from IS NULL OR every.valid_from <= q.local_date)
                   AND (every.valid_to IS NULL OR every.valid_to >= q.local_date)
                  WHERE q.accepted
                  ORDER BY q.external_id, q.occurred_at, q.record_no) AS p
            WHERE NOT EXISTS (SELECT FROM otan_enbek.skud_event AS x
                              WHERE x.org_id = src.org_id
                                AND x.source_id = ingest_bytes.source_id
                                AND x.external_id = p.external_id
                                AND x.occurred_at = p.occurred_at)
            RETURNING e.employee_id, e.counts_for_attendance, e.occurred_at
        ),
        pending AS (
            INSERT INTO otan_enbek.attendance_pending (org_id, employee_id, work_day)
            SELECT DISTINCT src.org_id, s.employee_id,
                   (s.occurred_at AT TIME ZONE src.time_zone)::date
            FROM stored s
            WHERE s.employee_id IS NOT NULL AND s.counts_for_attendance
            ON CONFLICT (org_id, employee_id, work_day)
                DO UPDATE SET marked_at = excluded.marked_at WHERE false
        ),
        rejected AS (
            INSERT INTO otan_enbek.ingest_reject (org_id, batch_id, line_no, reason, raw)
            SELECT src.org_id, batch.batch_id, p.record_no, p.reason, p.raw
            FROM parsed AS p
            WHERE p.reason IS NOT NULL
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM parsed) AS read,
               (SELECT count(*) FROM stored) AS inserted,
               (SELECT count(*) FROM rejected) AS rejected,
               (SELECT count(*) FROM stored s
                WHERE s.employee_id IS NULL AND s.counts_for_attendance) AS unknown_credential,
               (SELECT count(*) FROM stored s WHERE NOT s.counts_for_attendance) AS non_attendance
        INTO counts;
    END IF;

    UPDATE otan_enbek.ingest_batch b
    SET read_count = counts.read,
        inserted_count = counts.inserted,
        duplicate_count = counts.read - counts.inserted - counts.rejected,
        rejected_count = counts.rejected,
        unknown_credential_count = counts.unknown_credential,
        non_attendance_count = counts.non_attendance,
        finished_at = clock_timestamp()
    WHERE b.org_id = src.org_id AND b.batch_id = batch.batch_id
    RETURNING b.* INTO batch;
    RETURN batch;
END
$$;
COMMENT ON FUNCTION otan_enbek.ingest_bytes(integer, text, bytea, text) IS
    'Stores the events of a file given as UTF-8 bytes and returns the batch: read = inserted + duplicates + rejected';

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

-- Documented absences on attendance days: the form No. 421 code of the
-- absence replaces the absent flag, and a change of absences marks its days
-- for refresh_attendance.

-- Sets absence_code on the attendance_day rows of first_day..last_day
-- (of employee_ids only, unless NULL) from the absence table, clears it
-- where no absence applies any more, and removes the absent flag from days
-- with a documented absence.  Returns the number of rows changed.
CREATE FUNCTION otan_enbek.attendance_apply_absences(org integer, first_day date,
        last_day date, employee_ids integer[] DEFAULT NULL)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    changed integer;
BEGIN
    -- Most periods have no absence.  Then no row needs a code, and none has
    -- one to clear, because both callers write the rows they compute
    -- without a code and a deleted absence marks its days for refresh.
    IF NOT EXISTS (SELECT FROM otan_enbek.absence ab
                   WHERE ab.org_id = attendance_apply_absences.org
                     AND ab.first_day <= attendance_apply_absences.last_day
                     AND ab.last_day >= attendance_apply_absences.first_day) THEN
        RETURN 0;
    END IF;
    WITH coded AS (
        SELECT a.employee_id, a.work_day,
               otan_enbek.absence_code(ab.kind) AS absence_code,
               CASE WHEN ab.kind IS NULL THEN a.anomalies
                    ELSE array_remove(a.anomalies, 'absent')
               END AS anomalies
        FROM otan_enbek.attendance_day a
        LEFT JOIN otan_enbek.absence ab
               ON ab.org_id = a.org_id
              AND ab.employee_id = a.employee_id
              AND a.work_day BETWEEN ab.first_day AND ab.last_day
        WHERE a.org_id = attendance_apply_absences.org
          AND a.work_day BETWEEN attendance_apply_absences.first_day
                             AND attendance_apply_absences.last_day
          AND (employee_ids IS NULL OR a.employee_id = ANY (employee_ids))
    )
    UPDATE otan_enbek.attendance_day a
    SET absence_code = c.absence_code, anomalies = c.anomalies
    FROM coded c
    WHERE a.org_id = attendance_apply_absences.org
      AND a.employee_id = c.employee_id
      AND a.work_day = c.work_day
      AND (a.absence_code IS DISTINCT FROM c.absence_code OR a.anomalies <> c.anomalies);
    GET DIAGNOSTICS changed = ROW_COUNT;
    RETURN changed;
END
$$;
COMMENT ON FUNCTION otan_enbek.attendance_apply_absences(integer, date, date, integer[]) IS
    'Sets the form No. 421 absence code of documented absences on attendance days, in place of the absent flag; returns the number of rows changed';

-- Marks the days of inserted, updated and deleted absences in
-- attendance_pending, so that refresh_attendance writes their codes.
CREATE FUNCTION otan_enbek.absence_mark_pending() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO otan_enbek.attendance_pending (org_id, employee_id, work_day)
        SELECT DISTINCT n.org_id, n.employee_id, d::date
        FROM new_absence n
        CROSS JOIN LATERAL generate_series(n.first_day, n.last_day, interval '1 day') AS d
        ON CONFLICT (org_id, employee_id, work_day)
            DO UPDATE SET marked_at = excluded.marked_at WHERE false;
    END IF;
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO otan_enbek.attendance_pending (org_id, employee_id, work_day)
        SELECT DISTINCT o.org_id, o.employee_id, d::date
        FROM old_absence o
        CROSS JOIN LATERAL generate_series(o.first_day, o.last_day, interval '1 day') AS d
        ON CONFLICT (org_id, employee_id, work_day)
            DO UPDATE SET marked_at = excluded.marked_at WHERE false;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER absence_inserted_mark_pending
    AFTER INSERT ON otan_enbek.absence
    REFERENCING NEW TABLE AS new_absence
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.absence_mark_pending();
CREATE TRIGGER absence_updated_mark_pending
    AFTER UPDATE ON otan_enbek.absence
    REFERENCING OLD TABLE AS old_absence NEW TABLE AS new_absence
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.absence_mark_pending();
CREATE TRIGGER absence_deleted_mark_pending
    AFTER DELETE ON otan_enbek.absence
    REFERENCING OLD TABLE AS old_absence
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.absence_mark_pending();

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
CREATE OR REPLACE FUNCTION otan_enbek.refresh_attendance(org integer DEFAULT NULL)
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
