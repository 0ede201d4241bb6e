
-- Bands of flexible schedules.  Each rule of a flexible schedule is a band
-- in which daily_norm_min minutes are due, with optional core hours.  The
-- attendance engine rejects a plan whose norm is longer than a band or
-- whose core hours leave it, so such a schedule failed every computation
-- of its organization.  The check below names the schedule and the rule
-- when the schedule or its rules are stored.

-- Returns why a flexible band breaks the rules, or NULL when it does not.
-- Times are placed as the attendance plans place them: an end at or
-- before the start ends the next day, and so do core hours before the
-- start.
CREATE FUNCTION otan_enbek.schedule_band_problem(daily_norm_min integer, core_start time,
        core_end time, start_time time, end_time time)
    RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    WITH band AS (
        SELECT extract(epoch FROM start_time)::integer AS start_sec,
               extract(epoch FROM end_time)::integer
                   + CASE WHEN end_time <= start_time THEN 86400 ELSE 0 END AS end_sec,
               extract(epoch FROM core_start)::integer
                   + CASE WHEN core_start < start_time THEN 86400 ELSE 0 END AS core_start_sec,
               extract(epoch FROM core_end)::integer
                   + CASE WHEN core_end <= start_time THEN 86400 ELSE 0 END AS core_end_sec
    )
    SELECT CASE
               WHEN daily_norm_min * 60 > b.end_sec - b.start_sec THEN
                   format('daily_norm_min %s is longer than the band of %s minutes',
                          daily_norm_min, (b.end_sec - b.start_sec) / 60)
               WHEN core_start IS NOT NULL
                    AND NOT (b.core_start_sec < b.end_sec
                             AND b.core_end_sec > b.core_start_sec
                             AND b.core_end_sec <= b.end_sec) THEN
                   format('core hours %s to %s do not lie within the band', core_start, core_end)
           END
    FROM band b
$$;
COMMENT ON FUNCTION otan_enbek.schedule_band_problem(integer, time, time, time, time) IS
    'Returns why a band of a flexible schedule breaks the rules (a daily norm longer than the band, core hours outside it), or NULL';

-- Raises an error at the end of the transaction when a rule of a flexible
-- schedule cannot hold the schedule's daily norm or core hours.
CREATE FUNCTION otan_enbek.schedule_check_bands() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    bad record;
BEGIN
    SELECT ws.name, r.day_no, r.part_no, r.start_time, r.end_time, p.problem
      INTO bad
    FROM otan_enbek.work_schedule ws
    JOIN otan_enbek.work_schedule_rule r
      ON r.org_id = ws.org_id AND r.schedule_id = ws.schedule_id
    CROSS JOIN LATERAL (
        SELECT otan_enbek.schedule_band_problem(ws.daily_norm_min, ws.core_start,
                                                ws.core_end, r.start_time,
                                                r.end_time) AS problem) p
    WHERE ws.org_id = NEW.org_id AND ws.schedule_id = NEW.schedule_id
      AND ws.kind = 'flexible'
      AND p.problem IS NOT NULL
    ORDER BY r.day_no, r.part_no
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'band % to % of flexible schedule "%" (day %, part %) is invalid: %',
                bad.start_time, bad.end_time, bad.name, bad.day_no, bad.part_no, bad.problem
            USING ERRCODE = 'check_violation',
                  DETAIL = 'The daily norm of a flexible schedule is due within each band, and its core hours lie inside each band.',
                  HINT = format('Widen the band in otan_enbek.work_schedule_rule, or change daily_norm_min, core_start or core_end of schedule %s.',
                                NEW.schedule_id);
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER work_schedule_check_bands
    AFTER INSERT OR UPDATE ON otan_enbek.work_schedule
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION otan_enbek.schedule_check_bands();
CREATE CONSTRAINT TRIGGER work_schedule_rule_check_bands
    AFTER INSERT OR UPDATE ON otan_enbek.work_schedule_rule
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION otan_enbek.schedule_check_bands();

-- The check runs with the privileges of the role that changes a schedule.
GRANT EXECUTE ON FUNCTION otan_enbek.schedule_band_problem(integer, time, time, time, time)
    TO otan_enbek_admin, otan_enbek_operator;

-- Schedules entered before this check existed are not checked until they
-- change, so name those that break the rule now.
DO $$
DECLARE
    s record;
BEGIN
    FOR s IN
        SELECT DISTINCT ON (ws.org_id, ws.schedule_id) ws.org_id, ws.schedule_id, ws.name,
               p.problem
        FROM otan_enbek.work_schedule ws
        JOIN otan_enbek.work_schedule_rule r
          ON r.org_id = ws.org_id AND r.schedule_id = ws.schedule_id
        CROSS JOIN LATERAL (
            SELECT otan_enbek.schedule_band_problem(ws.daily_norm_min, ws.core_start,
                                                    ws.core_end, r.start_time,
                                                    r.end_time) AS problem) p
        WHERE ws.kind = 'flexible'
          AND p.problem IS NOT NULL
        ORDER BY ws.org_id, ws.schedule_id, r.day_no, r.part_no
    LOOP
        RAISE WARNING 'flexible schedule "%" (organization %, schedule %) has an invalid band: %',
                s.name, s.org_id, s.schedule_id, s.problem
            USING HINT = 'Widen its bands in otan_enbek.work_schedule_rule, or change its daily_norm_min, core_start or core_end; until then its organization''s attendance cannot be computed.';
    END LOOP;
END
$$;
