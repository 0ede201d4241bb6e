-- Delivery by the background worker: the functions the worker calls in its
-- transactions, the wake-up, the delivery status, the notifications, and a
-- view of submissions with their last event.
--
-- A submission goes queued -> sending (claimed) -> sent (Enbek is checking
-- it; status queries follow) -> accepted, returned or failed.  A transient
-- failure puts it back to queued (or sent, for a status query) with a later
-- next_attempt_at.  A submission that Enbek has received never fails on
-- failed status queries: it stays sent until Enbek returns ACCEPTED or
-- REJECTED (or UNKNOWN, which sends it again).  Each step adds a
-- submission_event row.  Accepted, returned and failed each add a
-- notification row and send a NOTIFY on the channel otan_enbek, and so does
-- the first run of max_attempts failed status queries in a row of a
-- submission (submission_status_unknown).  The notification's payload
-- column is a JSON object
--   {"kind": "submission_accepted" | "submission_returned" | "submission_failed"
--            | "submission_status_unknown",
--    "org_id": ..., "submission_id": ..., "timesheet_id": ..., "part_no": ...,
--    "part_count": ..., "status": ..., "timesheet_status": ...}
-- with no personal data.  PostgreSQL has no privilege for LISTEN, so the
-- NOTIFY payload is only {"notification_id": ...}.  A listener reads the
-- row from otan_enbek.notification, whose row-level security shows it
-- only the notifications of its organizations.  A timesheet sent in parts has one submission per
-- part, and its status follows all of them (delivery_update_timesheet).

CREATE FUNCTION otan_enbek.wake_delivery() RETURNS void
    LANGUAGE C VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_wake_delivery';
COMMENT ON FUNCTION otan_enbek.wake_delivery() IS
    'Wakes this database''s delivery worker when the calling transaction commits; raises an error when otan_enbek is not in shared_preload_libraries';

CREATE FUNCTION otan_enbek.delivery_worker_info(
    OUT preloaded boolean, OUT worker_pid integer, OUT worker_state text,
    OUT endpoint_problem text)
    LANGUAGE C VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_delivery_worker_info';
COMMENT ON FUNCTION otan_enbek.delivery_worker_info() IS
    'Whether otan_enbek is preloaded, this database''s worker (pid and state: running, starting, requested, stopped, not loaded), and what keeps otan_enbek.enbek_url from being used';

CREATE FUNCTION otan_enbek.delivery_status(
    OUT preloaded boolean, OUT delivery_enabled boolean, OUT endpoint text,
    OUT endpoint_problem text, OUT worker_pid integer, OUT worker_state text,
    OUT queued bigint, OUT sending bigint, OUT sent bigint,
    OUT next_attempt_at timestamptz)
    LANGUAGE sql VOLATILE PARALLEL UNSAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT w.preloaded,
       current_setting('otan_enbek.delivery_enabled', true)::boolean,
       current_setting('otan_enbek.enbek_url', true),
       w.endpoint_problem, w.worker_pid, w.worker_state,
       count(*) FILTER (WHERE s.status = 'queued'),
       count(*) FILTER (WHERE s.status = 'sending'),
       count(*) FILTER (WHERE s.status = 'sent'),
       min(s.next_attempt_at) FILTER (WHERE s.status IN ('queued', 'sent'))
FROM otan_enbek.delivery_worker_info() AS w
LEFT JOIN otan_enbek.submission AS s ON s.status IN ('queued', 'sending', 'sent')
GROUP BY w.preloaded, w.endpoint_problem, w.worker_pid, w.worker_state
$$;
COMMENT ON FUNCTION otan_enbek.delivery_status() IS
    'State of delivery in this database: the worker, the endpoint, and the submissions still in delivery';

-- Adds an event to a submission's history and returns its number.  The
-- caller holds the submission's row lock, so that numbers do not collide.
CREATE FUNCTION otan_enbek.submission_add_event(
    p_org_id integer, p_submission_id bigint, p_kind text,
    p_attempt integer DEFAULT NULL, p_http_status integer DEFAULT NULL,
    p_code text DEFAULT NULL, p_message text DEFAULT NULL,
    p_duration_ms integer DEFAULT NULL, p_detail jsonb DEFAULT NULL)
    RETURNS integer
    LANGUAGE sql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
INSERT INTO otan_enbek.submission_event
    (org_id, submission_id, event_no, kind, attempt, http_status, code,
     message, duration_ms, detail)
SELECT p_org_id, p_submission_id,
       coalesce(max(e.event_no), 0) + 1, p_kind, p_attempt, p_http_status,
       p_code, p_message, p_duration_ms, p_detail
FROM otan_enbek.submission_event AS e
WHERE e.org_id = p_org_id AND e.submission_id = p_submission_id
RETURNING event_no
$$;

-- delivery_claim is in 61_profile.sql, which adds a filter by profile.

-- When the next submission in delivery is due, or NULL when none is.
CREATE FUNCTION otan_enbek.delivery_next_due() RETURNS timestamptz
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT min(next_attempt_at) FROM otan_enbek.submission
WHERE status IN ('queued', 'sent')
$$;

-- Puts back the submissions left in state sending by a worker that stopped
-- before recording the response: a send goes back to queued, a status query
-- to sent.  Runs when a worker starts, when no other worker of the database
-- can hold a claim.  Returns how many were put back.
CREATE FUNCTION otan_enbek.delivery_requeue() RETURNS integer
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    requeued integer;
BEGIN
    WITH stale AS (
        SELECT s.org_id, s.submission_id,
               (SELECT e.kind FROM otan_enbek.submission_event AS e
                WHERE e.org_id = s.org_id AND e.submission_id = s.submission_id
                  AND e.kind IN ('attempt', 'status_query')
                ORDER BY e.event_no DESC LIMIT 1) AS last_claim
        FROM otan_enbek.submission AS s
        WHERE s.status = 'sending'
        FOR UPDATE OF s
    ), updated AS (
        UPDATE otan_enbek.submission AS s
        SET status = CASE st.last_claim WHEN 'status_query' THEN 'sent' ELSE 'queued' END,
            next_attempt_at = now()
        FROM stale AS st
        WHERE s.org_id = st.org_id AND s.submission_id = st.submission_id
        RETURNING s.org_id, s.submission_id, s.status
    )
    SELECT count(otan_enbek.submission_add_event(
               u.org_id, u.submission_id, 'requeued',
               p_detail => jsonb_build_object(
                   'reason', 'the worker that claimed it stopped before recording a response',
                   'status', u.status)))
    INTO requeued
    FROM updated AS u;
    RETURN requeued;
END
$$;

-- delivery_update_timesheet is in 61_profile.sql, which counts the status
-- written as still in delivery.

-- Writes a notification about one submission, for HR in Russian, and sends
-- its id with NOTIFY on channel otan_enbek.  The kinds are the final
-- outcomes (submission_accepted, submission_returned, submission_failed) and
-- submission_status_unknown: Enbek received the document, but p_failures
-- status queries in a row failed.  The subject and body name the
-- timesheet, never an employee.  A timesheet sent in parts gets one
-- notification per part and kind: its subject names the part ("Часть 2 из
-- 3 табеля ..."), and its body ends with the status of the whole timesheet
-- and how many parts were accepted.  The period ends with the abbreviation
-- "г.", whose full stop also ends a sentence.  Returns the notification's
-- id.
CREATE FUNCTION otan_enbek.delivery_notify(
    p_org_id integer, p_submission_id bigint, p_kind text,
    p_failures integer DEFAULT NULL)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    months CONSTANT text[] := ARRAY['январь', 'февраль', 'март', 'апрель', 'май',
        'июнь', 'июль', 'август', 'сентябрь', 'октябрь', 'ноябрь', 'декабрь'];
    s record;
    in_parts boolean;
    period text;
    document_name text;
    reasons text;
    last_error text;
    subject text;
    body text;
    payload jsonb;
    id bigint;
BEGIN
    SELECT sub.timesheet_id, sub.part_no, sub.part_count, sub.status, sub.attempts,
           sub.response_code, sub.response_message, t.month, t.version,
           t.status AS timesheet_status, o.name, o.bin,
           (SELECT count(*) FROM otan_enbek.submission AS other
            WHERE other.org_id = sub.org_id AND other.timesheet_id = sub.timesheet_id
              AND other.status = 'accepted') AS accepted_parts
    INTO s
    FROM otan_enbek.submission AS sub
    JOIN otan_enbek.timesheet AS t USING (org_id, timesheet_id)
    JOIN otan_enbek.organization AS o USING (org_id)
    WHERE sub.org_id = p_org_id AND sub.submission_id = p_submission_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'submission % of organization % not found',
                coalesce(p_submission_id::text, 'NULL'), coalesce(p_org_id::text, 'NULL')
            USING ERRCODE = 'no_data_found',
                  HINT = 'Pass the org_id and submission_id of a row of otan_enbek.submission.';
    END IF;

    in_parts := s.part_count > 1;
    -- The body adds its own full stop after the error.
    last_error := coalesce(s.response_code || ' ', '')
                  || coalesce(rtrim(s.response_message, '. '), 'нет');
    period := format('%s %s г.', months[extract(month FROM s.month)::integer],
                     extract(year FROM s.month));
    document_name := CASE WHEN in_parts
        THEN format('часть %s из %s табеля № %s (версия %s)',
                    s.part_no, s.part_count, s.timesheet_id, s.version)
        ELSE format('табель № %s (версия %s)', s.timesheet_id, s.version) END;

    CASE p_kind
    WHEN 'submission_accepted' THEN
        subject := CASE WHEN in_parts
            THEN format('Часть %s из %s табеля за %s принята Enbek', s.part_no, s.part_count, period)
            ELSE format('Табель за %s принят Enbek', period) END;
        body := format('Enbek принял %s организации «%s» (БИН %s) за %s Отправка № %s.',
                       document_name, s.name, s.bin, period, p_submission_id);
    WHEN 'submission_returned' THEN
        SELECT string_agg(format('%s (%s)', r.code, r.n), ', ' ORDER BY r.code)
        INTO reasons
        FROM (SELECT code, count(*) AS n FROM otan_enbek.submission_reason
              WHERE org_id = p_org_id AND submission_id = p_submission_id
              GROUP BY code) AS r;
        subject := CASE WHEN in_parts
            THEN format('Часть %s из %s табеля за %s возвращена Enbek на доработку',
                        s.part_no, s.part_count, period)
            ELSE format('Табель за %s возвращён Enbek на доработку', period) END;
        body := format('Enbek вернул %s организации «%s» (БИН %s) за %s Коды причин и их число: %s. Причины по сотрудникам: таблица otan_enbek.submission_reason, отправка № %s. Исправьте данные и отправьте новую версию табеля.',
                       document_name, s.name, s.bin, period,
                       coalesce(reasons, s.response_code), p_submission_id);
    WHEN 'submission_failed' THEN
        subject := CASE WHEN in_parts
            THEN format('Часть %s из %s табеля за %s не доставлена в Enbek',
                        s.part_no, s.part_count, period)
            ELSE format('Табель за %s не доставлен в Enbek', period) END;
        body := format('%s организации «%s» (БИН %s) за %s %s в Enbek, попыток отправки: %s. Последняя ошибка: %s. Отправка № %s. Проверьте настройки otan_enbek (enbek_url, sender_id, ca_file) и отправьте табель заново.',
                       upper(left(document_name, 1)) || substr(document_name, 2),
                       s.name, s.bin, period,
                       CASE WHEN in_parts THEN 'не доставлена' ELSE 'не доставлен' END,
                       s.attempts,
                       last_error,
                       p_submission_id);
    WHEN 'submission_status_unknown' THEN
        IF p_failures IS NULL THEN
            RAISE EXCEPTION 'the number of failed status queries is missing'
                USING ERRCODE = 'null_value_not_allowed',
                      HINT = 'Pass p_failures with kind submission_status_unknown.';
        END IF;
        subject := CASE WHEN in_parts
            THEN format('Результат проверки части %s из %s табеля за %s в Enbek пока неизвестен',
                        s.part_no, s.part_count, period)
            ELSE format('Результат проверки табеля за %s в Enbek пока неизвестен', period) END;
        body := format('Enbek получил %s организации «%s» (БИН %s) за %s Результат проверки пока узнать не удаётся. Неудачных запросов статуса подряд: %s. Последняя ошибка: %s. Отправка № %s. Не отправляйте табель заново: otan_enbek продолжает запрашивать статус и сообщит ответ Enbek. Если ошибка повторяется, проверьте настройки otan_enbek (enbek_url, sender_id, status_service_id, ca_file).',
                       document_name, s.name, s.bin, period, p_failures,
                       last_error,
                       p_submission_id);
    ELSE
        RAISE EXCEPTION 'invalid notification kind "%"', p_kind
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Use submission_accepted, submission_returned, submission_failed or submission_status_unknown.';
    END CASE;

    IF in_parts THEN
        body := body || format(' Статус табеля: %s; принято частей: %s из %s.',
                               CASE s.timesheet_status
                                   WHEN 'accepted' THEN 'принят'
                                   WHEN 'returned' THEN 'возвращён на доработку'
                                   WHEN 'failed' THEN 'не доставлен'
                                   WHEN 'submitted' THEN
                                       CASE p_kind WHEN 'submission_status_unknown'
                                           THEN 'ожидаются ответы Enbek'
                                           ELSE 'ожидаются ответы по другим частям' END
                                   ELSE s.timesheet_status
                               END,
                               s.accepted_parts, s.part_count);
    END IF;

    payload := jsonb_build_object('kind', p_kind, 'org_id', p_org_id,
                                  'submission_id', p_submission_id,
                                  'timesheet_id', s.timesheet_id,
                                  'part_no', s.part_no,
                                  'part_count', s.part_count,
                                  'status', s.status,
                                  'timesheet_status', s.timesheet_status);
    INSERT INTO otan_enbek.notification
        (org_id, kind, submission_id, timesheet_id, subject, body, payload)
    VALUES (p_org_id, p_kind, p_submission_id, s.timesheet_id, subject, body, payload)
    RETURNING notification_id INTO id;
    -- Any role may LISTEN, so the payload names only the notification, which
    -- a listener reads under the row-level security of its organizations.
    PERFORM pg_notify('otan_enbek', jsonb_build_object('notification_id', id)::text);
    RETURN id;
END
$$;

-- Records the outcome of one request of the worker, decided by the worker:
--   sent      Enbek is checking the timesheet: ask again after p_delay
--   resend    Enbek had the message already (SCSE196): ask its status now
--   requeue   Enbek has no record of the message: send it again now
--   retry     transient failure number p_failures: try again after p_delay
--   status_unknown  a status query failed, number p_failures in a row, at
--             or past max_attempts: ask again after p_delay as after retry;
--             the first time for this submission HR is notified
--             (submission_status_unknown), and the retry_scheduled event
--             names the notification
--   accepted, returned, failed   final; returned stores p_reasons
--   interrupted  the worker stopped during the request: put it back, due now
--   release   the worker stopped before the request: put it back unchanged
-- The response (an answer event) or the error (when no HTTP response came) is
-- recorded first, then the new state.  Returns the submission's new status.
CREATE FUNCTION otan_enbek.delivery_record(
    p_org_id integer, p_submission_id bigint, p_request text, p_outcome text,
    p_http_status integer, p_code text, p_message text, p_duration_ms integer,
    p_detail jsonb, p_reasons jsonb, p_failures integer, p_delay interval)
    RETURNS text
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    s otan_enbek.submission;
    waiting_status CONSTANT text := CASE p_request WHEN 'send' THEN 'queued' ELSE 'sent' END;
    new_status text;
    unknown_notification_id bigint;
BEGIN
    SELECT * INTO s FROM otan_enbek.submission
    WHERE org_id = p_org_id AND submission_id = p_submission_id
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'submission % of organization % not found', p_submission_id, p_org_id
            USING ERRCODE = 'no_data_found';
    END IF;
    IF s.status <> 'sending' THEN
        RAISE EXCEPTION 'submission % is not being sent', p_submission_id
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('Its status is %s; only the worker that claimed it records its response.', s.status);
    END IF;

    IF p_outcome = 'status_unknown' AND p_request <> 'status' THEN
        RAISE EXCEPTION 'invalid delivery outcome "%" for a % request', p_outcome, p_request
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Outcome status_unknown follows a status query only; a failed send is a retry.';
    END IF;

    IF p_outcome = 'release' THEN
        UPDATE otan_enbek.submission
        SET status = waiting_status, next_attempt_at = now(),
            attempts = attempts - CASE p_request WHEN 'send' THEN 1 ELSE 0 END
        WHERE org_id = p_org_id AND submission_id = p_submission_id;
        PERFORM otan_enbek.submission_add_event(p_org_id, p_submission_id, 'requeued',
            p_message => p_message,
            p_detail => coalesce(p_detail, '{}') || jsonb_build_object('status', waiting_status));
        RETURN waiting_status;
    END IF;

    PERFORM otan_enbek.submission_add_event(p_org_id, p_submission_id,
        CASE WHEN p_http_status IS NULL THEN 'error' ELSE 'answer' END,
        s.attempts, p_http_status, p_code, p_message, p_duration_ms, p_detail);

    new_status := CASE p_outcome
        WHEN 'sent' THEN 'sent'
        WHEN 'resend' THEN 'sent'
        WHEN 'requeue' THEN 'queued'
        WHEN 'retry' THEN waiting_status
        WHEN 'status_unknown' THEN 'sent'
        WHEN 'interrupted' THEN waiting_status
        WHEN 'accepted' THEN 'accepted'
        WHEN 'returned' THEN 'returned'
        WHEN 'failed' THEN 'failed'
    END;
    IF new_status IS NULL THEN
        RAISE EXCEPTION 'invalid delivery outcome "%"', p_outcome
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    UPDATE otan_enbek.submission
    SET status = new_status,
        response_code = p_code,
        response_message = p_message,
        next_attempt_at = CASE p_outcome
            WHEN 'sent' THEN now() + p_delay
            WHEN 'retry' THEN now() + p_delay
            WHEN 'status_unknown' THEN now() + p_delay
            ELSE now() END,
        finished_at = CASE WHEN new_status IN ('accepted', 'returned', 'failed')
                           THEN now() END
    WHERE org_id = p_org_id AND submission_id = p_submission_id;

    IF p_outcome IN ('retry', 'status_unknown') THEN
        IF p_outcome = 'status_unknown'
           AND NOT EXISTS (SELECT FROM otan_enbek.notification AS n
                           WHERE n.org_id = p_org_id AND n.submission_id = p_submission_id
                             AND n.kind = 'submission_status_unknown') THEN
            unknown_notification_id := otan_enbek.delivery_notify(
                p_org_id, p_submission_id, 'submission_status_unknown', p_failures);
        END IF;
        PERFORM otan_enbek.submission_add_event(p_org_id, p_submission_id, 'retry_scheduled',
            s.attempts, p_detail => jsonb_strip_nulls(jsonb_build_object(
                'failures', p_failures,
                'delay_s', round(extract(epoch FROM p_delay)::numeric, 3),
                'next_attempt_at', now() + p_delay,
                'notification_id', unknown_notification_id)));
    ELSIF p_outcome IN ('requeue', 'interrupted') THEN
        PERFORM otan_enbek.submission_add_event(p_org_id, p_submission_id, 'requeued',
            s.attempts, p_detail => jsonb_build_object(
                'reason', CASE p_outcome
                    WHEN 'requeue' THEN 'Enbek has no record of the message'
                    ELSE 'the worker stopped during the request' END,
                'status', new_status));
    ELSIF new_status IN ('accepted', 'returned', 'failed') THEN
        IF new_status = 'returned' THEN
            INSERT INTO otan_enbek.submission_reason
                (org_id, submission_id, reason_no, code, message, iin, employee_id)
            SELECT p_org_id, p_submission_id,
                   coalesce((SELECT max(reason_no) FROM otan_enbek.submission_reason
                             WHERE org_id = p_org_id AND submission_id = p_submission_id), 0)
                       + r.ord,
                   r.code, r.message, r.iin, l.employee_id
            FROM ROWS FROM (jsonb_to_recordset(coalesce(p_reasons, '[]'))
                            AS (code text, message text, iin text))
                 WITH ORDINALITY AS r (code, message, iin, ord)
            LEFT JOIN otan_enbek.timesheet_line AS l
                   ON l.org_id = p_org_id AND l.timesheet_id = s.timesheet_id
                  AND l.iin = r.iin;
        END IF;
        PERFORM otan_enbek.submission_add_event(p_org_id, p_submission_id, new_status,
            s.attempts, p_code => p_code, p_message => p_message);
        PERFORM otan_enbek.delivery_update_timesheet(p_org_id, s.timesheet_id);
        PERFORM otan_enbek.delivery_notify(p_org_id, p_submission_id, 'submission_' || new_status);
    END IF;
    RETURN new_status;
END
$$;

CREATE FUNCTION otan_enbek.delivery_retry_delay(failures integer, retry_after integer DEFAULT NULL)
    RETURNS interval
    LANGUAGE C VOLATILE PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_delivery_retry_delay';
COMMENT ON FUNCTION otan_enbek.delivery_retry_delay(integer, integer) IS
    'Delay before the retry after that many transient failures in a row: retry_delay * 2^(failures-1) capped at retry_max_delay, of which a random part between half and all, and at least retry_after seconds';

CREATE FUNCTION otan_enbek.delivery_judge_response(
    request text, http_status integer, body text, request_id uuid, message_id uuid)
    RETURNS jsonb
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_delivery_judge_response';
COMMENT ON FUNCTION otan_enbek.delivery_judge_response(text, integer, text, uuid, uuid) IS
    'Reads a response of Enbek to a request (send or status) as the worker does and returns its verdict, without sending anything';

-- Submissions with their last event, without the document.
CREATE VIEW otan_enbek.submission_overview AS
SELECT s.org_id, s.submission_id, s.timesheet_id, s.part_no, s.part_count,
       t.month, t.version, s.message_id, s.status, s.attempts, s.next_attempt_at,
       s.last_attempt_at, s.response_code, s.response_message,
       s.created_at, s.finished_at,
       e.kind AS last_event, e.at AS last_event_at,
       e.http_status AS last_http_status, e.code AS last_code,
       e.message AS last_message,
       (SELECT count(*) FROM otan_enbek.submission_reason AS r
        WHERE r.org_id = s.org_id AND r.submission_id = s.submission_id) AS reasons
FROM otan_enbek.submission AS s
JOIN otan_enbek.timesheet AS t ON t.org_id = s.org_id AND t.timesheet_id = s.timesheet_id
LEFT JOIN LATERAL (
    SELECT ev.kind, ev.at, ev.http_status, ev.code, ev.message
    FROM otan_enbek.submission_event AS ev
    WHERE ev.org_id = s.org_id AND ev.submission_id = s.submission_id
    ORDER BY ev.event_no DESC
    LIMIT 1) AS e ON true;
COMMENT ON VIEW otan_enbek.submission_overview IS
    'Submissions with their delivery state and last event, without the signed document';

COMMENT ON COLUMN otan_enbek.submission_reason.iin IS
    'IIN as Enbek named it, in full: the table is readable by privileged roles only, and the IIN identifies the employee when no timesheet line has it';

-- The worker's own functions are not for other callers.
REVOKE EXECUTE ON FUNCTION
    otan_enbek.submission_add_event(integer, bigint, text, integer, integer, text, text, integer, jsonb),
    otan_enbek.delivery_claim(integer),
    otan_enbek.delivery_next_due(),
    otan_enbek.delivery_requeue(),
    otan_enbek.delivery_update_timesheet(integer, integer),
    otan_enbek.delivery_notify(integer, bigint, text, integer),
    otan_enbek.delivery_record(integer, bigint, text, text, integer, text, text, integer, jsonb, jsonb, integer, interval),
    otan_enbek.delivery_judge_response(text, integer, text, uuid, uuid)
    FROM PUBLIC;

-- A new installation wakes the launcher at commit, so that this database
-- gets its worker at once.
SELECT otan_enbek.wake_delivery()
FROM otan_enbek.delivery_worker_info()
WHERE preloaded;
