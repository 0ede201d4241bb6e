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
        RAISE EXCEPTION 'unknown job kind "%"',
                CASE WHEN length(kind) > 64 THEN left(kind, 64) || '...' ELSE kind END
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'List the kinds with SELECT * FROM otan_enbek.job_kinds().';
    END IF;
    -- A step of a month would otherwise fail later with a message about a
    -- null month, such as a timesheet "for <NULL>" that does not exist.
    IF first_day IS NULL
       AND kind IN ('attendance', 'timesheet_build', 'timesheet_submit', 'timesheet_resubmit') THEN
        RAISE EXCEPTION 'the month of the % run must not be null', kind
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Give a date in the month, such as date_trunc(''month'', now())::date.';
    END IF;
    -- The step reads with the caller's row-level security, so it would
    -- report another organization's rows as missing.
    IF org IS NOT NULL THEN
        PERFORM otan_enbek.require_org_visible(org);
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
    'Builds a new version of a month, submits it as a correction when Enbek accepted an earlier version and in full otherwise, and records the run in job_run';

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

CREATE FUNCTION otan_enbek.run_pull(org integer)
    RETURNS otan_enbek.job_run
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT * FROM otan_enbek.run_job('pull', $1, NULL, NULL)
$$;
COMMENT ON FUNCTION otan_enbek.run_pull(integer) IS
    'Pulls the due sources of the organization (drop folders, Hikvision devices, REST services) and records the run in job_run; the files move to done/ or failed/ when the caller''s transaction commits';

-- The command of the pg_cron jobs that set_schedule creates.  The period
-- follows from the day the job runs, in the organization's time zone:
-- attendance covers the first day of yesterday's month to today, the
-- timesheet kinds take the month before the current one, and a pull, a
-- contract sync and a directory push have no period.  A procedure
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
    ELSIF kind IN ('pull', 'contract_sync', 'directory_push') THEN
        first_day := NULL;
        last_day := NULL;
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
