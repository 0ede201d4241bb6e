-- Rows that pg_dump writes.  pg_dump leaves out the rows of an extension's
-- tables, because CREATE EXTENSION makes the tables again, unless a table is
-- marked with pg_extension_config_dump.  For a marked table it writes the
-- rows that the filter selects.  Every table here contains configuration or
-- business data, so all of them are marked.  The sequences are marked too,
-- so that ids continue after a restore instead of repeating.  calendar_day mixes the rows shipped with the
-- extension, which CREATE EXTENSION inserts again, with rows entered by the
-- administrator (built_in false).  The monthly partitions of skud_event are
-- created after CREATE EXTENSION, so they are ordinary tables that pg_dump
-- writes with their rows.

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
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.day_edit', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.day_edit_edit_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.job_run', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.job_run_run_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.audit_log', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.audit_log_audit_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.org_access', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.retention_policy', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.attendance_pending', '');
