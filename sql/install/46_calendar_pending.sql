-- Marks for refresh_attendance the computed days whose kind a change of
-- the production calendar affects: a holiday, a transferred day off or a
-- working weekend day inserted, deleted, moved or changed in kind.  A
-- change of its name alone marks nothing.  The day's neighbours, where a
-- night shift's punches may move, are recomputed by refresh_attendance
-- itself.

-- A change of calendar_day marks the day of every employee of the
-- organizations without an org_calendar_day row for it, because such a row
-- overrides the national calendar.  The function runs as its owner, as
-- calendar_day_mark_entered does, so that the marks reach every
-- organization: a role allowed to change the national calendar may lack
-- the privileges on the organizations' tables, or see only some of their
-- rows under row-level security.
CREATE FUNCTION otan_enbek.calendar_day_mark_pending() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    changed_days date[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT n.day) INTO changed_days FROM new_calendar n;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT o.day) INTO changed_days FROM old_calendar o;
    ELSE
        SELECT array_agg(DISTINCT c.day) INTO changed_days
        FROM ((SELECT n.day, n.kind FROM new_calendar n
               EXCEPT
               SELECT o.day, o.kind FROM old_calendar o)
              UNION ALL
              (SELECT o.day, o.kind FROM old_calendar o
               EXCEPT
               SELECT n.day, n.kind FROM new_calendar n)) c;
    END IF;
    IF changed_days IS NULL THEN
        RETURN NULL;
    END IF;

    PERFORM otan_enbek.attendance_mark_days(array_agg(o.org_id),
                                            array_fill(NULL::integer, ARRAY[count(*)::integer]),
                                            array_agg(d.day), array_agg(d.day),
                                            array_fill(false, ARRAY[count(*)::integer]))
    FROM unnest(changed_days) AS d(day)
    CROSS JOIN otan_enbek.organization o
    WHERE NOT EXISTS (SELECT FROM otan_enbek.org_calendar_day oc
                      WHERE oc.org_id = o.org_id AND oc.day = d.day);
    RETURN NULL;
END
$$;
CREATE TRIGGER calendar_day_inserted_mark_pending
    AFTER INSERT ON otan_enbek.calendar_day
    REFERENCING NEW TABLE AS new_calendar
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.calendar_day_mark_pending();
CREATE TRIGGER calendar_day_updated_mark_pending
    AFTER UPDATE ON otan_enbek.calendar_day
    REFERENCING OLD TABLE AS old_calendar NEW TABLE AS new_calendar
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.calendar_day_mark_pending();
CREATE TRIGGER calendar_day_deleted_mark_pending
    AFTER DELETE ON otan_enbek.calendar_day
    REFERENCING OLD TABLE AS old_calendar
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.calendar_day_mark_pending();

-- A change of org_calendar_day marks the day of every employee of its
-- organization.
CREATE FUNCTION otan_enbek.org_calendar_day_mark_pending() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    changed_orgs integer[];
    changed_days date[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(n.org_id), array_agg(n.day) INTO changed_orgs, changed_days
        FROM new_calendar n;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(o.org_id), array_agg(o.day) INTO changed_orgs, changed_days
        FROM old_calendar o;
    ELSE
        SELECT array_agg(c.org_id), array_agg(c.day) INTO changed_orgs, changed_days
        FROM (SELECT c.org_id, c.day
              FROM ((SELECT n.org_id, n.day, n.kind FROM new_calendar n
                     EXCEPT
                     SELECT o.org_id, o.day, o.kind FROM old_calendar o)
                    UNION ALL
                    (SELECT o.org_id, o.day, o.kind FROM old_calendar o
                     EXCEPT
                     SELECT n.org_id, n.day, n.kind FROM new_calendar n)) c
              GROUP BY c.org_id, c.day) c;
    END IF;
    IF changed_days IS NULL THEN
        RETURN NULL;
    END IF;

    PERFORM otan_enbek.attendance_mark_days(
                changed_orgs,
                array_fill(NULL::integer, ARRAY[cardinality(changed_orgs)]),
                changed_days, changed_days,
                array_fill(false, ARRAY[cardinality(changed_orgs)]));
    RETURN NULL;
END
$$;
CREATE TRIGGER org_calendar_day_inserted_mark_pending
    AFTER INSERT ON otan_enbek.org_calendar_day
    REFERENCING NEW TABLE AS new_calendar
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.org_calendar_day_mark_pending();
CREATE TRIGGER org_calendar_day_updated_mark_pending
    AFTER UPDATE ON otan_enbek.org_calendar_day
    REFERENCING OLD TABLE AS old_calendar NEW TABLE AS new_calendar
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.org_calendar_day_mark_pending();
CREATE TRIGGER org_calendar_day_deleted_mark_pending
    AFTER DELETE ON otan_enbek.org_calendar_day
    REFERENCING OLD TABLE AS old_calendar
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.org_calendar_day_mark_pending();
