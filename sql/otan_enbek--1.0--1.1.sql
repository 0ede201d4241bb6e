-- otan_enbek 1.0 to 1.1
--
-- This upgrade script is assembled from the files in sql/upgrade/1.0--1.1 in
-- name order.  Each file carries the changes of one concept, in the same
-- order as the install parts in sql/install, so that a database updated from
-- 1.0 ends with the same objects as a fresh 1.1 install.

\echo Use "ALTER EXTENSION otan_enbek UPDATE TO '1.1'" to load this file. \quit
-- The extension's roles.  Roles belong to the cluster, not to one database,
-- so a role that already exists (the extension is installed in a second
-- database, or was dropped and created again) is kept as it is.  None of
-- them can log in: an administrator grants them to login roles.
--
--   otan_enbek_admin     configures organizations, keys and delivery, and
--                        sees personal data in full
--   otan_enbek_operator  runs ingest, attendance, timesheets and delivery
--                        for the organizations assigned to it
--   otan_enbek_reader    reads reports, with IINs masked

DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['otan_enbek_admin', 'otan_enbek_operator',
                             'otan_enbek_reader']
    LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$roles$;
-- Entered and shipped rows of calendar_day, as in sql/install/20_reference.sql.
-- A 1.0 row that the administrator changed without setting built_in to
-- false cannot be distinguished from a shipped row and stays marked as
-- shipped.

-- Rows entered by the administrator have built_in false, so that pg_dump
-- writes them, because its filter leaves out the shipped rows, which CREATE
-- EXTENSION inserts again.  An update that changes the day, kind or name
-- of a shipped row therefore makes it an entered row.  An entered row for
-- a day that has a shipped row replaces the shipped row, which is also how
-- a restore brings back a shipped day that the administrator changed.  The
-- function runs as its owner so that a role allowed to insert rows may
-- replace a shipped one without the right to delete.
-- NOTE: a shipped row that the administrator deleted is inserted again by
-- CREATE EXTENSION when a dump is restored.
CREATE FUNCTION otan_enbek.calendar_day_mark_entered() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.built_in AND NEW.built_in
           AND (NEW.day, NEW.kind, NEW.name) IS DISTINCT FROM (OLD.day, OLD.kind, OLD.name) THEN
            NEW.built_in := false;
        END IF;
    ELSIF NOT NEW.built_in THEN
        DELETE FROM otan_enbek.calendar_day c WHERE c.day = NEW.day AND c.built_in;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER calendar_day_mark_entered
    BEFORE INSERT OR UPDATE ON otan_enbek.calendar_day
    FOR EACH ROW EXECUTE FUNCTION otan_enbek.calendar_day_mark_entered();
-- organization and work_schedule refer to each other, and department refers
-- to itself, so pg_dump cannot order their rows.  These checks wait for the
-- end of the transaction, so that a restore in one transaction loads them.

ALTER TABLE otan_enbek.organization
    ALTER CONSTRAINT organization_org_id_default_schedule_id_fkey
    DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE otan_enbek.department
    ALTER CONSTRAINT department_org_id_parent_id_fkey
    DEFERRABLE INITIALLY DEFERRED;
-- Rows that pg_dump writes: the same marks as the install part
-- sql/install/90_dump_config.sql, for the tables and sequences of 1.0.

SELECT pg_catalog.pg_extension_config_dump('otan_enbek.organization', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.organization_org_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.department', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.department_department_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.work_schedule', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.work_schedule_schedule_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.work_schedule_rule', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.employee', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.employee_employee_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.source', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.source_source_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.credential', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.credential_credential_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.access_point', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.access_point_access_point_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.employee_schedule', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.employee_schedule_assignment_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.calendar_day', 'WHERE NOT built_in');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.org_calendar_day', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.absence', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.absence_absence_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.ingest_batch', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.ingest_batch_batch_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.ingest_reject', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.skud_event', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.skud_event_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.attendance_day', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.timesheet', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.timesheet_timesheet_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.timesheet_line', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.submission', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.submission_submission_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.submission_event', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.submission_reason', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.notification', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.notification_notification_id_seq', '');
