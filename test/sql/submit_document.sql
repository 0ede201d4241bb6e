-- The timesheet document (schema version 1), the SendMessage envelope and
-- the signing key checks.  The keys are the test keys of $OTAN_PKI, made by
-- test/harness/make-pki; messages show that path as $OTAN_PKI.
CREATE EXTENSION IF NOT EXISTS otan_enbek;
\getenv pki OTAN_PKI

-- Envelope: every value is escaped, the date has milliseconds and the
-- session's offset, the document goes in unchanged.  The password is
-- masked in the output, and its escaping is checked on its own.
SET timezone = 'Asia/Almaty';
SELECT regexp_replace(
           otan_enbek.build_envelope('4f1c2b6e-0d5a-4c1e-9a7b-2f3d4e5f6a7b',
                                     'OTAN_TIMESHEET_V1',
                                     '2026-12-04 16:00:00.123+05',
                                     'OTAN <TEST> & "SENDER"',
                                     'p"''&<>w', '<ts:doc xmlns:ts="urn:x">Я</ts:doc>'),
           '<password>[^<]*</password>', '<password>********</password>') AS envelope;
SELECT strpos(otan_enbek.build_envelope('4f1c2b6e-0d5a-4c1e-9a7b-2f3d4e5f6a7b',
                                        'S', '2026-12-04 16:00+05', 'S', 'p"''&<>w', '<d/>'),
              '<password>p&quot;&apos;&amp;&lt;&gt;w</password>') > 0 AS password_escaped;
SELECT substring(otan_enbek.build_envelope('4f1c2b6e-0d5a-4c1e-9a7b-2f3d4e5f6a7b',
                                           'S', '2026-01-15 03:04:05.006789+00', 'S', 'p', '<d/>')
                 FROM '<messageDate>(.*)</messageDate>') AS date_in_almaty;
SET timezone = 'America/New_York';
SELECT substring(otan_enbek.build_envelope('4f1c2b6e-0d5a-4c1e-9a7b-2f3d4e5f6a7b',
                                           'S', '2026-01-15 03:04:05+00', 'S', 'p', '<d/>')
                 FROM '<messageDate>(.*)</messageDate>') AS date_west_of_utc;
RESET timezone;
-- Message ids Enbek would reject, a control character and a declaration.
SELECT otan_enbek.build_envelope('4f1c2b6e', 'S', now(), 'S', 'p', '<d/>');
SELECT otan_enbek.build_envelope('4f1c2b6e_0d5a_4c1e_9a7b_2f3d4e5f6a7b', 'S', now(), 'S', 'p', '<d/>');
SELECT otan_enbek.build_envelope('4f1c2b6e-0d5a-4c1e-9a7b-2f3d4e5f6a7b', 'S', now(), 'S', E'se\x01cret', '<d/>');
SELECT otan_enbek.build_envelope('4f1c2b6e-0d5a-4c1e-9a7b-2f3d4e5f6a7b', 'S', now(), 'S', 'p',
                                 '<?xml version="1.0"?><d/>');

BEGIN;

-- An organization with three employees and a built timesheet for
-- November 2026 (21 working days, 9 weekend days, no holidays).
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (7001, '050440000012', 'School No. 7 "Aigerim" & <Partners>');
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, contract_id)
VALUES (7001, 1, '810111300012', 'Abenova', 'Aigul', 'C-2024-0001'),
       (7001, 2, '820212300023', 'Bekov', 'Daniyar', NULL),
       (7001, 3, '830313300034', 'Serikova', 'Zhanna', 'C-2024-0003');
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, version, working_days,
                                  norm_hours, employee_count, built_at)
VALUES (7001, 7101, '2026-11-01', 2, 21, 168, 3, '2026-12-01 04:00:00.654321+00');

CREATE TEMP TABLE november AS
SELECT d::date AS day, extract(isodow FROM d) >= 6 AS weekend
FROM generate_series('2026-11-01'::date, '2026-11-30', '1 day') AS d;

-- Employee 1 works every working day.  Employee 2 is on vacation from 16
-- to 20 November.  Employee 3 is sick on the 2nd, works on Saturday the
-- 7th, and has no code for the 30th.
INSERT INTO otan_enbek.timesheet_line (org_id, timesheet_id, employee_id, line_no, iin,
                                       full_name, contract_id, day_codes, day_hours,
                                       days_worked, hours_worked, overtime_hours,
                                       night_hours, holiday_hours, days_off)
SELECT 7001, 7101, e.employee_id, e.employee_id, e.iin, e.last_name || ' ' || e.first_name,
       e.contract_id,
       array_agg(c.code ORDER BY n.day), array_agg(c.hours ORDER BY n.day),
       count(*) FILTER (WHERE c.hours > 0), sum(c.hours),
       CASE e.employee_id WHEN 3 THEN 1.5 ELSE 0 END,
       CASE e.employee_id WHEN 1 THEN 2.25 ELSE 0 END,
       CASE e.employee_id WHEN 3 THEN 6 ELSE 0 END,
       count(*) FILTER (WHERE c.code = 'В')
FROM otan_enbek.employee AS e
CROSS JOIN november AS n
CROSS JOIN LATERAL (
    SELECT CASE
               WHEN e.employee_id = 2 AND n.day BETWEEN '2026-11-16' AND '2026-11-20' THEN 'О'
               WHEN e.employee_id = 3 AND n.day = '2026-11-02' THEN 'Б'
               WHEN e.employee_id = 3 AND n.day = '2026-11-07' THEN 'РП'
               WHEN e.employee_id = 3 AND n.day = '2026-11-30' THEN NULL
               WHEN n.weekend THEN 'В'
               ELSE 'Я'
           END AS code,
           CASE
               WHEN e.employee_id = 3 AND n.day = '2026-11-07' THEN 6.00
               WHEN e.employee_id = 3 AND n.day IN ('2026-11-02', '2026-11-30') THEN 0
               WHEN e.employee_id = 2 AND n.day BETWEEN '2026-11-16' AND '2026-11-20' THEN 0
               WHEN n.weekend THEN 0
               ELSE 8
           END AS hours
) AS c
WHERE e.org_id = 7001
GROUP BY e.employee_id, e.iin, e.last_name, e.first_name, e.contract_id;

-- The whole document, one element per line (the document itself has no
-- line breaks).  PostgreSQL writes non-ASCII characters in attribute
-- values as character references; the signed document, which libxml2
-- writes, has the characters themselves.
SELECT line
FROM regexp_split_to_table(
         replace(otan_enbek.timesheet_document_v1(7101, '4f1c2b6e-0d5a-4c1e-9a7b-2f3d4e5f6a7b')::text,
                 '><', E'>\n<'),
         E'\n') WITH ORDINALITY AS t(line, n)
ORDER BY n;

-- The same document checked against the shape of the delivery contract.
CREATE TEMP TABLE doc AS
SELECT otan_enbek.timesheet_document_v1(7101, '4f1c2b6e-0d5a-4c1e-9a7b-2f3d4e5f6a7b') AS x,
       ARRAY[ARRAY['ts', 'urn:otan-enbek:timesheet:v1']] AS ns;
SELECT (xpath('namespace-uri(/*)', x))[1]::text AS root_namespace,
       (xpath('local-name(/*)', x))[1]::text AS root_name,
       (xpath('/*/@schemaVersion', x))[1]::text AS schema_version
FROM doc;
SELECT n, (xpath('local-name(/*/*[' || n || '])', x))[1]::text AS child
FROM doc, generate_series(1, 9) AS n;
SELECT (xpath('/ts:timesheetRequest/ts:messageId/text()', x, ns))[1]::text AS message_id,
       (xpath('/ts:timesheetRequest/ts:employees/@count', x, ns))[1]::text AS count_attribute,
       (xpath('count(/ts:timesheetRequest/ts:employees/ts:employee)', x, ns))[1]::text AS employees
FROM doc;
-- Per employee: days written (a day without a code has none), days in
-- ascending order, the optional contract id, and the totals.
SELECT i,
       (xpath(e || '/ts:iin/text()', x, ns))[1]::text AS iin,
       (xpath(e || '/ts:contractId/text()', x, ns))[1]::text AS contract_id,
       (xpath('count(' || e || '/ts:days/ts:day)', x, ns))[1]::text AS days,
       (xpath(e || '/ts:days/ts:day[1]/@n', x, ns))[1]::text AS first_day,
       (xpath(e || '/ts:days/ts:day[last()]/@n', x, ns))[1]::text AS last_day,
       (xpath('count(' || e || '/ts:days/ts:day[number(@n) <= number(preceding-sibling::ts:day[1]/@n)])',
              x, ns))[1]::text AS out_of_order,
       (xpath(e || '/ts:days/ts:day[@n = 7]/@code', x, ns))[1]::text AS code_7th,
       (xpath(e || '/ts:days/ts:day[@n = 7]/@hours', x, ns))[1]::text AS hours_7th,
       (xpath('local-name(' || e || '/ts:totals/@*[1])', x, ns))[1]::text AS first_total,
       (xpath(e || '/ts:totals/@hoursWorked', x, ns))[1]::text AS hours_worked,
       (xpath(e || '/ts:totals/@daysOff', x, ns))[1]::text AS days_off
FROM doc, generate_series(1, 3) AS i,
     LATERAL (SELECT '/ts:timesheetRequest/ts:employees/ts:employee[' || i || ']' AS e) AS path
ORDER BY i;

-- The document is built from the stored rows only: the same call gives
-- the same text, another message id changes only the message id.
SELECT otan_enbek.timesheet_document_v1(7101, '4f1c2b6e-0d5a-4c1e-9a7b-2f3d4e5f6a7b')::text
       = otan_enbek.timesheet_document_v1(7101, '4f1c2b6e-0d5a-4c1e-9a7b-2f3d4e5f6a7b')::text
       AS repeatable,
       replace(otan_enbek.timesheet_document_v1(7101, '00000000-0000-4000-8000-000000000000')::text,
               '00000000-0000-4000-8000-000000000000', '4f1c2b6e-0d5a-4c1e-9a7b-2f3d4e5f6a7b')
       = otan_enbek.timesheet_document_v1(7101, '4f1c2b6e-0d5a-4c1e-9a7b-2f3d4e5f6a7b')::text
       AS only_message_id_differs;
SELECT otan_enbek.timesheet_document_v1(7999, '4f1c2b6e-0d5a-4c1e-9a7b-2f3d4e5f6a7b') IS NULL
       AS unknown_timesheet_gives_null;

-- Key checks.  Each check returns "accepted" with the facts that do not
-- change between runs, or the error with the key path and certificate
-- serial numbers replaced.
CREATE FUNCTION pg_temp.key_check(org integer, key_file text, pki text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    facts record;
    state text;
    message text;
    detail text;
    hint text;
BEGIN
    SELECT * INTO facts FROM otan_enbek.check_signing_key(org, key_file);
    RETURN format('accepted: subject %s; issuer %s; BIN %s; %s %s bits; usage %s; '
                  'extended usage %s; fingerprint of %s hex digits; trusted %s',
                  facts.subject, facts.issuer, facts.bin, facts.key_algorithm,
                  facts.key_bits, facts.key_usage, facts.extended_key_usage,
                  length(facts.fingerprint), facts.trusted);
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN regexp_replace(replace(concat_ws(E'\n', state || ': ' || message,
                                            'DETAIL: ' || nullif(detail, ''),
                                            'HINT: ' || nullif(hint, '')),
                                  pki, '$OTAN_PKI'),
                          'serial number [0-9A-F]+', 'serial number N', 'g');
END
$$;

SELECT pg_temp.key_check(7001, NULL, :'pki') AS configured_key;
SELECT pg_temp.key_check(7001, :'pki' || '/sign.p12', :'pki') AS sign;
SELECT pg_temp.key_check(7001, :'pki' || '/auth.p12', :'pki') AS auth;
SELECT pg_temp.key_check(7001, :'pki' || '/expired.p12', :'pki') AS expired;
SELECT pg_temp.key_check(7001, :'pki' || '/otherbin.p12', :'pki') AS otherbin;
-- A key of an untrusted CA fails the chain check against
-- otan_enbek.signing_ca_file, which the test cluster sets.
SELECT pg_temp.key_check(7001, :'pki' || '/untrusted.p12', :'pki') AS untrusted;
SELECT pg_temp.key_check(7001, :'pki' || '/missing.p12', :'pki') AS missing;
SELECT pg_temp.key_check(7001, :'pki' || '/ca.crt', :'pki') AS not_pkcs12;
SELECT pg_temp.key_check(7001, :'pki', :'pki') AS directory;
SELECT pg_temp.key_check(7999, NULL, :'pki') AS unknown_organization;
-- The configured key belongs to another organization's BIN.
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (7002, '110340000072', 'Another School');
SELECT pg_temp.key_check(7002, NULL, :'pki') AS other_organization;
-- The dates of the configured key are those of its certificate.
SELECT k.not_before < now() AND now() < k.not_after AS valid_now,
       k.serial ~ '^[0-9A-F]+$' AS serial_is_hex,
       k.fingerprint ~ '^[0-9a-f]{64}$' AS fingerprint_is_sha256
FROM otan_enbek.check_signing_key(7001) AS k;

ROLLBACK;
