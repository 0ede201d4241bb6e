-- otan_enbek.submit_timesheet: the signed submission row, its document and
-- signature, immutability, the rejected cases, and who may call what.
BEGIN;
SELECT plan(68);

-- Organization 7001 has the BIN of the test signing key; 7002 has another.
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (7001, '050440000012', 'School No. 7'),
       (7002, '110340000072', 'Another School');
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, contract_id)
VALUES (7001, 1, '810111300012', 'Abenova', 'Aigul', 'C-2024-0001'),
       (7001, 2, '820212300023', 'Bekov', 'Daniyar', NULL),
       (7002, 3, '830313300034', 'Serikova', 'Zhanna', NULL);

-- Timesheets: 7101 is the one submitted, 7102 has no lines, 7103 is
-- superseded, 7104 has a line too large for a request of its own, 7105
-- belongs to organization 7002.
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, version, status,
                                  working_days, norm_hours, built_at)
VALUES (7001, 7101, '2026-11-01', 1, 'built', 21, 168, '2026-12-01 04:00+00'),
       (7001, 7102, '2026-10-01', 1, 'built', 21, 168, '2026-11-01 04:00+00'),
       (7001, 7103, '2026-09-01', 1, 'superseded', 22, 176, '2026-10-01 04:00+00'),
       (7001, 7104, '2026-08-01', 1, 'built', 21, 168, '2026-09-01 04:00+00'),
       (7002, 7105, '2026-11-01', 1, 'built', 21, 168, '2026-12-01 04:00+00');

CREATE TEMP TABLE november_codes AS
SELECT array_agg(CASE WHEN extract(isodow FROM d) >= 6 THEN 'В' ELSE 'Я' END ORDER BY d) AS codes,
       array_agg(CASE WHEN extract(isodow FROM d) >= 6 THEN 0 ELSE 8 END ORDER BY d) AS hours
FROM generate_series('2026-11-01'::date, '2026-11-30', '1 day') AS d;

INSERT INTO otan_enbek.timesheet_line (org_id, timesheet_id, employee_id, line_no, iin,
                                       full_name, contract_id, day_codes, day_hours,
                                       days_worked, hours_worked, days_off)
SELECT e.org_id, t.timesheet_id, e.employee_id, e.employee_id, e.iin,
       e.last_name || ' ' || e.first_name, e.contract_id, c.codes, c.hours, 21, 168, 9
FROM otan_enbek.employee AS e
JOIN otan_enbek.timesheet AS t
  ON t.org_id = e.org_id AND t.timesheet_id IN (7101, 7103, 7105)
CROSS JOIN november_codes AS c;

-- A timesheet too large for one request is split into parts of whole
-- lines (test/pgtap/submit_parts.sql), so only a single line over 100 KB
-- cannot be sent, here one with a long contract id.  The lines need no
-- employee rows, so they repeat one IIN.
INSERT INTO otan_enbek.timesheet_line (org_id, timesheet_id, employee_id, line_no, iin,
                                       full_name, contract_id, day_codes, day_hours,
                                       days_worked, hours_worked, days_off)
SELECT 7001, 7104, 1000 + n, n, '810111300012', 'Employee ' || n,
       CASE n WHEN 2 THEN repeat('C', 110000) END, c.codes, c.hours, 21, 168, 9
FROM generate_series(1, 3) AS n CROSS JOIN november_codes AS c;

-- Submission of timesheet 7101.
SELECT lives_ok(
    $$CREATE TEMP TABLE submitted AS
      SELECT otan_enbek.submit_timesheet(7101) AS submission_id$$,
    'submit_timesheet signs and queues a built timesheet');

CREATE TEMP VIEW sub AS
SELECT s.*, s.document::xml AS x,
       ARRAY[ARRAY['ts', 'urn:otan-enbek:timesheet:v1'],
             ARRAY['ds', 'http://www.w3.org/2000/09/xmldsig#']] AS ns
FROM otan_enbek.submission AS s
JOIN submitted USING (submission_id)
WHERE s.org_id = 7001;

SELECT is((SELECT count(*) FROM otan_enbek.submission WHERE timesheet_id = 7101), 1::bigint,
          'one submission row for the timesheet');
SELECT is((SELECT count(*) FROM submitted), 1::bigint, 'submit_timesheet returns one id');
SELECT is((SELECT part_no || ' of ' || part_count FROM sub), '1 of 1',
          'a timesheet that fits in one request is part 1 of 1');
SELECT is((SELECT status FROM sub), 'queued', 'the submission is queued');
SELECT is((SELECT attempts FROM sub), 0, 'no attempt has been made');
SELECT is((SELECT service_id FROM sub), current_setting('otan_enbek.service_id'),
          'service_id comes from otan_enbek.service_id');
SELECT is((SELECT created_by FROM sub), current_user, 'created_by is the caller');
SELECT is((SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = 7101), 'submitted',
          'the timesheet is marked submitted');
SELECT is((SELECT kind || ' ' || (detail->>'message_id')
           FROM otan_enbek.submission_event AS e JOIN sub USING (org_id, submission_id)
           WHERE e.event_no = 1),
          (SELECT 'created ' || message_id FROM sub),
          'a created event names the message id');

-- The message id is the idempotency key: the same in the row, in the
-- signed document and in the envelope built around it.
SELECT is((SELECT (xpath('/ts:timesheetRequest/ts:messageId/text()', x, ns))[1]::text FROM sub),
          (SELECT message_id::text FROM sub),
          'the document carries the message id of the row');
CREATE TEMP TABLE envelope AS
SELECT otan_enbek.build_envelope(message_id::text, service_id, '2026-12-04 16:00+05',
                                 'OTAN-TEST-SENDER', 'test-password', document) AS text,
       message_id
FROM sub;
SELECT ok((SELECT xml_is_well_formed_document(text) FROM envelope),
          'the envelope around the stored document is well-formed');
SELECT is((SELECT (xpath('//requestInfo/messageId/text()', text::xml))[1]::text FROM envelope),
          (SELECT message_id::text FROM envelope),
          'requestInfo/messageId is the message id');
SELECT is((SELECT (xpath('//data/ts:timesheetRequest/ts:messageId/text()', text::xml,
                         ARRAY[ARRAY['ts', 'urn:otan-enbek:timesheet:v1']]))[1]::text
           FROM envelope),
          (SELECT message_id::text FROM envelope),
          'the document inside the envelope has the same message id');
SELECT ok((SELECT strpos(text, document) > 0 FROM envelope, sub),
          'the envelope contains the stored document unchanged');

-- The stored document: exactly the bytes that were signed.
SELECT is((SELECT sha256(convert_to(document, 'UTF8')) FROM sub),
          (SELECT document_sha256 FROM sub),
          'the document read back has the SHA-256 computed when it was signed');
SELECT is((SELECT (otan_enbek.verify_document(document)).valid FROM sub), true,
          'the stored signature verifies against otan_enbek.ca_file');
SELECT is((SELECT (otan_enbek.verify_document(document)).reason FROM sub), NULL,
          'a valid signature has no reason');
SELECT ok((SELECT left(document, 21) = '<ts:timesheetRequest ' FROM sub),
          'the document has no XML declaration');
SELECT ok((SELECT strpos(document, 'code="Я"') > 0 FROM sub),
          'day codes are written as characters, not character references');

-- The document has the shape of the delivery contract.
SELECT is((SELECT array_agg((xpath('local-name(/*/*[' || n || '])', x))[1]::text ORDER BY n)
           FROM sub, generate_series(1, 8) AS n),
          ARRAY['messageId', 'employer', 'period', 'timesheet', 'workingDays', 'normHours',
                'employees', 'Signature'],
          'the children of ts:timesheetRequest, with the signature last');
SELECT is((SELECT (xpath('count(/*/*)', x))[1]::text FROM sub), '8',
          'nothing follows the signature');
SELECT is((SELECT (xpath('/ts:timesheetRequest/ts:employer/ts:bin/text()', x, ns))[1]::text FROM sub),
          '050440000012', 'the employer BIN');
SELECT is((SELECT (xpath('/ts:timesheetRequest/ts:period/text()', x, ns))[1]::text FROM sub),
          '2026-11', 'the period');
SELECT is((SELECT (xpath('count(/ts:timesheetRequest/ts:timesheet/@*[name() = ''part'' or name() = ''parts''])',
                         x, ns))[1]::text FROM sub),
          '0', 'a whole timesheet has no part attributes');
SELECT is((SELECT (detail->>'request_bytes')::integer < 102400
           FROM otan_enbek.submission_event AS e JOIN sub USING (org_id, submission_id)
           WHERE e.event_no = 1),
          true, 'the created event records the request size, under 100 KB');
SELECT is((SELECT (xpath('/ts:timesheetRequest/ts:employees/@count', x, ns))[1]::text FROM sub),
          '2', 'the employee count');
SELECT is((SELECT (xpath('count(//ts:employee[1]/ts:days/ts:day)', x, ns))[1]::text FROM sub),
          '30', 'a day element for each day of November');
SELECT is((SELECT (xpath('//ts:employee[2]/ts:iin/text()', x, ns))[1]::text FROM sub),
          '820212300023', 'employees in line order');

-- The signature has the form Enbek checks.
SELECT is((SELECT (xpath('/*/ds:Signature/ds:SignedInfo/ds:CanonicalizationMethod/@Algorithm', x, ns))[1]::text FROM sub),
          'http://www.w3.org/2001/10/xml-exc-c14n#', 'SignedInfo uses exclusive canonicalization');
SELECT is((SELECT (xpath('/*/ds:Signature/ds:SignedInfo/ds:SignatureMethod/@Algorithm', x, ns))[1]::text FROM sub),
          'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256', 'the signature method is RSA-SHA256');
SELECT is((SELECT (xpath('count(/*/ds:Signature/ds:SignedInfo/ds:Reference)', x, ns))[1]::text FROM sub),
          '1', 'one reference');
SELECT is((SELECT (xpath('/*/ds:Signature/ds:SignedInfo/ds:Reference/@URI', x, ns))[1]::text FROM sub),
          '', 'the reference is the whole document');
SELECT is((SELECT array_agg(a::text)
           FROM sub, unnest(xpath('/*/ds:Signature/ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform/@Algorithm', x, ns)) AS a),
          ARRAY['http://www.w3.org/2000/09/xmldsig#enveloped-signature',
                'http://www.w3.org/2001/10/xml-exc-c14n#'],
          'transforms: enveloped signature, then exclusive canonicalization');
SELECT is((SELECT (xpath('/*/ds:Signature/ds:SignedInfo/ds:Reference/ds:DigestMethod/@Algorithm', x, ns))[1]::text FROM sub),
          'http://www.w3.org/2001/04/xmlenc#sha256', 'the digest is SHA-256');
SELECT is((SELECT regexp_replace((xpath('/*/ds:Signature/ds:SignatureValue/text()', x, ns))[1]::text, '\s', '', 'g') FROM sub),
          (SELECT signature_value FROM sub),
          'signature_value is the signature value of the document');
SELECT is((SELECT encode(sha256(decode(regexp_replace(
                   (xpath('/*/ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate/text()', x, ns))[1]::text,
                   '\s', '', 'g'), 'base64')), 'hex') FROM sub),
          (SELECT key_fingerprint FROM sub),
          'key_fingerprint is the SHA-256 of the certificate in KeyInfo');
SELECT is((SELECT (xpath('count(/*/ds:Signature/ds:KeyInfo/ds:X509Data/ds:X509Certificate)', x, ns))[1]::text FROM sub),
          '1', 'KeyInfo holds the signing certificate only');
SELECT is((SELECT key_fingerprint || ' ' || certificate_serial || ' ' || certificate_not_after FROM sub),
          (SELECT fingerprint || ' ' || serial || ' ' || not_after FROM otan_enbek.check_signing_key(7001)),
          'fingerprint, serial and end of validity are those of the configured key');

-- A changed document no longer verifies.
SELECT is((SELECT (otan_enbek.verify_document(replace(document, 'hours="8.00"', 'hours="9.00"'))).valid FROM sub),
          false, 'a document with changed hours does not verify');
SELECT is((SELECT (otan_enbek.verify_document(replace(document, '>820212300023<', '>830313300034<'))).reason FROM sub),
          'the signature value or a digest does not match the document',
          'the reason of a changed document');
SELECT is((SELECT (otan_enbek.verify_document(regexp_replace(document, '<ds:Signature.*</ds:Signature>', ''))).reason FROM sub),
          'the root element has no ds:Signature as its last child',
          'a document without its signature does not verify');

-- The signed content is immutable, but the delivery state is not.
SELECT throws_ok(format($$UPDATE otan_enbek.submission SET document = replace(document, '8.00', '9.00')
                          WHERE org_id = 7001 AND submission_id = %s$$, submission_id),
                 '23000', format('the signed content of submission %s cannot be changed', submission_id),
                 'the document cannot be changed')
FROM submitted;
SELECT throws_ok(format($$UPDATE otan_enbek.submission SET message_id = gen_random_uuid()
                          WHERE org_id = 7001 AND submission_id = %s$$, submission_id),
                 '23000', format('the signed content of submission %s cannot be changed', submission_id),
                 'the message id cannot be changed')
FROM submitted;
SELECT throws_ok(format($$UPDATE otan_enbek.submission SET signature_value = 'AAAA'
                          WHERE org_id = 7001 AND submission_id = %s$$, submission_id),
                 '23000', format('the signed content of submission %s cannot be changed', submission_id),
                 'the signature value cannot be changed')
FROM submitted;
SELECT throws_ok(format($$DELETE FROM otan_enbek.submission
                          WHERE org_id = 7001 AND submission_id = %s$$, submission_id),
                 '23000', format('submission %s cannot be deleted', submission_id),
                 'a submission cannot be deleted')
FROM submitted;
SELECT lives_ok(format($$UPDATE otan_enbek.submission SET status = 'sending', attempts = 1
                         WHERE org_id = 7001 AND submission_id = %s$$, submission_id),
                'the delivery state can change')
FROM submitted;

-- Rejected submissions.  None of them leaves a row behind.
SELECT throws_ok('SELECT otan_enbek.submit_timesheet(7101)', '55000',
                 'timesheet 7101 has already been submitted',
                 'second submission of a timesheet rejected');
SELECT is((SELECT count(*) FROM otan_enbek.submission WHERE timesheet_id = 7101), 1::bigint,
          'rejected second submission stored nothing');
SELECT throws_ok('SELECT otan_enbek.submit_timesheet(7999)', 'P0002',
                 'timesheet 7999 does not exist', 'unknown timesheet rejected');
SELECT throws_ok('SELECT otan_enbek.submit_timesheet(7102)', '55000',
                 'timesheet 7102 has no lines', 'timesheet without lines rejected');
SELECT throws_ok('SELECT otan_enbek.submit_timesheet(7103)', '55000',
                 'timesheet 7103 has been superseded by a newer version',
                 'superseded timesheet rejected');
SELECT throws_ok('SELECT otan_enbek.submit_timesheet(7104)', '54000',
                 'line 2 of timesheet 7104 is too large to send even in a part of its own',
                 'a line over 100 KB rejected');
SELECT throws_ok('SELECT otan_enbek.submit_timesheet(7105)', 'OE003',
                 format('signing key file "%s" belongs to BIN 050440000012, not to the organization''s BIN 110340000072',
                        current_setting('otan_enbek.signing_key_file')),
                 'key of another BIN rejected');
SELECT is((SELECT array_agg(status ORDER BY timesheet_id) FROM otan_enbek.timesheet
           WHERE timesheet_id IN (7102, 7104, 7105)),
          ARRAY['built', 'built', 'built'], 'rejected timesheets stay built');
SELECT is((SELECT count(*) FROM otan_enbek.submission WHERE timesheet_id <> 7101), 0::bigint,
          'rejected timesheets have no submission');

-- Secrets and privileges.  The role may use the schema, so each error
-- below is about the function or setting itself.
CREATE ROLE otan_tap_clerk;
GRANT USAGE ON SCHEMA otan_enbek TO otan_tap_clerk;
CREATE ROLE otan_tap_settings_reader;
GRANT pg_read_all_settings TO otan_tap_settings_reader;
GRANT USAGE ON SCHEMA otan_enbek TO otan_tap_settings_reader;
GRANT EXECUTE ON FUNCTION otan_enbek.check_signing_key(integer, text) TO otan_tap_settings_reader;

SET ROLE otan_tap_clerk;
SELECT throws_ok('SELECT * FROM otan_enbek.check_signing_key(7001)', '42501',
                 'permission denied for function check_signing_key',
                 'a non-superuser cannot call check_signing_key');
SELECT throws_ok('SHOW otan_enbek.signing_key_password', '42501', NULL,
                 'a non-superuser cannot SHOW the key password');
SELECT throws_ok($$SELECT current_setting('otan_enbek.signing_key_password')$$, '42501', NULL,
                 'a non-superuser cannot read the key password with current_setting');
SELECT is((SELECT count(*) FROM pg_settings WHERE name LIKE 'otan_enbek.%password'), 0::bigint,
          'pg_settings has no password row for a non-superuser');
SELECT throws_ok('SELECT otan_enbek.submit_timesheet(7102)', '42501', NULL,
                 'a non-superuser cannot submit without a grant');
SELECT throws_ok('SELECT otan_enbek.sign_timesheet(7102)', '42501', NULL,
                 'a non-superuser cannot sign');
SELECT throws_ok($$SELECT otan_enbek.build_envelope('a', 'b', now(), 'c', 'd', 'e')$$, '42501', NULL,
                 'a non-superuser cannot build an envelope');
RESET ROLE;

-- pg_read_all_settings may read superuser-only settings, but a password is
-- shown as asterisks; a GRANT on check_signing_key does not bypass its
-- superuser check.
SET ROLE otan_tap_settings_reader;
SELECT is(current_setting('otan_enbek.signing_key_password'), '********',
          'pg_read_all_settings sees asterisks for the key password');
SELECT is(current_setting('otan_enbek.sender_password'), '********',
          'pg_read_all_settings sees asterisks for the sender password');
SELECT throws_ok('SELECT * FROM otan_enbek.check_signing_key(7001)', '42501',
                 'must be superuser to check a signing key',
                 'check_signing_key requires a superuser even with EXECUTE');
RESET ROLE;
SELECT is(current_setting('otan_enbek.signing_key_password'), '********',
          'a superuser sees asterisks too');
SELECT is((SELECT count(*) FROM pg_settings WHERE name LIKE 'otan_enbek.%password'), 0::bigint,
          'pg_settings has no password row for a superuser either');

SELECT * FROM finish();
ROLLBACK;
