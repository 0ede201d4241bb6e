
-- Claims up to p_batch_size due submissions for the worker: queued ones are
-- sent, sent ones get a status query with a fresh message id.  Each is
-- marked sending and gets an attempt or status_query event.  failures is
-- the number of transient failures in a row so far, read from the last
-- retry_scheduled event unless a response (an answer event) came after it.
-- Sends and status queries take turns, each kind oldest first, so that a
-- backlog of sends cannot hold back the status queries of the timesheets
-- already sent, nor the reverse.  Up to p_batch_size rows of each kind are
-- locked for the length of the claim.
CREATE OR REPLACE FUNCTION otan_enbek.delivery_claim(p_batch_size integer)
    RETURNS TABLE (org_id integer, submission_id bigint, request text,
                   message_id uuid, request_id uuid, service_id text,
                   document text, created_at timestamptz, attempts integer,
                   failures integer)
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
WITH due_send AS (
    SELECT s.org_id, s.submission_id, s.next_attempt_at
    FROM otan_enbek.submission AS s
    WHERE s.status = 'queued' AND s.next_attempt_at <= now()
    ORDER BY s.next_attempt_at, s.org_id, s.submission_id
    LIMIT p_batch_size
    FOR UPDATE SKIP LOCKED
), due_status AS (
    SELECT s.org_id, s.submission_id, s.next_attempt_at
    FROM otan_enbek.submission AS s
    WHERE s.status = 'sent' AND s.next_attempt_at <= now()
    ORDER BY s.next_attempt_at, s.org_id, s.submission_id
    LIMIT p_batch_size
    FOR UPDATE SKIP LOCKED
), due AS (
    SELECT t.org_id, t.submission_id, t.request, gen_random_uuid() AS query_id
    FROM (SELECT d.org_id, d.submission_id, 'send' AS request,
                 row_number() OVER (ORDER BY d.next_attempt_at, d.org_id,
                                             d.submission_id) AS turn
          FROM due_send AS d
          UNION ALL
          SELECT d.org_id, d.submission_id, 'status',
                 row_number() OVER (ORDER BY d.next_attempt_at, d.org_id,
                                             d.submission_id)
          FROM due_status AS d) AS t
    ORDER BY t.turn, t.request
    LIMIT p_batch_size
), claimed AS (
    UPDATE otan_enbek.submission AS s
    SET status = 'sending',
        attempts = s.attempts + CASE d.request WHEN 'send' THEN 1 ELSE 0 END,
        last_attempt_at = CASE d.request WHEN 'send' THEN now() ELSE s.last_attempt_at END
    FROM due AS d
    WHERE s.org_id = d.org_id AND s.submission_id = d.submission_id
    RETURNING s.org_id, s.submission_id, d.request, s.message_id,
              CASE d.request WHEN 'send' THEN s.message_id ELSE d.query_id END AS request_id,
              s.service_id, s.document, s.created_at, s.attempts
), history AS (
    SELECT c.org_id, c.submission_id,
           (SELECT max(e.event_no) FROM otan_enbek.submission_event AS e
            WHERE e.org_id = c.org_id AND e.submission_id = c.submission_id) AS last_event_no,
           (SELECT CASE e.kind WHEN 'retry_scheduled'
                   THEN coalesce((e.detail->>'failures')::integer, 0) ELSE 0 END
            FROM otan_enbek.submission_event AS e
            WHERE e.org_id = c.org_id AND e.submission_id = c.submission_id
              AND e.kind IN ('retry_scheduled', 'answer')
            ORDER BY e.event_no DESC LIMIT 1) AS failures
    FROM claimed AS c
), events AS (
    INSERT INTO otan_enbek.submission_event
        (org_id, submission_id, event_no, kind, attempt, detail)
    SELECT c.org_id, c.submission_id, coalesce(h.last_event_no, 0) + 1,
           CASE c.request WHEN 'send' THEN 'attempt' ELSE 'status_query' END,
           c.attempts,
           jsonb_build_object('request', c.request, 'request_message_id', c.request_id)
    FROM claimed AS c
    JOIN history AS h USING (org_id, submission_id)
)
SELECT c.org_id, c.submission_id, c.request, c.message_id, c.request_id,
       c.service_id, CASE c.request WHEN 'send' THEN c.document END,
       c.created_at, c.attempts, coalesce(h.failures, 0)
FROM claimed AS c
JOIN history AS h USING (org_id, submission_id)
ORDER BY c.org_id, c.submission_id
$$;
