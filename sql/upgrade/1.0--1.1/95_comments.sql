-- Comments of objects that had none, so that the reference generated from
-- the catalogue (doc/reference.md) describes everything a role may use.

COMMENT ON TABLE otan_enbek.department IS
    'Departments of an organization, optionally nested through parent_id; employees and timesheet parts refer to them';
COMMENT ON FUNCTION otan_enbek.time_zone_check(text) IS
    'Returns true for a time zone name of the server''s tz database that AT TIME ZONE reads as that zone and that names a place (not localtime, posixrules or Factory); raises an error that names the value otherwise';
COMMENT ON FUNCTION otan_enbek.job_run_start(text, integer, date, date, jsonb, text) IS
    'Adds a running job_run row and returns its run_id; called by run_job';
COMMENT ON FUNCTION otan_enbek.job_run_finish(bigint, jsonb, text, text, text, text, text) IS
    'Ends a running job_run row that the same session user started, with its counts or with the error when a message is given, and returns the row (NULL for another user''s run); called by run_job';
COMMENT ON FUNCTION otan_enbek.job_step(text, integer, date, date, jsonb) IS
    'Runs the step of one job kind for an organization and period and returns its counts; called by run_job';
COMMENT ON FUNCTION otan_enbek.newest_timesheet(integer, date) IS
    'Returns the newest version of an organization''s timesheet for a month, or raises an error when the month has none';
COMMENT ON FUNCTION otan_enbek.schedule_job_name(integer, text) IS
    'Checks the organization and the kind of a schedule and returns the name of its pg_cron job';
COMMENT ON FUNCTION otan_enbek.step_ingest(jsonb) IS
    'Step of the ingest kind: imports the file named in the target and returns the batch counts';
COMMENT ON FUNCTION otan_enbek.step_attendance(integer, date, date) IS
    'Step of the attendance kind: computes the attendance of an organization for a period and returns the counts';
COMMENT ON FUNCTION otan_enbek.step_timesheet_build(integer, date) IS
    'Step of the timesheet_build kind: builds the timesheet of a month and returns its id and version';
COMMENT ON FUNCTION otan_enbek.step_timesheet_submit(integer, date) IS
    'Step of the timesheet_submit kind: queues the newest timesheet version of a month for delivery and returns its submissions';
COMMENT ON FUNCTION otan_enbek.step_timesheet_resubmit(integer, date) IS
    'Step of the timesheet_resubmit kind: builds a new version of a month and queues it with otan_enbek.resubmit, as a correction when Enbek accepted an earlier version';
COMMENT ON FUNCTION otan_enbek.step_submission_cancel(integer, jsonb) IS
    'Step of the submission_cancel kind: cancels the never-sent submissions of the timesheet named in the target';
