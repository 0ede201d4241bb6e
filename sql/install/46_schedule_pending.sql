-- Marks for refresh_attendance the computed days that a change of dated
-- assignments, schedules or organization settings affects.  A day's
-- schedule is the dated assignment (employee_schedule) that covers it,
-- else the employee's schedule_id, else the organization's
-- default_schedule_id (see attendance_plans).  attendance_mark_days cuts
-- the marked ranges to the organization's computed days.

-- An inserted, deleted or changed assignment marks the employee's days in
-- its old and its new range.  Rows that an UPDATE leaves as they were (or
-- changes in assignment_id alone) mark nothing.
CREATE FUNCTION otan_enbek.employee_schedule_mark_pending() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM otan_enbek.attendance_mark_days(
                    array_agg(n.org_id), array_agg(n.employee_id), array_agg(n.valid_from),
                    array_agg(coalesce(n.valid_to, 'infinity')), array_agg(false))
        FROM new_assignment n;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM otan_enbek.attendance_mark_days(
                    array_agg(o.org_id), array_agg(o.employee_id), array_agg(o.valid_from),
                    array_agg(coalesce(o.valid_to, 'infinity')), array_agg(false))
        FROM old_assignment o;
    ELSE
        PERFORM otan_enbek.attendance_mark_days(
                    array_agg(c.org_id), array_agg(c.employee_id), array_agg(c.valid_from),
                    array_agg(coalesce(c.valid_to, 'infinity')), array_agg(false))
        FROM ((SELECT n.org_id, n.employee_id, n.schedule_id, n.valid_from, n.valid_to
               FROM new_assignment n
               EXCEPT
               SELECT o.org_id, o.employee_id, o.schedule_id, o.valid_from, o.valid_to
               FROM old_assignment o)
              UNION
              (SELECT o.org_id, o.employee_id, o.schedule_id, o.valid_from, o.valid_to
               FROM old_assignment o
               EXCEPT
               SELECT n.org_id, n.employee_id, n.schedule_id, n.valid_from, n.valid_to
               FROM new_assignment n)) c;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER employee_schedule_inserted_mark_pending
    AFTER INSERT ON otan_enbek.employee_schedule
    REFERENCING NEW TABLE AS new_assignment
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.employee_schedule_mark_pending();
CREATE TRIGGER employee_schedule_updated_mark_pending
    AFTER UPDATE ON otan_enbek.employee_schedule
    REFERENCING OLD TABLE AS old_assignment NEW TABLE AS new_assignment
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.employee_schedule_mark_pending();
CREATE TRIGGER employee_schedule_deleted_mark_pending
    AFTER DELETE ON otan_enbek.employee_schedule
    REFERENCING OLD TABLE AS old_assignment
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.employee_schedule_mark_pending();

-- A change of a schedule's rules, or of a work_schedule column that the
-- attendance computation reads, marks the days on which the schedule
-- applies.  These are the ranges of its dated assignments, and the days
-- without an assignment of the employees whose own schedule, or else whose
-- organization's default, it is.  Every work_schedule column counts except
-- three that the computation does not read: name, week_hours (read by
-- build_timesheet) and working_hours_code (compared with the Enbek
-- contract).  So a column that the computation reads later counts without
-- a change here.
CREATE FUNCTION otan_enbek.schedule_mark_pending() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    unread_columns constant text[] := '{name,week_hours,working_hours_code}';
    changed_orgs integer[];
    changed_schedules integer[];
BEGIN
    IF TG_TABLE_NAME = 'work_schedule' THEN
        SELECT array_agg(c.org_id), array_agg(c.schedule_id)
          INTO changed_orgs, changed_schedules
        FROM (SELECT c.org_id, c.schedule_id
              FROM ((SELECT n.org_id, n.schedule_id, to_jsonb(n) - unread_columns AS settings
                     FROM new_schedule n
                     EXCEPT
                     SELECT o.org_id, o.schedule_id, to_jsonb(o) - unread_columns
                     FROM old_schedule o)
                    UNION ALL
                    (SELECT o.org_id, o.schedule_id, to_jsonb(o) - unread_columns
                     FROM old_schedule o
                     EXCEPT
                     SELECT n.org_id, n.schedule_id, to_jsonb(n) - unread_columns
                     FROM new_schedule n)) c
              GROUP BY c.org_id, c.schedule_id) c;
    ELSIF TG_OP = 'INSERT' THEN
        SELECT array_agg(c.org_id), array_agg(c.schedule_id)
          INTO changed_orgs, changed_schedules
        FROM (SELECT DISTINCT n.org_id, n.schedule_id FROM new_rule n) c;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(c.org_id), array_agg(c.schedule_id)
          INTO changed_orgs, changed_schedules
        FROM (SELECT DISTINCT o.org_id, o.schedule_id FROM old_rule o) c;
    ELSE
        SELECT array_agg(c.org_id), array_agg(c.schedule_id)
          INTO changed_orgs, changed_schedules
        FROM (SELECT c.org_id, c.schedule_id
              FROM ((SELECT n.* FROM new_rule n EXCEPT SELECT o.* FROM old_rule o)
                    UNION ALL
                    (SELECT o.* FROM old_rule o EXCEPT SELECT n.* FROM new_rule n)) c
              GROUP BY c.org_id, c.schedule_id) c;
    END IF;
    IF changed_schedules IS NULL THEN
        RETURN NULL;
    END IF;

    PERFORM otan_enbek.attendance_mark_days(array_agg(t.org_id), array_agg(t.employee_id),
                                            array_agg(t.first_day), array_agg(t.last_day),
                                            array_agg(t.unassigned_only))
    FROM (SELECT a.org_id, a.employee_id, a.valid_from AS first_day,
                 coalesce(a.valid_to, 'infinity') AS last_day, false AS unassigned_only
          FROM unnest(changed_orgs, changed_schedules) AS c(org_id, schedule_id)
          JOIN otan_enbek.employee_schedule a
            ON a.org_id = c.org_id AND a.schedule_id = c.schedule_id
          UNION ALL
          SELECT e.org_id, e.employee_id, '-infinity', 'infinity', true
          FROM unnest(changed_orgs, changed_schedules) AS c(org_id, schedule_id)
          JOIN otan_enbek.organization o ON o.org_id = c.org_id
          JOIN otan_enbek.employee e
            ON e.org_id = c.org_id
           AND coalesce(e.schedule_id, o.default_schedule_id) = c.schedule_id) t;
    RETURN NULL;
END
$$;
CREATE TRIGGER work_schedule_updated_mark_pending
    AFTER UPDATE ON otan_enbek.work_schedule
    REFERENCING OLD TABLE AS old_schedule NEW TABLE AS new_schedule
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.schedule_mark_pending();
CREATE TRIGGER work_schedule_rule_inserted_mark_pending
    AFTER INSERT ON otan_enbek.work_schedule_rule
    REFERENCING NEW TABLE AS new_rule
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.schedule_mark_pending();
CREATE TRIGGER work_schedule_rule_updated_mark_pending
    AFTER UPDATE ON otan_enbek.work_schedule_rule
    REFERENCING OLD TABLE AS old_rule NEW TABLE AS new_rule
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.schedule_mark_pending();
CREATE TRIGGER work_schedule_rule_deleted_mark_pending
    AFTER DELETE ON otan_enbek.work_schedule_rule
    REFERENCING OLD TABLE AS old_rule
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.schedule_mark_pending();

-- A change of the organization's time_zone, dedup_window_sec,
-- missing_exit_policy or calendar_pair_policy marks every computed day of
-- its employees, because each setting applies to every day.  A change of
-- default_schedule_id alone marks the days without a dated assignment of
-- the employees without a schedule_id of their own.  The other columns are
-- not read by the attendance computation.
CREATE FUNCTION otan_enbek.organization_mark_pending() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM otan_enbek.attendance_mark_days(array_agg(t.org_id), array_agg(t.employee_id),
                                            array_agg(t.first_day), array_agg(t.last_day),
                                            array_agg(t.unassigned_only))
    FROM (SELECT n.org_id, NULL::integer AS employee_id, '-infinity'::date AS first_day,
                 'infinity'::date AS last_day, false AS unassigned_only
          FROM new_organization n
          JOIN old_organization o ON o.org_id = n.org_id
          WHERE (n.time_zone, n.dedup_window_sec, n.missing_exit_policy,
                 n.calendar_pair_policy)
                IS DISTINCT FROM
                (o.time_zone, o.dedup_window_sec, o.missing_exit_policy,
                 o.calendar_pair_policy)
          UNION ALL
          SELECT e.org_id, e.employee_id, '-infinity', 'infinity', true
          FROM new_organization n
          JOIN old_organization o ON o.org_id = n.org_id
          JOIN otan_enbek.employee e ON e.org_id = n.org_id AND e.schedule_id IS NULL
          WHERE n.default_schedule_id IS DISTINCT FROM o.default_schedule_id
            AND (n.time_zone, n.dedup_window_sec, n.missing_exit_policy,
                 n.calendar_pair_policy)
                IS NOT DISTINCT FROM
                (o.time_zone, o.dedup_window_sec, o.missing_exit_policy,
                 o.calendar_pair_policy)) t;
    RETURN NULL;
END
$$;
CREATE TRIGGER organization_updated_mark_pending
    AFTER UPDATE ON otan_enbek.organization
    REFERENCING OLD TABLE AS old_organization NEW TABLE AS new_organization
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.organization_mark_pending();
