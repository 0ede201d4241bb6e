-- The record of submissions cannot be destroyed or rewound: TRUNCATE of
-- submission and submission_event raises while they have rows, and
-- accepted, returned and failed are final statuses that only the worker
-- sets, from sending.  Every transition the worker makes still passes.
BEGIN;
SELECT plan(44);
-- TRUNCATE ... CASCADE lists each table it reaches in a NOTICE.
SET LOCAL client_min_messages = warning;

-- Returns the SQLSTATE, message, detail and hint of the error that a
-- statement raises, one per line, or NULL when it succeeds.
CREATE FUNCTION pg_temp.error_of(statement text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    state text;
    message text;
    detail text;
    hint text;
BEGIN
    EXECUTE statement;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
    RETURN concat_ws(E'\n', state, message, detail, hint);
END
$$;

-- Empty tables may be truncated: nothing is lost.
SELECT is((SELECT count(*) FROM otan_enbek.submission), 0::bigint,
          'no submission before the test');
SELECT lives_ok('TRUNCATE otan_enbek.submission CASCADE', 'an empty submission table can be truncated');
SELECT lives_ok('TRUNCATE otan_enbek.submission_event', 'an empty submission_event table can be truncated');
SELECT lives_ok('TRUNCATE otan_enbek.organization CASCADE',
                'TRUNCATE organization CASCADE works while no submission exists');

-- An organization, one timesheet per submission, and one submission in
-- each status.
INSERT INTO otan_enbek.organization (org_id, bin, name)
    OVERRIDING SYSTEM VALUE VALUES (9201, '050440000012', 'School No. 7');
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, version, status,
                                  working_days, norm_hours)
    OVERRIDING SYSTEM VALUE
SELECT 9201, 800 + v, '2025-11-01', v, 'submitted', 20, 160 FROM generate_series(1, 7) AS v;
INSERT INTO otan_enbek.submission
    (org_id, submission_id, timesheet_id, message_id, service_id, document,
     document_sha256, signature_value, key_fingerprint, certificate_serial,
     certificate_not_after, status, attempts, response_code, finished_at, next_attempt_at)
OVERRIDING SYSTEM VALUE
SELECT 9201, 900 + v, 800 + v, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<ts:timesheetRequest/>',
       '\x00', 'sig', 'fp', '1001', '2030-01-01', st, 1,
       CASE WHEN st IN ('accepted', 'returned', 'failed') THEN 'SCSS001' END,
       CASE WHEN st IN ('accepted', 'returned', 'failed') THEN now() END,
       now() - interval '1 minute'
FROM (VALUES (1, 'accepted'), (2, 'returned'), (3, 'failed'), (4, 'queued'),
             (5, 'sent'), (6, 'sending'), (7, 'queued')) AS s (v, st);
INSERT INTO otan_enbek.submission_event (org_id, submission_id, event_no, kind)
SELECT 9201, submission_id, 1, 'created' FROM otan_enbek.submission WHERE org_id = 9201;

-- TRUNCATE raises while there are rows, directly or through CASCADE.  The
-- check of organization's default schedule waits for the commit, and
-- PostgreSQL rejects a TRUNCATE of a table with such a check pending, so
-- the pending checks run first.
SET CONSTRAINTS ALL IMMEDIATE;
SELECT throws_ok('TRUNCATE otan_enbek.submission CASCADE', '23000',
                 'table otan_enbek.submission cannot be truncated',
                 'TRUNCATE submission CASCADE raises');
SELECT throws_ok('TRUNCATE otan_enbek.submission_event', '23000',
                 'table otan_enbek.submission_event cannot be truncated',
                 'TRUNCATE submission_event raises');
SELECT throws_ok('TRUNCATE otan_enbek.timesheet CASCADE', '23000', NULL,
                 'TRUNCATE timesheet CASCADE reaches submission and raises');
SELECT throws_ok('TRUNCATE otan_enbek.organization CASCADE', '23000', NULL,
                 'TRUNCATE organization CASCADE reaches submission and raises');
SELECT alike(pg_temp.error_of('TRUNCATE otan_enbek.submission_event'),
            '%record of what was sent to Enbek%', 'the TRUNCATE error says why');
SELECT is((SELECT count(*) FROM otan_enbek.submission WHERE org_id = 9201), 7::bigint,
          'the submissions are still there');
SELECT is((SELECT count(*) FROM otan_enbek.submission_event WHERE org_id = 9201), 7::bigint,
          'their events are still there');

-- A final status is never left.
SELECT throws_ok($$UPDATE otan_enbek.submission SET status = 'queued' WHERE submission_id = 901$$,
                 '23000', 'submission 901 cannot change from accepted to queued',
                 'accepted cannot be queued again');
SELECT throws_ok($$UPDATE otan_enbek.submission SET status = 'sent' WHERE submission_id = 901$$,
                 '23000', 'submission 901 cannot change from accepted to sent',
                 'accepted cannot be sent again');
SELECT throws_ok($$UPDATE otan_enbek.submission SET status = 'returned' WHERE submission_id = 901$$,
                 '23000', 'submission 901 cannot change from accepted to returned',
                 'accepted cannot become returned');
SELECT throws_ok($$UPDATE otan_enbek.submission SET status = 'sending' WHERE submission_id = 902$$,
                 '23000', 'submission 902 cannot change from returned to sending',
                 'returned cannot be claimed');
SELECT throws_ok($$UPDATE otan_enbek.submission SET status = 'queued' WHERE submission_id = 903$$,
                 '23000', 'submission 903 cannot change from failed to queued',
                 'failed cannot be queued again');
SELECT alike(pg_temp.error_of($$UPDATE otan_enbek.submission SET status = 'queued' WHERE submission_id = 901$$),
            '%Status accepted is final%', 'the detail says the status is final');
SELECT alike(pg_temp.error_of($$UPDATE otan_enbek.submission SET status = 'queued' WHERE submission_id = 903$$),
            '%A correction is a new version of the timesheet%',
            'the hint says a correction is a new timesheet version');

-- Nor does any other column of a final submission change.
SELECT throws_ok($$UPDATE otan_enbek.submission SET response_code = 'SCSE012' WHERE submission_id = 901$$,
                 '23000', 'the delivery state of submission 901 cannot be changed',
                 'the response of an accepted submission cannot change');
SELECT throws_ok($$UPDATE otan_enbek.submission SET attempts = 0 WHERE submission_id = 903$$,
                 '23000', 'the delivery state of submission 903 cannot be changed',
                 'the attempts of a failed submission cannot change');
SELECT throws_ok($$UPDATE otan_enbek.submission SET next_attempt_at = now() WHERE submission_id = 902$$,
                 '23000', 'the delivery state of submission 902 cannot be changed',
                 'a returned submission cannot be scheduled');
SELECT lives_ok($$UPDATE otan_enbek.submission SET status = status WHERE submission_id IN (901, 902, 903)$$,
                'an update that changes nothing passes');

-- A final status is entered only from sending.
SELECT throws_ok($$UPDATE otan_enbek.submission SET status = 'accepted' WHERE submission_id = 904$$,
                 '23000', 'submission 904 cannot change from queued to accepted',
                 'queued cannot become accepted');
SELECT throws_ok($$UPDATE otan_enbek.submission SET status = 'failed' WHERE submission_id = 905$$,
                 '23000', 'submission 905 cannot change from sent to failed',
                 'sent cannot become failed');
SELECT lives_ok($$UPDATE otan_enbek.submission SET status = 'returned' WHERE submission_id = 906$$,
                'sending can become returned');

-- Moves between queued and sent pass, by hand as well.
SELECT lives_ok($$UPDATE otan_enbek.submission SET status = 'sent' WHERE submission_id = 904$$,
                'queued can become sent');
SELECT lives_ok($$UPDATE otan_enbek.submission SET status = 'queued' WHERE submission_id = 904$$,
                'sent can become queued');

-- Every transition the worker makes: claim, record and requeue.
SELECT is((SELECT string_agg(submission_id || ':' || request, ',' ORDER BY submission_id)
           FROM otan_enbek.delivery_claim(10)),
          '904:send,905:status,907:send', 'claim: queued and sent become sending');
SELECT is(otan_enbek.delivery_record(9201, 904, 'send', 'retry', 503, NULL, 'HTTP 503', 5,
              '{}', NULL, 1, '0 seconds'), 'queued', 'record: sending to queued (retry)');
SELECT is(otan_enbek.delivery_record(9201, 905, 'status', 'status_unknown', 503, NULL, 'HTTP 503', 5,
              '{}', NULL, 10, '0 seconds'), 'sent', 'record: sending to sent (status_unknown)');
SELECT is(otan_enbek.delivery_record(9201, 907, 'send', 'sent', 200, 'SCSS001', NULL, 5,
              '{"state": "RECEIVED"}', NULL, 0, '0 seconds'), 'sent', 'record: sending to sent (sent)');
SELECT is((SELECT count(*) FROM otan_enbek.delivery_claim(10)), 3::bigint, 'claim again');
SELECT is(otan_enbek.delivery_requeue(), 3, 'requeue: sending back to queued or sent');
SELECT is((SELECT string_agg(submission_id || ':' || status, ',' ORDER BY submission_id)
           FROM otan_enbek.submission WHERE submission_id IN (904, 905, 907)),
          '904:queued,905:sent,907:sent', 'requeue puts each back where it was');
SELECT is((SELECT count(*) FROM otan_enbek.delivery_claim(10)), 3::bigint, 'claim once more');
SELECT is(otan_enbek.delivery_record(9201, 904, 'send', 'release', NULL, NULL, 'stopping', 0,
              '{}', NULL, 0, '0 seconds'), 'queued', 'record: sending to queued (release)');
SELECT is(otan_enbek.delivery_record(9201, 905, 'status', 'requeue', 200, 'SCSS001', NULL, 5,
              '{"state": "UNKNOWN"}', NULL, 0, '0 seconds'), 'queued', 'record: sending to queued (UNKNOWN)');
SELECT is(otan_enbek.delivery_record(9201, 907, 'status', 'interrupted', NULL, NULL, 'stopping', 5,
              '{}', NULL, 0, '0 seconds'), 'sent', 'record: sending to sent (interrupted)');
SELECT is((SELECT count(*) FROM otan_enbek.delivery_claim(10)), 3::bigint, 'claim for the outcomes');
SELECT is(otan_enbek.delivery_record(9201, 904, 'send', 'failed', 500, 'soap:Client', 'bad', 5,
              '{}', NULL, 0, '0 seconds'), 'failed', 'record: sending to failed');
SELECT is(otan_enbek.delivery_record(9201, 905, 'send', 'returned', 200, 'SCSE012', 'rejected', 5,
              '{}', '[{"code": "SCSE012", "message": "no contract", "iin": null}]', 0, '0 seconds'),
          'returned', 'record: sending to returned');
SELECT is(otan_enbek.delivery_record(9201, 907, 'status', 'accepted', 200, 'SCSS001', 'accepted', 5,
              '{"state": "ACCEPTED"}', NULL, 0, '0 seconds'), 'accepted', 'record: sending to accepted');

-- And once recorded, the outcome stays.
SELECT throws_ok($$UPDATE otan_enbek.submission SET status = 'queued' WHERE submission_id = 907$$,
                 '23000', 'submission 907 cannot change from accepted to queued',
                 'an acceptance recorded by the worker cannot be rewound');
SELECT is((SELECT count(*) FROM otan_enbek.delivery_claim(10)), 0::bigint,
          'nothing final is claimed again');

SELECT * FROM finish();
ROLLBACK;
