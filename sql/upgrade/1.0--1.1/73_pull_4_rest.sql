-- The generic JSON REST pull, for services such as a school's information
-- system that expose their access events over HTTP.
--
-- The field mapping is declared in the source's settings as SQL/JSON paths
-- (jsonpath): items_path selects the events of a response, and the paths
-- of fields select the id, time, credential, device and direction of one
-- event.  The events of each page become one CSV ingest batch, so they go
-- through the same checks, duplicate detection and attendance marks as a
-- file.  Two kinds of paging:
--
-- cursor: the request carries cursor_param with the cursor of the last
--   page, and next_cursor_path selects the next one in the response.  The
--   pull stops at an empty page or when the response has no new cursor.
-- page:   the request carries page_param (from first_page), size_param and
--   since_param, the time of the newest event stored minus replay_hours.
--   The pull stops at a page shorter than page_size.

-- Returns the text of the value that a jsonpath selects in an event, or
-- NULL.
CREATE FUNCTION otan_enbek.pull_field(item jsonb, path text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    -- A jsonpath syntax error quotes the path, so a long one is rejected first.
    IF length(path) > 1000 THEN
        RAISE EXCEPTION 'JSON path in the settings of a pull source is too long'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The path is %s characters long; the limit is 1000.', length(path));
    END IF;
    RETURN nullif(btrim(jsonb_path_query_first(item, path::jsonpath) #>> '{}'), '');
END
$$;
COMMENT ON FUNCTION otan_enbek.pull_field(jsonb, text) IS
    'Returns the text of the value that a jsonpath selects in a JSON event, or NULL';

-- Quotes a value as a CSV field (RFC 4180).
CREATE FUNCTION otan_enbek.csv_field(value text) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT CASE WHEN $1 IS NULL THEN '' ELSE '"' || replace($1, '"', '""') || '"' END
$$;
COMMENT ON FUNCTION otan_enbek.csv_field(text) IS
    'Quotes a value as a CSV field; NULL becomes an empty field';

-- Maps the events of a REST response to CSV with the columns of the
-- generic CSV format.  A time given as a number is read as seconds since
-- 1970-01-01 UTC (milliseconds with "time_unit": "ms").  A direction is
-- looked up in direction_map, by default in/out in any case.
CREATE FUNCTION otan_enbek.rest_events_csv(settings jsonb, response jsonb,
                                           OUT csv text, OUT event_count integer)
    RETURNS record
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    WITH f AS (
        SELECT coalesce($1->'fields', '{}') AS fields,
               coalesce($1->'direction_map', '{"in": "in", "out": "out"}') AS direction_map,
               coalesce($1->>'time_unit', 's') AS time_unit,
               coalesce($1->>'credential_kind', 'person') AS credential_kind
    ), items AS (
        SELECT i.item, i.n
        FROM jsonb_path_query($2, coalesce($1->>'items_path', '$.events[*]')::jsonpath)
             WITH ORDINALITY AS i(item, n)
    ), mapped AS (
        SELECT i.n,
               otan_enbek.pull_field(i.item, coalesce(f.fields->>'id', '$.id')) AS id,
               jsonb_path_query_first(i.item, coalesce(f.fields->>'time', '$.time')::jsonpath)
                   AS time_value,
               otan_enbek.pull_field(i.item, coalesce(f.fields->>'credential', '$.credential'))
                   AS credential,
               coalesce(otan_enbek.pull_field(i.item, f.fields->>'credential_kind'),
                        f.credential_kind) AS credential_kind,
               otan_enbek.pull_field(i.item, coalesce(f.fields->>'device', '$.device'))
                   AS device,
               otan_enbek.pull_field(i.item, coalesce(f.fields->>'direction', '$.direction'))
                   AS direction,
               f.direction_map, f.time_unit
        FROM items i CROSS JOIN f
    )
    SELECT 'external_id,occurred_at,credential,credential_kind,device,direction' || E'\n'
           || coalesce(string_agg(concat_ws(',',
                  otan_enbek.csv_field(m.id),
                  otan_enbek.csv_field(CASE jsonb_typeof(m.time_value)
                      WHEN 'number' THEN to_char(to_timestamp((m.time_value #>> '{}')::numeric
                                                              / CASE m.time_unit WHEN 'ms' THEN 1000 ELSE 1 END)
                                                 AT TIME ZONE 'UTC',
                                                 'YYYY-MM-DD"T"HH24:MI:SS') || 'Z'
                      ELSE m.time_value #>> '{}' END),
                  otan_enbek.csv_field(m.credential),
                  otan_enbek.csv_field(m.credential_kind),
                  otan_enbek.csv_field(m.device),
                  otan_enbek.csv_field(coalesce(m.direction_map->>m.direction,
                                                m.direction_map->>lower(m.direction)))),
                  E'\n' ORDER BY m.n) || E'\n', ''),
           count(*)::integer
    FROM mapped m
$$;
COMMENT ON FUNCTION otan_enbek.rest_events_csv(jsonb, jsonb) IS
    'Maps the events of a REST response to generic CSV with the JSON paths of a source''s settings, and counts them';

-- Returns url with query parameters appended, each value URL-encoded;
-- parameters whose value is NULL are left out.
CREATE FUNCTION otan_enbek.url_with_query(url text, parameters jsonb) RETURNS text
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT $1 || coalesce(CASE WHEN strpos($1, '?') > 0 THEN '&' ELSE '?' END
                          || string_agg(otan_enbek.url_encode(p.key) || '='
                                        || otan_enbek.url_encode(p.value), '&' ORDER BY p.key),
                          '')
    FROM jsonb_each_text($2) AS p(key, value)
    WHERE p.value IS NOT NULL
$$;
COMMENT ON FUNCTION otan_enbek.url_with_query(text, jsonb) IS
    'Appends URL-encoded query parameters to a URL, leaving out those whose value is NULL';

-- Pulls the new events of a REST source and returns the counts and the
-- new cursor as {"counts": {...}, "cursor": {...}}.
CREATE FUNCTION otan_enbek.pull_rest(src otan_enbek.source_pull, cursor jsonb, time_zone text)
    RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    settings constant jsonb := src.settings;
    paging constant text := coalesce(settings->>'paging', 'cursor');
    page_size constant integer := coalesce((settings->>'page_size')::integer, 100);
    max_pages constant integer := coalesce((settings->>'max_pages')::integer, 100);
    replay constant interval :=
        make_interval(hours => coalesce((settings->>'replay_hours')::integer, 0));
    first_page constant integer := coalesce((settings->>'first_page')::integer, 1);
    since timestamptz;
    page integer := 0;
    url text;
    response jsonb;
    page_csv record;
    next_cursor text;
    batch otan_enbek.ingest_batch;
    newest record;
    counts jsonb := jsonb_build_object('pages', 0, 'events', 0, 'inserted', 0,
                                       'duplicates', 0, 'rejected', 0, 'more', false);
BEGIN
    IF paging NOT IN ('cursor', 'page') OR page_size NOT BETWEEN 1 AND 10000
       OR max_pages < 1 THEN
        RAISE EXCEPTION 'invalid paging settings of pull source %', src.source_id
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('paging is "%s", page_size %s and max_pages %s.',
                                  paging, page_size, max_pages),
                  HINT = 'Set paging to "cursor" or "page", page_size between 1 and 10000 and max_pages to 1 or more.';
    END IF;
    since := coalesce((cursor->>'time')::timestamptz - replay,
                      otan_enbek.pull_setting_time(src.settings->>'start_time', time_zone),
                      date_trunc('month', (now() AT TIME ZONE time_zone) - interval '1 month')
                          AT TIME ZONE time_zone);
    LOOP
        IF paging = 'cursor' THEN
            url := otan_enbek.url_with_query(src.url, jsonb_build_object(
                coalesce(settings->>'cursor_param', 'cursor'), cursor->>'cursor',
                coalesce(settings->>'size_param', 'limit'), page_size));
        ELSE
            url := otan_enbek.url_with_query(src.url, jsonb_build_object(
                coalesce(settings->>'page_param', 'page'), first_page + page,
                coalesce(settings->>'size_param', 'per_page'), page_size,
                coalesce(settings->>'since_param', 'since'),
                to_char(since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')));
        END IF;
        response := otan_enbek.pull_request_json(src, 'GET', url, NULL, 'none');
        page_csv := otan_enbek.rest_events_csv(settings, response);
        page := page + 1;
        IF page_csv.event_count > 0 THEN
            batch := otan_enbek.ingest_bytes(src.source_id, 'csv',
                                             convert_to(page_csv.csv, 'UTF8'));
            counts := counts || jsonb_build_object(
                'events', (counts->>'events')::integer + page_csv.event_count,
                'inserted', (counts->>'inserted')::integer + batch.inserted_count,
                'duplicates', (counts->>'duplicates')::integer + batch.duplicate_count,
                'rejected', (counts->>'rejected')::integer + batch.rejected_count);
            newest := otan_enbek.pull_newest_event('csv', page_csv.csv, time_zone);
            IF newest.at IS NOT NULL THEN
                cursor := coalesce(cursor, '{}') || jsonb_build_object(
                    'time', greatest((cursor->>'time')::timestamptz, newest.at));
            END IF;
        END IF;

        IF paging = 'cursor' THEN
            next_cursor := otan_enbek.pull_field(
                response, coalesce(settings->>'next_cursor_path', '$.next_cursor'));
            IF next_cursor IS NOT NULL THEN
                cursor := coalesce(cursor, '{}') || jsonb_build_object('cursor', next_cursor);
            END IF;
            EXIT WHEN page_csv.event_count = 0 OR next_cursor IS NULL;
        ELSE
            EXIT WHEN page_csv.event_count < page_size;
        END IF;
        IF page >= max_pages THEN
            counts := counts || '{"more": true}';
            EXIT;
        END IF;
    END LOOP;
    RETURN jsonb_build_object('counts', counts || jsonb_build_object('pages', page),
                              'cursor', cursor);
END
$$;
COMMENT ON FUNCTION otan_enbek.pull_rest(otan_enbek.source_pull, jsonb, text) IS
    'Pulls the events of a JSON REST source by cursor or page number, maps them with the JSON paths of its settings, stores one CSV batch per page, and returns the counts and the new cursor';
