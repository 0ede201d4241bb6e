-- Delivery profiles: how the submissions of an organization leave the
-- database.  The profile is chosen per organization in org_delivery and
-- copied into each submission when it is created, so a later change of the
-- choice never re-routes a submission that exists.
--   soap  SendMessage to otan_enbek.enbek_url with the body signed in a
--         WS-Security header (the default)
--   file  the signed document and a manifest written to a directory of the
--         database server for manual upload in the employer's cabinet; the
--         submission waits in status written until an operator records the
--         cabinet's answer with record_cabinet_answer
-- The delivery worker finds each profile's functions by name
-- (src/delivery/profile.c).  The README section "Adding a delivery profile"
-- lists what a new profile needs.

CREATE TABLE otan_enbek.org_delivery (
    org_id          integer PRIMARY KEY REFERENCES otan_enbek.organization ON DELETE CASCADE,
    profile         text NOT NULL DEFAULT 'soap' CHECK (profile IN ('soap', 'file')),
    service_id      text CHECK (service_id <> ''),
    sender_id       text CHECK (sender_id <> ''),
    file_dir        text
                    CHECK (file_dir ~ '^/' AND file_dir !~ '/$' AND octet_length(file_dir) < 900),
    CHECK (profile <> 'file' OR file_dir IS NOT NULL)
);
COMMENT ON TABLE otan_enbek.org_delivery IS
    'Delivery settings of an organization; an organization without a row uses the profile soap and the server settings';
COMMENT ON COLUMN otan_enbek.org_delivery.profile IS
    'soap: SendMessage to otan_enbek.enbek_url; file: the signed document and a manifest written to file_dir for manual upload in the employer''s cabinet';
COMMENT ON COLUMN otan_enbek.org_delivery.service_id IS
    'serviceId of the organization''s timesheets; NULL uses otan_enbek.service_id';
COMMENT ON COLUMN otan_enbek.org_delivery.sender_id IS
    'senderId of the organization''s requests; NULL uses otan_enbek.sender_id.  The password is always otan_enbek.sender_password';
COMMENT ON COLUMN otan_enbek.org_delivery.file_dir IS
    'Absolute path of the directory on the database server that the profile file writes to; only a superuser or a member of pg_write_server_files may set it';
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.org_delivery', '');

-- file_dir names a server directory that the delivery worker, running as
-- the server's operating system user, writes to.  otan_enbek_admin has the
-- whole table, so this trigger rejects a new file_dir from every role that
-- is neither a superuser nor a member of pg_write_server_files.
CREATE FUNCTION otan_enbek.org_delivery_check_file_dir() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.file_dir IS NOT DISTINCT FROM OLD.file_dir THEN
        RETURN NEW;
    ELSIF TG_OP = 'INSERT' AND NEW.file_dir IS NULL THEN
        RETURN NEW;
    END IF;
    IF NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user)
       AND NOT pg_has_role(current_user, 'pg_write_server_files', 'MEMBER') THEN
        RAISE EXCEPTION 'permission denied to set the file directory of organization %', NEW.org_id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Role "%s" is neither a superuser nor a member of pg_write_server_files, and file_dir names a directory on the database server.',
                                  current_user),
                  HINT = 'Ask a superuser to set otan_enbek.org_delivery.file_dir.';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER org_delivery_check_file_dir
    BEFORE INSERT OR UPDATE OF file_dir ON otan_enbek.org_delivery
    FOR EACH ROW EXECUTE FUNCTION otan_enbek.org_delivery_check_file_dir();

ALTER TABLE otan_enbek.submission
    DROP CONSTRAINT submission_profile_check,
    ADD CONSTRAINT submission_profile_check CHECK (profile IN ('soap', 'file'));
COMMENT ON COLUMN otan_enbek.submission.profile IS
    'Delivery profile, copied from org_delivery when the submission is created: soap or file';

-- Copies the organization's profile and service id into a new submission.
-- submit_timesheet inserts the row with otan_enbek.service_id.
CREATE FUNCTION otan_enbek.submission_apply_profile() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    settings otan_enbek.org_delivery;
BEGIN
    SELECT * INTO settings FROM otan_enbek.org_delivery AS d WHERE d.org_id = NEW.org_id;
    IF FOUND THEN
        NEW.profile := settings.profile;
        NEW.service_id := coalesce(settings.service_id, NEW.service_id);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER submission_apply_profile
    BEFORE INSERT ON otan_enbek.submission
    FOR EACH ROW EXECUTE FUNCTION otan_enbek.submission_apply_profile();

-- Claims up to p_batch_size due submissions of the given profiles (NULL:
-- every profile) for the worker: queued ones are sent, sent ones get a
-- status query with a fresh message id.  Each is marked sending and gets an
-- attempt or status_query event.  failures is the number of transient
-- failures in a row so far, read from the last retry_scheduled event unless
-- a response (an answer event) came after it.  Sends and status queries
-- take turns, each kind oldest first, so that a backlog of sends cannot
-- hold back the status queries of the timesheets already sent, nor the
-- reverse.  Up to p_batch_size rows of each kind are locked for the length
-- of the claim.
CREATE FUNCTION otan_enbek.delivery_claim(p_batch_size integer, p_profiles text[])
    RETURNS TABLE (org_id integer, submission_id bigint, request text,
                   message_id uuid, request_id uuid, service_id text,
                   document text, created_at timestamptz, attempts integer,
                   failures integer)
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
WITH due_send AS (
    SELECT s.org_id, s.submission_id, s.next_attempt_at
    FROM otan_enbek.submission AS s
    WHERE s.status = 'queued' AND s.next_attempt_at <= now()
      AND (p_profiles IS NULL OR s.profile = ANY (p_profiles))
    ORDER BY s.next_attempt_at, s.org_id, s.submission_id
    LIMIT p_batch_size
    FOR UPDATE SKIP LOCKED
), due_status AS (
    SELECT s.org_id, s.submission_id, s.next_attempt_at
    FROM otan_enbek.submission AS s
    WHERE s.status = 'sent' AND s.next_attempt_at <= now()
      AND (p_profiles IS NULL OR s.profile = ANY (p_profiles))
    ORDER BY s.next_attempt_at, s.org_id, s.submission_id
    LIMIT p_batch_size
    FOR UPDATE SKIP LOCKED
), due AS (
    SELECT t.org_id, t.submission_id, t.request, gen_random_uuid() AS query_id
    FROM (SELECT d.org_id, d.submission_id, 'send' AS request,
                 row_number() OVER (ORDER BY d.next_attempt_at, d.org_id,
                                             d.submission_id) AS turn
          FROM due_send AS d
          UNION ALL
          SELECT d.org_id, d.submission_id, 'status',
                 row_number() OVER (ORDER BY d.next_attempt_at, d.org_id,
                                             d.submission_id)
          FROM due_status AS d) AS t
    ORDER BY t.turn, t.request
    LIMIT p_batch_size
), claimed AS (
    UPDATE otan_enbek.submission AS s
    SET status = 'sending',
        attempts = s.attempts + CASE d.request WHEN 'send' THEN 1 ELSE 0 END,
        last_attempt_at = CASE d.request WHEN 'send' THEN now() ELSE s.last_attempt_at END
    FROM due AS d
    WHERE s.org_id = d.org_id AND s.submission_id = d.submission_id
    RETURNING s.org_id, s.submission_id, d.request, s.message_id,
              CASE d.request WHEN 'send' THEN s.message_id ELSE d.query_id END AS request_id,
              s.service_id, s.document, s.created_at, s.attempts
), history AS (
    SELECT c.org_id, c.submission_id,
           (SELECT max(e.event_no) FROM otan_enbek.submission_event AS e
            WHERE e.org_id = c.org_id AND e.submission_id = c.submission_id) AS last_event_no,
           (SELECT CASE e.kind WHEN 'retry_scheduled'
                   THEN coalesce((e.detail->>'failures')::integer, 0) ELSE 0 END
            FROM otan_enbek.submission_event AS e
            WHERE e.org_id = c.org_id AND e.submission_id = c.submission_id
              AND e.kind IN ('retry_scheduled', 'answer')
            ORDER BY e.event_no DESC LIMIT 1) AS failures
    FROM claimed AS c
), events AS (
    INSERT INTO otan_enbek.submission_event
        (org_id, submission_id, event_no, kind, attempt, detail)
    SELECT c.org_id, c.submission_id, coalesce(h.last_event_no, 0) + 1,
           CASE c.request WHEN 'send' THEN 'attempt' ELSE 'status_query' END,
           c.attempts,
           jsonb_build_object('request', c.request, 'request_message_id', c.request_id)
    FROM claimed AS c
    JOIN history AS h USING (org_id, submission_id)
)
SELECT c.org_id, c.submission_id, c.request, c.message_id, c.request_id,
       c.service_id, CASE c.request WHEN 'send' THEN c.document END,
       c.created_at, c.attempts, coalesce(h.failures, 0)
FROM claimed AS c
JOIN history AS h USING (org_id, submission_id)
ORDER BY c.org_id, c.submission_id
$$;

-- The claim of every profile, as in version 1.0.
CREATE OR REPLACE FUNCTION otan_enbek.delivery_claim(p_batch_size integer)
    RETURNS TABLE (org_id integer, submission_id bigint, request text,
                   message_id uuid, request_id uuid, service_id text,
                   document text, created_at timestamptz, attempts integer,
                   failures integer)
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT * FROM otan_enbek.delivery_claim(p_batch_size, NULL)
$$;

-- When the next submission of the given profiles (NULL: every profile) in
-- delivery is due, or NULL when none is.
CREATE FUNCTION otan_enbek.delivery_next_due(p_profiles text[]) RETURNS timestamptz
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT min(next_attempt_at) FROM otan_enbek.submission
WHERE status IN ('queued', 'sent')
  AND (p_profiles IS NULL OR profile = ANY (p_profiles))
$$;

-- Sets a timesheet's status from the statuses of its submissions, one per
-- part.  It is returned as soon as a part is returned (the reasons stay on
-- that part's submission), else failed as soon as a part failed.  Else it
-- is submitted while a part is still in delivery or written for manual
-- upload, and accepted when every part is.  A superseded timesheet keeps
-- its status.  Returns the timesheet's status.
CREATE OR REPLACE FUNCTION otan_enbek.delivery_update_timesheet(
    p_org_id integer, p_timesheet_id integer)
    RETURNS text
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
WITH parts AS (
    SELECT CASE
               WHEN bool_or(s.status = 'returned') THEN 'returned'
               WHEN bool_or(s.status = 'failed') THEN 'failed'
               WHEN bool_or(s.status IN ('queued', 'sending', 'sent', 'written')) THEN 'submitted'
               ELSE 'accepted'
           END AS status
    FROM otan_enbek.submission AS s
    WHERE s.org_id = p_org_id AND s.timesheet_id = p_timesheet_id
    HAVING count(*) > 0
), updated AS (
    UPDATE otan_enbek.timesheet AS t
    SET status = p.status
    FROM parts AS p
    WHERE t.org_id = p_org_id AND t.timesheet_id = p_timesheet_id
      AND t.status <> 'superseded'
    RETURNING t.status
)
SELECT coalesce((SELECT status FROM updated),
                (SELECT t.status FROM otan_enbek.timesheet AS t
                 WHERE t.org_id = p_org_id AND t.timesheet_id = p_timesheet_id))
$$;

-- What a profile needs to deliver a claimed submission beyond the claim:
-- the organization's sender id and file directory, and the facts that the
-- manifest of the profile file names.  sender_id is NULL when neither the
-- organization nor otan_enbek.sender_id sets one.
CREATE FUNCTION otan_enbek.delivery_target(p_org_id integer, p_submission_id bigint,
        OUT profile text, OUT sender_id text, OUT file_dir text, OUT bin text,
        OUT period text, OUT timesheet_id integer, OUT part_no integer,
        OUT part_count integer, OUT document_sha256 text)
    RETURNS record
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT s.profile,
       coalesce(d.sender_id, nullif(current_setting('otan_enbek.sender_id', true), '')),
       d.file_dir, o.bin, to_char(t.month, 'YYYY-MM'), s.timesheet_id,
       s.part_no, s.part_count, encode(s.document_sha256, 'hex')
FROM otan_enbek.submission AS s
JOIN otan_enbek.organization AS o ON o.org_id = s.org_id
JOIN otan_enbek.timesheet AS t ON t.org_id = s.org_id AND t.timesheet_id = s.timesheet_id
LEFT JOIN otan_enbek.org_delivery AS d ON d.org_id = s.org_id
WHERE s.org_id = p_org_id AND s.submission_id = p_submission_id
$$;

-- Records that the profile file wrote a claimed submission's document and
-- manifest: status written, response_code WRITTEN, and a written event
-- with the file names and the digest.  Its detail already_present is true
-- when both files were there with the same content, written by an attempt
-- that stopped before recording it.  Returns the new status.
CREATE FUNCTION otan_enbek.delivery_record_written(
    p_org_id integer, p_submission_id bigint, p_message text, p_duration_ms integer,
    p_detail jsonb)
    RETURNS text
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    s otan_enbek.submission;
BEGIN
    SELECT * INTO s FROM otan_enbek.submission
    WHERE org_id = p_org_id AND submission_id = p_submission_id
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'submission % of organization % not found', p_submission_id, p_org_id
            USING ERRCODE = 'no_data_found';
    ELSIF s.status <> 'sending' THEN
        RAISE EXCEPTION 'submission % is not being delivered', p_submission_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Its status is %s; only the worker that claimed it records that it was written.', s.status);
    END IF;
    UPDATE otan_enbek.submission
    SET status = 'written', response_code = 'WRITTEN', response_message = p_message,
        next_attempt_at = now()
    WHERE org_id = p_org_id AND submission_id = p_submission_id;
    PERFORM otan_enbek.submission_add_event(p_org_id, p_submission_id, 'written',
        s.attempts, p_code => 'WRITTEN', p_message => p_message,
        p_duration_ms => p_duration_ms, p_detail => p_detail);
    PERFORM otan_enbek.delivery_update_timesheet(p_org_id, s.timesheet_id);
    RETURN 'written';
END
$$;

-- Records the answer of the employer's cabinet to a document of the profile
-- file that an operator uploaded by hand: accepted, or returned with
-- reasons, each a JSON object {"code": ..., "message": ..., "iin": ...}.
-- Each reason needs a code, and its iin, when present, must be a valid
-- IIN.  The submission becomes final as if Enbek had answered over SOAP: an
-- answer event, the reasons linked to the employees by IIN, the final
-- event, the timesheet's status and the notification.
CREATE FUNCTION otan_enbek.record_cabinet_answer(
    org_id integer, submission_id bigint, outcome text, message text DEFAULT NULL,
    reasons jsonb DEFAULT NULL, caller name DEFAULT current_user)
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    s otan_enbek.submission;
    code text := CASE outcome WHEN 'accepted' THEN 'CABINET_ACCEPTED'
                              WHEN 'returned' THEN 'CABINET_RETURNED' END;
    reason jsonb;
    reason_no bigint;
    iin_error text;
    iin_problem text;
BEGIN
    PERFORM otan_enbek.require_org_visible(record_cabinet_answer.org_id, caller);
    IF code IS NULL THEN
        RAISE EXCEPTION 'invalid cabinet answer "%"', coalesce(left(outcome, 40), 'NULL')
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Pass accepted or returned, as the employer''s cabinet shows the document.';
    END IF;
    IF outcome = 'returned' AND (reasons IS NULL OR jsonb_typeof(reasons) <> 'array'
                                 OR jsonb_array_length(reasons) = 0) THEN
        RAISE EXCEPTION 'a returned document needs its reasons'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'reasons must be a non-empty JSON array of objects with code, message and iin.',
                  HINT = 'Copy each reason the cabinet shows, for example [{"code": "SCSE012", "message": "...", "iin": "..."}].';
    END IF;
    -- The errors below name the reason by its position in the array.  They
    -- carry the schema name, so that the server log hides the statement,
    -- whose reasons may contain IINs.  The IIN error quotes the value
    -- masked, as iin_check does.
    FOR reason, reason_no IN
        SELECT r.value, r.ordinality
        FROM jsonb_array_elements(CASE WHEN outcome = 'returned' THEN reasons END)
             WITH ORDINALITY AS r
    LOOP
        IF jsonb_typeof(reason) <> 'object' THEN
            RAISE EXCEPTION 'reason % of the cabinet answer is not a JSON object', reason_no
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = format('It is a JSON %s.', jsonb_typeof(reason)),
                      HINT = 'Pass each reason as an object, for example {"code": "SCSE012", "message": "...", "iin": "..."}.',
                      SCHEMA = 'otan_enbek';
        END IF;
        IF coalesce(btrim(reason->>'code'), '') = '' THEN
            RAISE EXCEPTION 'reason % of the cabinet answer has no code', reason_no
                USING ERRCODE = 'null_value_not_allowed',
                      DETAIL = 'The key "code" is missing, null or empty.',
                      HINT = 'Copy the code that the employer''s cabinet shows for this reason, for example SCSE012.',
                      SCHEMA = 'otan_enbek';
        END IF;
        IF reason->>'iin' IS NOT NULL THEN
            BEGIN
                PERFORM otan_enbek.iin_check(reason->>'iin');
            EXCEPTION WHEN check_violation THEN
                GET STACKED DIAGNOSTICS iin_error = MESSAGE_TEXT,
                                        iin_problem = PG_EXCEPTION_DETAIL;
                RAISE EXCEPTION '% in reason % of the cabinet answer', iin_error, reason_no
                    USING ERRCODE = 'invalid_parameter_value',
                          DETAIL = iin_problem,
                          HINT = 'Copy the IIN of this reason again from the employer''s cabinet, or leave out "iin" when the reason names no employee. The IIN is shown with its first six or more characters hidden, because they may contain the birth date.',
                          SCHEMA = 'otan_enbek',
                          DATATYPE = 'iin';
            END;
        END IF;
    END LOOP;

    SELECT * INTO s FROM otan_enbek.submission AS sub
    WHERE sub.org_id = record_cabinet_answer.org_id
      AND sub.submission_id = record_cabinet_answer.submission_id
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'submission % of organization % not found',
                coalesce(record_cabinet_answer.submission_id::text, 'NULL'),
                record_cabinet_answer.org_id
            USING ERRCODE = 'no_data_found',
                  HINT = 'Pass the org_id and submission_id of a row of otan_enbek.submission with status written.';
    ELSIF s.status <> 'written' THEN
        RAISE EXCEPTION 'submission % is not waiting for the cabinet''s answer', s.submission_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Its profile is %s and its status is %s. Only a submission of the profile file in status written is uploaded by hand.',
                                  s.profile, s.status),
                  HINT = 'Read the status in otan_enbek.submission_overview.';
    END IF;

    PERFORM otan_enbek.submission_add_event(s.org_id, s.submission_id, 'answer',
        s.attempts, p_code => code, p_message => message,
        p_detail => jsonb_build_object('source', 'cabinet', 'recorded_by', caller));
    UPDATE otan_enbek.submission AS sub
    SET status = outcome, response_code = code, response_message = message,
        finished_at = now()
    WHERE sub.org_id = s.org_id AND sub.submission_id = s.submission_id;
    IF outcome = 'returned' THEN
        INSERT INTO otan_enbek.submission_reason
            (org_id, submission_id, reason_no, code, message, iin, employee_id)
        SELECT s.org_id, s.submission_id, r.ord, r.code, r.message, r.iin, l.employee_id
        FROM ROWS FROM (jsonb_to_recordset(reasons) AS (code text, message text, iin text))
             WITH ORDINALITY AS r (code, message, iin, ord)
        LEFT JOIN otan_enbek.timesheet_line AS l
               ON l.org_id = s.org_id AND l.timesheet_id = s.timesheet_id AND l.iin = r.iin;
    END IF;
    PERFORM otan_enbek.submission_add_event(s.org_id, s.submission_id, outcome,
        s.attempts, p_code => code, p_message => message);
    PERFORM otan_enbek.delivery_update_timesheet(s.org_id, s.timesheet_id);
    PERFORM otan_enbek.delivery_notify(s.org_id, s.submission_id, 'submission_' || outcome);
    RETURN outcome;
END
$$;
COMMENT ON FUNCTION otan_enbek.record_cabinet_answer(integer, bigint, text, text, jsonb, name) IS
    'Records the employer cabinet''s answer to a document of the profile file uploaded by hand: accepted, or returned with reasons as a JSON array of {code, message, iin}; the submission must be in status written';

CREATE FUNCTION otan_enbek.sign_envelope(envelope text) RETURNS text
    LANGUAGE C VOLATILE STRICT
    AS 'MODULE_PATHNAME', 'otan_enbek_sign_envelope';
COMMENT ON FUNCTION otan_enbek.sign_envelope(text) IS
    'Signs the soap:Body of an envelope of build_envelope in a WS-Security header with the key of otan_enbek.signing_key_file, as the delivery worker does with the built-in signer; rejects the external signer, whose certificate needs an organization to be checked for; superuser only, because the envelope contains the sender password';

REVOKE ALL ON FUNCTION
    otan_enbek.sign_envelope(text),
    otan_enbek.delivery_claim(integer, text[]),
    otan_enbek.delivery_next_due(text[]),
    otan_enbek.delivery_target(integer, bigint),
    otan_enbek.delivery_record_written(integer, bigint, text, integer, jsonb)
    FROM PUBLIC;
GRANT SELECT ON otan_enbek.org_delivery TO otan_enbek_operator;
GRANT EXECUTE ON FUNCTION
    otan_enbek.record_cabinet_answer(integer, bigint, text, text, jsonb, name)
    TO otan_enbek_operator, otan_enbek_admin;
