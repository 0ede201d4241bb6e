-- The circuit breaker of an endpoint, as the worker drives it: it opens
-- after the threshold of transient failures in a row, stays open for the
-- cool-down, lets one probe through, and closes on a success.  Opening and
-- closing notify each organization with submissions in delivery.  now() is
-- fixed in a transaction, so a cool-down of 0 is over at once.
BEGIN;
SELECT plan(34);

INSERT INTO otan_enbek.organization (org_id, bin, name)
    OVERRIDING SYSTEM VALUE VALUES (9401, '050440000012', 'School No. 7'),
                                   (9402, '090440004210', 'School No. 8');
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, version, status,
                                  working_days, norm_hours)
    OVERRIDING SYSTEM VALUE
    VALUES (9402, 411, '2025-11-01', 1, 'submitted', 20, 160);
-- Organization 9402 has a submission waiting; 9401 has none.
INSERT INTO otan_enbek.submission
    (org_id, submission_id, timesheet_id, message_id, service_id, document,
     document_sha256, signature_value, key_fingerprint, certificate_serial,
     certificate_not_after, status)
OVERRIDING SYSTEM VALUE
VALUES (9402, 421, 411, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<ts:timesheetRequest/>',
        '\x00', 'sig', 'fp', '1001', '2030-01-01', 'queued');

CREATE FUNCTION pg_temp.record(failed boolean, cooldown interval DEFAULT '1 hour')
    RETURNS text
    LANGUAGE sql AS $$
SELECT r.state || '|' || r.failures || '|' || coalesce(r.transition, '-')
FROM otan_enbek.delivery_breaker_record('https://enbek.test/bip-sync/', 9401, failed,
        CASE WHEN failed THEN 'HTTP 503: service unavailable' END, 3, cooldown) AS r
$$;

CREATE FUNCTION pg_temp.admit() RETURNS text
    LANGUAGE sql AS $$
SELECT a.state || '|' || a.changed
FROM otan_enbek.delivery_breaker_admit('https://enbek.test/bip-sync/') AS a
$$;

-- An unknown endpoint is closed, and a success writes nothing.
SELECT is(pg_temp.admit(), 'closed|false', 'unknown endpoint: closed');
SELECT is(pg_temp.record(false), 'closed|0|-', 'success of an unknown endpoint');
SELECT is((SELECT count(*)::integer FROM otan_enbek.delivery_breaker), 0,
          'a success of an unknown endpoint adds no row');

-- Failures below the threshold keep it closed.
SELECT is(pg_temp.record(true), 'closed|1|-', 'failure 1: closed');
SELECT is(pg_temp.record(true), 'closed|2|-', 'failure 2: closed');
SELECT is(pg_temp.admit(), 'closed|false', 'below the threshold: claims go on');

-- A success resets the failures.
SELECT is(pg_temp.record(false), 'closed|0|-', 'a success resets the count');
SELECT is(pg_temp.record(true), 'closed|1|-', 'failure 1 again');
SELECT is(pg_temp.record(true), 'closed|2|-', 'failure 2 again');
SELECT is((SELECT count(*)::integer FROM otan_enbek.notification), 0,
          'no notification while closed');

-- The third failure in a row opens it.
SELECT is(pg_temp.record(true), 'open|3|opened', 'failure 3 opens');
SELECT is((SELECT state || '|' || open_count || '|' || last_error
           FROM otan_enbek.delivery_breaker),
          'open|1|HTTP 503: service unavailable', 'the row shows the open breaker');
SELECT is((SELECT probe_at - opened_at FROM otan_enbek.delivery_breaker),
          interval '1 hour', 'the probe is due after the cool-down');
SELECT is(pg_temp.admit(), 'open|false', 'open during the cool-down');
SELECT is((SELECT array_agg(org_id ORDER BY org_id) FROM otan_enbek.notification
           WHERE kind = 'endpoint_unavailable'),
          ARRAY[9401, 9402], 'opening notifies the failing and the waiting organizations');
SELECT is((SELECT payload - 'probe_at' FROM otan_enbek.notification WHERE org_id = 9402),
          '{"kind": "endpoint_unavailable", "org_id": 9402, "failures": 3,
            "endpoint": "https://enbek.test/bip-sync/"}'::jsonb,
          'payload of endpoint_unavailable');
SELECT ok((SELECT body FROM otan_enbek.notification WHERE org_id = 9402)
          LIKE 'Enbek (https://enbek.test/bip-sync/) не отвечает: неудачных запросов подряд: 3. Последняя ошибка: HTTP 503: service unavailable.%',
          'the body names the endpoint and the failure');

-- A failure of a request claimed before it opened changes nothing but the
-- count.
SELECT is(pg_temp.record(true), 'open|4|-', 'a late failure while open');

-- After the cool-down one probe goes out; its failure opens it again
-- without a new notification.
UPDATE otan_enbek.delivery_breaker SET probe_at = now() - interval '1 second';
SELECT is(pg_temp.admit(), 'half_open|true', 'the cool-down is over: half open');
SELECT is(pg_temp.admit(), 'half_open|false', 'half open until the probe returns');
SELECT is(pg_temp.record(true), 'open|5|reopened', 'a failed probe opens it again');
SELECT is((SELECT probe_at FROM otan_enbek.delivery_breaker), now() + interval '1 hour',
          'a new cool-down starts');
SELECT is((SELECT count(*)::integer FROM otan_enbek.notification), 2,
          'a failed probe does not notify');
SELECT is((SELECT open_count FROM otan_enbek.delivery_breaker), 1::bigint,
          'a failed probe does not count as an opening');

-- A successful probe closes it and notifies.
UPDATE otan_enbek.delivery_breaker SET probe_at = now();
SELECT is(pg_temp.admit(), 'half_open|true', 'half open again');
SELECT is(pg_temp.record(false), 'closed|0|closed', 'a successful probe closes it');
SELECT is(pg_temp.admit(), 'closed|false', 'closed: claims go on');
SELECT is((SELECT array_agg(org_id ORDER BY org_id) FROM otan_enbek.notification
           WHERE kind = 'endpoint_available'),
          ARRAY[9401, 9402], 'closing notifies the organizations');
SELECT is((SELECT string_agg(state || ':' || failures, ',' ORDER BY event_id)
           FROM otan_enbek.delivery_breaker_event),
          'open:3,half_open:4,open:5,half_open:5,closed:0', 'each change of state is an event');
SELECT is((SELECT error FROM otan_enbek.delivery_breaker_event WHERE state = 'open'
           ORDER BY event_id LIMIT 1),
          'HTTP 503: service unavailable', 'the opening event keeps the failure');

-- Another endpoint has a breaker of its own.
SELECT is((SELECT state FROM otan_enbek.delivery_breaker_admit('https://other.test/')),
          'closed', 'another endpoint is closed');

-- Invalid thresholds are rejected.
SELECT throws_ok($$ SELECT otan_enbek.delivery_breaker_record('https://enbek.test/', 9401,
                        true, 'x', 0, '1 minute') $$,
                 '22023', 'invalid failure threshold: 0',
                 'a threshold of 0 is rejected');

-- Only the worker calls the functions, and an operator may read the state.
SELECT ok(NOT has_function_privilege('otan_enbek_admin',
              'otan_enbek.delivery_breaker_record(text, integer, boolean, text, integer, interval)',
              'EXECUTE'),
          'the admin cannot record in the breaker');
SELECT ok(has_table_privilege('otan_enbek_operator', 'otan_enbek.delivery_breaker', 'SELECT'),
          'an operator may read the breaker');

SELECT * FROM finish();
ROLLBACK;
