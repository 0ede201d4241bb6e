-- submit_timesheet reads with the caller's row-level security and calls
-- require_timesheet_access before it reports a missing timesheet, so that
-- an operator who passes the id of a timesheet of an organization it may
-- not see gets "permission denied for timesheet" instead of "does not
-- exist".

CREATE OR REPLACE FUNCTION otan_enbek.submit_timesheet(timesheet_id integer) RETURNS SETOF bigint
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    sheet otan_enbek.timesheet;
    sheet_count bigint;
    service text := current_setting('otan_enbek.service_id');
    zone text;
    month_last_day date;
    final_at timestamptz;
BEGIN
    IF submit_timesheet.timesheet_id IS NULL THEN
        RAISE EXCEPTION 'timesheet_id is NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the id that otan_enbek.build_timesheet returned, or a timesheet_id of otan_enbek.timesheet with status built.';
    END IF;
    PERFORM FROM otan_enbek.timesheet AS t
    WHERE t.timesheet_id = submit_timesheet.timesheet_id
    FOR UPDATE;
    GET DIAGNOSTICS sheet_count = ROW_COUNT;
    IF sheet_count = 0 THEN
        PERFORM otan_enbek.require_timesheet_access(submit_timesheet.timesheet_id);
        RAISE EXCEPTION 'timesheet % does not exist', submit_timesheet.timesheet_id
            USING ERRCODE = 'no_data_found',
                  HINT = 'Pass the id that otan_enbek.build_timesheet returned, or a timesheet_id of otan_enbek.timesheet with status built.';
    ELSIF sheet_count > 1 THEN
        RAISE EXCEPTION 'timesheet id % belongs to more than one organization',
                submit_timesheet.timesheet_id
            USING ERRCODE = 'cardinality_violation',
                  HINT = 'Pass a timesheet id that is unique across organizations.';
    END IF;
    SELECT * INTO sheet FROM otan_enbek.timesheet AS t
    WHERE t.timesheet_id = submit_timesheet.timesheet_id;

    IF sheet.status = 'superseded' THEN
        RAISE EXCEPTION 'timesheet % has been superseded by a newer version', sheet.timesheet_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Version %s of the timesheet for %s is superseded.',
                                  sheet.version, to_char(sheet.month, 'YYYY-MM')),
                  HINT = 'Submit the newest version of the timesheet for this month.';
    ELSIF sheet.status <> 'built' THEN
        RAISE EXCEPTION 'timesheet % has already been submitted', sheet.timesheet_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Its status is %s. Each version of a timesheet is submitted once, so that Enbek never receives two different documents for it.',
                                  sheet.status),
                  HINT = 'Build a new version of the timesheet for this month and submit that version.';
    END IF;

    SELECT o.time_zone INTO zone FROM otan_enbek.organization AS o WHERE o.org_id = sheet.org_id;
    month_last_day := (sheet.month + interval '1 month - 1 day')::date;
    final_at := otan_enbek.attendance_final_at(sheet.org_id, month_last_day);
    IF final_at > now() THEN
        RAISE EXCEPTION 'timesheet % is for %, a month that has not ended yet',
                sheet.timesheet_id, to_char(sheet.month, 'YYYY-MM')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('The attendance of its last day, %s, is final from %s on. Until then some days of the timesheet have no code.',
                                  to_char(month_last_day, 'YYYY-MM-DD'),
                                  otan_enbek.iso8601_local(final_at, zone)),
                  HINT = format('Submit the timesheet from %s on: build it again then, so that every day is final, and submit that build.',
                                otan_enbek.iso8601_local(final_at, zone));
    ELSIF sheet.built_at < final_at THEN
        RAISE EXCEPTION 'timesheet % was built before its month % ended',
                sheet.timesheet_id, to_char(sheet.month, 'YYYY-MM')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('It was built at %s, but the attendance of the month''s last day, %s, is final only from %s on, so some days of the timesheet have no code.',
                                  otan_enbek.iso8601_local(sheet.built_at, zone),
                                  to_char(month_last_day, 'YYYY-MM-DD'),
                                  otan_enbek.iso8601_local(final_at, zone)),
                  HINT = 'Build the timesheet again with otan_enbek.build_timesheet and submit that build.';
    END IF;
    IF NOT EXISTS (SELECT FROM otan_enbek.timesheet_line AS l
                   WHERE l.org_id = sheet.org_id AND l.timesheet_id = sheet.timesheet_id) THEN
        RAISE EXCEPTION 'timesheet % has no lines', sheet.timesheet_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'A timesheet without employees is not sent to Enbek.',
                  HINT = 'Check the employees of the organization and build the timesheet again.';
    END IF;
    IF coalesce(service, '') = '' THEN
        RAISE EXCEPTION 'no Enbek service id is configured'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The setting otan_enbek.service_id is empty.',
                  HINT = 'Set otan_enbek.service_id in postgresql.conf, for example to OTAN_TIMESHEET_V1, and reload the configuration.';
    END IF;

    RETURN QUERY
    WITH signed AS MATERIALIZED (
        SELECT * FROM otan_enbek.sign_timesheet(sheet.timesheet_id)
    ), created AS (
        INSERT INTO otan_enbek.submission AS s
            (org_id, timesheet_id, part_no, part_count, message_id, service_id, document,
             document_sha256, signature_value, key_fingerprint, certificate_serial,
             certificate_not_after)
        SELECT sheet.org_id, sheet.timesheet_id, g.part_no, g.part_count, g.message_id,
               service, g.document, g.document_sha256, g.signature_value,
               g.key_fingerprint, g.certificate_serial, g.certificate_not_after
        FROM signed AS g
        ORDER BY g.part_no
        RETURNING s.org_id, s.submission_id, s.part_no
    ), created_event AS (
        INSERT INTO otan_enbek.submission_event (org_id, submission_id, event_no, kind, detail)
        SELECT c.org_id, c.submission_id, 1, 'created',
               jsonb_build_object('message_id', g.message_id,
                                  'timesheet_version', sheet.version,
                                  'part_no', g.part_no,
                                  'part_count', g.part_count,
                                  'first_line_no', g.first_line_no,
                                  'last_line_no', g.last_line_no,
                                  'employee_count', g.employee_count,
                                  'key_fingerprint', g.key_fingerprint,
                                  'document_bytes', octet_length(g.document),
                                  'request_bytes', g.request_bytes)
        FROM created AS c
        JOIN signed AS g ON g.part_no = c.part_no
    )
    SELECT c.submission_id FROM created AS c ORDER BY c.part_no;

    UPDATE otan_enbek.timesheet AS t SET status = 'submitted'
    WHERE t.org_id = sheet.org_id AND t.timesheet_id = sheet.timesheet_id;

    -- Wakes the delivery worker when this transaction commits, so that the
    -- queued submissions are sent at once.  Raises an error when otan_enbek
    -- is not preloaded, because no worker would ever send them.
    PERFORM otan_enbek.wake_delivery();
END
$$;
