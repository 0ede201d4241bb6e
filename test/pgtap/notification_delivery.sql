-- Delivery of notifications to the webhook and by e-mail, as the worker
-- drives it.  The webhook body keeps only the listed fields.  A claim marks
-- a row sending and counts the attempt, a failure is retried after the
-- delay until the last attempt, and a stopped worker's claims are put back.
-- The channel settings can only be set in the server's configuration, so
-- the delivery rows are inserted here by hand.
BEGIN;
SELECT plan(27);

INSERT INTO otan_enbek.organization (org_id, bin, name)
    OVERRIDING SYSTEM VALUE VALUES (9501, '050440000012', 'School No. 7');
INSERT INTO otan_enbek.notification
    (org_id, notification_id, kind, submission_id, timesheet_id, subject, body, payload)
OVERRIDING SYSTEM VALUE
VALUES (9501, 951, 'submission_returned', 521, 511, 'Табель за ноябрь 2025 г. возвращён',
        'Enbek вернул табель № 511 организации «School No. 7».',
        '{"kind": "submission_returned", "org_id": 9501, "submission_id": 521,
          "timesheet_id": 511, "part_no": 1, "part_count": 1, "status": "returned",
          "timesheet_status": "returned", "iin": "810111300012",
          "full_name": "Employee No. 1"}'),
       (9501, 952, 'endpoint_unavailable', NULL, NULL, 'Отправка приостановлена', 'Enbek не отвечает.',
        '{"kind": "endpoint_unavailable", "org_id": 9501, "endpoint": "https://enbek.test/",
          "failures": 5, "probe_at": "2025-12-01T10:00:00+05:00"}');

-- No channel is configured in the test cluster: the trigger adds no row.
SELECT is((SELECT count(*)::integer FROM otan_enbek.notification_delivery), 0,
          'no delivery without a configured channel');

-- The webhook body.
SELECT is((SELECT otan_enbek.notification_webhook_body(n) - 'created_at'
           FROM otan_enbek.notification AS n WHERE notification_id = 951),
          '{"kind": "submission_returned", "org_id": 9501, "notification_id": 951,
            "submission_id": 521, "timesheet_id": 511, "part_no": 1, "part_count": 1,
            "status": "returned", "timesheet_status": "returned"}'::jsonb,
          'webhook body of a submission: the listed fields only');
SELECT ok((SELECT NOT (otan_enbek.notification_webhook_body(n) ?| ARRAY['iin', 'full_name'])
           FROM otan_enbek.notification AS n WHERE notification_id = 951),
          'webhook body: keys outside the list are left out');
SELECT is((SELECT otan_enbek.notification_webhook_body(n) - 'created_at'
           FROM otan_enbek.notification AS n WHERE notification_id = 952),
          '{"kind": "endpoint_unavailable", "org_id": 9501, "notification_id": 952,
            "endpoint": "https://enbek.test/", "failures": 5,
            "probe_at": "2025-12-01T10:00:00+05:00"}'::jsonb,
          'webhook body of an endpoint notification');
SELECT ok((SELECT (otan_enbek.notification_webhook_body(n)->>'created_at')::timestamptz = n.created_at
           FROM otan_enbek.notification AS n WHERE notification_id = 951),
          'webhook body: created_at');
SELECT ok(NOT ('iin' = ANY (otan_enbek.notification_webhook_fields()))
          AND NOT ('full_name' = ANY (otan_enbek.notification_webhook_fields())),
          'the listed fields name no person');

INSERT INTO otan_enbek.notification_delivery (org_id, notification_id, channel)
VALUES (9501, 951, 'webhook'), (9501, 951, 'email'), (9501, 952, 'email');

-- A claim of the webhook channel alone.
SELECT is((SELECT string_agg(channel || ' ' || notification_id || ' ' || attempts, ',')
           FROM otan_enbek.notification_delivery_claim(10, ARRAY['webhook'])),
          'webhook 951 1', 'a claim takes the configured channels only');
SELECT is((SELECT status FROM otan_enbek.notification_delivery
           WHERE notification_id = 951 AND channel = 'webhook'),
          'sending', 'the claimed row is sending');
SELECT is((SELECT count(*)::integer FROM otan_enbek.notification_delivery_claim(10, ARRAY['webhook'])),
          0, 'a row being sent is not claimed again');

-- A claim of e-mail returns the subject and body, and no webhook body.
SELECT is((SELECT string_agg(notification_id || ' ' || subject || ' ' || coalesce(webhook_body::text, '-')
                             || ' ' || (body IS NOT NULL), ',' ORDER BY notification_id)
           FROM otan_enbek.notification_delivery_claim(1, ARRAY['email'])),
          '951 Табель за ноябрь 2025 г. возвращён - true', 'an e-mail claim has the text');

-- A failure is retried after the delay.
SELECT is(otan_enbek.notification_delivery_record(9501, 951, 'webhook', false, 'HTTP 503',
                                                  '30 seconds', 3),
          'pending', 'a failure is retried');
SELECT is((SELECT next_attempt_at - now() || ' ' || failures || ' ' || last_error
           FROM otan_enbek.notification_delivery
           WHERE notification_id = 951 AND channel = 'webhook'),
          '00:00:30 1 HTTP 503', 'the retry waits the delay');
SELECT is((SELECT count(*)::integer FROM otan_enbek.notification_delivery_claim(10, ARRAY['webhook'])),
          0, 'a retry is not claimed before it is due');
SELECT is(otan_enbek.notification_delivery_next_due(ARRAY['webhook']), now() + interval '30 seconds',
          'next due: the retry');

-- The last attempt fails the row.
UPDATE otan_enbek.notification_delivery SET next_attempt_at = now()
WHERE notification_id = 951 AND channel = 'webhook';
SELECT is((SELECT attempts FROM otan_enbek.notification_delivery_claim(10, ARRAY['webhook'])),
          2, 'second attempt');
SELECT is(otan_enbek.notification_delivery_record(9501, 951, 'webhook', false, 'HTTP 500',
                                                  '30 seconds', 3),
          'pending', 'second failure: retried');
UPDATE otan_enbek.notification_delivery SET next_attempt_at = now()
WHERE notification_id = 951 AND channel = 'webhook';
SELECT is((SELECT attempts FROM otan_enbek.notification_delivery_claim(10, ARRAY['webhook'])),
          3, 'third attempt');
SELECT is(otan_enbek.notification_delivery_record(9501, 951, 'webhook', false, 'HTTP 500',
                                                  '30 seconds', 3),
          'failed', 'the third failure of three fails it');
SELECT is(otan_enbek.notification_delivery_next_due(ARRAY['webhook']), NULL,
          'nothing pending on the webhook');

-- A success delivers the e-mail.
SELECT is(otan_enbek.notification_delivery_record(9501, 951, 'email', true, NULL, '0', 3),
          'delivered', 'a success delivers');
SELECT ok((SELECT delivered_at IS NOT NULL AND failures = 0 FROM otan_enbek.notification_delivery
           WHERE notification_id = 951 AND channel = 'email'),
          'the delivery time is kept');
SELECT throws_ok($$ SELECT otan_enbek.notification_delivery_record(9501, 951, 'email', true,
                        NULL, '0', 3) $$,
                 '55000', NULL, 'a row not being sent cannot be recorded');

-- A stopped worker's claims go back to the queue, attempt counted.
SELECT is((SELECT count(*)::integer FROM otan_enbek.notification_delivery_claim(10, ARRAY['email'])),
          1, 'the other e-mail is claimed');
SELECT is(otan_enbek.notification_delivery_requeue(), 1, 'requeue puts back one');
SELECT is((SELECT status || ' ' || attempts FROM otan_enbek.notification_delivery
           WHERE notification_id = 952),
          'pending 1', 'the requeued row is pending with its attempt');

-- Deleting a notification deletes its deliveries.
DELETE FROM otan_enbek.notification WHERE notification_id = 952;
SELECT is((SELECT count(*)::integer FROM otan_enbek.notification_delivery
           WHERE notification_id = 952), 0, 'deliveries follow their notification');

-- The SMTP password is as secret as the other passwords.
SET LOCAL ROLE otan_enbek_admin;
SELECT is((SELECT count(*)::integer FROM pg_settings
           WHERE name IN ('otan_enbek.smtp_password', 'otan_enbek.smtp_username')),
          0, 'the administrator reads no SMTP credential');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
