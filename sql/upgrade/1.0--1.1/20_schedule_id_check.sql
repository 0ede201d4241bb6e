-- Schedule ids of 1 or more.  The attendance engine stores a day without a
-- schedule as schedule id 0, so under 1.0 a schedule with the explicit id
-- 0 lost its days' schedule_id and flagged them no_schedule.  Every other
-- table refers to a schedule through a foreign key to work_schedule, so
-- the check on work_schedule covers them.  The update fails while a
-- schedule has an id below 1, because its references have to be moved by
-- the administrator.
DO $check$
DECLARE
    bad text;
    bad_count bigint;
BEGIN
    SELECT string_agg(format('%s of organization %s', s.schedule_id, s.org_id), ', '
                      ORDER BY s.org_id, s.schedule_id) FILTER (WHERE s.n <= 10),
           count(*)
      INTO bad, bad_count
    FROM (SELECT ws.org_id, ws.schedule_id,
                 row_number() OVER (ORDER BY ws.org_id, ws.schedule_id) AS n
          FROM otan_enbek.work_schedule ws
          WHERE ws.schedule_id < 1) s;
    IF bad_count > 0 THEN
        RAISE EXCEPTION 'work_schedule has % ids below 1: %', bad_count,
                bad || CASE WHEN bad_count > 10 THEN ', ...' ELSE '' END
            USING ERRCODE = 'check_violation',
                  DETAIL = 'Version 1.1 requires schedule ids of 1 or more, because the attendance engine reads id 0 as a day without a schedule.',
                  HINT = 'For each listed schedule: rename it, insert a copy with the old name and a new id, move its rules, employees, employee_schedule rows and organization.default_schedule_id to the new id, delete the old schedule, then run ALTER EXTENSION otan_enbek UPDATE again.';
    END IF;
END
$check$;

ALTER TABLE otan_enbek.work_schedule
    ADD CONSTRAINT work_schedule_schedule_id_check CHECK (schedule_id > 0);
COMMENT ON COLUMN otan_enbek.work_schedule.schedule_id IS
    'Identifier of the schedule in its organization, 1 or more; generated when omitted';
