
-- Marks for refresh_attendance the days that change when an employee's
-- contract_start, contract_end, dismissed_on or schedule_id changes.  A day
-- inside the employment dates has a norm and can be an absence, and a day
-- outside them keeps only its punches, in the months of the employment.
-- So the marked days run from the month of the earliest changed date to
-- the month of the latest, within the days computed so far for the
-- organization: compute_attendance writes days not computed yet anyway.
-- A change of schedule_id marks every computed day of the employee,
-- because the schedule applies on each day without a dated assignment.
-- Changes of dated assignments, schedules, organization settings and
-- calendars mark their days in 46_schedule_pending.sql and
-- 46_calendar_pending.sql.
CREATE FUNCTION otan_enbek.employee_mark_pending() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    WITH changed AS (
        SELECT n.org_id, n.employee_id,
               least(CASE WHEN f.schedule_changed THEN '-infinity'::date END,
                     CASE WHEN f.start_changed
                          THEN least(coalesce(o.contract_start, '-infinity'),
                                     coalesce(n.contract_start, '-infinity')) END,
                     CASE WHEN f.end_changed
                          THEN least(coalesce(f.old_end, 'infinity'),
                                     coalesce(f.new_end, 'infinity')) END) AS low,
               greatest(CASE WHEN f.schedule_changed THEN 'infinity'::date END,
                        CASE WHEN f.start_changed
                             THEN greatest(coalesce(o.contract_start, '-infinity'),
                                           coalesce(n.contract_start, '-infinity')) END,
                        CASE WHEN f.end_changed
                             THEN greatest(coalesce(f.old_end, 'infinity'),
                                           coalesce(f.new_end, 'infinity')) END) AS high
        FROM new_employee n
        JOIN old_employee o ON o.org_id = n.org_id AND o.employee_id = n.employee_id
        CROSS JOIN LATERAL (
            SELECT e.old_end, e.new_end,
                   o.schedule_id IS DISTINCT FROM n.schedule_id AS schedule_changed,
                   o.contract_start IS DISTINCT FROM n.contract_start AS start_changed,
                   e.old_end IS DISTINCT FROM e.new_end AS end_changed
            FROM (SELECT least(o.dismissed_on, o.contract_end) AS old_end,
                         least(n.dismissed_on, n.contract_end) AS new_end) e) f
        WHERE f.schedule_changed OR f.start_changed OR f.end_changed
    ), computed AS (
        SELECT a.org_id, min(a.work_day) AS first_day, max(a.work_day) AS last_day
        FROM otan_enbek.attendance_day a
        WHERE a.org_id IN (SELECT DISTINCT c.org_id FROM changed c)
        GROUP BY a.org_id
    )
    INSERT INTO otan_enbek.attendance_pending (org_id, employee_id, work_day)
    SELECT c.org_id, c.employee_id, d::date
    FROM changed c
    JOIN computed k ON k.org_id = c.org_id
    CROSS JOIN LATERAL (
        SELECT greatest(k.first_day,
                        date_trunc('month', greatest(c.low, k.first_day))::date) AS first_day,
               least(k.last_day,
                     (date_trunc('month', least(c.high, k.last_day))
                      + interval '1 month - 1 day')::date) AS last_day) r
    CROSS JOIN LATERAL generate_series(r.first_day, r.last_day, interval '1 day') AS d
    ON CONFLICT (org_id, employee_id, work_day)
        DO UPDATE SET marked_at = excluded.marked_at WHERE false;
    RETURN NULL;
END
$$;
CREATE TRIGGER employee_updated_mark_pending
    AFTER UPDATE ON otan_enbek.employee
    REFERENCING OLD TABLE AS old_employee NEW TABLE AS new_employee
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.employee_mark_pending();
