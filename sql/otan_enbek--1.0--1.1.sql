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
-- A queued submission that was never sent may be cancelled: the statuses
-- cancelled of submission and timesheet, the event kind cancelled, and the
-- guard that allows queued -> cancelled before the first attempt.

ALTER TABLE otan_enbek.timesheet
    DROP CONSTRAINT timesheet_status_check,
    ADD CONSTRAINT timesheet_status_check
        CHECK (status IN ('built', 'submitted', 'accepted', 'returned', 'failed', 'superseded',
                          'cancelled'));

ALTER TABLE otan_enbek.submission
    DROP CONSTRAINT submission_status_check,
    ADD CONSTRAINT submission_status_check
        CHECK (status IN ('queued', 'sending', 'sent', 'accepted', 'returned', 'failed',
                          'cancelled'));
COMMENT ON COLUMN otan_enbek.submission.status IS
    'queued: waiting to be sent; sending: claimed by the worker; sent: received by Enbek and being checked; accepted; returned: rejected with reasons; failed: given up after retries; cancelled: withdrawn by cancel_submission before any attempt';

ALTER TABLE otan_enbek.submission_event
    DROP CONSTRAINT submission_event_kind_check,
    ADD CONSTRAINT submission_event_kind_check
        CHECK (kind IN ('created', 'attempt', 'answer', 'status_query',
                        'retry_scheduled', 'accepted', 'returned', 'failed', 'requeued', 'error',
                        'cancelled'));

-- The signed document and its identity are immutable: only the delivery
-- state may change, and a submission is never deleted.
--
-- The status may change only in these ways, which are the ones the
-- delivery worker makes:
--   queued  -> sending    delivery_claim claims a send
--   sent    -> sending    delivery_claim claims a status query
--   sending -> queued     delivery_record: retry, requeue, interrupted or
--                         release of a send, requeue after state UNKNOWN;
--                         delivery_requeue of a send
--   sending -> sent       delivery_record: sent, resend, or retry,
--                         status_unknown, interrupted or release of a status
--                         query; delivery_requeue of a status query
--   sending -> accepted, returned, failed   delivery_record, and no other
--                         status leads to these
--   queued  -> cancelled  cancel_submission, only before the first attempt
-- and between queued and sent in either direction, which a test or an
-- operator may do by hand: a re-send keeps its message id, so Enbek returns
-- SCSE196 and the status query finds the first copy.  Accepted, returned,
-- failed and cancelled are final, and a final submission changes no column
-- at all: back in delivery it would be sent again, and its attempts and
-- response are the record of the outcome.
CREATE OR REPLACE FUNCTION otan_enbek.submission_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    final_statuses CONSTANT text[] := ARRAY['accepted', 'returned', 'failed', 'cancelled'];
    outcomes CONSTANT text[] := ARRAY['accepted', 'returned', 'failed'];
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'submission % cannot be deleted', OLD.submission_id
            USING ERRCODE = 'integrity_constraint_violation',
                  DETAIL = 'Submissions are the record of what was sent to Enbek.';
    END IF;
    IF (NEW.org_id, NEW.submission_id, NEW.timesheet_id, NEW.part_no, NEW.part_count,
        NEW.profile, NEW.message_id, NEW.service_id, NEW.document, NEW.document_sha256,
        NEW.signature_value, NEW.key_fingerprint, NEW.certificate_serial,
        NEW.certificate_not_after, NEW.created_at, NEW.created_by)
       IS DISTINCT FROM
       (OLD.org_id, OLD.submission_id, OLD.timesheet_id, OLD.part_no, OLD.part_count,
        OLD.profile, OLD.message_id, OLD.service_id, OLD.document, OLD.document_sha256,
        OLD.signature_value, OLD.key_fingerprint, OLD.certificate_serial,
        OLD.certificate_not_after, OLD.created_at, OLD.created_by) THEN
        RAISE EXCEPTION 'the signed content of submission % cannot be changed', OLD.submission_id
            USING ERRCODE = 'integrity_constraint_violation',
                  DETAIL = 'Only the delivery state of a submission may be updated.',
                  HINT = 'Build a new timesheet version and submit it instead.';
    END IF;

    IF OLD.status = ANY (final_statuses) AND NEW.status <> OLD.status THEN
        RAISE EXCEPTION 'submission % cannot change from % to %',
                OLD.submission_id, OLD.status, NEW.status
            USING ERRCODE = 'integrity_constraint_violation',
                  DETAIL = format('Status %s is final: it records how the delivery of this document ended, and a submission in delivery again would be sent to Enbek again.',
                                  OLD.status),
                  HINT = 'A correction is a new version of the timesheet: build the month again with otan_enbek.build_timesheet and submit the new version.';
    ELSIF OLD.status = ANY (final_statuses) AND NEW IS DISTINCT FROM OLD THEN
        RAISE EXCEPTION 'the delivery state of submission % cannot be changed', OLD.submission_id
            USING ERRCODE = 'integrity_constraint_violation',
                  DETAIL = format('Status %s is final, so the submission keeps the attempts, response and times it ended with.',
                                  OLD.status),
                  HINT = 'A correction is a new version of the timesheet: build the month again with otan_enbek.build_timesheet and submit the new version.';
    ELSIF NEW.status = 'cancelled' AND NEW.status <> OLD.status
          AND (OLD.status <> 'queued' OR OLD.attempts > 0) THEN
        RAISE EXCEPTION 'submission % cannot be cancelled', OLD.submission_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Its status is %s after %s attempts. Only a queued submission that was never sent can be cancelled, because Enbek may have received any other.',
                                  OLD.status, OLD.attempts),
                  HINT = 'Wait for the outcome of the delivery; a correction is a new version of the timesheet.';
    ELSIF NEW.status = ANY (outcomes) AND NEW.status <> OLD.status
          AND OLD.status <> 'sending' THEN
        RAISE EXCEPTION 'submission % cannot change from % to %',
                OLD.submission_id, OLD.status, NEW.status
            USING ERRCODE = 'integrity_constraint_violation',
                  DETAIL = 'Only the delivery worker sets accepted, returned or failed, when it records the outcome of a request it sent (status sending).';
    END IF;
    -- Every other change is between queued, sending and sent.
    RETURN NEW;
END
$$;
-- Progress of long runs (ingest of a file, attendance of a period),
-- readable from any session while the run's transaction is still open.
-- The counters live in shared memory, so they exist only when otan_enbek is
-- in shared_preload_libraries; without it the view is empty.

CREATE FUNCTION otan_enbek.progress_start(command text, org_id integer, run_id bigint)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'otan_enbek_progress_start'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION otan_enbek.progress_start(text, integer, bigint) IS
    'Starts reporting the progress of a command in this session; returns false when otan_enbek is not preloaded';

CREATE FUNCTION otan_enbek.progress_phase(phase text, unit text, total bigint)
    RETURNS void
    AS 'MODULE_PATHNAME', 'otan_enbek_progress_phase'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION otan_enbek.progress_phase(text, text, bigint) IS
    'Starts a phase of the command this session reports, with its amount of work in the given unit';

CREATE FUNCTION otan_enbek.progress_end() RETURNS void
    AS 'MODULE_PATHNAME', 'otan_enbek_progress_end'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION otan_enbek.progress_end() IS
    'Stops reporting progress in this session; the end of the transaction does it too';

CREATE FUNCTION otan_enbek.progress_slots(
    OUT pid integer, OUT datid oid, OUT usesysid oid, OUT command text,
    OUT org_id integer, OUT run_id bigint, OUT phase text, OUT done bigint,
    OUT total bigint, OUT unit text, OUT started_at timestamptz,
    OUT phase_started_at timestamptz, OUT updated_at timestamptz)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'otan_enbek_progress_slots'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION otan_enbek.progress_slots() IS
    'Returns the progress of every session of the cluster that reports one';

CREATE VIEW otan_enbek.progress AS
SELECT p.pid, p.command, p.org_id, p.run_id, p.phase, p.done, p.total, p.unit,
       round(100.0 * p.done / p.total, 1) AS percent,
       p.started_at, p.phase_started_at, p.updated_at
FROM otan_enbek.progress_slots() p
WHERE p.datid = (SELECT d.oid FROM pg_catalog.pg_database d
                 WHERE d.datname = pg_catalog.current_database());
COMMENT ON VIEW otan_enbek.progress IS
    'Runs in progress in this database: phase checking or parsing counts bytes of the file, computing counts employees; total is NULL while unknown';
COMMENT ON COLUMN otan_enbek.progress.done IS
    'Units of the current phase finished; updated every 1,024 records of a file and every employee computed';
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
     'Builds a new version of a month whose last delivery was returned, failed or cancelled, and submits it.'),
    ('submission_cancel', false,
     'Cancels the queued submissions of a timesheet that were never sent.')
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
-- needs no right to change the table.  NOTE: a role with EXECUTE on them
-- can still add rows with values of its choosing.
CREATE FUNCTION otan_enbek.job_run_start(kind text, org_id integer, first_day date,
                                         last_day date, target jsonb, trigger text)
    RETURNS bigint
    LANGUAGE sql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
    INSERT INTO otan_enbek.job_run (kind, org_id, first_day, last_day, target, trigger)
    VALUES ($1, $2, $3, $4, coalesce($5, '{}'), $6)
    RETURNING run_id
$$;

-- Records the end of a running job_run row and returns it.
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
    WHERE r.run_id = $1 AND r.status = 'running'
    RETURNING r.*
$$;
REVOKE ALL ON FUNCTION
    otan_enbek.job_run_start(text, integer, date, date, jsonb, text),
    otan_enbek.job_run_finish(bigint, jsonb, text, text, text, text, text)
    FROM PUBLIC;
-- The steps that otan_enbek.run_job runs, one function per kind of
-- job_kinds().  Each returns what it did as jsonb counts and raises an
-- error when it cannot do its work.  They run with the caller's rights.

CREATE FUNCTION otan_enbek.step_ingest(target jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    batch otan_enbek.ingest_batch;
BEGIN
    batch := otan_enbek.ingest_file((target->>'source_id')::integer, target->>'format',
                                    target->>'path');
    RETURN jsonb_build_object('batch_id', batch.batch_id,
                              'read', batch.read_count,
                              'inserted', batch.inserted_count,
                              'duplicates', batch.duplicate_count,
                              'rejected', batch.rejected_count,
                              'unknown_credentials', batch.unknown_credential_count);
END
$$;

CREATE FUNCTION otan_enbek.step_attendance(org integer, first_day date, last_day date)
    RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM otan_enbek.progress_phase(
        'computing', 'employees',
        (SELECT count(*) FROM otan_enbek.employee e WHERE e.org_id = org));
    RETURN jsonb_build_object('days_written',
                              otan_enbek.compute_attendance(org, first_day, last_day));
END
$$;

CREATE FUNCTION otan_enbek.step_timesheet_build(org integer, month date) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    sheet otan_enbek.timesheet;
BEGIN
    PERFORM otan_enbek.progress_phase(
        'computing', 'employees',
        (SELECT count(*) FROM otan_enbek.employee e WHERE e.org_id = org));
    SELECT * INTO sheet FROM otan_enbek.timesheet t
    WHERE t.org_id = org
      AND t.timesheet_id = otan_enbek.build_timesheet(org, step_timesheet_build.month);
    RETURN jsonb_build_object('timesheet_id', sheet.timesheet_id,
                              'version', sheet.version,
                              'employees', sheet.employee_count);
END
$$;

-- Returns the newest version of an organization's timesheet for a month,
-- or raises an error when the month has none.
CREATE FUNCTION otan_enbek.newest_timesheet(org integer, month date)
    RETURNS otan_enbek.timesheet
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    sheet otan_enbek.timesheet;
BEGIN
    SELECT * INTO sheet FROM otan_enbek.timesheet t
    WHERE t.org_id = org AND t.month = date_trunc('month', newest_timesheet.month)::date
    ORDER BY t.version DESC
    LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'organization % has no timesheet for %', org, to_char(month, 'YYYY-MM')
            USING ERRCODE = 'no_data_found',
                  HINT = format('Build it first: SELECT * FROM otan_enbek.run_timesheet_build(%s, %L).',
                                org, to_char(month, 'YYYY-MM-01'));
    END IF;
    RETURN sheet;
END
$$;

CREATE FUNCTION otan_enbek.step_timesheet_submit(org integer, month date) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    sheet otan_enbek.timesheet := otan_enbek.newest_timesheet(org, month);
BEGIN
    RETURN jsonb_build_object(
        'timesheet_id', sheet.timesheet_id,
        'version', sheet.version,
        'submission_ids', to_jsonb(ARRAY(SELECT otan_enbek.submit_timesheet(sheet.timesheet_id))));
END
$$;

-- Builds a new version of a month whose newest version Enbek returned, or
-- whose delivery failed or was cancelled, and submits it.  A version that
-- was never submitted is built again in place and submitted.
CREATE FUNCTION otan_enbek.step_timesheet_resubmit(org integer, month date) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    old otan_enbek.timesheet := otan_enbek.newest_timesheet(org, month);
    counts jsonb;
BEGIN
    IF old.status = 'submitted' THEN
        RAISE EXCEPTION 'timesheet % of % is still in delivery', old.timesheet_id,
                to_char(old.month, 'YYYY-MM')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Version %s has status submitted: Enbek has not answered yet.', old.version),
                  HINT = format('Wait for the answer, or cancel a submission that was never sent with SELECT * FROM otan_enbek.cancel_submission(%s, %s).',
                                org, old.timesheet_id);
    ELSIF old.status = 'accepted' THEN
        -- NOTE: sending a correction of an accepted month is not supported.
        RAISE EXCEPTION 'timesheet % of % was accepted by Enbek', old.timesheet_id,
                to_char(old.month, 'YYYY-MM')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Version %s is accepted; a second document for the month would need the correction protocol of Enbek, which otan_enbek does not send.',
                                  old.version),
                  HINT = 'Correct an accepted timesheet on the Enbek portal.';
    END IF;
    counts := otan_enbek.step_timesheet_build(org, month);
    RETURN counts
        || jsonb_build_object('previous_timesheet_id', old.timesheet_id,
                              'previous_status', old.status)
        || otan_enbek.step_timesheet_submit(org, month);
END
$$;

-- Cancels the submissions of a timesheet, every part, while none was ever
-- sent.  The row locks make the delivery worker skip the parts, or make
-- this wait until the worker has recorded its attempt.
CREATE FUNCTION otan_enbek.step_submission_cancel(org integer, target jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    sheet_id integer := (target->>'timesheet_id')::integer;
    parts text;
    cancelled integer;
BEGIN
    SELECT string_agg(format('part %s: %s after %s attempts', s.part_no, s.status, s.attempts),
                      ', ' ORDER BY s.part_no)
             FILTER (WHERE s.status <> 'queued' OR s.attempts > 0)
      INTO parts
    FROM (SELECT * FROM otan_enbek.submission s
          WHERE s.org_id = org AND s.timesheet_id = sheet_id
          ORDER BY s.part_no
          FOR UPDATE) s;
    IF NOT EXISTS (SELECT FROM otan_enbek.submission s
                   WHERE s.org_id = org AND s.timesheet_id = sheet_id) THEN
        RAISE EXCEPTION 'timesheet % of organization % has no submission', sheet_id, org
            USING ERRCODE = 'no_data_found',
                  HINT = 'List the submissions with SELECT * FROM otan_enbek.submission_overview.';
    ELSIF parts IS NOT NULL THEN
        RAISE EXCEPTION 'timesheet % has already been sent to Enbek', sheet_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Only submissions that are queued and were never attempted can be cancelled: %s.', parts),
                  HINT = 'Wait for the outcome of the delivery; once it is returned or failed, build and submit a new version with otan_enbek.resubmit_timesheet.';
    END IF;

    WITH changed AS (
        UPDATE otan_enbek.submission s
        SET status = 'cancelled', finished_at = clock_timestamp()
        WHERE s.org_id = org AND s.timesheet_id = sheet_id
        RETURNING s.org_id, s.submission_id
    ), logged AS (
        INSERT INTO otan_enbek.submission_event (org_id, submission_id, event_no, kind, detail)
        SELECT c.org_id, c.submission_id,
               (SELECT max(e.event_no) + 1 FROM otan_enbek.submission_event e
                WHERE e.org_id = c.org_id AND e.submission_id = c.submission_id),
               'cancelled', jsonb_build_object('cancelled_by', session_user)
        FROM changed c
    )
    SELECT count(*) INTO cancelled FROM changed;

    UPDATE otan_enbek.timesheet t SET status = 'cancelled'
    WHERE t.org_id = org AND t.timesheet_id = sheet_id;
    RETURN jsonb_build_object('timesheet_id', sheet_id, 'cancelled', cancelled);
END
$$;

-- Runs the step of one kind.  TODO: a pull kind that reads events from a
-- device gets its branch here, with its row in job_kinds().
CREATE FUNCTION otan_enbek.job_step(kind text, org integer, first_day date, last_day date,
                                    target jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    RETURN CASE kind
        WHEN 'ingest' THEN otan_enbek.step_ingest(target)
        WHEN 'attendance' THEN otan_enbek.step_attendance(org, first_day, last_day)
        WHEN 'timesheet_build' THEN otan_enbek.step_timesheet_build(org, first_day)
        WHEN 'timesheet_submit' THEN otan_enbek.step_timesheet_submit(org, first_day)
        WHEN 'timesheet_resubmit' THEN otan_enbek.step_timesheet_resubmit(org, first_day)
        WHEN 'submission_cancel' THEN otan_enbek.step_submission_cancel(org, target)
    END;
END
$$;
-- Running the steps by hand and from pg_cron, each run recorded in job_run.
--
-- A failing step must not take its log row with it.  run_job runs the step
-- in a subtransaction (a PL/pgSQL block with an EXCEPTION clause): an error
-- rolls back the step's own changes, the block records the error in the
-- job_run row, and the function returns that row with a WARNING.  So a
-- manual run works anywhere, inside a transaction block too, and the row
-- lasts as long as the caller's transaction commits.  A scheduled run is
-- the procedure run_scheduled: pg_cron runs its command in a transaction
-- of its own, so the procedure commits the row and then raises the step's
-- error again, which pg_cron records in cron.job_run_details.  A query
-- cancel or a lost connection ends the whole transaction, log row included,
-- because an EXCEPTION clause does not catch query_canceled.

CREATE FUNCTION otan_enbek.run_job(kind text, org integer, first_day date, last_day date,
                                   target jsonb DEFAULT '{}', trigger text DEFAULT 'manual')
    RETURNS otan_enbek.job_run
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    run_id bigint;
    counts jsonb;
    state text;
    message text;
    detail text;
    hint text;
    context text;
    result otan_enbek.job_run;
BEGIN
    IF NOT EXISTS (SELECT FROM otan_enbek.job_kinds() k WHERE k.kind = run_job.kind) THEN
        RAISE EXCEPTION 'unknown job kind "%"', kind
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'List the kinds with SELECT * FROM otan_enbek.job_kinds().';
    END IF;
    run_id := otan_enbek.job_run_start(
        kind,
        (SELECT o.org_id FROM otan_enbek.organization o WHERE o.org_id = org),
        first_day, last_day,
        coalesce(target, '{}')
            || CASE WHEN org IS NULL THEN '{}' ELSE jsonb_build_object('org_id', org) END,
        trigger);
    PERFORM otan_enbek.progress_start(kind, org, run_id);
    BEGIN
        counts := otan_enbek.job_step(kind, org, first_day, last_day, target);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                                detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT,
                                context = PG_EXCEPTION_CONTEXT;
    END;
    PERFORM otan_enbek.progress_end();

    result := otan_enbek.job_run_finish(run_id, counts, state, message, detail, hint, context);
    IF result.status = 'failed' THEN
        RAISE WARNING '% run % failed: %', kind, run_id, message
            USING DETAIL = concat_ws(' ', nullif(detail, ''),
                                     format('The error is kept in otan_enbek.job_run, run_id %s.',
                                            run_id)),
                  HINT = coalesce(nullif(hint, ''), 'Correct the cause and run the step again.');
    END IF;
    RETURN result;
END
$$;
COMMENT ON FUNCTION otan_enbek.run_job(text, integer, date, date, jsonb, text) IS
    'Runs one step of job_kinds() and records it in job_run; a failure is recorded, reported as a WARNING and rolls back only the step';

CREATE FUNCTION otan_enbek.run_ingest(source_id integer, path text, format text DEFAULT NULL)
    RETURNS otan_enbek.job_run
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT * FROM otan_enbek.run_job(
        'ingest', (SELECT s.org_id FROM otan_enbek.source s WHERE s.source_id = $1), NULL, NULL,
        jsonb_build_object('source_id', $1, 'path', $2, 'format', $3))
$$;
COMMENT ON FUNCTION otan_enbek.run_ingest(integer, text, text) IS
    'Stores the events of a file on the database server with ingest_file and records the run in job_run';

-- Reads the file of an earlier batch again.  Events stored before are
-- counted as duplicates, so a re-import adds what the earlier read
-- rejected or missed.
CREATE FUNCTION otan_enbek.reimport_batch(org integer, batch_id bigint)
    RETURNS otan_enbek.job_run
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    batch otan_enbek.ingest_batch;
BEGIN
    SELECT * INTO batch FROM otan_enbek.ingest_batch b
    WHERE b.org_id = org AND b.batch_id = reimport_batch.batch_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'batch % of organization % does not exist', batch_id, org
            USING ERRCODE = 'no_data_found',
                  HINT = 'List the batches with SELECT batch_id, file_name FROM otan_enbek.ingest_batch.';
    ELSIF batch.file_name IS NULL THEN
        RAISE EXCEPTION 'batch % was not read from a file', batch_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'It was stored with otan_enbek.ingest from text given in the call, so there is no file to read again.',
                  HINT = 'Call otan_enbek.ingest again with the same text.';
    END IF;
    RETURN otan_enbek.run_job('ingest', org, NULL, NULL,
                              jsonb_build_object('source_id', batch.source_id,
                                                 'path', batch.file_name,
                                                 'format', batch.format,
                                                 'reimport_of', batch.batch_id));
END
$$;
COMMENT ON FUNCTION otan_enbek.reimport_batch(integer, bigint) IS
    'Reads the file of an earlier ingest batch again; events stored before count as duplicates';

CREATE FUNCTION otan_enbek.run_attendance(org integer, first_day date, last_day date DEFAULT NULL)
    RETURNS otan_enbek.job_run
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT * FROM otan_enbek.run_job(
        'attendance', $1, $2,
        coalesce($3, (date_trunc('month', $2) + interval '1 month - 1 day')::date))
$$;
COMMENT ON FUNCTION otan_enbek.run_attendance(integer, date, date) IS
    'Computes attendance for first_day..last_day (default: to the end of first_day''s month) and records the run in job_run';

CREATE FUNCTION otan_enbek.run_timesheet_build(org integer, month date)
    RETURNS otan_enbek.job_run
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT * FROM otan_enbek.run_job(
        'timesheet_build', $1, date_trunc('month', $2)::date,
        (date_trunc('month', $2) + interval '1 month - 1 day')::date)
$$;
COMMENT ON FUNCTION otan_enbek.run_timesheet_build(integer, date) IS
    'Builds the timesheet of the month of the given date and records the run in job_run';

CREATE FUNCTION otan_enbek.run_timesheet_submit(org integer, month date)
    RETURNS otan_enbek.job_run
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT * FROM otan_enbek.run_job(
        'timesheet_submit', $1, date_trunc('month', $2)::date,
        (date_trunc('month', $2) + interval '1 month - 1 day')::date)
$$;
COMMENT ON FUNCTION otan_enbek.run_timesheet_submit(integer, date) IS
    'Submits the newest version of the month''s timesheet and records the run in job_run';

CREATE FUNCTION otan_enbek.resubmit_timesheet(org integer, month date)
    RETURNS otan_enbek.job_run
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT * FROM otan_enbek.run_job(
        'timesheet_resubmit', $1, date_trunc('month', $2)::date,
        (date_trunc('month', $2) + interval '1 month - 1 day')::date)
$$;
COMMENT ON FUNCTION otan_enbek.resubmit_timesheet(integer, date) IS
    'Builds a new version of a month that was returned, failed or cancelled, submits it, and records the run in job_run';

CREATE FUNCTION otan_enbek.cancel_submission(org integer, timesheet_id integer)
    RETURNS otan_enbek.job_run
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT * FROM otan_enbek.run_job('submission_cancel', $1, NULL, NULL,
                                     jsonb_build_object('timesheet_id', $2))
$$;
COMMENT ON FUNCTION otan_enbek.cancel_submission(integer, integer) IS
    'Cancels the queued submissions of a timesheet that were never sent and records the run in job_run';

-- The command of the pg_cron jobs that set_schedule creates.  The period
-- follows from the day the job runs, in the organization's time zone:
-- attendance covers the first day of yesterday's month to today, and the
-- timesheet kinds take the month before the current one.  A procedure
-- with a SET clause may not commit, so this one names every object with its
-- schema instead of pinning search_path.
CREATE PROCEDURE otan_enbek.run_scheduled(org integer, kind text)
    LANGUAGE plpgsql
    AS $$
DECLARE
    today date;
    first_day date;
    last_day date;
    result otan_enbek.job_run;
BEGIN
    SELECT (pg_catalog.now() AT TIME ZONE o.time_zone)::date INTO today
    FROM otan_enbek.organization o WHERE o.org_id = org;
    today := coalesce(today, CURRENT_DATE);
    IF kind = 'attendance' THEN
        first_day := pg_catalog.date_trunc('month', today - 1)::date;
        last_day := today;
    ELSE
        first_day := (pg_catalog.date_trunc('month', today) - interval '1 month')::date;
        last_day := (pg_catalog.date_trunc('month', today) - interval '1 day')::date;
    END IF;

    result := otan_enbek.run_job(kind, org, first_day, last_day, '{}', 'schedule');
    COMMIT;
    IF result.status = 'failed' THEN
        RAISE EXCEPTION '% run % failed: %', kind, result.run_id, result.error_message
            USING ERRCODE = result.error_sqlstate,
                  DETAIL = pg_catalog.concat_ws(' ', result.error_detail,
                      pg_catalog.format('The error is kept in otan_enbek.job_run, run_id %s.',
                                        result.run_id)),
                  HINT = coalesce(result.error_hint,
                                  'Correct the cause; the next scheduled run tries again.');
    END IF;
END
$$;
COMMENT ON PROCEDURE otan_enbek.run_scheduled(integer, text) IS
    'Runs a scheduled step for the period of the day it runs, commits its job_run row and raises the step''s error again for pg_cron';
-- Schedules of the processing steps, as pg_cron jobs.
--
-- Each organization has at most one job per kind, named
-- otan_enbek:<org_id>:<kind>, whose command is
-- CALL otan_enbek.run_scheduled(<org_id>, '<kind>').  The functions that
-- change jobs are SECURITY DEFINER, so every job belongs to the owner of
-- the extension and runs with its rights.  The command is fixed here, and a
-- caller chooses only the organization, the kind and the time.  pg_cron
-- 1.4 reads schedules in UTC (GMT): 02:00 in Astana (UTC+5) is "0 21 * * *".

-- Checks a five-field cron schedule as pg_cron 1.4 reads it (the syntax of
-- Vixie cron) and returns it with single spaces between the fields.  Each
-- field is a comma-separated list of items.  An item is *, a value or a
-- range a-b, and * or a range may take a step /n.  Months and days of the
-- week may be given by their first three letters (jan, sun); Sunday is 0
-- or 7.
CREATE FUNCTION otan_enbek.check_cron_schedule(schedule text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    field_names constant text[] := ARRAY['minute', 'hour', 'day of month', 'month',
                                         'day of week'];
    low constant integer[] := ARRAY[0, 0, 1, 1, 0];
    high constant integer[] := ARRAY[59, 23, 31, 12, 7];
    month_names constant text[] := ARRAY['jan', 'feb', 'mar', 'apr', 'may', 'jun',
                                         'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
    day_names constant text[] := ARRAY['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
    usage constant text := 'Write five fields separated by spaces: minute, hour, day of month, month and day of week, for example "30 20 * * *" for 20:30 UTC every day. pg_cron 1.4 reads the times in UTC.';
    fields text[];
    i integer;
    item text;
    parts text[];
    bound text;
    value integer;
    range_values integer[];
BEGIN
    IF schedule IS NULL THEN
        RAISE EXCEPTION 'cron schedule is NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = usage;
    END IF;
    fields := regexp_split_to_array(btrim(schedule), '\s+');
    IF btrim(schedule) = '' OR array_length(fields, 1) <> 5 THEN
        RAISE EXCEPTION 'invalid cron schedule "%": it has % fields, not 5', schedule,
                CASE WHEN btrim(schedule) = '' THEN 0 ELSE array_length(fields, 1) END
            USING ERRCODE = 'invalid_parameter_value', HINT = usage;
    END IF;

    FOR i IN 1 .. 5 LOOP
        FOREACH item IN ARRAY string_to_array(fields[i], ',') LOOP
            -- parts: the range or *, its first and its last value, the step
            parts := regexp_match(lower(item), '^(\*|([a-z0-9]+)(?:-([a-z0-9]+))?)(?:/([0-9]+))?$');
            IF parts IS NULL OR (parts[4] IS NOT NULL AND parts[1] <> '*' AND parts[3] IS NULL) THEN
                RAISE EXCEPTION 'invalid cron schedule "%": % field "%" has an invalid item "%"',
                        schedule, field_names[i], fields[i], item
                    USING ERRCODE = 'invalid_parameter_value',
                          DETAIL = 'An item is *, a number, a range such as 1-5, or * or a range with a step such as */15 or 8-18/2; items are separated by commas without spaces.',
                          HINT = usage;
            END IF;
            range_values := '{}';
            FOREACH bound IN ARRAY ARRAY[parts[2], parts[3]] LOOP
                CONTINUE WHEN bound IS NULL;
                IF bound ~ '^[0-9]+$' THEN
                    value := CASE WHEN length(bound) > 4 THEN 10000 ELSE bound::integer END;
                ELSIF i = 4 AND bound = ANY (month_names) THEN
                    value := array_position(month_names, bound);
                ELSIF i = 5 AND bound = ANY (day_names) THEN
                    value := array_position(day_names, bound) - 1;
                ELSE
                    RAISE EXCEPTION 'invalid cron schedule "%": % field "%" has an unknown name "%"',
                            schedule, field_names[i], fields[i], bound
                        USING ERRCODE = 'invalid_parameter_value',
                              DETAIL = CASE i
                                  WHEN 4 THEN 'Months are numbers 1 to 12 or the names jan to dec.'
                                  WHEN 5 THEN 'Days of the week are numbers 0 to 7 (0 and 7 are Sunday) or the names sun to sat.'
                                  ELSE format('The %s field accepts numbers only.', field_names[i])
                              END,
                              HINT = usage;
                END IF;
                IF value < low[i] OR value > high[i] THEN
                    RAISE EXCEPTION 'invalid cron schedule "%": % % is out of range',
                            schedule, field_names[i], bound
                        USING ERRCODE = 'invalid_parameter_value',
                              DETAIL = format('The %s field accepts %s to %s.', field_names[i],
                                              low[i], high[i]),
                              HINT = usage;
                END IF;
                range_values := range_values || value;
            END LOOP;
            IF range_values[2] < range_values[1] THEN
                RAISE EXCEPTION 'invalid cron schedule "%": % range "%" ends before it starts',
                        schedule, field_names[i], item
                    USING ERRCODE = 'invalid_parameter_value',
                          DETAIL = 'pg_cron does not wrap a range around the end of a field.',
                          HINT = 'Write the lower value first, or list two ranges, such as 22-23,0-5.';
            END IF;
            IF parts[4] IS NOT NULL
               AND (length(parts[4]) > 4 OR parts[4]::integer NOT BETWEEN 1 AND high[i]) THEN
                RAISE EXCEPTION 'invalid cron schedule "%": % step "/%" is out of range',
                        schedule, field_names[i], parts[4]
                    USING ERRCODE = 'invalid_parameter_value',
                          DETAIL = format('A step of the %s field is 1 to %s.', field_names[i], high[i]),
                          HINT = usage;
            END IF;
        END LOOP;
    END LOOP;
    RETURN array_to_string(fields, ' ');
END
$$;
COMMENT ON FUNCTION otan_enbek.check_cron_schedule(text) IS
    'Checks a five-field cron schedule as pg_cron 1.4 reads it, raising an error that names the invalid field, and returns it normalized';

-- Raises an error unless pg_cron is installed in the current database.
-- pg_cron keeps its jobs in one database of the cluster, the one named by
-- its setting cron.database_name, and CREATE EXTENSION pg_cron fails in
-- every other database.
CREATE FUNCTION otan_enbek.require_pg_cron() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cron_database text := current_setting('cron.database_name', true);
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
        RETURN;
    ELSIF cron_database IS NULL THEN
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'pg_cron is not loaded: shared_preload_libraries does not contain pg_cron.',
                  HINT = format('Add pg_cron to shared_preload_libraries and set cron.database_name = ''%s'' in postgresql.conf, restart the server, then run CREATE EXTENSION pg_cron in this database. pg_cron creates jobs only in the database that cron.database_name names.',
                                current_database());
    ELSIF cron_database <> current_database() THEN
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('pg_cron creates jobs only in the database that cron.database_name names, which is "%s".',
                                  cron_database),
                  HINT = format('Schedule from database "%s" with otan_enbek installed there, or set cron.database_name = ''%s'' in postgresql.conf, restart the server and run CREATE EXTENSION pg_cron in this database.',
                                cron_database, current_database());
    ELSE
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'cron.database_name names this database, but the extension pg_cron has not been created in it.',
                  HINT = 'Run CREATE EXTENSION pg_cron in this database as a superuser.';
    END IF;
END
$$;
COMMENT ON FUNCTION otan_enbek.require_pg_cron() IS
    'Raises an error, with a hint about cron.database_name, unless pg_cron is installed in the current database';

-- Checks the organization and the kind of a schedule and returns the name
-- of its pg_cron job.
CREATE FUNCTION otan_enbek.schedule_job_name(org integer, kind text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    kinds text := (SELECT string_agg(k.kind, ', ') FROM otan_enbek.job_kinds() k
                   WHERE k.schedulable);
BEGIN
    IF org IS NULL OR kind IS NULL THEN
        RAISE EXCEPTION 'organization and kind must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT FROM otan_enbek.organization o WHERE o.org_id = org) THEN
        RAISE EXCEPTION 'organization % does not exist', org
            USING ERRCODE = 'undefined_object',
                  HINT = 'Use the org_id of a row of otan_enbek.organization.';
    END IF;
    IF NOT EXISTS (SELECT FROM otan_enbek.job_kinds() k
                   WHERE k.kind = schedule_job_name.kind AND k.schedulable) THEN
        RAISE EXCEPTION 'job kind "%" cannot be scheduled', kind
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The kinds that can be scheduled are %s.', kinds),
                  HINT = 'Run the other kinds by hand, for example with otan_enbek.run_ingest.';
    END IF;
    RETURN format('otan_enbek:%s:%s', org, kind);
END
$$;

CREATE FUNCTION otan_enbek.set_schedule(org integer, kind text, schedule text)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    job_name text;
    normalized text;
BEGIN
    PERFORM otan_enbek.require_pg_cron();
    -- TODO: limit an operator to the organizations assigned to it, once
    -- such assignments exist; now any caller with EXECUTE may schedule any
    -- organization.
    job_name := otan_enbek.schedule_job_name(org, kind);
    normalized := otan_enbek.check_cron_schedule(schedule);
    -- cron.schedule replaces the schedule of a job of the same name and owner.
    RETURN cron.schedule(job_name, normalized,
                         format('CALL otan_enbek.run_scheduled(%s, %L)', org, kind));
END
$$;
COMMENT ON FUNCTION otan_enbek.set_schedule(integer, text, text) IS
    'Creates or changes the pg_cron job that runs a step of an organization (kind attendance, timesheet_build or timesheet_submit) on a cron schedule in UTC; returns the job id';

CREATE FUNCTION otan_enbek.remove_schedule(org integer, kind text) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    job_name text;
    removed integer;
BEGIN
    PERFORM otan_enbek.require_pg_cron();
    job_name := otan_enbek.schedule_job_name(org, kind);
    SELECT count(cron.unschedule(j.jobid)) INTO removed
    FROM cron.job j WHERE j.jobname = job_name;
    IF removed = 0 THEN
        RAISE EXCEPTION 'organization % has no schedule for %', org, kind
            USING ERRCODE = 'undefined_object',
                  HINT = 'List the schedules with SELECT * FROM otan_enbek.show_schedules().';
    END IF;
END
$$;
COMMENT ON FUNCTION otan_enbek.remove_schedule(integer, text) IS
    'Removes the pg_cron job of a step of an organization';

CREATE FUNCTION otan_enbek.show_schedules(org integer DEFAULT NULL)
    RETURNS TABLE (org_id integer, kind text, schedule text, active boolean, jobid bigint,
                   command text, last_run_id bigint, last_status text,
                   last_started_at timestamptz, last_error text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM otan_enbek.require_pg_cron();
    RETURN QUERY
    SELECT j.org_id, j.kind, j.schedule, j.active, j.jobid, j.command,
           r.run_id, r.status, r.started_at, r.error_message
    FROM (SELECT split_part(c.jobname, ':', 2)::integer AS org_id,
                 split_part(c.jobname, ':', 3) AS kind,
                 c.schedule, c.active, c.jobid, c.command
          FROM cron.job c
          WHERE c.jobname ~ '^otan_enbek:[0-9]+:[a-z_]+$') j
    LEFT JOIN LATERAL (
        SELECT x.run_id, x.status, x.started_at, x.error_message
        FROM otan_enbek.job_run x
        WHERE x.org_id = j.org_id AND x.kind = j.kind AND x.trigger = 'schedule'
        ORDER BY x.started_at DESC
        LIMIT 1) r ON true
    WHERE show_schedules.org IS NULL OR j.org_id = show_schedules.org
    ORDER BY j.org_id, j.kind;
END
$$;
COMMENT ON FUNCTION otan_enbek.show_schedules(integer) IS
    'Lists the pg_cron jobs of the steps (of one organization, or of all) with the outcome of each job''s last run';

REVOKE ALL ON FUNCTION
    otan_enbek.set_schedule(integer, text, text),
    otan_enbek.remove_schedule(integer, text),
    otan_enbek.show_schedules(integer)
    FROM PUBLIC;
-- Views for the administrator (the runs of today, recent errors,
-- submissions that wait or failed, attendance anomalies) and status(), which
-- sums them up in psql.

CREATE VIEW otan_enbek.run_today AS
SELECT DISTINCT ON (r.org_id, r.kind)
       r.org_id, r.kind, r.run_id AS last_run_id, r.trigger, r.status,
       r.started_at, r.finished_at, r.first_day, r.last_day, r.counts,
       r.error_message, r.error_hint,
       count(*) OVER w AS runs,
       count(*) FILTER (WHERE r.status = 'failed') OVER w AS failed_runs
FROM otan_enbek.job_run r
LEFT JOIN otan_enbek.organization o ON o.org_id = r.org_id
WHERE r.started_at >= timezone(coalesce(o.time_zone, 'UTC'),
                               date_trunc('day', timezone(coalesce(o.time_zone, 'UTC'), now())))
WINDOW w AS (PARTITION BY r.org_id, r.kind)
ORDER BY r.org_id, r.kind, r.started_at DESC, r.run_id DESC;
COMMENT ON VIEW otan_enbek.run_today IS
    'Last run of each organization and kind since midnight in the organization''s time zone, with the number of runs and failed runs since then';

CREATE VIEW otan_enbek.recent_error AS
SELECT r.run_id, r.org_id, r.kind, r.trigger, r.first_day, r.last_day, r.target,
       r.started_at, r.error_sqlstate, r.error_message, r.error_detail, r.error_hint,
       r.run_by
FROM otan_enbek.job_run r
WHERE r.status = 'failed' AND r.started_at >= now() - interval '7 days';
COMMENT ON VIEW otan_enbek.recent_error IS
    'Failed runs of the last 7 days with the error''s message, detail and hint';

-- Submissions of the newest version of each month that are still in
-- delivery or did not end with acceptance.
CREATE VIEW otan_enbek.submission_attention AS
SELECT s.org_id, s.timesheet_id, s.month, s.version, s.part_no, s.part_count,
       s.submission_id, s.status, s.attempts, s.created_at, s.next_attempt_at,
       s.last_event, s.last_code, s.last_message, s.reasons
FROM otan_enbek.submission_overview s
WHERE s.status IN ('queued', 'sending', 'sent', 'returned', 'failed')
  AND s.version = (SELECT max(t.version) FROM otan_enbek.timesheet t
                   WHERE t.org_id = s.org_id AND t.month = s.month);
COMMENT ON VIEW otan_enbek.submission_attention IS
    'Submissions of the newest timesheet version of each month that wait for delivery or were returned or failed';

CREATE VIEW otan_enbek.anomaly_review AS
SELECT d.org_id, d.employee_id,
       concat_ws(' ', e.last_name, e.first_name, e.middle_name) AS full_name,
       d.work_day, d.anomalies, d.first_in, d.last_out, d.punch_count, d.is_final
FROM otan_enbek.attendance_day d
JOIN otan_enbek.employee e ON e.org_id = d.org_id AND e.employee_id = d.employee_id
WHERE d.anomalies <> '{}'
  AND d.work_day >= (date_trunc('month', now()) - interval '1 month')::date;
COMMENT ON VIEW otan_enbek.anomaly_review IS
    'Days of this and the previous month whose punches the attendance engine flagged, such as an entry without an exit';

-- One row per fact, by organization (NULL for the whole database).
CREATE FUNCTION otan_enbek.status()
    RETURNS TABLE (org_id integer, area text, state text, summary text)
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT NULL::integer, 'delivery worker', d.worker_state,
       format('%s queued, %s awaiting an answer from Enbek', d.queued, d.sent)
FROM otan_enbek.delivery_status() d
UNION ALL
SELECT p.org_id, 'running ' || p.command, coalesce(p.phase, 'starting'),
       format('run %s: %s of %s %s (%s%%) since %s', p.run_id, p.done,
              coalesce(p.total::text, '?'), coalesce(p.unit, ''),
              coalesce(p.percent::text, '?'), to_char(p.started_at, 'HH24:MI:SS'))
FROM otan_enbek.progress p
UNION ALL
SELECT r.org_id, 'today ' || r.kind, r.status,
       CASE WHEN r.status = 'failed'
            THEN format('run %s: %s', r.last_run_id, r.error_message)
            ELSE format('run %s: %s', r.last_run_id, r.counts)
       END
       || format(' (%s runs, %s failed)', r.runs, r.failed_runs)
FROM otan_enbek.run_today r
UNION ALL
SELECT e.org_id, 'errors in 7 days', 'failed',
       format('%s failed runs; last: run %s (%s), %s', e.n, e.run_id, e.kind, e.error_message)
FROM (SELECT DISTINCT ON (x.org_id) x.org_id, x.run_id, x.kind, x.error_message,
             count(*) OVER (PARTITION BY x.org_id) AS n
      FROM otan_enbek.recent_error x
      ORDER BY x.org_id, x.started_at DESC) e
UNION ALL
SELECT s.org_id, 'submissions', s.status,
       format('%s parts of %s', count(*),
              string_agg(DISTINCT to_char(s.month, 'YYYY-MM'), ', '))
FROM otan_enbek.submission_attention s
GROUP BY s.org_id, s.status
UNION ALL
SELECT u.org_id, 'unmatched credentials', 'review',
       format('%s credentials in %s events', count(*), sum(u.event_count))
FROM otan_enbek.unmatched_credential u
GROUP BY u.org_id
UNION ALL
SELECT a.org_id, 'anomalies', 'review',
       format('%s days of %s employees since %s', count(*), count(DISTINCT a.employee_id),
              to_char(min(a.work_day), 'YYYY-MM-DD'))
FROM otan_enbek.anomaly_review a
GROUP BY a.org_id
ORDER BY 1 NULLS FIRST, 2, 3
$$;
COMMENT ON FUNCTION otan_enbek.status() IS
    'Dashboard for psql: the delivery worker, runs in progress, today''s runs, errors of 7 days, submissions that need attention, unmatched credentials and anomalies';
-- Privileges on the run log, the schedules, the manual runs and the status
-- views.  The administrator gets everything.  An operator runs and
-- schedules steps and reads the run log, and a reader reads the status
-- views.  The steps
-- themselves run with the caller's rights, so an operator's run fails with
-- its error recorded where the role lacks a right, such as reading a file
-- on the server.

GRANT ALL ON otan_enbek.job_run TO otan_enbek_admin;
GRANT SELECT ON otan_enbek.job_run TO otan_enbek_operator;

GRANT SELECT ON otan_enbek.run_today, otan_enbek.recent_error,
    otan_enbek.submission_attention, otan_enbek.progress
    TO otan_enbek_admin, otan_enbek_operator, otan_enbek_reader;
GRANT SELECT ON otan_enbek.anomaly_review TO otan_enbek_admin, otan_enbek_operator;

GRANT EXECUTE ON FUNCTION
    otan_enbek.job_kinds(),
    otan_enbek.progress_slots(),
    otan_enbek.show_schedules(integer)
    TO otan_enbek_admin, otan_enbek_operator, otan_enbek_reader;

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
    otan_enbek.job_step(text, integer, date, date, jsonb),
    otan_enbek.run_job(text, integer, date, date, jsonb, text),
    otan_enbek.run_ingest(integer, text, text),
    otan_enbek.reimport_batch(integer, bigint),
    otan_enbek.run_attendance(integer, date, date),
    otan_enbek.run_timesheet_build(integer, date),
    otan_enbek.run_timesheet_submit(integer, date),
    otan_enbek.resubmit_timesheet(integer, date),
    otan_enbek.cancel_submission(integer, integer),
    otan_enbek.check_cron_schedule(text),
    otan_enbek.require_pg_cron(),
    otan_enbek.schedule_job_name(integer, text),
    otan_enbek.set_schedule(integer, text, text),
    otan_enbek.remove_schedule(integer, text),
    otan_enbek.status()
    TO otan_enbek_admin, otan_enbek_operator;

GRANT EXECUTE ON PROCEDURE otan_enbek.run_scheduled(integer, text) TO otan_enbek_admin;
