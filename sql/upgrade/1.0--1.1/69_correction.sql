-- Corrections of an accepted timesheet.  Once Enbek accepted a version of a
-- month, a later version is sent as a correction document
-- (ts:timesheetCorrection, schema version 1.1 of the namespace
-- urn:otan-enbek:timesheet:v1).  It names the accepted document by its
-- message id and carries only the employees whose line in the document
-- differs: added, changed (the whole new line) or removed.  A month
-- without an accepted version is sent as a full document, as
-- submit_timesheet does.

ALTER TABLE otan_enbek.submission
    ADD COLUMN document_kind text NOT NULL DEFAULT 'full'
        CHECK (document_kind IN ('full', 'correction')),
    ADD COLUMN corrects_submission_id bigint,
    ADD CONSTRAINT submission_corrects_fkey FOREIGN KEY (org_id, corrects_submission_id)
        REFERENCES otan_enbek.submission (org_id, submission_id),
    ADD CONSTRAINT submission_correction_reference
        CHECK ((document_kind = 'correction') = (corrects_submission_id IS NOT NULL));
COMMENT ON COLUMN otan_enbek.submission.document_kind IS
    'full: a ts:timesheetRequest with every line of the version (or of its part); correction: a ts:timesheetCorrection with the lines that changed since the accepted document it corrects';
COMMENT ON COLUMN otan_enbek.submission.corrects_submission_id IS
    'For a correction, the accepted submission whose message id the document names in ts:corrects; NULL for a full document';

-- submission_guard (60_delivery.sql) keeps the columns of 1.0 unchanged,
-- and this guard does the same for the columns added here.
CREATE FUNCTION otan_enbek.submission_kind_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF (NEW.document_kind, NEW.corrects_submission_id)
       IS DISTINCT FROM (OLD.document_kind, OLD.corrects_submission_id) THEN
        RAISE EXCEPTION 'the kind and reference of submission % cannot be changed',
                OLD.submission_id
            USING ERRCODE = 'integrity_constraint_violation',
                  DETAIL = 'They describe the signed document, which never changes.',
                  HINT = 'Build a new timesheet version and submit it with otan_enbek.resubmit.';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER submission_kind_immutable
    BEFORE UPDATE ON otan_enbek.submission
    FOR EACH ROW EXECUTE FUNCTION otan_enbek.submission_kind_guard();

-- The ts:employee element of a line, as timesheet_document_v1 writes it,
-- with the attribute change="added" or "changed" when change is not NULL.
-- Two lines are the same in a document exactly when these elements are
-- the same text, which is how corrections find the changed lines.
CREATE FUNCTION otan_enbek.timesheet_employee_element(line otan_enbek.timesheet_line,
        change text DEFAULT NULL)
    RETURNS xml
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT xmlelement(name "ts:employee",
           xmlattributes(change AS change),
           xmlelement(name "ts:iin", (line).iin),
           CASE WHEN (line).contract_id IS NOT NULL
                THEN xmlelement(name "ts:contractId", (line).contract_id) END,
           xmlelement(name "ts:days",
               (SELECT xmlagg(xmlelement(name "ts:day",
                                  xmlattributes(d AS n,
                                                (line).day_codes[d] AS code,
                                                coalesce((line).day_hours[d], 0)::numeric(5,2)
                                                    AS hours))
                              ORDER BY d)
                FROM generate_subscripts((line).day_codes, 1) AS d
                WHERE (line).day_codes[d] <> '')),
           xmlelement(name "ts:totals",
               xmlattributes((line).days_worked AS "daysWorked",
                             (line).hours_worked::numeric(9,2) AS "hoursWorked",
                             (line).overtime_hours::numeric(9,2) AS "overtimeHours",
                             (line).night_hours::numeric(9,2) AS "nightHours",
                             (line).holiday_hours::numeric(9,2) AS "holidayHours",
                             (line).days_off AS "daysOff")))
$$;
COMMENT ON FUNCTION otan_enbek.timesheet_employee_element(otan_enbek.timesheet_line, text) IS
    'Builds the ts:employee element of a timesheet line as the documents carry it, with change="added" or "changed" in a correction';

-- The accepted version that a correction of a timesheet refers to: the
-- newest earlier version of the same organization and month of which Enbek
-- accepted any part, when Enbek accepted every part of it, and the
-- submission of its first part, whose message id the correction names.
-- No row when the month has no accepted version.  No row either when Enbek
-- accepted only some parts of that newest version, because Enbek's copy is
-- then those parts applied over the version before.  No version here
-- describes that state, so the next version goes in full and replaces it.
CREATE FUNCTION otan_enbek.correction_base(org integer, timesheet_id integer,
        OUT base_timesheet_id integer, OUT base_version integer,
        OUT base_submission_id bigint, OUT base_message_id uuid)
    RETURNS SETOF record
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT b.timesheet_id, b.version, s.submission_id, s.message_id
FROM (SELECT b.org_id, b.timesheet_id, b.version, b.status
      FROM otan_enbek.timesheet AS t
      JOIN otan_enbek.timesheet AS b
        ON b.org_id = t.org_id AND b.month = t.month AND b.version < t.version
      WHERE t.org_id = correction_base.org
        AND t.timesheet_id = correction_base.timesheet_id
        AND EXISTS (SELECT FROM otan_enbek.submission AS a
                    WHERE a.org_id = b.org_id AND a.timesheet_id = b.timesheet_id
                      AND a.status = 'accepted')
      ORDER BY b.version DESC
      LIMIT 1) AS b
JOIN otan_enbek.submission AS s
  ON s.org_id = b.org_id AND s.timesheet_id = b.timesheet_id AND s.part_no = 1
WHERE b.status = 'accepted'
$$;
COMMENT ON FUNCTION otan_enbek.correction_base(integer, integer) IS
    'Returns the newest earlier version of the timesheet''s month that Enbek accepted, and the submission whose message id a correction names; no row when no version was accepted, or when Enbek accepted only some parts of the newest version it accepted any part of';

-- The employees whose ts:employee element differs between two versions,
-- matched by IIN, as the documents identify employees: added (only in the
-- new version), changed, or removed (only in the base).  Added and changed
-- lines come first in the new version's line order, then the removed ones
-- in the base's line order; change_no numbers them in that order from 1.
-- line_no, employee_id and department are those of the new version, and of
-- the base for a removed employee.
CREATE FUNCTION otan_enbek.timesheet_changes(org integer, base_timesheet_id integer,
        timesheet_id integer)
    RETURNS TABLE (iin text, employee_id integer, line_no integer, change text,
                   department text, change_no integer)
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
WITH base AS (
    SELECT l.iin, l.employee_id, l.line_no, l.department,
           otan_enbek.timesheet_employee_element(l)::text AS element
    FROM otan_enbek.timesheet_line AS l
    WHERE l.org_id = timesheet_changes.org
      AND l.timesheet_id = timesheet_changes.base_timesheet_id
), new AS (
    SELECT l.iin, l.employee_id, l.line_no, l.department,
           otan_enbek.timesheet_employee_element(l)::text AS element
    FROM otan_enbek.timesheet_line AS l
    WHERE l.org_id = timesheet_changes.org
      AND l.timesheet_id = timesheet_changes.timesheet_id
)
SELECT coalesce(n.iin, b.iin),
       coalesce(n.employee_id, b.employee_id),
       coalesce(n.line_no, b.line_no),
       CASE WHEN b.iin IS NULL THEN 'added'
            WHEN n.iin IS NULL THEN 'removed'
            ELSE 'changed' END,
       CASE WHEN n.iin IS NULL THEN b.department ELSE n.department END,
       (row_number() OVER (ORDER BY n.iin IS NULL, coalesce(n.line_no, b.line_no)))::integer
FROM new AS n
FULL JOIN base AS b ON b.iin = n.iin
WHERE n.element IS DISTINCT FROM b.element
ORDER BY n.iin IS NULL, coalesce(n.line_no, b.line_no)
$$;
COMMENT ON FUNCTION otan_enbek.timesheet_changes(integer, integer, integer) IS
    'Lists the employees, by IIN, whose line in the document differs between a base version and a new version: added, changed or removed, numbered in document order by change_no';

-- The unsigned correction document of a timesheet version against its
-- correction_base.  Its text is deterministic in the same way as
-- timesheet_document_v1.  Returns NULL when the month has no accepted
-- version.
--
-- A part of a correction sent in several documents gives part_no and
-- part_count (written as ts:timesheet/@part and @parts, as in
-- timesheet_document_v1) and the change_no range of its changes in
-- change_nos.  Every part names the same accepted document in ts:corrects.
-- The caller passes both part numbers or neither, and a range with at
-- least one change: the function does not check them.
CREATE FUNCTION otan_enbek.timesheet_correction_document(timesheet_id integer,
        message_id uuid, part_no integer DEFAULT NULL, part_count integer DEFAULT NULL,
        change_nos int4range DEFAULT NULL)
    RETURNS xml
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT xmlelement(name "ts:timesheetCorrection",
           xmlattributes('urn:otan-enbek:timesheet:v1' AS "xmlns:ts",
                         '1.1' AS "schemaVersion"),
           xmlelement(name "ts:messageId", timesheet_correction_document.message_id),
           xmlelement(name "ts:employer",
               xmlelement(name "ts:bin", o.bin),
               xmlelement(name "ts:name", o.name)),
           xmlelement(name "ts:period", to_char(t.month, 'YYYY-MM')),
           xmlelement(name "ts:timesheet",
               xmlattributes(t.timesheet_id AS id,
                             t.version AS version,
                             otan_enbek.iso8601_local(t.built_at, o.time_zone) AS "builtAt",
                             timesheet_correction_document.part_no AS part,
                             timesheet_correction_document.part_count AS parts)),
           xmlelement(name "ts:corrects",
               xmlattributes(base.base_message_id AS "messageId",
                             base.base_timesheet_id AS "timesheetId",
                             base.base_version AS version)),
           xmlelement(name "ts:workingDays", t.working_days),
           xmlelement(name "ts:normHours", t.norm_hours::numeric(8,2)),
           xmlelement(name "ts:changes",
               xmlattributes(changes.change_count AS count),
               changes.elements))
FROM otan_enbek.timesheet AS t
JOIN otan_enbek.organization AS o ON o.org_id = t.org_id
CROSS JOIN LATERAL otan_enbek.correction_base(t.org_id, t.timesheet_id) AS base
CROSS JOIN LATERAL (
    SELECT count(*) AS change_count,
           xmlagg(CASE WHEN c.change = 'removed'
                       THEN xmlelement(name "ts:removed",
                                xmlelement(name "ts:iin", c.iin),
                                CASE WHEN r.contract_id IS NOT NULL
                                     THEN xmlelement(name "ts:contractId", r.contract_id) END)
                       ELSE otan_enbek.timesheet_employee_element(l, c.change) END
                  ORDER BY c.change_no) AS elements
    FROM otan_enbek.timesheet_changes(t.org_id, base.base_timesheet_id, t.timesheet_id) AS c
    LEFT JOIN otan_enbek.timesheet_line AS l
           ON c.change <> 'removed'
          AND l.org_id = t.org_id AND l.timesheet_id = t.timesheet_id AND l.iin = c.iin
    LEFT JOIN otan_enbek.timesheet_line AS r
           ON c.change = 'removed'
          AND r.org_id = t.org_id AND r.timesheet_id = base.base_timesheet_id
          AND r.iin = c.iin
    WHERE timesheet_correction_document.change_nos IS NULL
       OR c.change_no <@ timesheet_correction_document.change_nos
) AS changes
WHERE t.timesheet_id = timesheet_correction_document.timesheet_id
$$;
COMMENT ON FUNCTION otan_enbek.timesheet_correction_document(integer, uuid, integer, integer, int4range) IS
    'Builds the unsigned ts:timesheetCorrection document (timesheet schema version 1.1) of a version against the newest accepted version of its month, with the given message id, or of one part of it: the part number, the number of parts and the change numbers of the part';

-- Signs the correction document of a timesheet version, or one document
-- per part when the request with the whole correction would exceed
-- Enbek's limit of 102,400 bytes.  The parts are runs of changes in
-- change_no order, split as sign_timesheet splits lines
-- (src/delivery/split.c): the fewest that fit, cut where the department
-- changes if that adds no part.  Each document gets a new message id.
CREATE FUNCTION otan_enbek.sign_timesheet_correction(timesheet_id integer,
        OUT org_id integer, OUT part_no integer, OUT part_count integer,
        OUT first_change_no integer, OUT last_change_no integer,
        OUT employee_count integer, OUT message_id uuid,
        OUT document text, OUT document_sha256 bytea,
        OUT signature_value text, OUT key_fingerprint text,
        OUT certificate_serial text, OUT certificate_not_after timestamptz,
        OUT request_bytes integer)
    RETURNS SETOF record
    LANGUAGE C VOLATILE STRICT
    AS 'MODULE_PATHNAME', 'otan_enbek_sign_timesheet_correction';
COMMENT ON FUNCTION otan_enbek.sign_timesheet_correction(integer) IS
    'Builds the correction document of a timesheet version, or its parts when one request would exceed 100 KB, and signs each with a new message id and the configured key after checking the key; stores nothing';

-- Sends a built version of a month: as a correction of the newest accepted
-- version when there is one, else in full with submit_timesheet.  A
-- correction too large for one request is sent in parts, each its own
-- submission naming the same accepted document, and a version without
-- changes is not sent.  Locking every version of the month makes a
-- concurrent resubmit or build_timesheet of the month wait.  Returns one
-- row per submission, so a document in parts has a row per part with that
-- part's employees.
CREATE FUNCTION otan_enbek.resubmit(timesheet bigint)
    RETURNS TABLE (submission_id bigint, kind text, corrects_message_id uuid,
                   employee_count integer)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    sheet otan_enbek.timesheet;
    in_delivery otan_enbek.timesheet;
    base record;
    service text := current_setting('otan_enbek.service_id');
    part_ids bigint[];
    counts jsonb;
BEGIN
    IF resubmit.timesheet IS NULL THEN
        RAISE EXCEPTION 'timesheet is NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the id that otan_enbek.build_timesheet returned for the new version.';
    END IF;
    IF resubmit.timesheet NOT BETWEEN 1 AND 2147483647
       OR (SELECT count(*) FROM otan_enbek.timesheet AS t
           WHERE t.timesheet_id = resubmit.timesheet) = 0 THEN
        IF resubmit.timesheet BETWEEN 1 AND 2147483647 THEN
            PERFORM otan_enbek.require_timesheet_access(resubmit.timesheet::integer);
        END IF;
        RAISE EXCEPTION 'timesheet % does not exist', resubmit.timesheet
            USING ERRCODE = 'no_data_found',
                  HINT = 'Pass a timesheet_id of otan_enbek.timesheet with status built.';
    ELSIF (SELECT count(*) FROM otan_enbek.timesheet AS t
           WHERE t.timesheet_id = resubmit.timesheet) > 1 THEN
        RAISE EXCEPTION 'timesheet id % belongs to more than one organization', resubmit.timesheet
            USING ERRCODE = 'cardinality_violation',
                  HINT = 'Pass a timesheet id that is unique across organizations.';
    END IF;
    SELECT * INTO sheet FROM otan_enbek.timesheet AS t
    WHERE t.timesheet_id = resubmit.timesheet;
    PERFORM FROM otan_enbek.timesheet AS t
    WHERE t.org_id = sheet.org_id AND t.month = sheet.month
    ORDER BY t.version
    FOR UPDATE;
    SELECT * INTO sheet FROM otan_enbek.timesheet AS t
    WHERE t.org_id = sheet.org_id AND t.timesheet_id = sheet.timesheet_id;

    IF sheet.status <> 'built' THEN
        RAISE EXCEPTION 'timesheet % has already been submitted', sheet.timesheet_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Version %s of %s has status %s. Each version is sent once.',
                                  sheet.version, to_char(sheet.month, 'YYYY-MM'), sheet.status),
                  HINT = format('Build the month again with SELECT otan_enbek.build_timesheet(%s, %L) and resubmit the id it returns.',
                                sheet.org_id, to_char(sheet.month, 'YYYY-MM-DD'));
    END IF;
    SELECT * INTO in_delivery FROM otan_enbek.timesheet AS t
    WHERE t.org_id = sheet.org_id AND t.month = sheet.month AND t.status = 'submitted'
    ORDER BY t.version DESC
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'version % of % is still in delivery', in_delivery.version,
                to_char(sheet.month, 'YYYY-MM')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Timesheet %s has status submitted: Enbek has not answered yet, and a correction must refer to the version Enbek accepted last.',
                                  in_delivery.timesheet_id),
                  HINT = 'Wait for the answer, then resubmit this version.';
    END IF;

    SELECT * INTO base FROM otan_enbek.correction_base(sheet.org_id, sheet.timesheet_id);
    IF NOT FOUND THEN
        -- The ids are collected first, because a query does not see the
        -- created events that a function called in it inserts.  The
        -- employee_count of each part is the one its created event records.
        part_ids := ARRAY(SELECT otan_enbek.submit_timesheet(sheet.timesheet_id));
        RETURN QUERY
        SELECT s.id, 'full'::text, NULL::uuid, (e.detail->>'employee_count')::integer
        FROM unnest(part_ids) WITH ORDINALITY AS s (id, part_no)
        JOIN otan_enbek.submission_event AS e
          ON e.org_id = sheet.org_id AND e.submission_id = s.id AND e.event_no = 1
        ORDER BY s.part_no;
        RETURN;
    END IF;

    SELECT jsonb_build_object(
               'added', coalesce(jsonb_agg(c.employee_id ORDER BY c.line_no)
                                     FILTER (WHERE c.change = 'added'), '[]'),
               'changed', coalesce(jsonb_agg(c.employee_id ORDER BY c.line_no)
                                       FILTER (WHERE c.change = 'changed'), '[]'),
               'removed', coalesce(jsonb_agg(c.employee_id ORDER BY c.line_no)
                                       FILTER (WHERE c.change = 'removed'), '[]'),
               'employee_count', count(*))
      INTO counts
    FROM otan_enbek.timesheet_changes(sheet.org_id, base.base_timesheet_id,
                                      sheet.timesheet_id) AS c;
    IF (counts->>'employee_count')::integer = 0 THEN
        RAISE EXCEPTION 'timesheet % has no changes since the accepted version %',
                sheet.timesheet_id, base.base_version
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Every line of version %s of %s is the same in the document as in version %s, which Enbek accepted in message %s, so a correction would be empty.',
                                  sheet.version, to_char(sheet.month, 'YYYY-MM'),
                                  base.base_version, base.base_message_id),
                  HINT = 'Correct the days with otan_enbek.edit_day, build the month again and resubmit the new version. Nothing needs to be sent otherwise.';
    END IF;
    IF coalesce(service, '') = '' THEN
        RAISE EXCEPTION 'no Enbek service id is configured'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The setting otan_enbek.service_id is empty.',
                  HINT = 'Set otan_enbek.service_id in postgresql.conf, for example to OTAN_TIMESHEET_V1, and reload the configuration.';
    END IF;

    -- Each part's created event lists only the employees of its own
    -- changes, so every changed employee is in exactly one part's lists.
    WITH signed AS MATERIALIZED (
        SELECT * FROM otan_enbek.sign_timesheet_correction(sheet.timesheet_id)
    ), created AS (
        INSERT INTO otan_enbek.submission AS s
            (org_id, timesheet_id, part_no, part_count, message_id, service_id, document,
             document_sha256, signature_value, key_fingerprint, certificate_serial,
             certificate_not_after, document_kind, corrects_submission_id)
        SELECT sheet.org_id, sheet.timesheet_id, g.part_no, g.part_count, g.message_id,
               service, g.document, g.document_sha256, g.signature_value,
               g.key_fingerprint, g.certificate_serial, g.certificate_not_after,
               'correction', base.base_submission_id
        FROM signed AS g
        ORDER BY g.part_no
        RETURNING s.org_id, s.submission_id, s.part_no
    ), part_changes AS (
        SELECT g.part_no,
               jsonb_build_object(
                   'added', coalesce(jsonb_agg(c.employee_id ORDER BY c.change_no)
                                         FILTER (WHERE c.change = 'added'), '[]'),
                   'changed', coalesce(jsonb_agg(c.employee_id ORDER BY c.change_no)
                                           FILTER (WHERE c.change = 'changed'), '[]'),
                   'removed', coalesce(jsonb_agg(c.employee_id ORDER BY c.change_no)
                                           FILTER (WHERE c.change = 'removed'), '[]'),
                   'employee_count', count(*)) AS lists
        FROM signed AS g
        JOIN otan_enbek.timesheet_changes(sheet.org_id, base.base_timesheet_id,
                                          sheet.timesheet_id) AS c
          ON c.change_no BETWEEN g.first_change_no AND g.last_change_no
        GROUP BY g.part_no
    ), created_event AS (
        INSERT INTO otan_enbek.submission_event (org_id, submission_id, event_no, kind, detail)
        SELECT c.org_id, c.submission_id, 1, 'created',
               jsonb_build_object('message_id', g.message_id,
                                  'timesheet_version', sheet.version,
                                  'kind', 'correction',
                                  'corrects_message_id', base.base_message_id,
                                  'corrects_version', base.base_version,
                                  'part_no', g.part_no,
                                  'part_count', g.part_count,
                                  'first_change_no', g.first_change_no,
                                  'last_change_no', g.last_change_no,
                                  'key_fingerprint', g.key_fingerprint,
                                  'document_bytes', octet_length(g.document),
                                  'request_bytes', g.request_bytes)
               || p.lists
        FROM created AS c
        JOIN signed AS g ON g.part_no = c.part_no
        JOIN part_changes AS p ON p.part_no = c.part_no
    )
    SELECT array_agg(c.submission_id ORDER BY c.part_no) INTO part_ids FROM created AS c;
    UPDATE otan_enbek.timesheet AS t SET status = 'submitted'
    WHERE t.org_id = sheet.org_id AND t.timesheet_id = sheet.timesheet_id;
    PERFORM otan_enbek.wake_delivery();

    RETURN QUERY
    SELECT e.submission_id, 'correction'::text, base.base_message_id,
           (e.detail->>'employee_count')::integer
    FROM unnest(part_ids) WITH ORDINALITY AS p (id, part_no)
    JOIN otan_enbek.submission_event AS e
      ON e.org_id = sheet.org_id AND e.submission_id = p.id AND e.event_no = 1
    ORDER BY p.part_no;
END
$$;
COMMENT ON FUNCTION otan_enbek.resubmit(bigint) IS
    'Submits a built version of a month: as a correction with only the changed employees when Enbek accepted an earlier version, else in full; raises an error when nothing changed since the accepted version';

GRANT EXECUTE ON FUNCTION
    otan_enbek.timesheet_employee_element(otan_enbek.timesheet_line, text),
    otan_enbek.correction_base(integer, integer),
    otan_enbek.timesheet_changes(integer, integer, integer),
    otan_enbek.timesheet_correction_document(integer, uuid, integer, integer, int4range),
    otan_enbek.sign_timesheet_correction(integer),
    otan_enbek.resubmit(bigint)
    TO otan_enbek_admin, otan_enbek_operator;
