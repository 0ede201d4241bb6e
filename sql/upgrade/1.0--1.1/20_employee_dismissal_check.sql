-- A dismissal on or after the contract start.  Under 1.0 an employee
-- rehired by a new contract_start, with the old dismissed_on left in
-- place, was employed on no day: every computation left out their punches
-- without a word.  The update fails while such employees exist, because
-- only the administrator can tell which of the two dates is current.
DO $check$
DECLARE
    bad text;
    bad_count bigint;
BEGIN
    SELECT string_agg(format('%s of organization %s', e.employee_id, e.org_id), ', '
                      ORDER BY e.org_id, e.employee_id) FILTER (WHERE e.n <= 10),
           count(*)
      INTO bad, bad_count
    FROM (SELECT x.org_id, x.employee_id,
                 row_number() OVER (ORDER BY x.org_id, x.employee_id) AS n
          FROM otan_enbek.employee x
          WHERE x.dismissed_on < x.contract_start) e;
    IF bad_count > 0 THEN
        RAISE EXCEPTION 'employees dismissed before their contract start (%): %',
                bad_count, bad || CASE WHEN bad_count > 10 THEN ', ...' ELSE '' END
            USING ERRCODE = 'check_violation',
                  DETAIL = 'Version 1.1 requires dismissed_on to be on or after contract_start, because such an employee is employed on no day and gets no attendance.',
                  HINT = 'For a rehired employee, set dismissed_on to NULL; otherwise correct contract_start or dismissed_on. Then run ALTER EXTENSION otan_enbek UPDATE again.';
    END IF;
END
$check$;

ALTER TABLE otan_enbek.employee
    ADD CONSTRAINT employee_dismissed_on_check
        CHECK (dismissed_on IS NULL OR contract_start IS NULL OR dismissed_on >= contract_start);
