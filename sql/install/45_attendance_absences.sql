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
