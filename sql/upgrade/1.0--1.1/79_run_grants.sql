-- Privileges on the run log, the schedules, the manual runs and the status
-- views.  The administrator gets everything.  An operator runs and
-- schedules steps and reads the run log and the status views of its
-- organizations.  The steps
-- themselves run with the caller's rights, so an operator's run fails with
-- its error recorded where the role lacks a right, such as reading a file
-- on the server.

GRANT ALL ON otan_enbek.job_run TO otan_enbek_admin;
GRANT SELECT ON otan_enbek.job_run TO otan_enbek_operator;

-- The status views run with the caller's rights, so that row-level security
-- shows an operator the organizations assigned to it.  A reader reads none
-- of them, because error messages and Enbek's responses may quote personal
-- data.
ALTER VIEW otan_enbek.run_today SET (security_invoker = true);
ALTER VIEW otan_enbek.recent_error SET (security_invoker = true);
ALTER VIEW otan_enbek.submission_attention SET (security_invoker = true);
ALTER VIEW otan_enbek.anomaly_review SET (security_invoker = true);
GRANT SELECT ON otan_enbek.run_today, otan_enbek.recent_error,
    otan_enbek.submission_attention, otan_enbek.progress, otan_enbek.anomaly_review
    TO otan_enbek_admin, otan_enbek_operator;

GRANT EXECUTE ON FUNCTION
    otan_enbek.job_kinds(),
    otan_enbek.progress_slots(),
    otan_enbek.show_schedules(integer, name)
    TO otan_enbek_admin, otan_enbek_operator;

GRANT EXECUTE ON FUNCTION
    otan_enbek.job_run_start(text, integer, date, date, jsonb, text),
    otan_enbek.job_run_finish(bigint, jsonb, text, text, text, text, text),
    otan_enbek.progress_start(text, integer, bigint),
    otan_enbek.progress_phase(text, text, bigint),
    otan_enbek.progress_end(),
    otan_enbek.step_ingest(jsonb),
    otan_enbek.step_attendance(integer, date, date),
    otan_enbek.step_timesheet_build(integer, date),
    otan_enbek.newest_timesheet(integer, date),
    otan_enbek.step_timesheet_submit(integer, date),
    otan_enbek.step_timesheet_resubmit(integer, date),
    otan_enbek.step_submission_cancel(integer, jsonb),
    otan_enbek.cancel_unsent_submissions(integer, integer, name),
    otan_enbek.step_pull(integer),
    otan_enbek.job_step(text, integer, date, date, jsonb),
    otan_enbek.run_job(text, integer, date, date, jsonb, text),
    otan_enbek.run_ingest(integer, text, text),
    otan_enbek.run_pull(integer),
    otan_enbek.reimport_batch(integer, bigint),
    otan_enbek.run_attendance(integer, date, date),
    otan_enbek.run_timesheet_build(integer, date),
    otan_enbek.run_timesheet_submit(integer, date),
    otan_enbek.resubmit_timesheet(integer, date),
    otan_enbek.cancel_submission(integer, integer),
    otan_enbek.check_cron_schedule(text),
    otan_enbek.require_pg_cron(),
    otan_enbek.schedule_job_name(integer, text),
    otan_enbek.set_schedule(integer, text, text, name),
    otan_enbek.remove_schedule(integer, text, name),
    otan_enbek.status()
    TO otan_enbek_admin, otan_enbek_operator;

GRANT EXECUTE ON PROCEDURE otan_enbek.run_scheduled(integer, text) TO otan_enbek_admin;
