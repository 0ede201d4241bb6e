-- The pull step pulls every due source of an organization, each in a
-- subtransaction of its own.  A source that fails rolls back its own
-- events and cursor, backs off and is reported, and the others are pulled
-- and committed with the run.

-- Returns the wait before the next try of a source after its failures-th
-- failure in a row: the pull interval (1 minute without one), doubled with
-- each further failure, at most 1 hour or the interval when that is longer.
CREATE FUNCTION otan_enbek.pull_backoff(pull_interval interval, failures integer)
    RETURNS interval
    LANGUAGE sql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT least(coalesce($1, interval '1 minute') * power(2, least(greatest($2, 1) - 1, 20)),
                 greatest(coalesce($1, interval '1 minute'), interval '1 hour'))
$$;
COMMENT ON FUNCTION otan_enbek.pull_backoff(interval, integer) IS
    'Wait before the next pull of a source after a number of failures in a row: the interval doubled per failure, at most 1 hour or the interval';

-- Pulls one source: its drop folder and its network source, whichever it
-- has.  Returns the counts and the new cursor.
CREATE FUNCTION otan_enbek.pull_one_source(source_id integer, cursor jsonb)
    RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    src otan_enbek.source;
    net otan_enbek.source_pull;
    time_zone text;
    folder jsonb;
    pulled jsonb;
    counts jsonb := jsonb_build_object('inserted', 0, 'duplicates', 0, 'rejected', 0);
BEGIN
    SELECT * INTO src FROM otan_enbek.source s WHERE s.source_id = pull_one_source.source_id;
    SELECT o.time_zone INTO time_zone FROM otan_enbek.organization o WHERE o.org_id = src.org_id;
    SELECT * INTO net FROM otan_enbek.source_pull p
    WHERE p.source_id = pull_one_source.source_id AND p.enabled;

    IF src.drop_dir IS NOT NULL THEN
        folder := otan_enbek.pull_drop_folder(src.source_id);
        counts := counts || jsonb_build_object(
            'files', folder->'files', 'skipped', folder->'skipped',
            'inserted', (SELECT coalesce(sum((f->>'inserted')::integer), 0)
                         FROM jsonb_array_elements(folder->'files') f),
            'duplicates', (SELECT coalesce(sum((f->>'duplicates')::integer), 0)
                           FROM jsonb_array_elements(folder->'files') f),
            'rejected', (SELECT coalesce(sum((f->>'rejected')::integer), 0)
                         FROM jsonb_array_elements(folder->'files') f));
    END IF;

    IF net.source_id IS NOT NULL THEN
        pulled := CASE net.protocol
            WHEN 'hikvision_isapi' THEN otan_enbek.pull_hikvision(net, cursor, time_zone)
            WHEN 'rest' THEN otan_enbek.pull_rest(net, cursor, time_zone)
        END;
        cursor := pulled->'cursor';
        counts := counts || ((pulled->'counts') - 'inserted' - 'duplicates' - 'rejected')
            || jsonb_build_object(
                'inserted', (counts->>'inserted')::integer + (pulled->'counts'->>'inserted')::integer,
                'duplicates', (counts->>'duplicates')::integer
                              + (pulled->'counts'->>'duplicates')::integer,
                'rejected', (counts->>'rejected')::integer + (pulled->'counts'->>'rejected')::integer);
    END IF;
    RETURN jsonb_build_object('counts', counts, 'cursor', cursor);
END
$$;
COMMENT ON FUNCTION otan_enbek.pull_one_source(integer, jsonb) IS
    'Pulls the drop folder and the network source of one source from a cursor and returns the counts and the new cursor';

-- Step of the pull kind.  A source is due when its next_pull_at has
-- passed or is NULL.  A source locked by another pull that is still
-- running is left to that pull.  A failing source gets its error, its
-- failure count and a backoff in source_pull_state and a WARNING; the run
-- itself succeeds, with the failed sources counted under sources_failed and
-- their errors under per_source.  Only a superuser may pull, and an error
-- about the caller's rights stops the whole run instead of backing off a
-- source, because it is not the source's fault.
CREATE FUNCTION otan_enbek.step_pull(org integer) RETURNS jsonb
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    source record;
    state otan_enbek.source_pull_state;
    result jsonb;
    message text;
    per_source jsonb := '[]';
    files jsonb := '[]';
    skipped integer := 0;
    not_due integer := 0;
    busy integer := 0;
BEGIN
    IF NOT (SELECT r.rolsuper FROM pg_roles r WHERE r.rolname = current_user)
       AND EXISTS (SELECT FROM otan_enbek.source s
                   LEFT JOIN otan_enbek.source_pull p ON p.source_id = s.source_id
                   WHERE s.org_id = org AND (s.drop_dir IS NOT NULL OR p.source_id IS NOT NULL)) THEN
        RAISE EXCEPTION 'permission denied to pull the sources of organization %', org
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Role "%s" is not a superuser, and a pull reads files on the database server and the credentials of network sources.',
                                  current_user),
                  HINT = 'Schedule the pull with otan_enbek.set_schedule, whose pg_cron job runs as the owner of the extension, or run it as a superuser.';
    END IF;
    INSERT INTO otan_enbek.source_pull_state (org_id, source_id)
    SELECT s.org_id, s.source_id
    FROM otan_enbek.source s
    LEFT JOIN otan_enbek.source_pull p ON p.source_id = s.source_id AND p.enabled
    WHERE s.org_id = org AND (s.drop_dir IS NOT NULL OR p.source_id IS NOT NULL)
    ON CONFLICT DO NOTHING;

    FOR source IN
        SELECT s.source_id, coalesce(p.protocol, 'drop_folder') AS protocol, p.pull_interval
        FROM otan_enbek.source s
        LEFT JOIN otan_enbek.source_pull p ON p.source_id = s.source_id AND p.enabled
        WHERE s.org_id = org AND (s.drop_dir IS NOT NULL OR p.source_id IS NOT NULL)
        ORDER BY s.source_id
    LOOP
        SELECT * INTO state FROM otan_enbek.source_pull_state st
        WHERE st.source_id = source.source_id
        FOR UPDATE SKIP LOCKED;
        IF NOT FOUND THEN
            busy := busy + 1;
            CONTINUE;
        ELSIF state.next_pull_at > clock_timestamp() THEN
            not_due := not_due + 1;
            CONTINUE;
        END IF;

        message := NULL;
        BEGIN
            result := otan_enbek.pull_one_source(source.source_id, state.cursor);
        EXCEPTION
            WHEN insufficient_privilege THEN
                RAISE;
            WHEN OTHERS THEN
                GET STACKED DIAGNOSTICS message = MESSAGE_TEXT;
        END;

        IF message IS NULL THEN
            UPDATE otan_enbek.source_pull_state st
            SET cursor = nullif(result->'cursor', 'null'), failures = 0, last_error = NULL,
                last_pull_at = clock_timestamp(), last_success_at = clock_timestamp(),
                last_counts = (result->'counts') - 'files',
                next_pull_at = CASE WHEN (result->'counts'->>'more')::boolean
                                    THEN clock_timestamp()
                                    ELSE clock_timestamp() + source.pull_interval END
            WHERE st.source_id = source.source_id;
            files := files || coalesce(result->'counts'->'files', '[]');
            skipped := skipped + coalesce((result->'counts'->>'skipped')::integer, 0);
            per_source := per_source || (jsonb_build_object(
                'source_id', source.source_id, 'protocol', source.protocol, 'error', NULL)
                || ((result->'counts') - 'files'));
        ELSE
            UPDATE otan_enbek.source_pull_state st
            SET failures = st.failures + 1, last_error = message,
                last_error_at = clock_timestamp(), last_pull_at = clock_timestamp(),
                next_pull_at = clock_timestamp()
                               + otan_enbek.pull_backoff(source.pull_interval, st.failures + 1)
            WHERE st.source_id = source.source_id
            RETURNING * INTO state;
            RAISE WARNING 'pull of source % failed: %', source.source_id, message
                USING DETAIL = format('This is failure %s in a row; the next try is at %s.',
                                      state.failures, state.next_pull_at),
                      HINT = 'The error is kept in otan_enbek.source_pull_status. The other sources are pulled as usual.';
            per_source := per_source || jsonb_build_object(
                'source_id', source.source_id, 'protocol', source.protocol, 'error', message,
                'failures', state.failures, 'next_pull_at', state.next_pull_at);
        END IF;
    END LOOP;

    RETURN (SELECT jsonb_build_object(
                'sources', jsonb_array_length(per_source),
                'sources_failed', count(ps.value) FILTER (WHERE ps.value->>'error' IS NOT NULL),
                'sources_not_due', not_due,
                'sources_busy', busy,
                'files', jsonb_array_length(files),
                'done', (SELECT count(*) FROM jsonb_array_elements(files) f
                         WHERE f->>'moved_to' = 'done'),
                'failed', (SELECT count(*) FROM jsonb_array_elements(files) f
                           WHERE f->>'moved_to' = 'failed'),
                'skipped', skipped,
                'inserted', coalesce(sum((ps.value->>'inserted')::integer), 0),
                'duplicates', coalesce(sum((ps.value->>'duplicates')::integer), 0),
                'rejected', coalesce(sum((ps.value->>'rejected')::integer), 0),
                'per_file', files,
                'per_source', per_source)
            FROM jsonb_array_elements(per_source) AS ps);
END
$$;
COMMENT ON FUNCTION otan_enbek.step_pull(integer) IS
    'Step of the pull kind: pulls each due source of an organization (drop folder, Hikvision device, REST service) in a subtransaction, stores its events and cursor together, backs off a failing source and returns the counts per source and per file';

-- The organizations with a network source whose interval has passed, for
-- the background worker.
CREATE FUNCTION otan_enbek.pull_due_orgs() RETURNS SETOF integer
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT DISTINCT p.org_id
    FROM otan_enbek.source_pull p
    LEFT JOIN otan_enbek.source_pull_state st ON st.source_id = p.source_id
    WHERE p.enabled AND p.pull_interval IS NOT NULL
      AND (st.next_pull_at IS NULL OR st.next_pull_at <= clock_timestamp())
    ORDER BY p.org_id
$$;
COMMENT ON FUNCTION otan_enbek.pull_due_orgs() IS
    'Returns the organizations with an enabled pull source that has an interval and is due';

-- Seconds until the next network source with an interval is due, NULL
-- when there is none.
CREATE FUNCTION otan_enbek.pull_seconds_to_next() RETURNS double precision
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT greatest(extract(epoch FROM min(coalesce(st.next_pull_at, clock_timestamp()))
                                        - clock_timestamp())::double precision, 0)
    FROM otan_enbek.source_pull p
    LEFT JOIN otan_enbek.source_pull_state st ON st.source_id = p.source_id
    WHERE p.enabled AND p.pull_interval IS NOT NULL
$$;
COMMENT ON FUNCTION otan_enbek.pull_seconds_to_next() IS
    'Returns the seconds until the next pull source with an interval is due, or NULL when there is none';

GRANT EXECUTE ON FUNCTION
    otan_enbek.pull_backoff(interval, integer),
    otan_enbek.pull_one_source(integer, jsonb),
    otan_enbek.pull_drop_folder(integer),
    otan_enbek.pull_hikvision(otan_enbek.source_pull, jsonb, text),
    otan_enbek.pull_rest(otan_enbek.source_pull, jsonb, text),
    otan_enbek.pull_request_json(otan_enbek.source_pull, text, text, text, text),
    otan_enbek.pull_newest_event(text, text, text),
    otan_enbek.pull_field(jsonb, text),
    otan_enbek.csv_field(text),
    otan_enbek.rest_events_csv(jsonb, jsonb),
    otan_enbek.url_encode(text),
    otan_enbek.url_with_query(text, jsonb),
    otan_enbek.isapi_time(timestamptz, text),
    otan_enbek.pull_setting_time(text, text),
    otan_enbek.pull_due_orgs(),
    otan_enbek.pull_seconds_to_next()
    TO otan_enbek_admin, otan_enbek_operator;
