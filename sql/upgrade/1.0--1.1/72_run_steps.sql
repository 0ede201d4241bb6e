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
    sheet_id integer;
    sheet otan_enbek.timesheet;
BEGIN
    PERFORM otan_enbek.progress_phase(
        'computing', 'employees',
        (SELECT count(*) FROM otan_enbek.employee e WHERE e.org_id = org));
    -- The build runs once, before the query that reads its row: in a WHERE
    -- clause it would run once per timesheet of the organization, and not
    -- at all for an organization without one.
    sheet_id := otan_enbek.build_timesheet(org, step_timesheet_build.month);
    SELECT * INTO sheet FROM otan_enbek.timesheet t
    WHERE t.org_id = org AND t.timesheet_id = sheet_id;
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

-- Builds a new version of a month and sends it with otan_enbek.resubmit: as
-- a correction when Enbek accepted an earlier version, else in full.  A
-- version that was never submitted is built again in place and sent.
CREATE FUNCTION otan_enbek.step_timesheet_resubmit(org integer, month date) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    old otan_enbek.timesheet := otan_enbek.newest_timesheet(org, month);
    counts jsonb;
    sent record;
BEGIN
    IF old.status = 'submitted' THEN
        RAISE EXCEPTION 'timesheet % of % is still in delivery', old.timesheet_id,
                to_char(old.month, 'YYYY-MM')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Version %s has status submitted: Enbek has not answered yet.', old.version),
                  HINT = format('Wait for the answer, or cancel a submission that was never sent with SELECT * FROM otan_enbek.cancel_submission(%s, %s).',
                                org, old.timesheet_id);
    END IF;
    counts := otan_enbek.step_timesheet_build(org, month);
    SELECT array_agg(r.submission_id ORDER BY r.submission_id) AS ids,
           min(r.kind) AS kind, min(r.corrects_message_id::text) AS corrects_message_id,
           sum(r.employee_count) AS employee_count
      INTO sent
    FROM otan_enbek.resubmit((counts->>'timesheet_id')::bigint) AS r;
    RETURN counts
        || jsonb_build_object('previous_timesheet_id', old.timesheet_id,
                              'previous_status', old.status,
                              'submission_ids', to_jsonb(sent.ids),
                              'kind', sent.kind,
                              'corrects_message_id', sent.corrects_message_id,
                              'sent_employees', sent.employee_count);
END
$$;

-- Cancels the submissions of a timesheet, every part, while none was ever
-- sent, and returns how many it cancelled.  The row locks make the delivery
-- worker skip the parts, or make this wait until the worker has recorded
-- its attempt.  It runs as its owner, because only the owner may update
-- submission rows: an operator has no UPDATE on that table, which keeps
-- the ledger's rows out of its reach.  caller is the calling role, left
-- at its default, and must see the organization.
CREATE FUNCTION otan_enbek.cancel_unsent_submissions(org integer, sheet_id integer,
                                                     caller name DEFAULT current_user)
    RETURNS integer
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    parts text;
    cancelled integer;
BEGIN
    PERFORM otan_enbek.require_org_visible(org, caller);
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
    RETURN cancelled;
END
$$;
COMMENT ON FUNCTION otan_enbek.cancel_unsent_submissions(integer, integer, name) IS
    'Cancels the submissions of a timesheet while none was ever attempted and returns their number; runs as its owner, for a caller (default current_user) that sees the organization';

-- Cancels the submissions of a timesheet, every part, while none was ever
-- sent (cancel_unsent_submissions), then the timesheet.
CREATE FUNCTION otan_enbek.step_submission_cancel(org integer, target jsonb) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    sheet_id integer := (target->>'timesheet_id')::integer;
    cancelled integer;
BEGIN
    cancelled := otan_enbek.cancel_unsent_submissions(org, sheet_id);
    UPDATE otan_enbek.timesheet t SET status = 'cancelled'
    WHERE t.org_id = org AND t.timesheet_id = sheet_id;
    RETURN jsonb_build_object('timesheet_id', sheet_id, 'cancelled', cancelled);
END
$$;

-- Runs the step of one kind.  A new kind gets its branch here, with its
-- row in job_kinds().
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
        WHEN 'pull' THEN otan_enbek.step_pull(org)
        WHEN 'directory_import' THEN otan_enbek.step_directory_import(org, target)
        WHEN 'contract_sync' THEN otan_enbek.step_contract_sync(org)
        WHEN 'directory_push' THEN otan_enbek.push_directory(org)
    END;
END
$$;
