-- Runs of the processing steps, scheduled by pg_cron or started by hand,
-- each recorded in one job_run row whether it succeeds or fails.

-- The kinds of run.  A new kind needs a row here and a branch in
-- job_step.
CREATE FUNCTION otan_enbek.job_kinds()
    RETURNS TABLE (kind text, schedulable boolean, description text)
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
VALUES
    ('ingest', false,
     'Stores the events of a file on the database server (ingest_file).'),
    ('attendance', true,
     'Computes attendance_day rows for a period; a scheduled run computes the month to date, from the first day of yesterday''s month to today.'),
    ('timesheet_build', true,
     'Builds the timesheet of a month; a scheduled run builds the month before the current one.'),
    ('timesheet_submit', true,
     'Signs and queues for delivery the newest built timesheet of a month; a scheduled run submits the month before the current one.'),
    ('timesheet_resubmit', false,
     'Builds a new version of a month and submits it: as a correction when Enbek accepted an earlier version, else in full.'),
    ('submission_cancel', false,
     'Cancels the queued submissions of a timesheet that were never sent.'),
    ('pull', true,
     'Pulls each due source of the organization: the complete files of its drop folder, one batch per file, moved to done/ or failed/ after the commit, and the new events of its Hikvision device or REST service, one batch per page.'),
    ('directory_import', false,
     'Imports persons, cards and departments from a CSV file on the database server (import_directory_file) and records its conflicts.'),
    ('contract_sync', true,
     'Fetches the organization''s labour contracts from ESUTD through Enbek, stores them and counts the mismatches with the access-control system.'),
    ('directory_push', true,
     'Sends the organization''s departments and work schedules to Enbek.')
$$;
COMMENT ON FUNCTION otan_enbek.job_kinds() IS
    'Kinds of job_run: what each step does and whether it can be scheduled with pg_cron';

CREATE TABLE otan_enbek.job_run (
    run_id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id          integer REFERENCES otan_enbek.organization ON DELETE SET NULL,
    kind            text NOT NULL,
    trigger         text NOT NULL CHECK (trigger IN ('manual', 'schedule')),
    first_day       date,
    last_day        date,
    target          jsonb NOT NULL DEFAULT '{}',
    status          text NOT NULL DEFAULT 'running'
                    CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at      timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at     timestamptz,
    counts          jsonb NOT NULL DEFAULT '{}',
    error_sqlstate  text,
    error_message   text,
    error_detail    text,
    error_hint      text,
    error_context   text,
    run_by          name NOT NULL DEFAULT session_user,
    CHECK (last_day >= first_day),
    CHECK ((status = 'running') = (finished_at IS NULL)),
    CHECK ((status = 'failed') = (error_message IS NOT NULL))
);
CREATE INDEX ON otan_enbek.job_run (started_at);
CREATE INDEX ON otan_enbek.job_run (org_id, kind, started_at);
COMMENT ON TABLE otan_enbek.job_run IS
    'One row per run of a processing step, scheduled or by hand; a failed run keeps its row with the error';
COMMENT ON COLUMN otan_enbek.job_run.org_id IS
    'Organization the run was for; NULL when the organization does not exist (any more) and for a run that failed before its organization was known';
COMMENT ON COLUMN otan_enbek.job_run.kind IS
    'What ran: a kind of otan_enbek.job_kinds()';
COMMENT ON COLUMN otan_enbek.job_run.status IS
    'running until the step ends; a run commits its row only after that, so other sessions see runs in progress in otan_enbek.progress instead';
COMMENT ON COLUMN otan_enbek.job_run.trigger IS
    'manual: started by a call in a session; schedule: started by a pg_cron job of set_schedule';
COMMENT ON COLUMN otan_enbek.job_run.first_day IS
    'First day of the period the run covered (the month''s first day for timesheets)';
COMMENT ON COLUMN otan_enbek.job_run.target IS
    'Arguments beyond organization and period, such as source_id and path of an ingest or timesheet_id of a cancel';
COMMENT ON COLUMN otan_enbek.job_run.counts IS
    'What the run did, by name: rows read, inserted, written, submissions created and so on';
COMMENT ON COLUMN otan_enbek.job_run.run_by IS
    'Session user that started the run; for a scheduled run, the owner of the pg_cron job';

-- Starts a job_run row.  The table is written through this function and
-- job_run_finish, which run as their owner, so that a role that runs steps
-- needs no right to change the table.  The session user must see the
-- organization, so that no operator writes runs into the dashboard of
-- another one.  NOTE: a role with EXECUTE on them can still add rows of
-- its own organizations with values of its choosing.
CREATE FUNCTION otan_enbek.job_run_start(kind text, org_id integer, first_day date,
                                         last_day date, target jsonb, trigger text)
    RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT otan_enbek.require_org_visible($2, session_user) WHERE $2 IS NOT NULL;
    INSERT INTO otan_enbek.job_run (kind, org_id, first_day, last_day, target, trigger)
    VALUES ($1, $2, $3, $4, coalesce($5, '{}'), $6)
    RETURNING run_id
$$;

-- Records the end of a running job_run row and returns it.  Only the
-- session user who started the run may end it, so another user's run is
-- left as it is and the result is NULL.
CREATE FUNCTION otan_enbek.job_run_finish(run_id bigint, counts jsonb,
                                          error_sqlstate text, error_message text,
                                          error_detail text, error_hint text,
                                          error_context text)
    RETURNS otan_enbek.job_run
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    UPDATE otan_enbek.job_run AS r
    SET counts = coalesce($2, '{}'),
        status = CASE WHEN $4 IS NULL THEN 'succeeded' ELSE 'failed' END,
        finished_at = clock_timestamp(),
        error_sqlstate = $3, error_message = $4, error_detail = nullif($5, ''),
        error_hint = nullif($6, ''), error_context = nullif($7, '')
    WHERE r.run_id = $1 AND r.status = 'running' AND r.run_by = session_user
    RETURNING r.*
$$;
REVOKE ALL ON FUNCTION
    otan_enbek.job_run_start(text, integer, date, date, jsonb, text),
    otan_enbek.job_run_finish(bigint, jsonb, text, text, text, text, text)
    FROM PUBLIC;
