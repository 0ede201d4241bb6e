-- Privileges of the extension's roles.  This part runs last, so that it
-- covers every object the parts before it create:
--   * PUBLIC keeps no privilege on the schema or on any table, sequence or
--     function of it;
--   * every table with an org_id column gets row-level security by
--     organization (protect_org_table), also tables of parts that grant
--     nothing themselves;
--   * each role gets exactly the grants listed below.
-- A part added later that creates objects for the roles adds its grants
-- here.

-- ensure_event_partitions creates tables in the schema, which only its
-- owner may do, and an operator's ingest calls it.  A caller that is not a
-- superuser gets only the months that ingest may store.
ALTER FUNCTION otan_enbek.ensure_event_partitions(timestamptz, timestamptz, name)
    SECURITY DEFINER;

-- The views of 1.0 read their tables with the caller's privileges, so that
-- row-level security applies to an operator reading them.
ALTER VIEW otan_enbek.submission_overview SET (security_invoker = true);
ALTER VIEW otan_enbek.unmatched_credential SET (security_invoker = true);

DO $rls$
DECLARE
    tab regclass;
BEGIN
    FOR tab IN
        SELECT c.oid::regclass
        FROM pg_catalog.pg_class AS c
        JOIN pg_catalog.pg_attribute AS a
          ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped
        WHERE c.relnamespace = 'otan_enbek'::regnamespace
          AND c.relkind IN ('r', 'p')
          AND NOT c.relispartition
          AND c.oid <> 'otan_enbek.org_access'::regclass
        ORDER BY c.relname
    LOOP
        PERFORM otan_enbek.protect_org_table(tab);
    END LOOP;
END
$rls$;

REVOKE ALL ON ALL TABLES IN SCHEMA otan_enbek FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA otan_enbek FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA otan_enbek FROM PUBLIC;
REVOKE ALL ON ALL PROCEDURES IN SCHEMA otan_enbek FROM PUBLIC;

-- Types keep the default USAGE for PUBLIC: pg_dump 15 warns about every
-- type whose privileges an extension script changed ("unsupported
-- pg_init_privs entry"), and without USAGE on the schema PUBLIC cannot
-- name them.

GRANT USAGE ON SCHEMA otan_enbek
    TO otan_enbek_admin, otan_enbek_operator, otan_enbek_reader;

-- Every role: the pure checks that the tables' constraints call, IIN
-- masking and the organization predicate of the policies and views.
GRANT EXECUTE ON FUNCTION
    otan_enbek.iin_check(text),
    otan_enbek.bin_check(text),
    otan_enbek.is_valid_iin(text),
    otan_enbek.is_valid_bin(text),
    otan_enbek.mask_iin(text),
    otan_enbek.time_zone_check(text),
    otan_enbek.time_zone_abbreviation_check(text),
    otan_enbek.sees_every_org(),
    otan_enbek.visible_org_ids()
    TO otan_enbek_admin, otan_enbek_operator, otan_enbek_reader;

-- visible_org_ids reads org_access with the caller's privileges; its policy
-- shows each role its own assignments.
GRANT SELECT ON otan_enbek.org_access
    TO otan_enbek_admin, otan_enbek_operator, otan_enbek_reader;

-- Reader: the reports, with IINs masked.
GRANT SELECT ON
    otan_enbek.reader_employee,
    otan_enbek.reader_attendance_day,
    otan_enbek.reader_timesheet,
    otan_enbek.reader_timesheet_line,
    otan_enbek.reader_submission
    TO otan_enbek_admin, otan_enbek_operator, otan_enbek_reader;

-- Operator: reads the data of its organizations and runs ingest,
-- attendance, timesheets and submission.  It changes no reference data,
-- no organization settings, and no key or endpoint, which are server
-- settings that only a superuser may change.
GRANT SELECT ON
    otan_enbek.organization,
    otan_enbek.department,
    otan_enbek.work_schedule,
    otan_enbek.work_schedule_rule,
    otan_enbek.employee,
    otan_enbek.source,
    otan_enbek.credential,
    otan_enbek.access_point,
    otan_enbek.employee_schedule,
    otan_enbek.calendar_day,
    otan_enbek.org_calendar_day,
    otan_enbek.absence,
    otan_enbek.ingest_batch,
    otan_enbek.ingest_reject,
    otan_enbek.skud_event,
    otan_enbek.attendance_day,
    otan_enbek.timesheet,
    otan_enbek.timesheet_line,
    otan_enbek.submission,
    otan_enbek.submission_event,
    otan_enbek.submission_reason,
    otan_enbek.notification,
    otan_enbek.submission_overview,
    otan_enbek.unmatched_credential
    TO otan_enbek_operator;
GRANT INSERT ON otan_enbek.ingest_batch TO otan_enbek_operator;
GRANT UPDATE (read_count, inserted_count, duplicate_count, rejected_count,
              unknown_credential_count, non_attendance_count, finished_at)
    ON otan_enbek.ingest_batch TO otan_enbek_operator;
GRANT INSERT ON otan_enbek.ingest_reject TO otan_enbek_operator;
GRANT INSERT ON otan_enbek.skud_event TO otan_enbek_operator;
-- Only the assignment to an employee changes after ingest.
GRANT UPDATE (employee_id) ON otan_enbek.skud_event TO otan_enbek_operator;
GRANT USAGE ON SEQUENCE otan_enbek.skud_event_event_id_seq TO otan_enbek_operator;
GRANT INSERT, UPDATE, DELETE ON otan_enbek.attendance_day TO otan_enbek_operator;
-- Ingest and changes of credentials and absences mark the days to
-- recompute; refresh_attendance consumes the marks.
GRANT SELECT, INSERT, UPDATE, DELETE ON otan_enbek.attendance_pending
    TO otan_enbek_operator;
-- build_timesheet and submit_timesheet run with the operator's privileges
-- and set the status, so an operator could also set a status by hand.  The
-- guards of 58_timesheet_guard.sql allow only the changes that the steps
-- and the delivery worker make.
GRANT INSERT, UPDATE ON otan_enbek.timesheet TO otan_enbek_operator;
GRANT INSERT, UPDATE, DELETE ON otan_enbek.timesheet_line TO otan_enbek_operator;
GRANT INSERT ON otan_enbek.submission TO otan_enbek_operator;
GRANT INSERT ON otan_enbek.submission_event TO otan_enbek_operator;

GRANT EXECUTE ON FUNCTION
    otan_enbek.calendar_missing_years(date, date),
    otan_enbek.ensure_event_partitions(timestamptz, timestamptz, name),
    otan_enbek.reassign_credential_events(integer[], text[], text[]),
    otan_enbek.resolve_credentials(integer),
    otan_enbek.parse_events(text, text),
    otan_enbek.parse_events(text, bytea),
    otan_enbek.event_months(text, bytea, text, timestamptz, timestamptz),
    otan_enbek.invalid_utf8_offset(bytea),
    otan_enbek.invalid_utf8_reason(bytea),
    otan_enbek.ingest_events(integer, integer, bigint, text, bytea, text,
                             timestamptz, timestamptz, timestamp[], timestamp[],
                             interval[]),
    otan_enbek.ingest_bytes(integer, text, bytea, text),
    otan_enbek.ingest(integer, text, text),
    otan_enbek.attendance_plan(date, date, timestamptz, integer,
                               otan_enbek.attendance_plan_day[],
                               otan_enbek.attendance_plan_shift[], boolean, boolean),
    otan_enbek.attendance_days(bytea, date, date, timestamptz, text, bigint),
    otan_enbek.attendance_plans(integer, date, date, timestamptz, integer[]),
    otan_enbek.attendance_listed_plans(integer, date, date, timestamptz, integer[]),
    otan_enbek.attendance_has_events(integer, timestamptz, timestamptz, boolean),
    otan_enbek.attendance_compute_days(integer, date, date, timestamptz, timestamptz,
                                       integer[], integer, integer),
    otan_enbek.attendance_write_days(integer, date, date, timestamptz, timestamptz,
                                     integer[], integer, integer, boolean),
    otan_enbek.compute_attendance(integer, date, date),
    otan_enbek.attendance_final_at(integer, date),
    otan_enbek.absence_code(text),
    otan_enbek.build_timesheet(integer, date),
    otan_enbek.iso8601_local(timestamptz, text),
    otan_enbek.timesheet_document_v1(integer, uuid, integer, integer, int4range),
    otan_enbek.sign_timesheet(integer),
    otan_enbek.submit_timesheet(integer),
    otan_enbek.wake_delivery(),
    otan_enbek.delivery_worker_info(),
    otan_enbek.delivery_status(),
    otan_enbek.delivery_retry_delay(integer, integer),
    otan_enbek.ambiguous_local_times(text, timestamptz, timestamptz),
    otan_enbek.attendance_add_event_flag(integer, date, date, integer[], text, bigint[]),
    otan_enbek.attendance_flag_ambiguous_times(integer, date, date, timestamptz,
                                               timestamptz, integer[]),
    otan_enbek.attendance_flag_clock_jumps(integer, date, date, timestamptz,
                                           timestamptz, integer[]),
    otan_enbek.attendance_flag_overtime_limits(integer, date, date, integer[]),
    otan_enbek.attendance_apply_absences(integer, date, date, integer[]),
    otan_enbek.round_local_time(timestamptz, text, integer, text),
    otan_enbek.attendance_round_times(integer, date, date, integer[]),
    otan_enbek.refresh_attendance(integer),
    otan_enbek.attendance_trace(bytea, date, date, timestamptz, text, bigint),
    otan_enbek.explain_attendance(integer, integer, date)
    TO otan_enbek_operator, otan_enbek_admin;

-- The access checks that the functions above call with the caller's
-- privileges, so that a timesheet or an organization the caller may not
-- see is reported as such.
GRANT EXECUTE ON FUNCTION
    otan_enbek.require_org_visible(integer, name),
    otan_enbek.require_timesheet_access(integer, name)
    TO otan_enbek_operator, otan_enbek_admin;

-- Admin: every table and function of the operator, the reference data and
-- organization settings, the audited functions, organization access and
-- retention.  audit_log and org_access are read-only, so that every entry
-- and every change of access goes through the audited functions.  Not
-- granted: ingest_file and check_signing_key (they read files on the
-- server: superusers only), build_envelope (its result contains the sender
-- password) and the delivery worker's own functions.  Nor TRIGGER: the
-- background worker connects as a superuser and writes these tables, so it
-- would run an administrator's trigger with a superuser's rights.
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES
    ON ALL TABLES IN SCHEMA otan_enbek TO otan_enbek_admin;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER
    ON otan_enbek.audit_log, otan_enbek.org_access FROM otan_enbek_admin;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA otan_enbek TO otan_enbek_admin;
GRANT EXECUTE ON FUNCTION
    otan_enbek.verify_document(text),
    otan_enbek.audit_record(integer, text, jsonb, name),
    otan_enbek.grant_org_access(regrole, integer, name),
    otan_enbek.revoke_org_access(regrole, integer, name),
    otan_enbek.timesheet_event_ranges(),
    otan_enbek.retention_event_plan(),
    otan_enbek.purge_expired(boolean, name),
    otan_enbek.employee_personal_data(integer),
    otan_enbek.describe_signing_key(integer, name)
    TO otan_enbek_admin;
-- The triggers that mark the days of changed assignments, schedules,
-- organization settings, organization calendar days and access points call
-- them with the privileges of the role that changes those tables: the
-- administrator.
GRANT EXECUTE ON FUNCTION
    otan_enbek.attendance_mark_days(integer[], integer[], date[], date[], boolean[]),
    otan_enbek.access_point_mark_days(integer[], integer[], text[], integer[])
    TO otan_enbek_admin;
