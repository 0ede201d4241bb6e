
-- Reduced working weeks.  The Labour Code of Kazakhstan shortens the week
-- to 36 hours (workers aged 16 to 18, disabled workers of groups I and II,
-- heavy or harmful work) or to 24 hours (workers aged 14 to 16).  The
-- timesheet takes the month's norm from week_hours, and the attendance
-- engine counts worked time inside the shifts and overtime outside them.
-- So a schedule with a reduced week must have shifts that fit in it:
-- otherwise the hours beyond the reduced norm would count as regular work.

-- Returns the scheduled seconds of an average week of a schedule: the
-- shifts of each day less their breaks, less the deducted break on days
-- long enough to earn it, as the attendance engine computes a day's norm.
-- A rotation's cycle is scaled to seven days.
CREATE FUNCTION otan_enbek.schedule_week_seconds(org integer, schedule integer)
    RETURNS numeric
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    WITH part AS (
        SELECT r.day_no,
               -- an end at or before the start is on the next day
               (extract(epoch FROM r.end_time - r.start_time) + 86400) % 86400 AS shift_sec,
               coalesce((extract(epoch FROM r.break_end - r.break_start) + 86400) % 86400,
                        0) AS break_sec
        FROM otan_enbek.work_schedule_rule r
        WHERE r.org_id = org AND r.schedule_id = schedule
    ),
    day AS (
        SELECT p.day_no, sum(p.shift_sec - p.break_sec) AS norm_sec
        FROM part p
        GROUP BY p.day_no
    )
    SELECT coalesce(sum(CASE
                            WHEN s.kind = 'flexible' THEN s.daily_norm_min * 60
                            WHEN s.break_after_min IS NOT NULL
                                 AND d.norm_sec >= s.break_after_min * 60
                                THEN d.norm_sec - least(d.norm_sec, s.break_deduct_min * 60)
                            ELSE d.norm_sec
                        END), 0)
           * CASE WHEN s.kind = 'rotation' THEN 7.0 / s.rotation_days ELSE 1 END
    FROM otan_enbek.work_schedule s
    LEFT JOIN day d ON true
    WHERE s.org_id = org AND s.schedule_id = schedule
    GROUP BY s.kind, s.rotation_days
$$;
COMMENT ON FUNCTION otan_enbek.schedule_week_seconds(integer, integer) IS
    'Returns the scheduled seconds of an average week of a schedule: its shifts less their breaks, a rotation scaled to 7 days';

-- Raises an error at the end of the transaction when a schedule with a
-- reduced week (week_hours below 40) has more scheduled hours a week.
CREATE FUNCTION otan_enbek.schedule_check_week() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    s record;
    week_sec numeric;
BEGIN
    SELECT ws.name, ws.week_hours INTO s
    FROM otan_enbek.work_schedule ws
    WHERE ws.org_id = NEW.org_id AND ws.schedule_id = NEW.schedule_id;
    IF NOT FOUND OR s.week_hours >= 40 THEN
        RETURN NULL;
    END IF;
    week_sec := otan_enbek.schedule_week_seconds(NEW.org_id, NEW.schedule_id);
    IF week_sec > s.week_hours * 3600 THEN
        RAISE EXCEPTION 'shifts of schedule "%" add up to % hours a week, more than its week_hours of %',
                s.name, round(week_sec / 3600, 2), s.week_hours
            USING ERRCODE = 'check_violation',
                  DETAIL = 'A schedule with a reduced week counts time inside its shifts as regular work, so its shifts must fit in the reduced week.',
                  HINT = format('Shorten the shifts of schedule %s in otan_enbek.work_schedule_rule to at most %s hours a week, or set week_hours to 40.',
                                NEW.schedule_id, s.week_hours);
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER work_schedule_check_week
    AFTER INSERT OR UPDATE ON otan_enbek.work_schedule
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION otan_enbek.schedule_check_week();
CREATE CONSTRAINT TRIGGER work_schedule_rule_check_week
    AFTER INSERT OR UPDATE ON otan_enbek.work_schedule_rule
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION otan_enbek.schedule_check_week();

-- The check runs with the privileges of the role that changes a schedule.
GRANT EXECUTE ON FUNCTION otan_enbek.schedule_week_seconds(integer, integer)
    TO otan_enbek_admin, otan_enbek_operator;

-- Schedules entered before this check existed are not checked until they
-- change, so name those that break the rule now.
DO $$
DECLARE
    s record;
BEGIN
    FOR s IN
        SELECT ws.org_id, ws.schedule_id, ws.name, ws.week_hours,
               otan_enbek.schedule_week_seconds(ws.org_id, ws.schedule_id) / 3600 AS hours
        FROM otan_enbek.work_schedule ws
        WHERE ws.week_hours < 40
    LOOP
        IF s.hours > s.week_hours THEN
            RAISE WARNING 'shifts of schedule "%" (organization %, schedule %) add up to % hours a week, more than its week_hours of %',
                    s.name, s.org_id, s.schedule_id, round(s.hours, 2), s.week_hours
                USING HINT = 'Shorten its shifts in otan_enbek.work_schedule_rule, or set week_hours to 40.';
        END IF;
    END LOOP;
END
$$;
