-- Delivery of notifications to a webhook and by e-mail.  When a row of
-- otan_enbek.notification is inserted, a trigger adds one row of
-- notification_delivery for each channel that is configured:
--   webhook  otan_enbek.webhook_url is set;
--   email    otan_enbek.smtp_url and otan_enbek.smtp_to are set.
-- The delivery worker sends them after its submissions, each with its own
-- attempts and backoff:
--   pending --claim--> sending --sent--> delivered
--                         \--failure--> pending (later) ... --> failed
-- A channel configured later does not pick up older notifications.
--
-- The webhook body is a JSON object with the fields of
-- notification_webhook_fields below and nothing else: ids, kinds, states,
-- counts, times and the endpoint, never an IIN or a name.  The e-mail
-- contains the notification's subject and body, which name the
-- organization and the timesheet but no employee.

CREATE TABLE otan_enbek.notification_delivery (
    org_id          integer NOT NULL,
    notification_id bigint NOT NULL,
    channel         text NOT NULL CHECK (channel IN ('webhook', 'email')),
    status          text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    failures        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at timestamptz,
    last_error      text,
    delivered_at    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, notification_id, channel),
    FOREIGN KEY (org_id, notification_id) REFERENCES otan_enbek.notification ON DELETE CASCADE
);
CREATE INDEX ON otan_enbek.notification_delivery (next_attempt_at)
    WHERE status = 'pending';
COMMENT ON TABLE otan_enbek.notification_delivery IS
    'Delivery of each notification to the webhook and by e-mail: one row per notification and configured channel';
COMMENT ON COLUMN otan_enbek.notification_delivery.channel IS
    'webhook (HTTPS POST to otan_enbek.webhook_url) or email (SMTP to otan_enbek.smtp_to)';
COMMENT ON COLUMN otan_enbek.notification_delivery.status IS
    'pending (due at next_attempt_at), sending (claimed by the worker), delivered, or failed after notification_max_attempts attempts';
COMMENT ON COLUMN otan_enbek.notification_delivery.attempts IS
    'Attempts made, the one in progress included';
COMMENT ON COLUMN otan_enbek.notification_delivery.failures IS
    'Failed attempts in a row, which set the backoff of the next one';
COMMENT ON COLUMN otan_enbek.notification_delivery.last_error IS
    'Why the last attempt failed: the HTTP status or the SMTP or network error';

SELECT pg_catalog.pg_extension_config_dump('otan_enbek.notification_delivery', '');

-- The fields that a webhook receives, which the payloads of the
-- notifications may contain.  Any other key of a payload is left out.
CREATE FUNCTION otan_enbek.notification_webhook_fields() RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT ARRAY['kind', 'org_id', 'submission_id', 'timesheet_id', 'part_no', 'part_count',
             'status', 'timesheet_status', 'endpoint', 'failures', 'probe_at']
$$;
COMMENT ON FUNCTION otan_enbek.notification_webhook_fields() IS
    'Keys of a notification''s payload that the webhook receives, besides notification_id and created_at; none names a person';

-- The JSON body of the webhook request of a notification.
CREATE FUNCTION otan_enbek.notification_webhook_body(
    p_notification otan_enbek.notification)
    RETURNS jsonb
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT coalesce(jsonb_object_agg(p.key, p.value), '{}'::jsonb)
       || jsonb_build_object('notification_id', (p_notification).notification_id,
                             'created_at', (p_notification).created_at,
                             'kind', (p_notification).kind,
                             'org_id', (p_notification).org_id)
FROM jsonb_each((p_notification).payload) AS p
WHERE p.key = ANY (otan_enbek.notification_webhook_fields())
$$;
COMMENT ON FUNCTION otan_enbek.notification_webhook_body(otan_enbek.notification) IS
    'The JSON body that the webhook receives for a notification: notification_id, created_at, kind, org_id and the keys of the payload listed by notification_webhook_fields()';

-- Adds the delivery rows of a new notification, one per configured
-- channel.
CREATE FUNCTION otan_enbek.notification_delivery_queue() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF coalesce(current_setting('otan_enbek.webhook_url', true), '') <> '' THEN
        INSERT INTO otan_enbek.notification_delivery (org_id, notification_id, channel)
        VALUES (NEW.org_id, NEW.notification_id, 'webhook');
    END IF;
    IF coalesce(current_setting('otan_enbek.smtp_url', true), '') <> ''
       AND coalesce(current_setting('otan_enbek.smtp_to', true), '') <> '' THEN
        INSERT INTO otan_enbek.notification_delivery (org_id, notification_id, channel)
        VALUES (NEW.org_id, NEW.notification_id, 'email');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER notification_delivery_queue
    AFTER INSERT ON otan_enbek.notification
    FOR EACH ROW EXECUTE FUNCTION otan_enbek.notification_delivery_queue();

-- Claims up to p_limit due deliveries of the channels that are configured
-- (p_channels) and marks them sending.  Returns what the worker sends: the
-- webhook body, or the subject and body of the e-mail.
CREATE FUNCTION otan_enbek.notification_delivery_claim(p_limit integer, p_channels text[])
    RETURNS TABLE (org_id integer, notification_id bigint, channel text,
                   attempts integer, failures integer, created_at timestamptz,
                   webhook_body jsonb, subject text, body text)
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
WITH due AS (
    SELECT d.org_id, d.notification_id, d.channel
    FROM otan_enbek.notification_delivery AS d
    WHERE d.status = 'pending' AND d.next_attempt_at <= now()
      AND d.channel = ANY (p_channels)
    ORDER BY d.next_attempt_at, d.org_id, d.notification_id, d.channel
    LIMIT p_limit
    FOR UPDATE SKIP LOCKED
), claimed AS (
    UPDATE otan_enbek.notification_delivery AS d
    SET status = 'sending', attempts = d.attempts + 1, last_attempt_at = now()
    FROM due
    WHERE d.org_id = due.org_id AND d.notification_id = due.notification_id
      AND d.channel = due.channel
    RETURNING d.org_id, d.notification_id, d.channel, d.attempts, d.failures
)
SELECT c.org_id, c.notification_id, c.channel, c.attempts, c.failures, n.created_at,
       CASE c.channel WHEN 'webhook' THEN otan_enbek.notification_webhook_body(n) END,
       n.subject, CASE c.channel WHEN 'email' THEN n.body END
FROM claimed AS c
JOIN otan_enbek.notification AS n USING (org_id, notification_id)
ORDER BY c.org_id, c.notification_id, c.channel
$$;

-- Records the result of one attempt: delivered, or a failure that is
-- retried after p_delay unless it was attempt p_max_attempts.  Returns the
-- new status.
CREATE FUNCTION otan_enbek.notification_delivery_record(
    p_org_id integer, p_notification_id bigint, p_channel text,
    p_delivered boolean, p_error text, p_delay interval, p_max_attempts integer)
    RETURNS text
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    d otan_enbek.notification_delivery;
    new_status text;
BEGIN
    SELECT * INTO d FROM otan_enbek.notification_delivery AS x
    WHERE x.org_id = p_org_id AND x.notification_id = p_notification_id
      AND x.channel = p_channel
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'no % delivery of notification % of organization %',
                left(p_channel, 40), p_notification_id, p_org_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF d.status <> 'sending' THEN
        RAISE EXCEPTION 'the % delivery of notification % is not being sent',
                d.channel, p_notification_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Its status is %s; only the worker that claimed it records the result.', d.status);
    END IF;
    IF p_delivered IS NULL THEN
        RAISE EXCEPTION 'whether the notification was delivered must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;

    new_status := CASE
        WHEN p_delivered THEN 'delivered'
        WHEN d.attempts >= p_max_attempts THEN 'failed'
        ELSE 'pending' END;
    UPDATE otan_enbek.notification_delivery AS x
    SET status = new_status,
        failures = CASE WHEN p_delivered THEN 0 ELSE x.failures + 1 END,
        last_error = CASE WHEN p_delivered THEN x.last_error ELSE p_error END,
        next_attempt_at = CASE new_status WHEN 'pending' THEN now() + p_delay
                                          ELSE x.next_attempt_at END,
        delivered_at = CASE WHEN p_delivered THEN now() END
    WHERE x.org_id = p_org_id AND x.notification_id = p_notification_id
      AND x.channel = p_channel;
    RETURN new_status;
END
$$;

-- Puts back the deliveries that a stopped worker left sending, due now,
-- and returns how many.  The stopped attempt counts, because the receiver
-- may have got it.
CREATE FUNCTION otan_enbek.notification_delivery_requeue() RETURNS integer
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
WITH requeued AS (
    UPDATE otan_enbek.notification_delivery
    SET status = 'pending', next_attempt_at = now(),
        last_error = 'the worker stopped before it recorded the result'
    WHERE status = 'sending'
    RETURNING 1
)
SELECT count(*)::integer FROM requeued
$$;

-- When the next pending delivery of the given channels is due, or NULL.
CREATE FUNCTION otan_enbek.notification_delivery_next_due(p_channels text[])
    RETURNS timestamptz
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT min(next_attempt_at) FROM otan_enbek.notification_delivery
WHERE status = 'pending' AND channel = ANY (p_channels)
$$;

REVOKE EXECUTE ON FUNCTION
    otan_enbek.notification_delivery_queue(),
    otan_enbek.notification_delivery_claim(integer, text[]),
    otan_enbek.notification_delivery_record(integer, bigint, text, boolean, text, interval, integer),
    otan_enbek.notification_delivery_requeue(),
    otan_enbek.notification_delivery_next_due(text[])
    FROM PUBLIC;

GRANT SELECT ON otan_enbek.notification_delivery TO otan_enbek_operator;
GRANT EXECUTE ON FUNCTION
    otan_enbek.notification_webhook_fields(),
    otan_enbek.notification_webhook_body(otan_enbek.notification)
    TO otan_enbek_operator, otan_enbek_admin;
