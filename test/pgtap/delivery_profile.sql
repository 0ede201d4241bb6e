-- Delivery profiles in SQL: org_delivery and its checks, the profile and
-- service id copied into a new submission, the claim filtered by profile,
-- the status written and its guard, record_cabinet_answer and its errors,
-- and sign_envelope.  test/t/127_file_profile.pl runs the worker.
BEGIN;
SELECT plan(45);

-- Returns the SQLSTATE and message of the error that a statement raises,
-- or NULL when it succeeds.
CREATE FUNCTION pg_temp.error_of(statement text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    state text;
    message text;
BEGIN
    EXECUTE statement;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
    RETURN state || ' ' || message;
END
$$;

-- Inserts a queued submission of a new timesheet version; returns its id.
CREATE FUNCTION pg_temp.add_submission(org integer, version integer) RETURNS bigint
    LANGUAGE sql AS $$
WITH sheet AS (
    INSERT INTO otan_enbek.timesheet (org_id, month, version, status, working_days, norm_hours)
    VALUES (org, '2025-11-01', version, 'submitted', 20, 160)
    RETURNING org_id, timesheet_id
)
INSERT INTO otan_enbek.submission
    (org_id, timesheet_id, message_id, service_id, document, document_sha256,
     signature_value, key_fingerprint, certificate_serial, certificate_not_after)
SELECT org_id, timesheet_id, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<ts:timesheetRequest/>',
       sha256('<ts:timesheetRequest/>'), 'sig', 'fp', '1001', '2030-01-01'
FROM sheet
RETURNING submission_id
$$;

INSERT INTO otan_enbek.organization (org_id, bin, name)
    OVERRIDING SYSTEM VALUE
VALUES (9301, '050440000012', 'School No. 7'), (9302, '110340000072', 'School No. 8');

-- org_delivery and its checks
SELECT is(pg_temp.error_of($$INSERT INTO otan_enbek.org_delivery (org_id, profile) VALUES (9301, 'file')$$),
          '23514 new row for relation "org_delivery" violates check constraint "org_delivery_check"',
          'the profile file needs a directory');
SELECT is(pg_temp.error_of($$INSERT INTO otan_enbek.org_delivery (org_id, profile, file_dir) VALUES (9301, 'file', 'upload')$$),
          '23514 new row for relation "org_delivery" violates check constraint "org_delivery_file_dir_check"',
          'the directory is an absolute path');
SELECT is(pg_temp.error_of($$INSERT INTO otan_enbek.org_delivery (org_id, profile) VALUES (9301, 'ftp')$$),
          '23514 new row for relation "org_delivery" violates check constraint "org_delivery_profile_check"',
          'an unknown profile is rejected');
INSERT INTO otan_enbek.org_delivery (org_id, profile, service_id, sender_id, file_dir)
VALUES (9301, 'file', 'OTAN_TIMESHEET_FILE', 'SENDER-9301', '/srv/upload');

CREATE ROLE profile_test_admin;
GRANT otan_enbek_admin TO profile_test_admin;
SET LOCAL ROLE profile_test_admin;
SELECT is(pg_temp.error_of($$UPDATE otan_enbek.org_delivery SET file_dir = '/tmp' WHERE org_id = 9301$$),
          '42501 permission denied to set the file directory of organization 9301',
          'an administrator cannot set file_dir');
SELECT is(pg_temp.error_of($$UPDATE otan_enbek.org_delivery SET sender_id = 'SENDER-B' WHERE org_id = 9301$$),
          NULL, 'an administrator may change the other settings');
RESET ROLE;
UPDATE otan_enbek.org_delivery SET sender_id = 'SENDER-9301' WHERE org_id = 9301;

-- A new submission takes the organization's profile and service id.
CREATE TEMP TABLE s AS
SELECT pg_temp.add_submission(9301, 1) AS file1, pg_temp.add_submission(9302, 1) AS soap1;
GRANT SELECT ON s TO PUBLIC;
SELECT is((SELECT profile || '|' || service_id FROM otan_enbek.submission WHERE submission_id = (SELECT file1 FROM s)),
          'file|OTAN_TIMESHEET_FILE', 'profile and service id of the organization');
SELECT is((SELECT profile || '|' || service_id FROM otan_enbek.submission WHERE submission_id = (SELECT soap1 FROM s)),
          'soap|OTAN_TIMESHEET_V1', 'an organization without settings gets soap');
SELECT is(pg_temp.error_of(format($$UPDATE otan_enbek.submission SET profile = 'soap' WHERE submission_id = %s$$,
                                  (SELECT file1 FROM s))),
          '23000 the signed content of submission ' || (SELECT file1 FROM s) || ' cannot be changed',
          'the profile of a submission never changes');

-- delivery_target
SELECT is((SELECT row(profile, sender_id, file_dir, bin, period, part_no, part_count)::text
           FROM otan_enbek.delivery_target(9301, (SELECT file1 FROM s))),
          '(file,SENDER-9301,/srv/upload,050440000012,2025-11,1,1)',
          'delivery_target of a file submission');
SELECT is((SELECT document_sha256 FROM otan_enbek.delivery_target(9301, (SELECT file1 FROM s))),
          encode(sha256('<ts:timesheetRequest/>'), 'hex'), 'delivery_target has the digest in hex');
SELECT is((SELECT sender_id FROM otan_enbek.delivery_target(9302, (SELECT soap1 FROM s))),
          nullif(current_setting('otan_enbek.sender_id'), ''),
          'without an own sender id the server setting applies');

-- The claim filtered by profile
SELECT is(otan_enbek.delivery_next_due('{file}') IS NOT NULL, true, 'a file submission is due');
SELECT is((SELECT array_agg(submission_id) FROM otan_enbek.delivery_claim(10, '{file}')),
          ARRAY[(SELECT file1 FROM s)], 'the claim of {file} takes the file submission only');
SELECT is((SELECT status FROM otan_enbek.submission WHERE submission_id = (SELECT soap1 FROM s)),
          'queued', 'the soap submission stays queued');
SELECT is(otan_enbek.delivery_next_due('{file}'), NULL, 'no file submission is due any more');
SELECT is(otan_enbek.delivery_next_due('{soap}') IS NOT NULL, true, 'the soap submission is due');

-- written
SELECT is(otan_enbek.delivery_record_written(9301, (SELECT file1 FROM s), 'written to /srv/upload/x.xml', 3,
                                             '{"already_present": false}'),
          'written', 'delivery_record_written returns written');
SELECT is((SELECT status || '|' || response_code FROM otan_enbek.submission WHERE submission_id = (SELECT file1 FROM s)),
          'written|WRITTEN', 'the submission is written');
SELECT is((SELECT string_agg(kind, ',' ORDER BY event_no) FROM otan_enbek.submission_event
           WHERE submission_id = (SELECT file1 FROM s)),
          'attempt,written', 'history: attempt, written');
SELECT is((SELECT t.status FROM otan_enbek.timesheet t JOIN otan_enbek.submission x USING (org_id, timesheet_id)
           WHERE x.submission_id = (SELECT file1 FROM s)),
          'submitted', 'a written part keeps the timesheet submitted');
SELECT is(otan_enbek.delivery_update_timesheet(9301, (SELECT timesheet_id FROM otan_enbek.submission
                                                      WHERE submission_id = (SELECT file1 FROM s))),
          'submitted', 'delivery_update_timesheet counts written as in delivery');
SELECT alike(pg_temp.error_of(format($$SELECT otan_enbek.delivery_record_written(9301, %s, 'again', 1, '{}')$$,
                                    (SELECT file1 FROM s))),
            '55000 submission % is not being delivered', 'written is recorded from sending only');
SELECT is(pg_temp.error_of(format($$UPDATE otan_enbek.submission SET status = 'failed' WHERE submission_id = %s$$,
                                  (SELECT file1 FROM s))),
          '23000 submission ' || (SELECT file1 FROM s) || ' cannot change from written to failed',
          'a written submission does not fail by hand');
SELECT ok((SELECT count(*) = 1 FROM otan_enbek.submission_attention
           WHERE submission_id = (SELECT file1 FROM s) AND status = 'written'),
          'submission_attention lists the written submission');

-- record_cabinet_answer
SELECT alike(pg_temp.error_of(format($$SELECT otan_enbek.record_cabinet_answer(9302, %s, 'accepted')$$,
                                    (SELECT soap1 FROM s))),
            '55000 submission % is not waiting for the cabinet''s answer',
            'a soap submission gets no cabinet answer');
SELECT alike(pg_temp.error_of(format($$SELECT otan_enbek.record_cabinet_answer(9301, %s, %L)$$,
                                    (SELECT file1 FROM s), repeat('x', 100000))),
            '22023 invalid cabinet answer "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"',
            'an unknown answer is quoted shortened');
SELECT alike(pg_temp.error_of(format($$SELECT otan_enbek.record_cabinet_answer(9301, %s, 'returned', 'x', '[]')$$,
                                    (SELECT file1 FROM s))),
            '22023 a returned document needs its reasons', 'a return needs reasons');
SELECT alike(pg_temp.error_of('SELECT otan_enbek.record_cabinet_answer(9301, 0, ''accepted'')'),
            'P0002 submission 0 of organization 9301 not found', 'an unknown submission');

-- Each reason of a return is checked, and its error names its position.
CREATE FUNCTION pg_temp.return_error(reasons text) RETURNS text
    LANGUAGE sql AS $$
SELECT pg_temp.error_of(format($f$SELECT otan_enbek.record_cabinet_answer(9301, %s, 'returned', 'x', %L)$f$,
                               (SELECT file1 FROM s), reasons))
$$;
SELECT is(pg_temp.return_error('[{"code": "SCSE012", "iin": "810111300012"}, {"code": null, "message": "x"}]'),
          '22004 reason 2 of the cabinet answer has no code', 'a reason with a null code');
SELECT is(pg_temp.return_error('[{"message": "x"}]'),
          '22004 reason 1 of the cabinet answer has no code', 'a reason without a code');
SELECT is(pg_temp.return_error('[{"code": " ", "message": "x"}]'),
          '22004 reason 1 of the cabinet answer has no code', 'a reason with a blank code');
SELECT is(pg_temp.return_error('[{"code": "SCSE012", "iin": "810111300013"}]'),
          '22023 invalid IIN "******300013" in reason 1 of the cabinet answer',
          'a reason with a wrong check digit');
SELECT is(pg_temp.return_error('[{"code": "SCSE012", "iin": "810111300012"}, {"code": "SCSE012", "iin": "8101113000"}]'),
          '22023 invalid IIN "******3000" in reason 2 of the cabinet answer',
          'a reason with an IIN of 10 digits');
SELECT is(pg_temp.return_error('["SCSE012"]'),
          '22023 reason 1 of the cabinet answer is not a JSON object', 'a reason that is a string');
SELECT is((SELECT status FROM otan_enbek.submission WHERE submission_id = (SELECT file1 FROM s)),
          'written', 'a rejected answer leaves the submission written');

CREATE ROLE profile_test_operator;
GRANT otan_enbek_operator TO profile_test_operator;
SET LOCAL ROLE profile_test_operator;
SELECT alike(pg_temp.error_of(format($$SELECT otan_enbek.record_cabinet_answer(9301, %s, 'accepted')$$,
                                    (SELECT file1 FROM s))),
            '42501 role "profile_test_operator" has no access to organization 9301',
            'an operator without the organization cannot answer');
RESET ROLE;
SELECT otan_enbek.grant_org_access('profile_test_operator', 9301);
SET LOCAL ROLE profile_test_operator;
SELECT is(otan_enbek.record_cabinet_answer(9301, (SELECT file1 FROM s), 'accepted', 'Принят'),
          'accepted', 'an operator of the organization records the answer');
SELECT is((SELECT count(*) FROM otan_enbek.org_delivery), 1::bigint,
          'the operator reads the settings of its organization only');
RESET ROLE;
SELECT is((SELECT status || '|' || response_code || '|' || response_message
           FROM otan_enbek.submission WHERE submission_id = (SELECT file1 FROM s)),
          'accepted|CABINET_ACCEPTED|Принят', 'the submission is accepted');
SELECT is((SELECT string_agg(kind, ',' ORDER BY event_no) FROM otan_enbek.submission_event
           WHERE submission_id = (SELECT file1 FROM s)),
          'attempt,written,answer,accepted', 'history ends with the answer and accepted');
SELECT is((SELECT detail->>'recorded_by' FROM otan_enbek.submission_event
           WHERE submission_id = (SELECT file1 FROM s) AND kind = 'answer'),
          'profile_test_operator', 'the answer event names who recorded it');
SELECT is((SELECT kind FROM otan_enbek.notification WHERE submission_id = (SELECT file1 FROM s)),
          'submission_accepted', 'HR is notified');

-- sign_envelope signs the body as the worker does.
CREATE TEMP TABLE envelope AS
SELECT otan_enbek.sign_envelope(otan_enbek.build_envelope(
           gen_random_uuid()::text, 'OTAN_TIMESHEET_V1', now(), 'SENDER', 'secret',
           '<ts:timesheetRequest xmlns:ts="urn:otan-enbek:timesheet:v1"/>')) AS text;
SELECT ok((SELECT text ~ '<soap:Header><wsse:Security [^>]*soap:mustUnderstand="1"' FROM envelope),
          'the header has wsse:Security');
SELECT ok((SELECT text ~ '<ds:Reference URI="#otan-enbek-body">' FROM envelope),
          'the signature references the body');
SELECT ok((SELECT text ~ '<soap:Body [^>]*wsu:Id="otan-enbek-body"' FROM envelope),
          'the body has the wsu:Id');

SELECT * FROM finish();
ROLLBACK;
