-- Signed submission: the timesheet document (version 1 profile), its
-- XML-DSig signature with the employer's key, and the submission row that
-- the delivery worker sends.

-- Formats a timestamp as ISO 8601 local time with the zone's offset at that
-- moment, for example 2026-12-01T09:00:00+05:00.  Fractions of a second are
-- dropped.
CREATE FUNCTION otan_enbek.iso8601_local(at timestamptz, zone text) RETURNS text
    LANGUAGE sql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT to_char(local_time, 'YYYY-MM-DD"T"HH24:MI:SS')
       || CASE WHEN utc_offset < interval '0' THEN '-' ELSE '+' END
       || to_char(CASE WHEN utc_offset < interval '0' THEN -utc_offset ELSE utc_offset END,
                  'HH24:MI')
FROM (SELECT at AT TIME ZONE zone AS local_time,
             (at AT TIME ZONE zone) - (at AT TIME ZONE 'UTC') AS utc_offset) AS t
$$;
COMMENT ON FUNCTION otan_enbek.iso8601_local(timestamptz, text) IS
    'Formats a timestamp as ISO 8601 local time in the given tz database zone with its UTC offset, to the second';

-- The document of version 1 of the timesheet schema (namespace
-- urn:otan-enbek:timesheet:v1), unsigned.  The text is deterministic: no
-- whitespace between elements, attributes in a fixed order, employees by
-- line number and days by day of the month.  A day whose code is null or
-- empty has no ts:day element; a day without hours has hours="0.00".
--
-- A part of a timesheet sent in several documents gives part_no and
-- part_count (written as ts:timesheet/@part and @parts) and the line
-- numbers of its employees in line_nos.  Everything else is repeated in
-- each part.  The caller passes both part numbers or neither, and a range
-- with at least one line: the function does not check them.
CREATE FUNCTION otan_enbek.timesheet_document_v1(timesheet_id integer, message_id uuid,
        part_no integer DEFAULT NULL, part_count integer DEFAULT NULL,
        line_nos int4range DEFAULT NULL)
    RETURNS xml
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT xmlelement(name "ts:timesheetRequest",
           xmlattributes('urn:otan-enbek:timesheet:v1' AS "xmlns:ts",
                         '1.0' AS "schemaVersion"),
           xmlelement(name "ts:messageId", timesheet_document_v1.message_id),
           xmlelement(name "ts:employer",
               xmlelement(name "ts:bin", o.bin),
               xmlelement(name "ts:name", o.name)),
           xmlelement(name "ts:period", to_char(t.month, 'YYYY-MM')),
           xmlelement(name "ts:timesheet",
               xmlattributes(t.timesheet_id AS id,
                             t.version AS version,
                             otan_enbek.iso8601_local(t.built_at, o.time_zone) AS "builtAt",
                             timesheet_document_v1.part_no AS part,
                             timesheet_document_v1.part_count AS parts)),
           xmlelement(name "ts:workingDays", t.working_days),
           xmlelement(name "ts:normHours", t.norm_hours::numeric(8,2)),
           xmlelement(name "ts:employees",
               xmlattributes(lines.employee_count AS count),
               lines.employees))
FROM otan_enbek.timesheet AS t
JOIN otan_enbek.organization AS o ON o.org_id = t.org_id
CROSS JOIN LATERAL (
    SELECT count(*) AS employee_count,
           xmlagg(xmlelement(name "ts:employee",
                      xmlelement(name "ts:iin", l.iin),
                      CASE WHEN l.contract_id IS NOT NULL
                           THEN xmlelement(name "ts:contractId", l.contract_id) END,
                      xmlelement(name "ts:days", days.day_elements),
                      xmlelement(name "ts:totals",
                          xmlattributes(l.days_worked AS "daysWorked",
                                        l.hours_worked::numeric(9,2) AS "hoursWorked",
                                        l.overtime_hours::numeric(9,2) AS "overtimeHours",
                                        l.night_hours::numeric(9,2) AS "nightHours",
                                        l.holiday_hours::numeric(9,2) AS "holidayHours",
                                        l.days_off AS "daysOff")))
                  ORDER BY l.line_no) AS employees
    FROM otan_enbek.timesheet_line AS l
    CROSS JOIN LATERAL (
        SELECT xmlagg(xmlelement(name "ts:day",
                          xmlattributes(d AS n,
                                        l.day_codes[d] AS code,
                                        coalesce(l.day_hours[d], 0)::numeric(5,2) AS hours))
                      ORDER BY d) AS day_elements
        FROM generate_subscripts(l.day_codes, 1) AS d
        WHERE l.day_codes[d] <> ''
    ) AS days
    WHERE l.org_id = t.org_id
      AND l.timesheet_id = t.timesheet_id
      AND (timesheet_document_v1.line_nos IS NULL
           OR l.line_no <@ timesheet_document_v1.line_nos)
) AS lines
WHERE t.timesheet_id = timesheet_document_v1.timesheet_id
$$;
COMMENT ON FUNCTION otan_enbek.timesheet_document_v1(integer, uuid, integer, integer, int4range) IS
    'Builds the unsigned ts:timesheetRequest document (timesheet schema version 1) of a timesheet with the given message id, or of one part of it: the part number, the number of parts and the line numbers of the part';
REVOKE ALL ON FUNCTION otan_enbek.timesheet_document_v1(integer, uuid, integer, integer, int4range) FROM PUBLIC;

-- Signs a timesheet's document, or one document per part when the request
-- with the whole document would exceed Enbek's limit of 102,400 bytes.  The
-- parts are runs of lines in line_no order: the fewest that fit, cut at
-- department boundaries where that adds no part (src/delivery/split.c).
-- Each document gets a new message id.  request_bytes is the size of the
-- SendMessage request with the current sender settings.
CREATE FUNCTION otan_enbek.sign_timesheet(timesheet_id integer,
        OUT org_id integer, OUT part_no integer, OUT part_count integer,
        OUT first_line_no integer, OUT last_line_no integer,
        OUT employee_count integer, OUT message_id uuid,
        OUT document text, OUT document_sha256 bytea,
        OUT signature_value text, OUT key_fingerprint text,
        OUT certificate_serial text, OUT certificate_not_after timestamptz,
        OUT request_bytes integer)
    RETURNS SETOF record
    LANGUAGE C VOLATILE STRICT
    AS 'MODULE_PATHNAME', 'otan_enbek_sign_timesheet';
COMMENT ON FUNCTION otan_enbek.sign_timesheet(integer) IS
    'Builds the timesheet''s document, or its parts when one request would exceed 100 KB, and signs each with a new message id and the configured key after checking the key; stores nothing';
REVOKE ALL ON FUNCTION otan_enbek.sign_timesheet(integer) FROM PUBLIC;

CREATE FUNCTION otan_enbek.check_signing_key(org_id integer, key_file text DEFAULT NULL,
        OUT subject text, OUT issuer text, OUT bin text, OUT serial text,
        OUT not_before timestamptz, OUT not_after timestamptz,
        OUT key_algorithm text, OUT key_bits integer,
        OUT key_usage text[], OUT extended_key_usage text[],
        OUT fingerprint text, OUT trusted boolean)
    RETURNS record
    LANGUAGE C VOLATILE
    AS 'MODULE_PATHNAME', 'otan_enbek_check_signing_key';
COMMENT ON FUNCTION otan_enbek.check_signing_key(integer, text) IS
    'Checks a PKCS#12 key (default: otan_enbek.signing_key_file) for signing the organization''s documents and describes its certificate; subject leaves out the IIN, trusted is null without otan_enbek.ca_file; superuser only';
REVOKE ALL ON FUNCTION otan_enbek.check_signing_key(integer, text) FROM PUBLIC;

CREATE FUNCTION otan_enbek.verify_document(document text, OUT valid boolean, OUT reason text)
    RETURNS record
    LANGUAGE C VOLATILE STRICT
    AS 'MODULE_PATHNAME', 'otan_enbek_verify_document';
COMMENT ON FUNCTION otan_enbek.verify_document(text) IS
    'Verifies the enveloped XML-DSig signature of a document against the CA certificates in otan_enbek.ca_file; reason says why a signature is not valid';
REVOKE ALL ON FUNCTION otan_enbek.verify_document(text) FROM PUBLIC;

CREATE FUNCTION otan_enbek.build_envelope(message_id text, service_id text,
        message_date timestamptz, sender_id text, sender_password text, document text)
    RETURNS text
    LANGUAGE C STABLE STRICT
    AS 'MODULE_PATHNAME', 'otan_enbek_build_envelope';
COMMENT ON FUNCTION otan_enbek.build_envelope(text, text, timestamptz, text, text, text) IS
    'Builds the SOAP SendMessage envelope around a signed document; the message date is written in the session time zone; superuser only, because the result contains the sender password';
REVOKE ALL ON FUNCTION otan_enbek.build_envelope(text, text, timestamptz, text, text, text) FROM PUBLIC;

-- Signs a built timesheet and queues it for delivery, in the caller's
-- transaction: a submission row with the signed document and its 'created'
-- event for each part, and the timesheet's status 'submitted'.  A timesheet
-- whose request fits in 100 KB is one part; a larger one is split as
-- sign_timesheet describes.  Returns the submission ids in part order.  The
-- row lock on the timesheet makes a concurrent second submission wait and
-- then fail.
--
-- A timesheet is sent only when its month has ended and it was built after
-- that: from attendance_final_at of the month's last day on, every day of
-- the month is final, so every day has its code.
CREATE FUNCTION otan_enbek.submit_timesheet(timesheet_id integer) RETURNS SETOF bigint
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
COMMENT ON FUNCTION otan_enbek.submit_timesheet(integer) IS
    'Signs a built timesheet with the configured key and queues it for delivery to Enbek, in parts when one request would exceed 100 KB; returns one submission_id per part, in part order';
REVOKE ALL ON FUNCTION otan_enbek.submit_timesheet(integer) FROM PUBLIC;
