-- Shifts that start before midnight's end.  The time type accepts 24:00,
-- and under 1.0 a rule starting at 24:00 was stored but failed every
-- attendance computation of its organization.  The update fails while such
-- a rule exists, because only the administrator can tell which day it means.
DO $check$
DECLARE
    bad text;
    bad_count bigint;
BEGIN
    SELECT string_agg(format('day %s of schedule %s of organization %s', r.day_no,
                             r.schedule_id, r.org_id), ', '
                      ORDER BY r.org_id, r.schedule_id, r.day_no, r.part_no)
               FILTER (WHERE r.n <= 10),
           count(*)
      INTO bad, bad_count
    FROM (SELECT x.org_id, x.schedule_id, x.day_no, x.part_no,
                 row_number() OVER (ORDER BY x.org_id, x.schedule_id, x.day_no, x.part_no) AS n
          FROM otan_enbek.work_schedule_rule x
          WHERE x.start_time = '24:00') r;
    IF bad_count > 0 THEN
        RAISE EXCEPTION 'shifts that start at 24:00 (%): %', bad_count,
                bad || CASE WHEN bad_count > 10 THEN ', ...' ELSE '' END
            USING ERRCODE = 'check_violation',
                  DETAIL = 'Version 1.1 requires a shift to start before 24:00, because the attendance engine places a shift on the day it starts.',
                  HINT = 'Set start_time to 00:00 and move the rule to the next day_no, or to 23:59, then run ALTER EXTENSION otan_enbek UPDATE again.';
    END IF;
END
$check$;

ALTER TABLE otan_enbek.work_schedule_rule
    ADD CONSTRAINT work_schedule_rule_start_time_check CHECK (start_time < '24:00');
