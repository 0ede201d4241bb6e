-- Verdicts on Enbek's responses: how the worker reads each kind of
-- response, and the backoff of its retries.  Nothing is sent.  The
-- extension is dropped at the end, so that the test leaves the database as
-- it found it.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS otan_enbek;
RESET client_min_messages;

-- A SendMessageResponse with the given status, request message id and data.
CREATE FUNCTION pg_temp.response(code text, data text DEFAULT '',
                                 request_id text DEFAULT '11111111-1111-4111-8111-111111111111')
RETURNS text LANGUAGE sql AS $$
SELECT '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    || '<ns2:SendMessageResponse xmlns:ns2="http://bip.bee.kz/SyncChannel/v10/Types"><response>'
    || '<responseInfo><messageId>' || request_id || '</messageId>'
    || '<responseDate>2026-12-04T16:00:01.000+05:00</responseDate>'
    || '<status><code>' || code || '</code><message>text of ' || code || '</message></status>'
    || '</responseInfo>' || data || '</response></ns2:SendMessageResponse></soap:Body></soap:Envelope>'
$$;

-- responseData with a ts:timesheetResponse in the given state.
CREATE FUNCTION pg_temp.data(state text, errors text DEFAULT '',
                             message_id text DEFAULT '22222222-2222-4222-8222-222222222222')
RETURNS text LANGUAGE sql AS $$
SELECT '<responseData><data><ts:timesheetResponse xmlns:ts="urn:otan-enbek:timesheet:v1">'
    || '<ts:messageId>' || message_id || '</ts:messageId><ts:state>' || state || '</ts:state>'
    || errors || '</ts:timesheetResponse></data></responseData>'
$$;

-- A soap:Fault with the given code.
CREATE FUNCTION pg_temp.fault(code text) RETURNS text LANGUAGE sql AS $$
SELECT '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
    || '<soap:Fault><faultcode>' || code || '</faultcode><faultstring>wrong sender</faultstring>'
    || '</soap:Fault></soap:Body></soap:Envelope>'
$$;

-- The verdict on a response to a request whose message id is 1111... for a
-- timesheet whose message id is 2222... (the same for a send).
CREATE FUNCTION pg_temp.judge(request text, http_status integer, body text)
RETURNS jsonb LANGUAGE sql AS $$
SELECT otan_enbek.delivery_judge_response(request, http_status, body,
    CASE request WHEN 'send' THEN '22222222-2222-4222-8222-222222222222'
                 ELSE '11111111-1111-4111-8111-111111111111' END::uuid,
    '22222222-2222-4222-8222-222222222222'::uuid)
$$;

-- Responses that Enbek's contract defines.
SELECT name, v->>'verdict' AS verdict, v->>'code' AS code, v->>'state' AS state,
       v->'reasons' AS reasons
FROM (VALUES
    ('send received', pg_temp.judge('send', 200,
        pg_temp.response('SCSS001', pg_temp.data('RECEIVED'), '22222222-2222-4222-8222-222222222222'))),
    ('status processing', pg_temp.judge('status', 200,
        pg_temp.response('SCSS001', pg_temp.data('PROCESSING')))),
    ('status accepted', pg_temp.judge('status', 200,
        pg_temp.response('SCSS001', pg_temp.data('ACCEPTED')))),
    ('status rejected', pg_temp.judge('status', 200,
        pg_temp.response('SCSE012', pg_temp.data('REJECTED',
            '<ts:error><ts:code>SCSE012</ts:code><ts:message>no contract</ts:message><ts:iin>860616300067</ts:iin></ts:error>'
         || '<ts:error><ts:code>SCSE211</ts:code><ts:iin>810111300012</ts:iin></ts:error>')))),
    ('send rejected at once', pg_temp.judge('send', 200,
        pg_temp.response('SCSE001', pg_temp.data('REJECTED'), '22222222-2222-4222-8222-222222222222'))),
    ('send rejected without data', pg_temp.judge('send', 200,
        pg_temp.response('SCSE999', '', '22222222-2222-4222-8222-222222222222'))),
    ('send already received', pg_temp.judge('send', 200,
        pg_temp.response('SCSE196', '', '22222222-2222-4222-8222-222222222222'))),
    ('status unknown', pg_temp.judge('status', 200,
        pg_temp.response('SCSS001', pg_temp.data('UNKNOWN')))),
    ('status query rejected', pg_temp.judge('status', 200,
        pg_temp.response('SCSE087'))),
    ('client fault', pg_temp.judge('send', 500, pg_temp.fault('soap:Client'))),
    ('client fault with a subcode', pg_temp.judge('send', 500, pg_temp.fault('soap:Client.Authentication'))),
    ('server fault', pg_temp.judge('send', 500, pg_temp.fault('soap:Server'))),
    ('fault code of another namespace', pg_temp.judge('send', 500, pg_temp.fault('Client'))),
    ('HTTP 503', pg_temp.judge('send', 503, 'Service Unavailable')),
    ('HTTP 429', pg_temp.judge('send', 429, '')),
    ('HTTP 408', pg_temp.judge('send', 408, '')),
    ('HTTP 404', pg_temp.judge('send', 404, '<html>not found</html>')),
    ('HTTP 302', pg_temp.judge('send', 302, ''))
) AS t (name, v);

-- Responses that cannot be trusted: each is malformed, hence retried.
SELECT name, v->>'verdict' AS verdict, v->>'message' AS message
FROM (VALUES
    ('empty body', pg_temp.judge('send', 200, '')),
    ('not XML', pg_temp.judge('send', 200, 'this is not xml <<<')),
    ('truncated XML', pg_temp.judge('send', 200, left(pg_temp.response('SCSS001'), 60))),
    ('not SOAP', pg_temp.judge('send', 200, '<html><body>gateway</body></html>')),
    ('document type declaration', pg_temp.judge('send', 200,
        '<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' || pg_temp.response('SCSS001'))),
    ('two elements in the body', pg_temp.judge('send', 200,
        replace(pg_temp.fault('soap:Client'), '</soap:Body>', '<x/></soap:Body>'))),
    ('other request message id', pg_temp.judge('status', 200,
        pg_temp.response('SCSS001', pg_temp.data('ACCEPTED'), '33333333-3333-4333-8333-333333333333'))),
    ('other timesheet message id', pg_temp.judge('status', 200,
        pg_temp.response('SCSS001', pg_temp.data('ACCEPTED', '', '33333333-3333-4333-8333-333333333333')))),
    ('status code not SCSS or SCSE', pg_temp.judge('status', 200,
        pg_temp.response('OK', pg_temp.data('ACCEPTED')))),
    ('unknown state', pg_temp.judge('status', 200,
        pg_temp.response('SCSS001', pg_temp.data('DONE')))),
    ('state twice', pg_temp.judge('status', 200,
        pg_temp.response('SCSS001', pg_temp.data('ACCEPTED', '<ts:state>REJECTED</ts:state>')))),
    ('success without data', pg_temp.judge('status', 200, pg_temp.response('SCSS001'))),
    ('rejection code with state accepted', pg_temp.judge('status', 200,
        pg_temp.response('SCSE012', pg_temp.data('ACCEPTED')))),
    ('state UNKNOWN to a send', pg_temp.judge('send', 200,
        pg_temp.response('SCSS001', pg_temp.data('UNKNOWN'), '22222222-2222-4222-8222-222222222222'))),
    ('error without a code', pg_temp.judge('status', 200,
        pg_temp.response('SCSE012', pg_temp.data('REJECTED', '<ts:error><ts:message>x</ts:message></ts:error>')))),
    ('IIN of 11 digits', pg_temp.judge('status', 200,
        pg_temp.response('SCSE012', pg_temp.data('REJECTED',
            '<ts:error><ts:code>SCSE012</ts:code><ts:iin>86061630006</ts:iin></ts:error>')))),
    ('elements in a namespace', pg_temp.judge('status', 200,
        replace(pg_temp.response('SCSS001', pg_temp.data('ACCEPTED')), '<response>',
                '<response xmlns="urn:other">')))
) AS t (name, v);

-- The detail recorded with a response.
SELECT pg_temp.judge('send', 503, 'Service Unavailable')->'detail' AS detail_503,
       pg_temp.judge('send', 500, pg_temp.fault('soap:Client'))->'detail' AS detail_fault;

-- An unknown request kind.
SELECT otan_enbek.delivery_judge_response('resend', 200, '', gen_random_uuid(), gen_random_uuid());

-- Backoff: retry_delay * 2^(failures-1), capped at retry_max_delay, of which
-- a random part between half and all; Retry-After is a minimum.
WITH settings AS (
    SELECT max(setting::numeric) FILTER (WHERE name = 'otan_enbek.retry_delay') AS base,
           max(setting::numeric) FILTER (WHERE name = 'otan_enbek.retry_max_delay') AS cap
    FROM pg_settings
), samples AS (
    SELECT f, extract(epoch FROM otan_enbek.delivery_retry_delay(f)) AS delay,
           least(s.base * 2 ^ (f - 1), s.cap) AS full_delay
    FROM settings AS s, generate_series(1, 12) AS f, generate_series(1, 50) AS n
)
SELECT f, bool_and(delay BETWEEN full_delay / 2 AND full_delay) AS within_bounds,
       count(DISTINCT delay) > 1 AS jittered
FROM samples GROUP BY f ORDER BY f;

SELECT extract(epoch FROM otan_enbek.delivery_retry_delay(1, 100)) AS after_retry_after,
       extract(epoch FROM otan_enbek.delivery_retry_delay(1, 86400 * 7)) AS capped_at_one_day;
SELECT otan_enbek.delivery_retry_delay(0);

DROP EXTENSION otan_enbek;
