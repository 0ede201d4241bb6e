-- The HTTP request of the pull sources and the checks of its response.

CREATE FUNCTION otan_enbek.pull_http_request(source_id integer, method text, url text,
        body text, auth text, connect_timeout_ms integer, request_timeout_ms integer,
        OUT status integer, OUT content_type text, OUT body bytea)
    RETURNS record
    LANGUAGE C VOLATILE
    AS 'MODULE_PATHNAME', 'otan_enbek_pull_http_request';
REVOKE EXECUTE ON FUNCTION
    otan_enbek.pull_http_request(integer, text, text, text, text, integer, integer)
    FROM PUBLIC;
COMMENT ON FUNCTION otan_enbek.pull_http_request(integer, text, text, text, text, integer, integer) IS
    'Sends one GET or POST to an address of a pull source with its credentials and returns the HTTP status and body (superusers only)';

-- Sends a request of a pull source with the timeouts and the
-- authentication of its settings, and returns the body parsed as JSON.
-- An HTTP status other than 200 raises an error that names the source,
-- with the start of the body in the detail.  401 and 403 get their own
-- message, because their cure is the credentials.
CREATE FUNCTION otan_enbek.pull_request_json(src otan_enbek.source_pull, method text,
                                             url text, body text, default_auth text)
    RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    response record;
    text_body text;
    parsed jsonb;
BEGIN
    response := otan_enbek.pull_http_request(
        src.source_id, method, url, body,
        coalesce(src.settings->>'auth', default_auth),
        coalesce((src.settings->>'connect_timeout_ms')::integer, 10000),
        coalesce((src.settings->>'request_timeout_ms')::integer, 30000));
    text_body := convert_from(response.body, 'UTF8');
    IF response.status IN (401, 403) THEN
        RAISE EXCEPTION 'pull source % rejected the credentials: HTTP %',
                src.source_id, response.status
            USING ERRCODE = 'invalid_authorization_specification',
                  DETAIL = format('The request was %s %s.', method, url),
                  HINT = 'Check the user name and password with otan_enbek.set_source_credentials(); the source is tried again after its backoff.';
    ELSIF response.status <> 200 THEN
        RAISE EXCEPTION 'pull source % returned HTTP %', src.source_id, response.status
            USING ERRCODE = 'connection_failure',
                  DETAIL = format('The request was %s %s. The response begins: %s',
                                  method, url, left(text_body, 300)),
                  HINT = 'Check the source''s url and settings; the source is tried again after its backoff.';
    END IF;
    BEGIN
        parsed := text_body::jsonb;
    EXCEPTION WHEN invalid_text_representation THEN
        RAISE EXCEPTION 'response of pull source % is not JSON', src.source_id
            USING ERRCODE = 'invalid_text_representation',
                  DETAIL = format('The request was %s %s. The response begins: %s',
                                  method, url, left(text_body, 300));
    END;
    RETURN parsed;
END
$$;
COMMENT ON FUNCTION otan_enbek.pull_request_json(otan_enbek.source_pull, text, text, text, text) IS
    'Sends a request of a pull source and returns its body as JSON; raises an error for an HTTP status other than 200 or a body that is not JSON';

-- Returns the time and the largest numeric external id of the newest event
-- of a page that ingest would store.  Events that ingest rejects for their
-- time, such as those of a device whose clock runs days ahead, are left
-- out, so they never move a cursor past events still to come.
CREATE FUNCTION otan_enbek.pull_newest_event(format text, content text, time_zone text,
                                             OUT at timestamptz, OUT numeric_id bigint)
    RETURNS record
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT max(t.at), max(t.numeric_id)
    FROM (SELECT CASE WHEN e.utc_offset IS NULL
                      THEN e.local_time AT TIME ZONE $3
                      ELSE (e.local_time - make_interval(secs => e.utc_offset))
                           AT TIME ZONE 'UTC' END AS at,
                 CASE WHEN e.external_id ~ '^[0-9]{1,18}$'
                      THEN e.external_id::bigint END AS numeric_id
          FROM otan_enbek.parse_events($1, $2) e
          WHERE e.reject_reason IS NULL) t
    WHERE t.at <= now() + interval '1 day'
$$;
COMMENT ON FUNCTION otan_enbek.pull_newest_event(text, text, text) IS
    'Returns the time and the largest numeric external id of the events of a page that ingest would store';

-- Encodes a value for a URL query string (RFC 3986 unreserved characters
-- stay, every other byte of its UTF-8 becomes %XX).
CREATE FUNCTION otan_enbek.url_encode(value text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT coalesce(string_agg(CASE WHEN c ~ '^[A-Za-z0-9._~-]$' THEN c
                                    ELSE regexp_replace(upper(encode(convert_to(c, 'UTF8'), 'hex')),
                                                        '(..)', '%\1', 'g') END,
                               '' ORDER BY n), '')
    FROM regexp_split_to_table($1, '') WITH ORDINALITY AS s(c, n)
$$;
COMMENT ON FUNCTION otan_enbek.url_encode(text) IS
    'Encodes a value for a URL query string: unreserved characters stay, other bytes become %XX';

-- Reads a time of a source's settings, such as start_time: with a UTC
-- offset as that instant, without one as a local time of the zone.
CREATE FUNCTION otan_enbek.pull_setting_time(value text, time_zone text) RETURNS timestamptz
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF length(value) > 64 THEN
        RAISE EXCEPTION 'invalid time in the settings of a pull source'
            USING ERRCODE = 'invalid_datetime_format',
                  DETAIL = format('The value is %s characters long.', length(value)),
                  HINT = 'Write a date and time such as 2026-11-01 or 2026-11-01T08:00:00+05:00.';
    END IF;
    RETURN CASE WHEN value ~ '[0-9]:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?\s*(Z|[+-][0-9]{2}(:?[0-9]{2})?)$'
                THEN value::timestamptz
                ELSE value::timestamp AT TIME ZONE time_zone END;
END
$$;
COMMENT ON FUNCTION otan_enbek.pull_setting_time(text, text) IS
    'Reads a time of a pull source''s settings: with a UTC offset as that instant, without one as a local time of the zone';
