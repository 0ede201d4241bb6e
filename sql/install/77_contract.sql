-- Labour contracts from ESUTD: the contract list fetched from Enbek
-- through the signed SOAP channel, the contracts stored per organization,
-- the comparison of contracts with the access-control system, and the push
-- of departments and work schedules to Enbek.

ALTER TABLE otan_enbek.work_schedule
    ADD COLUMN working_hours_code smallint CHECK (working_hours_code BETWEEN 1 AND 5);
COMMENT ON COLUMN otan_enbek.work_schedule.working_hours_code IS
    'Code of ESUTD''s dictionary D_WORKING_HOURS that the schedule stands for: 1 normal, 2 reduced, 3 part-time, 4 shorter, 5 flexible; NULL means 5 for a flexible schedule, 1 for one of 40 hours a week, and any of 2 to 4 below that';

CREATE TABLE otan_enbek.enbek_contract (
    org_id          integer NOT NULL REFERENCES otan_enbek.organization,
    contract_id     text NOT NULL CHECK (btrim(contract_id) <> ''),
    iin             text NOT NULL CHECK (iin ~ '^[0-9]{12}$'),
    position        text,
    working_hours_code smallint NOT NULL CHECK (working_hours_code BETWEEN 1 AND 5),
    start_date      date NOT NULL,
    end_date        date,
    synced_at       timestamptz NOT NULL,
    PRIMARY KEY (org_id, contract_id),
    CHECK (end_date IS NULL OR end_date >= start_date)
);
CREATE INDEX ON otan_enbek.enbek_contract (org_id, iin);
-- The comparison looks up the credentials of each dismissed employee.
CREATE INDEX credential_employee ON otan_enbek.credential (org_id, employee_id);
COMMENT ON TABLE otan_enbek.enbek_contract IS
    'Labour contracts of the organization registered in ESUTD, as the last contract sync fetched them; iin is personal data';
COMMENT ON COLUMN otan_enbek.enbek_contract.working_hours_code IS
    'Code of ESUTD''s dictionary D_WORKING_HOURS: 1 normal, 2 reduced, 3 part-time, 4 shorter, 5 flexible';
COMMENT ON COLUMN otan_enbek.enbek_contract.end_date IS
    'Last day of the contract; NULL for an open-ended contract';
COMMENT ON COLUMN otan_enbek.enbek_contract.synced_at IS
    'Start of the sync that last fetched the contract';

-- Signs a document with the configured key and sends it to
-- otan_enbek.enbek_url in the caller's transaction.  Superusers only:
-- the key signs whatever document it is given.
CREATE FUNCTION otan_enbek.enbek_exchange(bin text, service_id text, message_id text,
        document text,
        OUT http_status integer, OUT response text, OUT error text, OUT duration_ms integer)
    RETURNS record
    LANGUAGE C VOLATILE STRICT
    AS 'MODULE_PATHNAME', 'otan_enbek_enbek_exchange';
REVOKE ALL ON FUNCTION otan_enbek.enbek_exchange(text, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION otan_enbek.enbek_exchange(text, text, text, text) IS
    'Signs a document with the configured key checked for the BIN, sends it to Enbek under the service id and returns the HTTP status and the response, or the transfer error (superusers only)';

-- The working-hours code of a schedule: its own, or the one that its kind
-- and weekly hours imply.  NULL for a schedule under 40 hours a week that
-- names no code, which may be reduced, part-time or shorter.
CREATE FUNCTION otan_enbek.schedule_working_hours(kind text, week_hours numeric,
                                                  working_hours_code smallint)
    RETURNS smallint
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT coalesce($3, CASE WHEN $1 = 'flexible' THEN 5
                             WHEN $2 >= 40 THEN 1 END)::smallint
$$;
COMMENT ON FUNCTION otan_enbek.schedule_working_hours(text, numeric, smallint) IS
    'Returns the D_WORKING_HOURS code of a schedule: its own, else 5 when flexible, 1 at 40 hours a week, NULL below';

-- Sends a directory document of the organization and returns the status
-- of the response and its responseData/data element.  Raises an error
-- for a transfer that failed, a SOAP fault, an HTTP status other than 200
-- and a response that is not a SendMessageResponse for this message.
CREATE FUNCTION otan_enbek.directory_send(org integer, service_id text, message_id uuid,
        document text, OUT status_code text, OUT status_message text, OUT data xml)
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    ns constant text[] := ARRAY[
        ARRAY['soap', 'http://schemas.xmlsoap.org/soap/envelope/'],
        ARRAY['ns2', 'http://bip.bee.kz/SyncChannel/v10/Types']];
    org_bin text := (SELECT o.bin FROM otan_enbek.organization o WHERE o.org_id = org);
    exchange record;
    body xml;
    fault text[];
    answered_id text;
BEGIN
    IF service_id IS NULL OR message_id IS NULL OR document IS NULL THEN
        RAISE EXCEPTION 'service_id, message_id and document must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF org_bin IS NULL THEN
        RAISE EXCEPTION 'organization % does not exist', org
            USING ERRCODE = 'undefined_object';
    END IF;
    exchange := otan_enbek.enbek_exchange(org_bin, service_id, message_id::text, document);
    IF exchange.error IS NOT NULL THEN
        RAISE EXCEPTION 'request % to Enbek failed: %', message_id, exchange.error
            USING ERRCODE = 'connection_failure',
                  DETAIL = format('Service %s, after %s ms.', service_id, exchange.duration_ms),
                  HINT = 'Check otan_enbek.enbek_url, otan_enbek.ca_file and the network, then run the step again.';
    END IF;
    BEGIN
        body := xmlparse(document exchange.response);
    EXCEPTION WHEN OTHERS THEN
        RAISE EXCEPTION 'the response of Enbek to request % is not XML', message_id
            USING ERRCODE = 'protocol_violation',
                  DETAIL = format('HTTP status %s; the response starts with: %s',
                                  exchange.http_status, left(exchange.response, 200));
    END;

    fault := xpath('/soap:Envelope/soap:Body/soap:Fault/*[self::faultcode or self::faultstring]/text()',
                   body, ns)::text[];
    IF cardinality(fault) > 0 THEN
        RAISE EXCEPTION 'Enbek rejected request %: %', message_id, fault[cardinality(fault)]
            USING ERRCODE = CASE WHEN fault[1] LIKE '%Client' THEN 'invalid_parameter_value'
                                 ELSE 'connection_failure' END,
                  DETAIL = format('HTTP status %s, SOAP fault %s.', exchange.http_status, fault[1]),
                  HINT = CASE WHEN fault[1] LIKE '%Client'
                              THEN 'Enbek found the request invalid; correct the data or the settings named in the message before trying again.'
                              ELSE 'Enbek reported a failure of its own; run the step again later.' END;
    ELSIF exchange.http_status <> 200 THEN
        RAISE EXCEPTION 'Enbek answered request % with HTTP status %', message_id,
                exchange.http_status
            USING ERRCODE = 'connection_failure',
                  HINT = 'Run the step again later.';
    END IF;

    answered_id := (xpath('/soap:Envelope/soap:Body/ns2:SendMessageResponse/response/responseInfo/messageId/text()',
                          body, ns))[1]::text;
    status_code := (xpath('/soap:Envelope/soap:Body/ns2:SendMessageResponse/response/responseInfo/status/code/text()',
                          body, ns))[1]::text;
    status_message := (xpath('/soap:Envelope/soap:Body/ns2:SendMessageResponse/response/responseInfo/status/message/text()',
                             body, ns))[1]::text;
    data := (xpath('/soap:Envelope/soap:Body/ns2:SendMessageResponse/response/responseData/data/*',
                   body, ns))[1];
    IF answered_id IS DISTINCT FROM message_id::text OR status_code IS NULL THEN
        RAISE EXCEPTION 'the response of Enbek to request % is not its SendMessageResponse',
                message_id
            USING ERRCODE = 'protocol_violation',
                  DETAIL = format('The response names message %s and status code %s.',
                                  coalesce(left(answered_id, 64), 'none'),
                                  coalesce(left(status_code, 64), 'none'));
    END IF;
END
$$;
COMMENT ON FUNCTION otan_enbek.directory_send(integer, text, uuid, text) IS
    'Sends a signed directory document of an organization to Enbek and returns the status code, message and data of the response; raises an error for a failed transfer, a fault or a response for another message';

-- Reads the contracts of a dir:contractListResponse for the request with
-- this message id.  Raises an error for a response to another request and
-- for a contract that the table cannot hold, naming its position, so that
-- a list read only in part never replaces the stored one.
CREATE FUNCTION otan_enbek.contract_list_rows(data xml, message_id uuid)
    RETURNS TABLE (contract_id text, iin text, "position" text, working_hours_code smallint,
                   start_date date, end_date date)
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    ns constant text[] := ARRAY[ARRAY['dir', 'urn:otan-enbek:directory:v1']];
    item record;
    problem text;
BEGIN
    IF data IS NULL OR message_id IS NULL THEN
        RAISE EXCEPTION 'data and message_id must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT xpath_exists(format('/dir:contractListResponse[dir:messageId = "%s"]', message_id),
                        data, ns) THEN
        RAISE EXCEPTION 'the contract list of Enbek is not the response to request %', message_id
            USING ERRCODE = 'protocol_violation',
                  DETAIL = 'The data is not a dir:contractListResponse with this dir:messageId.';
    END IF;
    FOR item IN
        SELECT *
        FROM XMLTABLE(XMLNAMESPACES('urn:otan-enbek:directory:v1' AS dir),
                      '/dir:contractListResponse/dir:contract' PASSING data
                      COLUMNS n FOR ORDINALITY,
                              contract_id text PATH 'dir:contractId',
                              iin text PATH 'dir:iin',
                              position text PATH 'dir:position',
                              working_hours text PATH 'dir:workingHours',
                              start_date text PATH 'dir:start',
                              end_date text PATH 'dir:end') AS c
    LOOP
        problem := CASE
            WHEN btrim(coalesce(item.contract_id, '')) = '' THEN 'it has no dir:contractId'
            WHEN item.iin IS NULL OR item.iin !~ '^[0-9]{12}$' THEN 'its dir:iin is not 12 digits'
            WHEN item.working_hours IS NULL OR item.working_hours !~ '^[1-5]$'
                THEN 'its dir:workingHours is not a D_WORKING_HOURS code from 1 to 5'
            WHEN item.start_date IS NULL OR item.start_date !~ '^\d{4}-\d\d-\d\d$'
                THEN 'its dir:start is not a date as YYYY-MM-DD'
            WHEN item.end_date !~ '^\d{4}-\d\d-\d\d$' THEN 'its dir:end is not a date as YYYY-MM-DD'
        END;
        IF problem IS NULL THEN
            BEGIN
                start_date := item.start_date::date;
                end_date := item.end_date::date;
            EXCEPTION WHEN datetime_field_overflow OR invalid_datetime_format THEN
                problem := 'a date of it does not exist';
            END;
        END IF;
        IF problem IS NULL AND end_date < start_date THEN
            problem := 'it ends before it starts';
        END IF;
        IF problem IS NOT NULL THEN
            RAISE EXCEPTION 'the contract list of Enbek for request % has an invalid contract',
                    message_id
                USING ERRCODE = 'protocol_violation',
                      DETAIL = format('Contract %s of the list: %s.', item.n, problem),
                      HINT = 'The stored contracts were left as they were.';
        END IF;
        contract_id := item.contract_id;
        iin := item.iin;
        "position" := item.position;
        working_hours_code := item.working_hours::smallint;
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION otan_enbek.contract_list_rows(xml, uuid) IS
    'Returns the contracts of a contract list response of Enbek to the request with the message id; raises an error for another response or an invalid contract';

-- Fetches the organization's labour contracts from Enbek.  It runs as its
-- owner, because enbek_exchange signs any document, and signs only this
-- request.  caller is the calling role, left at its default, and must see
-- the organization.
CREATE FUNCTION otan_enbek.fetch_contracts(org integer, caller name DEFAULT current_user)
    RETURNS TABLE (contract_id text, iin text, "position" text, working_hours_code smallint,
                   start_date date, end_date date)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    message_id uuid := gen_random_uuid();
    org_bin text;
    document text;
    answer record;
BEGIN
    PERFORM otan_enbek.require_org_visible(org, caller);
    SELECT o.bin INTO org_bin FROM otan_enbek.organization o WHERE o.org_id = org;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'organization % does not exist', org
            USING ERRCODE = 'undefined_object';
    END IF;
    document := xmlelement(name "dir:contractListRequest",
                           xmlattributes('urn:otan-enbek:directory:v1' AS "xmlns:dir",
                                         '1.0' AS "schemaVersion"),
                           xmlelement(name "dir:messageId", message_id),
                           xmlelement(name "dir:employer", xmlelement(name "dir:bin", org_bin)))::text;
    answer := otan_enbek.directory_send(org, current_setting('otan_enbek.contract_list_service_id'),
                                        message_id, document);
    IF answer.status_code <> 'SCSS001' OR answer.data IS NULL THEN
        RAISE EXCEPTION 'Enbek rejected the contract list request of organization %: %', org,
                coalesce(answer.status_message, answer.status_code)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Status code %s, request %s.', answer.status_code, message_id),
                  HINT = 'SCSE001 and SCSE046 mean a signing key that Enbek does not accept for the organization''s BIN; check it with otan_enbek.check_signing_key.';
    END IF;
    RETURN QUERY SELECT * FROM otan_enbek.contract_list_rows(answer.data, message_id);
END
$$;
COMMENT ON FUNCTION otan_enbek.fetch_contracts(integer, name) IS
    'Fetches the organization''s labour contracts from Enbek with a signed request and returns them without storing them; caller is the calling role, left at its default';

-- Stores the contracts fetched from Enbek in place of the organization's
-- earlier ones.  contract_list_rows rejects a list with an invalid
-- contract, so a list read in part never replaces the stored one.
CREATE FUNCTION otan_enbek.step_contract_sync(org integer) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    started timestamptz := now();
    fetched integer;
    added integer;
    changed integer;
    removed integer;
    twice text;
BEGIN
    PERFORM otan_enbek.progress_phase('fetching', 'contracts', NULL);
    -- A contract listed twice with the same terms counts once.
    CREATE TEMP TABLE fetched_contract ON COMMIT DROP AS
    SELECT DISTINCT * FROM otan_enbek.fetch_contracts(org);
    GET DIAGNOSTICS fetched = ROW_COUNT;
    SELECT f.contract_id INTO twice
    FROM pg_temp.fetched_contract f
    GROUP BY f.contract_id HAVING count(*) > 1
    ORDER BY f.contract_id LIMIT 1;
    IF twice IS NOT NULL THEN
        RAISE EXCEPTION 'Enbek listed contract % twice with different terms', left(twice, 64)
            USING ERRCODE = 'protocol_violation',
                  HINT = 'The stored contracts were left as they were; run the sync again later.';
    END IF;

    WITH merged AS (
        INSERT INTO otan_enbek.enbek_contract AS c
            (org_id, contract_id, iin, position, working_hours_code, start_date, end_date,
             synced_at)
        SELECT org, f.contract_id, f.iin, f.position, f.working_hours_code, f.start_date,
               f.end_date, started
        FROM pg_temp.fetched_contract f
        ON CONFLICT (org_id, contract_id) DO UPDATE
        SET iin = excluded.iin, position = excluded.position,
            working_hours_code = excluded.working_hours_code,
            start_date = excluded.start_date, end_date = excluded.end_date,
            synced_at = excluded.synced_at
        RETURNING (xmax = 0) AS inserted,
                  (SELECT (o.iin, o.position, o.working_hours_code, o.start_date, o.end_date)
                          IS DISTINCT FROM
                          (c.iin, c.position, c.working_hours_code, c.start_date, c.end_date)
                   FROM otan_enbek.enbek_contract o
                   WHERE o.org_id = c.org_id AND o.contract_id = c.contract_id) AS differs
    )
    SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted AND differs)
      INTO added, changed
    FROM merged;

    DELETE FROM otan_enbek.enbek_contract c
    WHERE c.org_id = org AND c.synced_at <> started;
    GET DIAGNOSTICS removed = ROW_COUNT;
    DROP TABLE pg_temp.fetched_contract;

    RETURN jsonb_build_object('fetched', fetched, 'added', added, 'changed', changed,
                              'removed', removed)
        || (SELECT jsonb_object_agg(k.kind, (SELECT count(*) FROM otan_enbek.contract_mismatch m
                                             WHERE m.org_id = org AND m.kind = k.kind))
            FROM unnest(ARRAY['no_contract', 'no_card', 'dismissed_but_passing',
                              'schedule_mismatch']) AS k(kind));
END
$$;
COMMENT ON FUNCTION otan_enbek.step_contract_sync(integer) IS
    'Step of the contract_sync kind: fetches the organization''s contracts from Enbek, stores them in place of the earlier ones and returns the counts, with the number of mismatches of each kind';

-- Employees and ESUTD contracts side by side, one row per person: each
-- employee of the organization, and each IIN with a contract but no
-- employee.  A person's contract is the one in force today, or else the
-- one that started last.  "Today" is the date in the organization's time
-- zone, and a credential counts when it is valid today.
CREATE VIEW otan_enbek.contract_comparison AS
WITH org_day AS (
    SELECT o.org_id, o.default_schedule_id,
           (now() AT TIME ZONE o.time_zone)::date AS today, o.time_zone
    FROM otan_enbek.organization o
), person_contract AS (
    SELECT DISTINCT ON (c.org_id, c.iin)
           c.*, (c.start_date <= d.today AND (c.end_date IS NULL OR c.end_date >= d.today))
               AS in_force
    FROM otan_enbek.enbek_contract c
    JOIN org_day d USING (org_id)
    ORDER BY c.org_id, c.iin,
             (c.start_date <= d.today AND (c.end_date IS NULL OR c.end_date >= d.today)) DESC,
             c.start_date DESC
), carded AS (
    -- Employees with a credential valid today, read in one pass so that
    -- the view needs no index on credential.employee_id.
    SELECT DISTINCT k.org_id, k.employee_id
    FROM otan_enbek.credential k
    JOIN org_day d USING (org_id)
    WHERE d.today BETWEEN coalesce(k.valid_from, '-infinity') AND coalesce(k.valid_to, 'infinity')
), assigned AS (
    SELECT a.org_id, a.employee_id, a.schedule_id
    FROM otan_enbek.employee_schedule a
    JOIN org_day d USING (org_id)
    WHERE d.today BETWEEN a.valid_from AND coalesce(a.valid_to, 'infinity')
), person AS (
    SELECT e.org_id, e.employee_id, e.iin::text AS iin, e.dismissed_on,
           k.employee_id IS NOT NULL AS has_card,
           coalesce(a.schedule_id, e.schedule_id, d.default_schedule_id) AS schedule_id
    FROM otan_enbek.employee e
    JOIN org_day d USING (org_id)
    LEFT JOIN carded k ON k.org_id = e.org_id AND k.employee_id = e.employee_id
    LEFT JOIN assigned a ON a.org_id = e.org_id AND a.employee_id = e.employee_id
), side AS (
    SELECT coalesce(p.org_id, c.org_id) AS org_id, p.employee_id,
           coalesce(p.iin, c.iin) AS iin, coalesce(p.has_card, false) AS has_card,
           p.schedule_id, s.name AS schedule_name,
           otan_enbek.schedule_working_hours(s.kind, s.week_hours, s.working_hours_code)
               AS schedule_code,
           s.week_hours AS schedule_week_hours,
           c.contract_id, c.position, c.working_hours_code AS contract_code,
           c.start_date AS contract_start, c.end_date AS contract_end,
           coalesce(c.in_force, false) AS contract_in_force,
           coalesce(p.dismissed_on, CASE WHEN NOT c.in_force THEN c.end_date END) AS dismissed_on
    FROM person p
    FULL JOIN person_contract c ON c.org_id = p.org_id AND c.iin = p.iin
    LEFT JOIN otan_enbek.work_schedule s ON s.org_id = p.org_id AND s.schedule_id = p.schedule_id
), passes AS (
    -- The events are found through the person's credentials, because
    -- skud_event has an index on the credential and none on employee_id.
    -- Only dismissed employees are looked up.
    SELECT x.*,
           CASE WHEN x.employee_id IS NOT NULL AND x.dismissed_on IS NOT NULL THEN
           (SELECT max(ev.occurred_at)
            FROM otan_enbek.credential k
            JOIN org_day d ON d.org_id = k.org_id
            JOIN otan_enbek.skud_event ev
              ON ev.org_id = k.org_id AND ev.credential_kind = k.kind AND ev.credential = k.value
            WHERE k.org_id = x.org_id AND k.employee_id = x.employee_id
              AND ev.employee_id = x.employee_id
              AND ev.occurred_at >= ((x.dismissed_on + 1)::timestamp AT TIME ZONE d.time_zone))
           END AS passed_after_dismissal
    FROM side x
)
SELECT p.org_id, p.employee_id, otan_enbek.mask_iin(p.iin) AS masked_iin, p.has_card,
       p.schedule_id, p.schedule_name, p.schedule_code, p.contract_id, p.position,
       p.contract_code, p.contract_start, p.contract_end, p.contract_in_force,
       p.dismissed_on, p.passed_after_dismissal,
       array_remove(ARRAY[
           CASE WHEN p.employee_id IS NOT NULL AND p.has_card AND NOT p.contract_in_force
                THEN 'no_contract' END,
           CASE WHEN p.contract_in_force AND NOT p.has_card THEN 'no_card' END,
           CASE WHEN p.passed_after_dismissal IS NOT NULL THEN 'dismissed_but_passing' END,
           CASE WHEN p.contract_in_force AND p.schedule_id IS NOT NULL
                     AND (p.schedule_code <> p.contract_code
                          OR (p.schedule_code IS NULL AND p.contract_code IN (1, 5)))
                THEN 'schedule_mismatch' END], NULL) AS mismatches
FROM passes p;
ALTER VIEW otan_enbek.contract_comparison SET (security_invoker = true);
COMMENT ON VIEW otan_enbek.contract_comparison IS
    'Employees and their ESUTD contracts side by side, one row per person, with the IIN masked; mismatches lists no_contract, no_card, dismissed_but_passing and schedule_mismatch';
COMMENT ON COLUMN otan_enbek.contract_comparison.has_card IS
    'The employee has a credential (card or person id) valid today';
COMMENT ON COLUMN otan_enbek.contract_comparison.schedule_code IS
    'D_WORKING_HOURS code of the employee''s schedule today, from schedule_working_hours';
COMMENT ON COLUMN otan_enbek.contract_comparison.dismissed_on IS
    'employee.dismissed_on, or else the end of the contract when no contract of the person is in force today';
COMMENT ON COLUMN otan_enbek.contract_comparison.passed_after_dismissal IS
    'Last pass through a device after the day of dismissal';

CREATE VIEW otan_enbek.contract_mismatch AS
SELECT c.org_id, m.kind, c.employee_id, c.masked_iin, c.contract_id, c.position,
       c.contract_code, c.schedule_id, c.schedule_code, c.dismissed_on, c.passed_after_dismissal
FROM otan_enbek.contract_comparison c
CROSS JOIN LATERAL unnest(c.mismatches) AS m(kind);
ALTER VIEW otan_enbek.contract_mismatch SET (security_invoker = true);
COMMENT ON VIEW otan_enbek.contract_mismatch IS
    'One row per mismatch between the access-control system and ESUTD: no_contract (a valid card but no contract in force), no_card (a contract in force but no valid card), dismissed_but_passing (a pass after the dismissal), schedule_mismatch (the schedule''s working-hours code differs from the contract''s)';

-- Builds the push document of the organization's departments and work
-- schedules.  A department without a code is sent under its id.  Raises
-- an error for a schedule whose working-hours code cannot be derived from
-- its kind and hours.
CREATE FUNCTION otan_enbek.directory_push_document(org integer, message_id uuid) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    unknown text;
BEGIN
    SELECT string_agg(format('%s (%s hours a week)', s.name, s.week_hours), ', ' ORDER BY s.name)
      INTO unknown
    FROM otan_enbek.work_schedule s
    WHERE s.org_id = org
      AND otan_enbek.schedule_working_hours(s.kind, s.week_hours, s.working_hours_code) IS NULL;
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'the working-hours code of some schedules of organization % is unknown', org
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Schedules under 40 hours a week may be reduced, part-time or shorter: %s.',
                                  left(unknown, 500)),
                  HINT = 'Set otan_enbek.work_schedule.working_hours_code to 2 (reduced), 3 (part-time) or 4 (shorter).';
    END IF;

    RETURN xmlelement(name "dir:directoryPush",
        xmlattributes('urn:otan-enbek:directory:v1' AS "xmlns:dir", '1.0' AS "schemaVersion"),
        xmlelement(name "dir:messageId", message_id),
        xmlelement(name "dir:employer",
                   xmlelement(name "dir:bin", (SELECT o.bin FROM otan_enbek.organization o
                                               WHERE o.org_id = org))),
        xmlelement(name "dir:departments",
            (SELECT xmlagg(xmlelement(name "dir:department",
                               xmlelement(name "dir:code", coalesce(d.code, d.department_id::text)),
                               xmlelement(name "dir:name", d.name),
                               CASE WHEN p.department_id IS NOT NULL
                                    THEN xmlelement(name "dir:parentCode",
                                                    coalesce(p.code, p.department_id::text)) END)
                           ORDER BY d.department_id)
             FROM otan_enbek.department d
             LEFT JOIN otan_enbek.department p
                    ON p.org_id = d.org_id AND p.department_id = d.parent_id
             WHERE d.org_id = org)),
        xmlelement(name "dir:schedules",
            (SELECT xmlagg(xmlelement(name "dir:schedule",
                               xmlelement(name "dir:name", s.name),
                               xmlelement(name "dir:workingHours",
                                          otan_enbek.schedule_working_hours(s.kind, s.week_hours,
                                                                            s.working_hours_code)),
                               xmlelement(name "dir:weekHours", s.week_hours))
                           ORDER BY s.schedule_id)
             FROM otan_enbek.work_schedule s
             WHERE s.org_id = org)))::text;
END
$$;
COMMENT ON FUNCTION otan_enbek.directory_push_document(integer, uuid) IS
    'Returns the unsigned push document of the organization''s departments and work schedules';

-- Sends the organization's departments and work schedules to Enbek.  It
-- runs as its owner for the same reason as fetch_contracts, and raises an
-- error with Enbek's reasons when Enbek rejects the push.
CREATE FUNCTION otan_enbek.push_directory(org integer, caller name DEFAULT current_user)
    RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    message_id uuid := gen_random_uuid();
    answer record;
    ns constant text[] := ARRAY[ARRAY['dir', 'urn:otan-enbek:directory:v1']];
    reasons text;
BEGIN
    PERFORM otan_enbek.require_org_visible(org, caller);
    IF NOT EXISTS (SELECT FROM otan_enbek.organization o WHERE o.org_id = org) THEN
        RAISE EXCEPTION 'organization % does not exist', org
            USING ERRCODE = 'undefined_object';
    END IF;
    answer := otan_enbek.directory_send(org, current_setting('otan_enbek.directory_push_service_id'),
                                        message_id,
                                        otan_enbek.directory_push_document(org, message_id));
    IF answer.status_code <> 'SCSS001' THEN
        SELECT string_agg(format('%s: %s', e.code, e.message), '; ')
          INTO reasons
        FROM XMLTABLE(XMLNAMESPACES('urn:otan-enbek:directory:v1' AS dir),
                      '/dir:directoryPushResponse/dir:error' PASSING answer.data
                      COLUMNS code text PATH 'dir:code', message text PATH 'dir:message') AS e;
        RAISE EXCEPTION 'Enbek rejected the directory of organization %: %', org,
                coalesce(answer.status_message, answer.status_code)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('Status code %s, request %s.%s', answer.status_code, message_id,
                                  coalesce(' Reasons: ' || left(reasons, 2000) || '.', '')),
                  HINT = 'Correct the departments or schedules named in the reasons and push again.';
    END IF;
    RETURN jsonb_build_object(
        'message_id', message_id,
        'state', (xpath('/dir:directoryPushResponse/dir:state/text()', answer.data, ns))[1]::text,
        'departments',
            (xpath('/dir:directoryPushResponse/dir:departments/text()', answer.data, ns))[1]::text::integer,
        'schedules',
            (xpath('/dir:directoryPushResponse/dir:schedules/text()', answer.data, ns))[1]::text::integer);
END
$$;
COMMENT ON FUNCTION otan_enbek.push_directory(integer, name) IS
    'Sends the organization''s departments and work schedules to Enbek with a signed request and returns the message id, the state and the numbers Enbek accepted; caller is the calling role, left at its default';

CREATE FUNCTION otan_enbek.run_contract_sync(org integer)
    RETURNS otan_enbek.job_run
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT * FROM otan_enbek.run_job('contract_sync', $1, NULL, NULL)
$$;
COMMENT ON FUNCTION otan_enbek.run_contract_sync(integer) IS
    'Fetches and stores the organization''s ESUTD contracts and records the run, with the mismatch counts, in job_run';

CREATE FUNCTION otan_enbek.run_directory_push(org integer)
    RETURNS otan_enbek.job_run
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT * FROM otan_enbek.run_job('directory_push', $1, NULL, NULL)
$$;
COMMENT ON FUNCTION otan_enbek.run_directory_push(integer) IS
    'Sends the organization''s departments and work schedules to Enbek and records the run in job_run';

SELECT pg_catalog.pg_extension_config_dump('otan_enbek.enbek_contract', '');

-- The contracts and the comparison contain IINs and positions, so readers
-- get none of this.  An operator syncs, pushes and reads the results of
-- its organizations, and row-level security comes from the privileges
-- part.  enbek_exchange and directory_send stay with superusers, and the
-- fetch and the push reach them as their owner.
GRANT SELECT, INSERT, UPDATE, DELETE ON otan_enbek.enbek_contract TO otan_enbek_operator;
GRANT SELECT ON otan_enbek.contract_comparison, otan_enbek.contract_mismatch
    TO otan_enbek_admin, otan_enbek_operator;
GRANT EXECUTE ON FUNCTION
    otan_enbek.schedule_working_hours(text, numeric, smallint),
    otan_enbek.contract_list_rows(xml, uuid),
    otan_enbek.directory_push_document(integer, uuid),
    otan_enbek.fetch_contracts(integer, name),
    otan_enbek.push_directory(integer, name),
    otan_enbek.step_contract_sync(integer),
    otan_enbek.run_contract_sync(integer),
    otan_enbek.run_directory_push(integer)
    TO otan_enbek_admin, otan_enbek_operator;
