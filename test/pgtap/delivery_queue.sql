-- The delivery state machine in SQL: what the worker's claim, record and
-- requeue functions do to a submission, its events, reasons, timesheet and
-- notifications.  Runs inside one transaction, which the delivery worker
-- of the database cannot see, and rolls it back.
BEGIN;
SELECT plan(72);

-- Functions, privileges and pinned search paths.
SELECT has_function('otan_enbek', 'wake_delivery', ARRAY[]::text[], 'wake_delivery() exists');
SELECT has_function('otan_enbek', 'delivery_status', ARRAY[]::text[], 'delivery_status() exists');
SELECT has_view('otan_enbek', 'submission_overview', 'submission_overview exists');
SELECT ok(NOT has_function_privilege('public', p.oid, 'EXECUTE'),
          format('%s is not executable by PUBLIC', p.oid::regprocedure))
FROM pg_proc AS p
WHERE p.pronamespace = 'otan_enbek'::regnamespace
  AND p.proname IN ('submission_add_event', 'delivery_claim', 'delivery_next_due',
                    'delivery_requeue', 'delivery_update_timesheet', 'delivery_notify',
                    'delivery_record', 'delivery_judge_response', 'delivery_target',
                    'delivery_record_written')
ORDER BY p.proname;
SELECT is(array_agg(p.proname::text ORDER BY p.proname), NULL,
          'every SQL function of delivery pins search_path')
FROM pg_proc AS p
WHERE p.pronamespace = 'otan_enbek'::regnamespace
  AND (p.proname LIKE 'delivery%' OR p.proname = 'submission_add_event')
  AND p.prolang <> (SELECT oid FROM pg_language WHERE lanname = 'c')
  AND NOT coalesce('search_path=pg_catalog, pg_temp' = ANY (p.proconfig), false);

-- The library is preloaded in the test cluster.
SELECT is((SELECT preloaded FROM otan_enbek.delivery_status()), true, 'preloaded');

-- An organization, a timesheet with two employees and two submissions.
INSERT INTO otan_enbek.organization (org_id, bin, name)
    OVERRIDING SYSTEM VALUE VALUES (9001, '050440000012', 'School No. 7');
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
    OVERRIDING SYSTEM VALUE
    VALUES (9001, 1, '810111300012', 'First', 'Employee'),
           (9001, 2, '860616300067', 'Second', 'Employee');
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, status, working_days, norm_hours)
    OVERRIDING SYSTEM VALUE VALUES (9001, 501, '2025-11-01', 'submitted', 20, 160),
                                   (9001, 502, '2025-12-01', 'submitted', 22, 176);
INSERT INTO otan_enbek.timesheet_line
    (org_id, timesheet_id, employee_id, line_no, iin, full_name, day_codes, day_hours)
VALUES (9001, 501, 1, 1, '810111300012', 'First Employee', ARRAY['Я'], ARRAY[8.00]),
       (9001, 501, 2, 2, '860616300067', 'Second Employee', ARRAY['Я'], ARRAY[8.00]);
INSERT INTO otan_enbek.submission
    (org_id, submission_id, timesheet_id, message_id, service_id, document,
     document_sha256, signature_value, key_fingerprint, certificate_serial,
     certificate_not_after, next_attempt_at)
OVERRIDING SYSTEM VALUE
VALUES (9001, 701, 501, 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'OTAN_TIMESHEET_V1',
        '<ts:timesheetRequest/>', '\x00', 'sig', 'fp', '1001', '2030-01-01', now() - interval '1 minute'),
       (9001, 702, 502, 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'OTAN_TIMESHEET_V1',
        '<ts:timesheetRequest/>', '\x00', 'sig', 'fp', '1001', '2030-01-01', now() + interval '1 hour');

-- Claim: only the due submission, marked sending, with an attempt event.
CREATE TEMP TABLE claim1 AS SELECT * FROM otan_enbek.delivery_claim(10);
SELECT is((SELECT count(*) FROM claim1), 1::bigint, 'claim takes the due submission only');
SELECT is((SELECT request || '|' || attempts || '|' || failures FROM claim1), 'send|1|0',
          'first claim: a send, attempt 1, no failure yet');
SELECT is((SELECT request_id = message_id FROM claim1), true, 'a send uses the timesheet''s message id');
SELECT is((SELECT document FROM claim1), '<ts:timesheetRequest/>', 'a send carries the document');
SELECT is((SELECT status FROM otan_enbek.submission WHERE submission_id = 701), 'sending', 'claimed: sending');
SELECT is((SELECT kind || '|' || attempt FROM otan_enbek.submission_event WHERE submission_id = 701),
          'attempt|1', 'claim adds an attempt event');
SELECT is((SELECT count(*) FROM otan_enbek.delivery_claim(10)), 0::bigint, 'a claimed submission is not claimed again');
SELECT is(otan_enbek.delivery_next_due(), now() + interval '1 hour', 'next due is the other submission');

-- A transient failure: back to queued, later, with failure number 1.
SELECT is(otan_enbek.delivery_record(9001, 701, 'send', 'retry', 503, NULL,
              'Enbek returned HTTP status 503', 40, '{"request": "send"}', NULL, 1, '30 seconds'),
          'queued', 'retry puts it back in the queue');
SELECT is((SELECT next_attempt_at FROM otan_enbek.submission WHERE submission_id = 701),
          now() + interval '30 seconds', 'retry sets next_attempt_at');
SELECT is((SELECT string_agg(kind, ',' ORDER BY event_no) FROM otan_enbek.submission_event WHERE submission_id = 701),
          'attempt,answer,retry_scheduled', 'answer and retry events');
SELECT is((SELECT http_status || '|' || duration_ms FROM otan_enbek.submission_event
           WHERE submission_id = 701 AND kind = 'answer'), '503|40', 'the answer keeps HTTP status and duration');
SELECT is((SELECT (detail->>'failures')::integer FROM otan_enbek.submission_event
           WHERE submission_id = 701 AND kind = 'retry_scheduled'), 1, 'retry event counts the failure');
SELECT is((SELECT response_message FROM otan_enbek.submission WHERE submission_id = 701),
          'Enbek returned HTTP status 503', 'last answer kept on the submission');

-- The retry: attempt 2, one failure so far; a network error has no HTTP status.
UPDATE otan_enbek.submission SET next_attempt_at = now() - interval '1 second' WHERE submission_id = 701;
SELECT is((SELECT attempts || '|' || failures FROM otan_enbek.delivery_claim(10)), '2|1',
          'second claim: attempt 2 after one failure');
SELECT is(otan_enbek.delivery_record(9001, 701, 'send', 'sent', 200, 'SCSS001', 'received', 50,
              '{"state": "RECEIVED"}', NULL, 0, '60 seconds'),
          'sent', 'received by Enbek: sent');
SELECT is((SELECT next_attempt_at FROM otan_enbek.submission WHERE submission_id = 701),
          now() + interval '60 seconds', 'the status query waits for the poll interval');

-- A status query: fresh message id, no new attempt, failures reset.
UPDATE otan_enbek.submission SET next_attempt_at = now() - interval '1 second' WHERE submission_id = 701;
CREATE TEMP TABLE claim2 AS SELECT * FROM otan_enbek.delivery_claim(10);
SELECT is((SELECT request || '|' || attempts || '|' || failures FROM claim2), 'status|2|0',
          'a sent submission gets a status query');
SELECT isnt((SELECT request_id FROM claim2), (SELECT message_id FROM claim2),
            'a status query has its own message id');
SELECT is((SELECT document FROM claim2), NULL, 'a status query carries no document');
SELECT is((SELECT detail->>'request_message_id' FROM otan_enbek.submission_event
           WHERE submission_id = 701 AND kind = 'status_query'),
          (SELECT request_id::text FROM claim2), 'the status query event names its message id');

-- Returned with reasons: employees found by IIN, timesheet returned, HR notified.
SELECT is(otan_enbek.delivery_record(9001, 701, 'status', 'returned', 200, 'SCSE012', 'rejected', 30,
              '{"state": "REJECTED"}',
              '[{"code": "SCSE012", "message": "no contract", "iin": "860616300067"},
                {"code": "SCSE211", "message": null, "iin": "999999999999"},
                {"code": "SCSE046", "message": "BIN differs", "iin": null}]',
              0, '0 seconds'),
          'returned', 'rejection: returned');
SELECT results_eq(
    'SELECT reason_no, code, iin, employee_id FROM otan_enbek.submission_reason WHERE submission_id = 701 ORDER BY reason_no',
    $$VALUES (1, 'SCSE012', '860616300067', 2), (2, 'SCSE211', '999999999999', NULL::integer),
             (3, 'SCSE046', NULL, NULL::integer)$$,
    'one reason per error, mapped to the employee of the timesheet');
SELECT isnt((SELECT finished_at FROM otan_enbek.submission WHERE submission_id = 701), NULL, 'finished_at set');
SELECT is((SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = 501), 'returned', 'timesheet returned');
SELECT is((SELECT string_agg(kind, ',' ORDER BY event_no) FROM otan_enbek.submission_event WHERE submission_id = 701),
          'attempt,answer,retry_scheduled,attempt,answer,status_query,answer,returned', 'full history');
SELECT is((SELECT kind || '|' || subject FROM otan_enbek.notification WHERE submission_id = 701),
          'submission_returned|Табель за ноябрь 2025 г. возвращён Enbek на доработку', 'HR notified in Russian');
SELECT is((SELECT payload FROM otan_enbek.notification WHERE submission_id = 701),
          '{"kind": "submission_returned", "org_id": 9001, "status": "returned", "submission_id": 701,
            "timesheet_id": 501, "part_no": 1, "part_count": 1, "timesheet_status": "returned"}'::jsonb,
          'notification payload');
SELECT unalike((SELECT body FROM otan_enbek.notification WHERE submission_id = 701), '%860616300067%',
               'notification body has no IIN');
SELECT alike((SELECT body FROM otan_enbek.notification WHERE submission_id = 701),
            '%SCSE012 (1), SCSE046 (1), SCSE211 (1)%', 'notification counts the reasons by code');
SELECT is((SELECT last_event || '|' || reasons FROM otan_enbek.submission_overview WHERE submission_id = 701),
          'returned|3', 'overview');

-- Only a claimed submission takes a response.
SELECT throws_ok($$SELECT otan_enbek.delivery_record(9001, 701, 'send', 'accepted', 200, 'SCSS001',
                       NULL, 1, NULL, NULL, 0, '0 seconds')$$,
                 '55000', 'submission 701 is not being sent', 'a finished submission takes no answer');
SELECT throws_ok($$SELECT otan_enbek.delivery_notify(9001, 701, 'submission_lost')$$,
                 '22023', 'invalid notification kind "submission_lost"', 'unknown notification kind');

-- Requeue after a stopped worker: a send goes back to queued, a status
-- query back to sent.
UPDATE otan_enbek.submission SET next_attempt_at = now() - interval '1 second' WHERE submission_id = 702;
SELECT is((SELECT request FROM otan_enbek.delivery_claim(10)), 'send', 'second submission claimed');
SELECT is(otan_enbek.delivery_requeue(), 1, 'one submission requeued');
SELECT is((SELECT status || '|' || attempts FROM otan_enbek.submission WHERE submission_id = 702), 'queued|1',
          'requeued send: queued, the attempt stays counted');
SELECT is((SELECT kind || '|' || (detail->>'status') FROM otan_enbek.submission_event
           WHERE submission_id = 702 ORDER BY event_no DESC LIMIT 1), 'requeued|queued', 'requeued event');
SELECT is((SELECT attempts || '|' || failures FROM otan_enbek.delivery_claim(10)), '2|0', 'claimed again');
SELECT is(otan_enbek.delivery_record(9001, 702, 'send', 'sent', 200, 'SCSS001', NULL, 5, NULL, NULL, 0,
              '0 seconds'), 'sent', 'then received by Enbek');
SELECT is((SELECT request FROM otan_enbek.delivery_claim(10)), 'status', 'status query claimed');
SELECT is(otan_enbek.delivery_requeue(), 1, 'stopped during the status query');
SELECT is((SELECT status FROM otan_enbek.submission WHERE submission_id = 702), 'sent',
          'requeued status query: back to sent');

-- Release: claimed, not sent because the worker stops: nothing counted.
SELECT is((SELECT request FROM otan_enbek.delivery_claim(10)), 'status', 'claimed for a status query');
SELECT is(otan_enbek.delivery_record(9001, 702, 'status', 'release', NULL, NULL,
              'not sent because the worker is stopping', 0, '{"request": "status"}', NULL, 0, '0 seconds'),
          'sent', 'released: back to sent');
SELECT is((SELECT attempts FROM otan_enbek.submission WHERE submission_id = 702), 2, 'release counts no attempt');

-- SCSE196 on a send: sent, with a status query due at once.
UPDATE otan_enbek.submission SET status = 'queued' WHERE submission_id = 702;
SELECT is((SELECT request FROM otan_enbek.delivery_claim(10)), 'send', 'claimed for a re-send');
SELECT is(otan_enbek.delivery_record(9001, 702, 'send', 'resend', 200, 'SCSE196', 'already received', 5,
              NULL, NULL, 0, '0 seconds'), 'sent', 'SCSE196: sent, no rejection');
SELECT is((SELECT next_attempt_at FROM otan_enbek.submission WHERE submission_id = 702), now(),
          'the status query is due at once');

-- Enbek does not know the message: send it again.
SELECT is((SELECT request FROM otan_enbek.delivery_claim(10)), 'status', 'status query of the re-send');
SELECT is(otan_enbek.delivery_record(9001, 702, 'status', 'requeue', 200, 'SCSS001', NULL, 5,
              '{"state": "UNKNOWN"}', NULL, 0, '0 seconds'), 'queued', 'UNKNOWN: queued again');

-- Accepted: timesheet accepted, notification, payload without personal data.
SELECT is((SELECT request FROM otan_enbek.delivery_claim(10)), 'send', 'sent again');
SELECT is(otan_enbek.delivery_record(9001, 702, 'send', 'accepted', 200, 'SCSS001', 'accepted', 5,
              '{"state": "ACCEPTED"}', NULL, 0, '0 seconds'), 'accepted', 'accepted');
SELECT is((SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = 502), 'accepted', 'timesheet accepted');
SELECT is((SELECT subject FROM otan_enbek.notification WHERE submission_id = 702),
          'Табель за декабрь 2025 г. принят Enbek', 'acceptance notification');
SELECT is(otan_enbek.delivery_next_due(), NULL, 'nothing left to deliver');

SELECT * FROM finish();
ROLLBACK;
