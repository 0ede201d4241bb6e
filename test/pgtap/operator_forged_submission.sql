-- The insert guard of otan_enbek.submission.  Operators hold INSERT on the
-- table because submit_timesheet and resubmit run with their privileges.
-- They may insert only a new queued row whose document sign_timesheet or
-- sign_timesheet_correction signed in the same transaction, for the same
-- timesheet, part and message id, with the signature and certificate facts
-- that the signing returned.  Superusers and administrators may
-- insert any row.
BEGIN;
SELECT plan(21);
SET LOCAL client_min_messages = warning;

CREATE ROLE otan_tap_forge_operator IN ROLE otan_enbek_operator;
CREATE ROLE otan_tap_forge_admin IN ROLE otan_enbek_admin;

-- Organization 7701 has the BIN of the test signing key.
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (7701, '050440000012', 'School 77');
SELECT otan_enbek.grant_org_access('otan_tap_forge_operator', 7701);
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, contract_id)
VALUES (7701, 1, '810111300012', 'Abenova', 'Aigul', 'C-2024-0001'),
       (7701, 2, '820212300023', 'Bekov', 'Daniyar', NULL);

-- 770100 and 770200 are the targets of rows forged by hand.  770400 is
-- submitted with submit_timesheet and 770500 signed with sign_timesheet.
-- September 2025 has version 1 (770300) accepted and version 2 (770301)
-- built with a changed day, so resubmit sends a correction.
INSERT INTO otan_enbek.timesheet
    (org_id, timesheet_id, month, version, status, working_days, norm_hours, built_at)
VALUES (7701, 770100, '2025-11-01', 1, 'built', 20, 160, '2025-12-02 04:00+00'),
       (7701, 770200, '2025-10-01', 1, 'built', 23, 184, '2025-11-02 04:00+00'),
       (7701, 770300, '2025-09-01', 1, 'submitted', 22, 176, '2025-10-02 04:00+00'),
       (7701, 770301, '2025-09-01', 2, 'built', 22, 176, '2025-10-03 04:00+00'),
       (7701, 770400, '2025-08-01', 1, 'built', 21, 168, '2025-09-02 04:00+00'),
       (7701, 770500, '2025-07-01', 1, 'built', 23, 184, '2025-08-02 04:00+00');
INSERT INTO otan_enbek.timesheet_line (org_id, timesheet_id, employee_id, line_no, iin,
                                       full_name, contract_id, day_codes, day_hours,
                                       days_worked, hours_worked, days_off)
SELECT 7701, t.timesheet_id, e.employee_id, e.employee_id, e.iin,
       e.last_name || ' ' || e.first_name, e.contract_id,
       array_fill('Я'::text, ARRAY[extract(day FROM t.month + interval '1 month - 1 day')::integer]),
       array_fill(8::numeric, ARRAY[extract(day FROM t.month + interval '1 month - 1 day')::integer]),
       20, 160, 10
FROM otan_enbek.timesheet AS t
CROSS JOIN otan_enbek.employee AS e
WHERE t.org_id = 7701 AND t.timesheet_id IN (770300, 770301, 770400, 770500);
UPDATE otan_enbek.timesheet_line
SET day_codes[2] = 'Б', day_hours[2] = 0, days_worked = 19, hours_worked = 152
WHERE org_id = 7701 AND timesheet_id = 770301 AND employee_id = 1;

-- The superuser inserts the accepted submission of version 1 by hand, as
-- a restore does.
SELECT lives_ok($$
    INSERT INTO otan_enbek.submission
        (org_id, timesheet_id, message_id, service_id, document, document_sha256,
         signature_value, key_fingerprint, certificate_serial, certificate_not_after,
         status, attempts, finished_at)
    VALUES (7701, 770300, '77777777-7777-4777-8777-777777777777', 'OTAN_TIMESHEET_V1',
            '<restored/>', '\x00', 'sig', 'fp', '1', '2030-01-01', 'accepted', 1, now())$$,
    'the superuser inserts an accepted submission by hand');
UPDATE otan_enbek.timesheet SET status = 'accepted' WHERE timesheet_id = 770300;

-- Inserts the documents that sign_timesheet signs for sheet as rows of
-- target, with the given state.  When digest_of is not NULL, the row
-- stores its SHA-256 in place of the document's.  sign_timesheet runs
-- before the INSERT stores a row.
CREATE FUNCTION pg_temp.insert_signed(sheet integer, target integer, new_status text,
                                      new_attempts integer, answer text, digest_of text)
    RETURNS void LANGUAGE sql AS $$
    INSERT INTO otan_enbek.submission
        (org_id, timesheet_id, part_no, part_count, message_id, service_id, document,
         document_sha256, signature_value, key_fingerprint, certificate_serial,
         certificate_not_after, status, attempts, response_code)
    SELECT g.org_id, target, g.part_no, g.part_count, g.message_id, 'OTAN_TIMESHEET_V1',
           g.document, sha256(convert_to(coalesce(digest_of, g.document), 'UTF8')),
           g.signature_value, g.key_fingerprint, g.certificate_serial,
           g.certificate_not_after, new_status, new_attempts, answer
    FROM otan_enbek.sign_timesheet(sheet) AS g
$$;

-- Inserts the documents that sign_timesheet signs for sheet as new queued
-- rows, with another key fingerprint than the signer's.
CREATE FUNCTION pg_temp.insert_signed_other_key(sheet integer) RETURNS void
    LANGUAGE sql AS $$
    INSERT INTO otan_enbek.submission
        (org_id, timesheet_id, part_no, part_count, message_id, service_id, document,
         document_sha256, signature_value, key_fingerprint, certificate_serial,
         certificate_not_after)
    SELECT g.org_id, sheet, g.part_no, g.part_count, g.message_id, 'OTAN_TIMESHEET_V1',
           g.document, g.document_sha256, g.signature_value, 'another fingerprint',
           g.certificate_serial, g.certificate_not_after
    FROM otan_enbek.sign_timesheet(sheet) AS g
$$;

-- Returns the detail and hint of the permission error that statement raises.
CREATE FUNCTION pg_temp.error_fields(statement text, OUT detail text, OUT hint text)
    LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
EXCEPTION WHEN insufficient_privilege THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
END
$$;

SET LOCAL ROLE otan_tap_forge_operator;

-- Rows forged by hand.
SELECT throws_ok($$
    INSERT INTO otan_enbek.submission
        (org_id, timesheet_id, part_no, part_count, message_id, service_id, document,
         document_sha256, signature_value, key_fingerprint, certificate_serial,
         certificate_not_after, status)
    VALUES (7701, 770100, 1, 1, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<x/>',
            sha256('<x/>'), 'sig', 'fp', '1', '2030-01-01', 'accepted')$$,
    '42501', 'permission denied to insert a submission of timesheet 770100 by hand',
    'forged submission: an accepted row is rejected');
SELECT throws_ok($$
    INSERT INTO otan_enbek.submission
        (org_id, timesheet_id, part_no, part_count, message_id, service_id, document,
         document_sha256, signature_value, key_fingerprint, certificate_serial,
         certificate_not_after)
    VALUES (7701, 770200, 1, 1, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<forged/>',
            sha256('<forged/>'), 'sig', 'fp', '1', '2030-01-01')$$,
    '42501', 'permission denied to insert a submission of timesheet 770200 by hand',
    'forged submission: a queued row with an unsigned document is rejected');
SELECT is((SELECT count(*) FROM otan_enbek.submission WHERE timesheet_id IN (770100, 770200)),
          0::bigint, 'forged submission: no forged row is stored');

-- Rows with a document signed in this transaction, but not as a new
-- submission of it.
SELECT throws_ok($$SELECT pg_temp.insert_signed(770500, 770500, 'accepted', 0, NULL, NULL)$$,
    '42501', 'permission denied to insert a submission of timesheet 770500 by hand',
    'signed document: an accepted row is rejected');
SELECT throws_ok($$SELECT pg_temp.insert_signed(770500, 770500, 'queued', 1, NULL, NULL)$$,
    '42501', 'permission denied to insert a submission of timesheet 770500 by hand',
    'signed document: a row with attempts is rejected');
SELECT throws_ok($$SELECT pg_temp.insert_signed(770500, 770500, 'queued', 0, 'SCSE000', NULL)$$,
    '42501', 'permission denied to insert a submission of timesheet 770500 by hand',
    'signed document: a row with an answer is rejected');
SELECT throws_ok($$SELECT pg_temp.insert_signed(770500, 770500, 'queued', 0, NULL, '<other/>')$$,
    '42501', 'permission denied to insert a submission of timesheet 770500 by hand',
    'signed document: a wrong document_sha256 is rejected');
SELECT throws_ok($$SELECT pg_temp.insert_signed(770500, 770200, 'queued', 0, NULL, NULL)$$,
    '42501', 'permission denied to insert a submission of timesheet 770200 by hand',
    'signed document: a row of another timesheet is rejected');
SELECT throws_ok($$SELECT pg_temp.insert_signed_other_key(770500)$$,
    '42501', 'permission denied to insert a submission of timesheet 770500 by hand',
    'signed document: another key fingerprint is rejected');

-- The error names what is wrong and what to use instead.
SELECT is((SELECT detail FROM pg_temp.error_fields(
               $$SELECT pg_temp.insert_signed(770500, 770500, 'accepted', 0, NULL, NULL)$$)),
          'A new submission must have the status queued.',
          'error detail: the status');
SELECT is((SELECT detail FROM pg_temp.error_fields(
               $$SELECT pg_temp.insert_signed(770500, 770500, 'queued', 0, NULL, '<other/>')$$)),
          'Its document_sha256 is not the SHA-256 of its document.',
          'error detail: the digest');
SELECT is((SELECT detail FROM pg_temp.error_fields(
               $$SELECT pg_temp.insert_signed_other_key(770500)$$)),
          'Its signature_value, key_fingerprint, certificate_serial or certificate_not_after differs from what signing its document returned.',
          'error detail: the certificate columns');
SELECT is((SELECT hint FROM pg_temp.error_fields(
               $$SELECT pg_temp.insert_signed(770500, 770500, 'accepted', 0, NULL, NULL)$$)),
          'Submit the timesheet with otan_enbek.submit_timesheet, or a new version of it with otan_enbek.resubmit.',
          'error hint: the functions to use');
SELECT is((SELECT detail FROM pg_temp.error_fields($$
               INSERT INTO otan_enbek.submission
                   (org_id, timesheet_id, message_id, service_id, document,
                    document_sha256, signature_value, key_fingerprint, certificate_serial,
                    certificate_not_after)
               VALUES (7701, 770200, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<forged/>',
                       sha256('<forged/>'), 'sig', 'fp', '1', '2030-01-01')$$)),
          'Its document was not signed by otan_enbek.sign_timesheet or otan_enbek.sign_timesheet_correction in this transaction.',
          'error detail: an unsigned document');

-- The functions that create submissions still work for an operator.
SELECT lives_ok($$SELECT otan_enbek.submit_timesheet(770400)$$,
                'an operator submits a timesheet with submit_timesheet');
SELECT is((SELECT array_agg(status || ':' || attempts) FROM otan_enbek.submission
           WHERE timesheet_id = 770400),
          ARRAY['queued:0'], 'submit_timesheet queues one new row');
SELECT lives_ok($$SELECT * FROM otan_enbek.resubmit(770301)$$,
                'an operator resubmits a new version with resubmit');
SELECT is((SELECT array_agg(document_kind || ':' || status) FROM otan_enbek.submission
           WHERE timesheet_id = 770301),
          ARRAY['correction:queued'], 'resubmit queues a correction');
SELECT lives_ok($$SELECT pg_temp.insert_signed(770500, 770500, 'queued', 0, NULL, NULL)$$,
                'a new queued row with a document signed in this transaction is allowed');
RESET ROLE;

-- An administrator may insert any row by hand, for a repair.
SET LOCAL ROLE otan_tap_forge_admin;
SELECT lives_ok($$
    INSERT INTO otan_enbek.submission
        (org_id, timesheet_id, message_id, service_id, document, document_sha256,
         signature_value, key_fingerprint, certificate_serial, certificate_not_after,
         status, attempts)
    VALUES (7701, 770100, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<repair/>',
            sha256('<repair/>'), 'sig', 'fp', '1', '2030-01-01', 'accepted', 1)$$,
    'an administrator inserts an accepted submission by hand');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
