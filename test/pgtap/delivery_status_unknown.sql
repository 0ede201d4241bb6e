-- Failed status queries of a submission that Enbek has received, as the
-- worker records them.  The submission stays sent, and the failures in a
-- row are counted past max_attempts.  HR is notified once that the outcome
-- is unknown, and Enbek's final response is recorded when it comes.
BEGIN;
SELECT plan(30);

INSERT INTO otan_enbek.organization (org_id, bin, name)
    OVERRIDING SYSTEM VALUE VALUES (9301, '050440000012', 'School No. 7');
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, version, status,
                                  working_days, norm_hours)
    OVERRIDING SYSTEM VALUE
    VALUES (9301, 311, '2025-11-01', 1, 'submitted', 20, 160),
           (9301, 312, '2025-11-01', 2, 'submitted', 20, 160);
INSERT INTO otan_enbek.timesheet_line
    (org_id, timesheet_id, employee_id, line_no, iin, full_name, day_codes, day_hours)
VALUES (9301, 311, 1, 1, '860616300067', 'First Employee', ARRAY['Я'], ARRAY[8.00]);
-- Submission 321 is timesheet 311 sent whole, 322 and 323 the parts of 312.
-- All three were received by Enbek (status sent).
INSERT INTO otan_enbek.submission
    (org_id, submission_id, timesheet_id, part_no, part_count, message_id, service_id,
     document, document_sha256, signature_value, key_fingerprint, certificate_serial,
     certificate_not_after, status, attempts, next_attempt_at)
OVERRIDING SYSTEM VALUE
VALUES (9301, 321, 311, 1, 1, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<ts:timesheetRequest/>',
        '\x00', 'sig', 'fp', '1001', '2030-01-01', 'sent', 1, now() - interval '1 second'),
       (9301, 322, 312, 1, 2, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<ts:timesheetRequest/>',
        '\x00', 'sig', 'fp', '1001', '2030-01-01', 'sent', 1, now() + interval '1 hour'),
       (9301, 323, 312, 2, 2, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<ts:timesheetRequest/>',
        '\x00', 'sig', 'fp', '1001', '2030-01-01', 'sent', 1, now() + interval '1 hour');

-- Claims submission 321 for a status query and records a failure of it.
-- Returns the failures in a row that the claim read, and the new status.
CREATE FUNCTION pg_temp.fail_status_query(outcome text, failures integer, message text)
    RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    claimed_failures integer;
    new_status text;
BEGIN
    UPDATE otan_enbek.submission SET next_attempt_at = now() - interval '1 second'
    WHERE org_id = 9301 AND submission_id = 321;
    SELECT c.failures INTO STRICT claimed_failures
    FROM otan_enbek.delivery_claim(10) AS c WHERE c.request = 'status';
    new_status := otan_enbek.delivery_record(9301, 321, 'status', outcome, 503, NULL, message, 7,
                                             '{"request": "status"}', NULL, failures,
                                             interval '4 seconds');
    RETURN claimed_failures || '|' || new_status;
END
$$;

CREATE TEMP VIEW note AS
SELECT notification_id, submission_id, kind, subject, body, payload
FROM otan_enbek.notification WHERE org_id = 9301;

-- Failures below max_attempts are retries, without a notification.
SELECT is(pg_temp.fail_status_query('retry', 1, 'Enbek returned HTTP status 503'), '0|sent',
          'first failed status query: still sent');
SELECT is(pg_temp.fail_status_query('retry', 2, 'Enbek returned HTTP status 503'), '1|sent',
          'second: the claim counts one failure so far');
SELECT is((SELECT count(*) FROM note), 0::bigint, 'no notification below max_attempts');

-- The worker's outcome from max_attempts failures on (3 here): still sent,
-- and HR is notified once.
SELECT is(pg_temp.fail_status_query('status_unknown', 3, 'Enbek returned HTTP status 503.'), '2|sent',
          'third failure: the submission stays sent');
SELECT is((SELECT next_attempt_at FROM otan_enbek.submission WHERE submission_id = 321),
          now() + interval '4 seconds', 'the next status query waits for the backoff');
SELECT is((SELECT finished_at FROM otan_enbek.submission WHERE submission_id = 321), NULL,
          'the submission is not finished');
SELECT is((SELECT string_agg(kind, ',') FROM note), 'submission_status_unknown',
          'one notification that the outcome is unknown');
SELECT is((SELECT (detail->>'failures')::integer FROM otan_enbek.submission_event
           WHERE submission_id = 321 AND kind = 'retry_scheduled' ORDER BY event_no DESC LIMIT 1),
          3, 'the retry event counts three failures');
SELECT is((SELECT (detail->>'notification_id')::bigint FROM otan_enbek.submission_event
           WHERE submission_id = 321 AND kind = 'retry_scheduled' ORDER BY event_no DESC LIMIT 1),
          (SELECT notification_id FROM note), 'the retry event names the notification');
SELECT is((SELECT subject FROM note),
          'Результат проверки табеля за ноябрь 2025 г. в Enbek пока неизвестен',
          'the subject says the outcome is unknown');
SELECT is((SELECT body FROM note),
          'Enbek получил табель № 311 (версия 1) организации «School No. 7» (БИН 050440000012) '
          'за ноябрь 2025 г. Результат проверки пока узнать не удаётся. '
          'Неудачных запросов статуса подряд: 3. '
          'Последняя ошибка: Enbek returned HTTP status 503. Отправка № 321. '
          'Не отправляйте табель заново: otan_enbek продолжает запрашивать статус и сообщит ответ Enbek. '
          'Если ошибка повторяется, проверьте настройки otan_enbek '
          '(enbek_url, sender_id, status_service_id, ca_file).',
          'the body says Enbek has the timesheet and not to send it again');
SELECT is((SELECT payload FROM note),
          '{"kind": "submission_status_unknown", "org_id": 9301, "submission_id": 321,
            "timesheet_id": 311, "part_no": 1, "part_count": 1, "status": "sent",
            "timesheet_status": "submitted"}'::jsonb,
          'the payload shows the submission still in delivery');
SELECT is((SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = 311), 'submitted',
          'the timesheet stays submitted');

-- Past max_attempts: still sent, counted on, no second notification.
SELECT is(pg_temp.fail_status_query('status_unknown', 4, 'Enbek returned HTTP status 503'), '3|sent',
          'fourth failure: still sent, the count goes on');
SELECT is(pg_temp.fail_status_query('status_unknown', 5, 'timed out'), '4|sent',
          'fifth failure: still sent');
SELECT is((SELECT count(*) FROM note), 1::bigint, 'still one notification');
SELECT is((SELECT count(*) FROM otan_enbek.submission_event
           WHERE submission_id = 321 AND kind = 'retry_scheduled' AND detail ? 'notification_id'),
          1::bigint, 'only one retry event names a notification');
SELECT is((SELECT count(*) FROM otan_enbek.submission_event
           WHERE submission_id = 321 AND kind = 'answer' AND http_status = 503),
          5::bigint, 'every failed status query is recorded');
SELECT is((SELECT count(*) FROM otan_enbek.submission_event
           WHERE submission_id = 321 AND kind = 'failed'), 0::bigint, 'no failed event');

-- Enbek's final response comes: rejected, with the reason and the employee.
UPDATE otan_enbek.submission SET next_attempt_at = now() - interval '1 second'
WHERE org_id = 9301 AND submission_id = 321;
SELECT is((SELECT failures FROM otan_enbek.delivery_claim(10)), 5, 'the claim counts five failures');
SELECT is(otan_enbek.delivery_record(9301, 321, 'status', 'returned', 200, 'SCSE012', 'rejected', 9,
              '{"state": "REJECTED"}',
              '[{"code": "SCSE012", "message": "no contract", "iin": "860616300067"}]',
              0, '0 seconds'),
          'returned', 'the rejection is recorded');
SELECT is((SELECT code || '|' || iin || '|' || employee_id FROM otan_enbek.submission_reason
           WHERE submission_id = 321), 'SCSE012|860616300067|1', 'the reason reaches submission_reason');
SELECT is((SELECT string_agg(kind, ',' ORDER BY notification_id) FROM note WHERE submission_id = 321),
          'submission_status_unknown,submission_returned', 'then HR is told of the return');
SELECT is((SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = 311), 'returned',
          'the timesheet is returned');

-- A part names itself, and the timesheet still waits for Enbek.
UPDATE otan_enbek.submission SET status = 'sending' WHERE submission_id = 323;
SELECT is(otan_enbek.delivery_record(9301, 323, 'status', 'status_unknown', NULL, NULL,
              'Connection refused', 3, '{"request": "status"}', NULL, 3, '4 seconds'),
          'sent', 'a part stays sent');
SELECT is((SELECT subject FROM note WHERE submission_id = 323),
          'Результат проверки части 2 из 2 табеля за ноябрь 2025 г. в Enbek пока неизвестен',
          'the subject names the part');
SELECT alike((SELECT body FROM note WHERE submission_id = 323),
             'Enbek получил часть 2 из 2 табеля № 312 (версия 2) %',
             'the body names the part');
SELECT alike((SELECT body FROM note WHERE submission_id = 323),
             '% Статус табеля: ожидаются ответы Enbek; принято частей: 0 из 2.',
             'the body ends with the status of the timesheet');

-- status_unknown is for status queries only, and needs the count.
UPDATE otan_enbek.submission SET status = 'sending' WHERE submission_id = 322;
SELECT throws_ok($$SELECT otan_enbek.delivery_record(9301, 322, 'send', 'status_unknown', 503, NULL,
                       NULL, 1, NULL, NULL, 3, '1 second')$$,
                 '22023', 'invalid delivery outcome "status_unknown" for a send request',
                 'status_unknown after a send raises');
SELECT throws_ok($$SELECT otan_enbek.delivery_notify(9301, 322, 'submission_status_unknown')$$,
                 '22004', 'the number of failed status queries is missing',
                 'the notification needs the number of failures');

SELECT * FROM finish();
ROLLBACK;
