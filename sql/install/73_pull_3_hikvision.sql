-- The Hikvision ISAPI pull: an AcsEvent search, page by page.
--
-- Each pull searches the time window from the cursor's time minus
-- replay_hours to one day after now, with a new searchID, and pages through
-- it with searchResultPosition and maxResults until the device returns a
-- status other than MORE or an empty page.  Every page is stored as one
-- ingest batch of format hikvision, so events stored before, such as those
-- of the replay window or of a page that the device sends twice, count as
-- duplicates.  The cursor is the time and serialNo of the newest event
-- stored.  Searching replay_hours back finds the events that a controller
-- replays late, after it was offline: they keep their old time and get new
-- serial numbers.
-- NOTE: an event replayed with a time more than replay_hours before the
-- cursor's time is not found.  A search by serial number would lift this
-- limit, and it is not implemented.

-- Formats an instant as an ISAPI time, the local time of a zone with its
-- UTC offset: 2026-11-03T08:00:00+05:00.
CREATE FUNCTION otan_enbek.isapi_time(at timestamptz, time_zone text) RETURNS text
    LANGUAGE sql STABLE STRICT
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT to_char(local, 'YYYY-MM-DD"T"HH24:MI:SS')
           || CASE WHEN utc_offset < interval '0' THEN '-' ELSE '+' END
           || to_char(abs(extract(epoch FROM utc_offset))::integer / 3600, 'FM00') || ':'
           || to_char(abs(extract(epoch FROM utc_offset))::integer / 60 % 60, 'FM00')
    FROM (SELECT $1 AT TIME ZONE $2 AS local,
                 ($1 AT TIME ZONE $2) - ($1 AT TIME ZONE 'UTC') AS utc_offset) t
$$;
COMMENT ON FUNCTION otan_enbek.isapi_time(timestamptz, text) IS
    'Formats an instant as the local time of a zone with its UTC offset, as ISAPI expects it';

-- Pulls the new events of a Hikvision device and returns the counts and
-- the new cursor as {"counts": {...}, "cursor": {...}}.
CREATE FUNCTION otan_enbek.pull_hikvision(src otan_enbek.source_pull, cursor jsonb,
                                          time_zone text)
    RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    max_results constant integer := coalesce((src.settings->>'max_results')::integer, 30);
    max_pages constant integer := coalesce((src.settings->>'max_pages')::integer, 100);
    replay constant interval :=
        make_interval(hours => coalesce((src.settings->>'replay_hours')::integer, 24));
    url constant text := rtrim(src.url, '/') || '/ISAPI/AccessControl/AcsEvent?format=json';
    search_id constant text := gen_random_uuid()::text;
    since timestamptz;
    result_position integer := 0;
    pages integer := 0;
    response jsonb;
    event_count integer;
    batch otan_enbek.ingest_batch;
    newest record;
    counts jsonb := jsonb_build_object('pages', 0, 'events', 0, 'inserted', 0,
                                       'duplicates', 0, 'rejected', 0, 'more', false);
BEGIN
    IF max_results NOT BETWEEN 1 AND 1000 OR max_pages < 1 THEN
        RAISE EXCEPTION 'invalid paging settings of pull source %', src.source_id
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('max_results is %s and max_pages %s.', max_results, max_pages),
                  HINT = 'Set max_results between 1 and 1000 and max_pages to 1 or more.';
    END IF;
    since := coalesce((cursor->>'time')::timestamptz - replay,
                      otan_enbek.pull_setting_time(src.settings->>'start_time', time_zone),
                      date_trunc('month', (now() AT TIME ZONE time_zone) - interval '1 month')
                          AT TIME ZONE time_zone);
    LOOP
        response := otan_enbek.pull_request_json(src, 'POST', url,
            jsonb_build_object('AcsEventCond', jsonb_build_object(
                'searchID', search_id,
                'searchResultPosition', result_position,
                'maxResults', max_results,
                'major', 0, 'minor', 0,
                'startTime', otan_enbek.isapi_time(since, time_zone),
                'endTime', otan_enbek.isapi_time(now() + interval '1 day', time_zone)))::text,
            'digest');
        IF jsonb_typeof(response->'AcsEvent') IS DISTINCT FROM 'object' THEN
            RAISE EXCEPTION 'response of pull source % has no AcsEvent object', src.source_id
                USING ERRCODE = 'invalid_text_representation',
                      DETAIL = format('The response begins: %s', left(response::text, 300)),
                      HINT = 'Check that the url names a Hikvision device with ISAPI access control.';
        END IF;
        event_count := CASE WHEN jsonb_typeof(response->'AcsEvent'->'InfoList') = 'array'
                            THEN jsonb_array_length(response->'AcsEvent'->'InfoList') ELSE 0 END;
        pages := pages + 1;
        IF event_count > 0 THEN
            batch := otan_enbek.ingest_bytes(src.source_id, 'hikvision',
                                             convert_to(response::text, 'UTF8'),
                                             NULL);
            counts := counts || jsonb_build_object(
                'events', (counts->>'events')::integer + event_count,
                'inserted', (counts->>'inserted')::integer + batch.inserted_count,
                'duplicates', (counts->>'duplicates')::integer + batch.duplicate_count,
                'rejected', (counts->>'rejected')::integer + batch.rejected_count);
            newest := otan_enbek.pull_newest_event('hikvision', response::text, time_zone);
            IF newest.at IS NOT NULL THEN
                cursor := jsonb_build_object(
                    'time', greatest((cursor->>'time')::timestamptz, newest.at),
                    'serial_no', greatest((cursor->>'serial_no')::bigint, newest.numeric_id));
            END IF;
        END IF;
        EXIT WHEN event_count = 0
                  OR response->'AcsEvent'->>'responseStatusStrg' IS DISTINCT FROM 'MORE';
        IF pages >= max_pages THEN
            counts := counts || '{"more": true}';
            EXIT;
        END IF;
        result_position := result_position + event_count;
    END LOOP;
    RETURN jsonb_build_object('counts', counts || jsonb_build_object('pages', pages),
                              'cursor', cursor);
END
$$;
COMMENT ON FUNCTION otan_enbek.pull_hikvision(otan_enbek.source_pull, jsonb, text) IS
    'Pulls the events of a Hikvision device page by page from the cursor''s time minus replay_hours, one ingest batch per page, and returns the counts and the new cursor';
