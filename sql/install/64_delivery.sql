-- Delivery by the background worker: reading Enbek's responses and the
-- backoff of retries.

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

-- The worker's own functions are not for other callers.
REVOKE EXECUTE ON FUNCTION
    otan_enbek.delivery_judge_response(text, integer, text, uuid, uuid)
    FROM PUBLIC;
