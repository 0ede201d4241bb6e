-- Ingest: reading access-control files into skud_event.
--
-- The parsers are C functions that return the records of a file as rows.
-- ingest stores them set-based in one statement: every record read is
-- stored, found to be a duplicate, or kept in ingest_reject with its line
-- and reason, and the batch row records the counts.

-- Estimates the rows of parse_events from the length of the content, so
-- that ingest_bytes plans a file of millions of events with hash joins to
-- the credentials instead of an index lookup per event.
CREATE FUNCTION otan_enbek.parse_events_support(internal) RETURNS internal
    LANGUAGE C STRICT
    AS 'MODULE_PATHNAME', 'otan_enbek_parse_events_support';
COMMENT ON FUNCTION otan_enbek.parse_events_support(internal) IS
    'Planner support of parse_events: estimates its rows as the content''s length divided by 48 bytes a record';

CREATE FUNCTION otan_enbek.parse_events(format text, content text,
        OUT record_no integer, OUT external_id text, OUT local_time timestamp,
        OUT utc_offset integer, OUT device text, OUT credential_kind text,
        OUT credential text, OUT direction text, OUT device_state smallint,
        OUT counts_for_attendance boolean, OUT raw text, OUT reject_reason text,
        OUT clock_jump_sec integer)
    RETURNS SETOF record
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    SUPPORT otan_enbek.parse_events_support
    AS 'MODULE_PATHNAME', 'otan_enbek_parse_events_text';
COMMENT ON FUNCTION otan_enbek.parse_events(text, text) IS
    'Returns the records of a zkteco, hikvision or csv file as rows without storing them; reject_reason is set for a record that cannot be read, and clock_jump_sec for a zkteco or hikvision record more than 60 s before the latest earlier record of the same device and credential';

CREATE FUNCTION otan_enbek.parse_events(format text, content bytea,
        OUT record_no integer, OUT external_id text, OUT local_time timestamp,
        OUT utc_offset integer, OUT device text, OUT credential_kind text,
        OUT credential text, OUT direction text, OUT device_state smallint,
        OUT counts_for_attendance boolean, OUT raw text, OUT reject_reason text,
        OUT clock_jump_sec integer)
    RETURNS SETOF record
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    SUPPORT otan_enbek.parse_events_support
    AS 'MODULE_PATHNAME', 'otan_enbek_parse_events_bytea';
COMMENT ON FUNCTION otan_enbek.parse_events(text, bytea) IS
    'Returns the records of a file given as UTF-8 bytes, as parse_events(text, text) does';

CREATE FUNCTION otan_enbek.event_months(format text, content bytea,
        time_zone text, not_before timestamptz, not_after timestamptz)
    RETURNS SETOF timestamptz
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_event_months';
COMMENT ON FUNCTION otan_enbek.event_months(text, bytea, text, timestamptz, timestamptz) IS
    'Returns the start of each UTC month with a readable event of a file between two limits, local times taken in time_zone; ingest creates the partitions of these months';

CREATE FUNCTION otan_enbek.invalid_utf8_offset(content bytea) RETURNS bigint
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_invalid_utf8_offset';
COMMENT ON FUNCTION otan_enbek.invalid_utf8_offset(bytea) IS
    'Returns the offset of the first byte that makes the content invalid UTF-8 (its length when it ends inside a character), or NULL when all of it is UTF-8; NUL bytes are allowed because the parsers reject their lines';

CREATE FUNCTION otan_enbek.invalid_utf8_reason(content bytea) RETURNS text
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_invalid_utf8_reason';
COMMENT ON FUNCTION otan_enbek.invalid_utf8_reason(bytea) IS
    'Returns a sentence that names the first byte that makes the content invalid UTF-8, its offset and what was expected there, or NULL when all of it is UTF-8 (NUL bytes aside)';

-- Returns the local times of a zone that occurred twice between two
-- instants, because the clocks were set back: each range [local_from,
-- local_to) and the UTC offset of its first occurrence.  Offsets are read
-- every 15 minutes from a whole UTC hour.  NOTE: a change at another time
-- than a quarter hour would be found up to 15 minutes late, with a range
-- shorter than it should be.
CREATE FUNCTION otan_enbek.ambiguous_local_times(time_zone text, first timestamptz,
        last timestamptz)
    RETURNS TABLE (local_from timestamp, local_to timestamp, first_offset interval)
    LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NOT (isfinite(first) AND isfinite(last)) OR last - first > interval '100 years' THEN
        RAISE EXCEPTION 'cannot look for repeated local times from % to %', first, last
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The instants must be finite and at most 100 years apart.',
                  HINT = 'Pass the first and the last time of the events of one file.';
    END IF;
    RETURN QUERY
SELECT (c.next_at AT TIME ZONE 'UTC') + c.next_offset,
       (c.next_at AT TIME ZONE 'UTC') + c.utc_offset,
       c.utc_offset
FROM (SELECT s.at, s.utc_offset,
             lead(s.at) OVER (ORDER BY s.at) AS next_at,
             lead(s.utc_offset) OVER (ORDER BY s.at) AS next_offset
      FROM (SELECT g.at,
                   (g.at AT TIME ZONE ambiguous_local_times.time_zone)
                   - (g.at AT TIME ZONE 'UTC') AS utc_offset
            FROM generate_series((date_trunc('hour', first AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')
                                 - interval '15 minutes',
                                 last, interval '15 minutes') AS g(at)) s) c
WHERE c.next_offset < c.utc_offset;
END
$$;
COMMENT ON FUNCTION otan_enbek.ambiguous_local_times(text, timestamptz, timestamptz) IS
    'Returns the ranges of local times of a zone that occurred twice between two instants, with the UTC offset of their first occurrence';

-- Stores the events of a file given as UTF-8 bytes.  Times without a UTC
-- offset are local times of the organization's zone.  Such a time that
-- occurred twice, when the zone's clocks were set back, is read as its
-- first occurrence and the event is marked local_time_ambiguous.  The
-- local dates of stored events that count for an employee's attendance are
-- marked in attendance_pending for refresh_attendance.  Events before
-- 2001-01-01 or more than one day after the transaction's start are
-- rejected: such times come from devices whose clock was never set.
CREATE FUNCTION otan_enbek.ingest_bytes(source_id integer, format text,
                                        content bytea, file_name text DEFAULT NULL)
    RETURNS otan_enbek.ingest_batch
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    -- a generic plan would assume the row estimate of an unknown file
    SET plan_cache_mode = force_custom_plan
    AS $$
#variable_conflict use_column
DECLARE
    src record;
    fmt text;
    not_before timestamptz;
    not_after timestamptz;
    months timestamptz[];
    ambiguous_from timestamp[];
    ambiguous_to timestamp[];
    ambiguous_offset interval[];
    batch otan_enbek.ingest_batch;
    stream record;
    counts record;
BEGIN
    IF ingest_bytes.source_id IS NULL THEN
        RAISE EXCEPTION 'source_id is NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the source_id of a row of otan_enbek.source.';
    END IF;
    SELECT s.org_id, s.name, s.default_format, o.time_zone INTO src
    FROM otan_enbek.source s
    JOIN otan_enbek.organization o ON o.org_id = s.org_id
    WHERE s.source_id = ingest_bytes.source_id;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'source % does not exist', ingest_bytes.source_id
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'List the sources with SELECT source_id, name FROM otan_enbek.source, or add one.';
    END IF;

    fmt := coalesce(ingest_bytes.format, src.default_format);
    IF fmt IS NULL THEN
        RAISE EXCEPTION 'no format given for source %', ingest_bytes.source_id
            USING ERRCODE = 'null_value_not_allowed',
                  DETAIL = format('Source %s ("%s") has no default_format.',
                                  ingest_bytes.source_id, src.name),
                  HINT = 'Pass the format (zkteco, hikvision or csv), or set default_format of the source.';
    END IF;
    IF content IS NULL THEN
        RAISE EXCEPTION 'content is NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the text of the file; an empty string is a file without events.';
    END IF;

    not_before := timestamp '2001-01-01 00:00:00' AT TIME ZONE src.time_zone;
    not_after := now() + interval '1 day';

    -- This first pass also raises the errors of unreadable content, so
    -- that such content stores nothing, not even a batch row.  NOTE: so
    -- the content is parsed twice, which was about 2% of a large ingest in
    -- a profile.  ingest_events could create the partitions as it meets them.
    months := ARRAY(SELECT m.month
                    FROM otan_enbek.event_months(fmt, content, src.time_zone,
                                                 not_before, not_after) AS m(month));

    INSERT INTO otan_enbek.ingest_batch (org_id, source_id, format, file_name,
                                         content_sha256, content_bytes)
    VALUES (src.org_id, ingest_bytes.source_id, fmt, ingest_bytes.file_name,
            sha256(content), octet_length(content))
    RETURNING * INTO batch;

    PERFORM otan_enbek.ensure_event_partitions(month, month)
    FROM unnest(months) AS month;

    SELECT array_agg(a.local_from), array_agg(a.local_to), array_agg(a.first_offset)
      INTO ambiguous_from, ambiguous_to, ambiguous_offset
    FROM unnest(months) AS m(month)
    CROSS JOIN LATERAL otan_enbek.ambiguous_local_times(src.time_zone, m.month,
                                                        m.month + interval '1 month') AS a;

    -- ingest_events streams the records into skud_event without holding
    -- them, with the rules of the statement below, unless the table has
    -- triggers or row-level security or the caller lacks INSERT or SELECT.
    SELECT * INTO stream
    FROM otan_enbek.ingest_events(src.org_id, ingest_bytes.source_id, batch.batch_id,
                                  fmt, content, src.time_zone, not_before, not_after,
                                  ambiguous_from, ambiguous_to, ambiguous_offset);
    IF stream.streamed THEN
        -- unnest in the select list walks the arrays in step, without the
        -- tuplestore (spilled above work_mem) that unnest in FROM fills
        INSERT INTO otan_enbek.attendance_pending (org_id, employee_id, work_day)
        SELECT src.org_id, unnest(stream.pending_employee_ids),
               unnest(stream.pending_work_days)
        ON CONFLICT (org_id, employee_id, work_day)
            DO UPDATE SET marked_at = excluded.marked_at WHERE false;
        INSERT INTO otan_enbek.ingest_reject (org_id, batch_id, line_no, reason, raw)
        SELECT src.org_id, batch.batch_id, unnest(stream.reject_line_nos),
               unnest(stream.reject_reasons), unnest(stream.reject_raws);
        SELECT stream.read_count AS read, stream.inserted_count AS inserted,
               stream.rejected_count AS rejected,
               stream.unknown_credential_count AS unknown_credential,
               stream.non_attendance_count AS non_attendance
        INTO counts;
    ELSE
        -- The tuplestore of parse_events, the CTE parsed and the sort of
        -- DISTINCT ON each hold every record of the file and spill to disk
        -- above work_mem (973 MiB for 2.5 million events).
        WITH parsed AS (
            SELECT p.record_no, p.external_id, t.occurred_at,
                   t.first_offset IS NOT NULL AS local_time_ambiguous,
                   (t.occurred_at AT TIME ZONE src.time_zone)::date AS local_date,
                   p.device,
                   p.credential_kind, p.credential, p.direction, p.device_state,
                   p.counts_for_attendance, p.raw, p.clock_jump_sec,
                   CASE
                       WHEN p.reject_reason IS NOT NULL THEN p.reject_reason
                       WHEN t.occurred_at < not_before THEN
                           format('The time %s is before 2001-01-01.',
                                  to_char(p.local_time, 'YYYY-MM-DD HH24:MI:SS'))
                       WHEN t.occurred_at > not_after THEN
                           format('The time %s is more than one day in the future.',
                                  to_char(p.local_time, 'YYYY-MM-DD HH24:MI:SS'))
                   END AS reason,
                   -- a boolean, because the planner estimates a half of the rows
                   -- for it, against 0.5% for reason IS NULL
                   p.reject_reason IS NULL
                       AND t.occurred_at BETWEEN not_before AND not_after AS accepted
            FROM otan_enbek.parse_events(fmt, content) AS p
            CROSS JOIN LATERAL (
                -- the offset of the first occurrence, for an ambiguous local time
                SELECT CASE
                           WHEN p.utc_offset IS NULL AND ambiguous_from IS NOT NULL THEN
                               (SELECT a.first_offset
                                FROM unnest(ambiguous_from, ambiguous_to, ambiguous_offset)
                                     AS a(local_from, local_to, first_offset)
                                WHERE p.local_time >= a.local_from AND p.local_time < a.local_to
                                LIMIT 1)
                       END AS first_offset
            ) AS amb
            CROSS JOIN LATERAL (
                SELECT CASE
                           WHEN amb.first_offset IS NOT NULL THEN
                               (p.local_time - amb.first_offset) AT TIME ZONE 'UTC'
                           WHEN p.utc_offset IS NULL THEN p.local_time AT TIME ZONE src.time_zone
                           ELSE (p.local_time - make_interval(secs => p.utc_offset)) AT TIME ZONE 'UTC'
                       END AS occurred_at,
                       amb.first_offset
            ) AS t
        ),
        stored AS (
            -- A plain INSERT of the new events only, because ON CONFLICT costs a
            -- speculative insertion for every row.  The events already stored
            -- are found through the unique key.  Of the events repeated within
            -- the file the first one is kept, and the others count as
            -- duplicates.  Ingests wait for each other on the advisory lock of
            -- ensure_event_partitions (taken above, held until commit), so no
            -- other ingest stores the same event between this statement's
            -- snapshot and its insert.  An INSERT into skud_event by another
            -- path that commits the same key in that time makes this statement
            -- fail with unique_violation and store nothing.  The unique key
            -- never lets an event be stored twice.
            INSERT INTO otan_enbek.skud_event AS e
                   (org_id, occurred_at, source_id, external_id, batch_id, line_no,
                    device, credential_kind, credential, employee_id, direction,
                    device_state, counts_for_attendance, raw, local_time_ambiguous,
                    clock_jump_sec)
            SELECT src.org_id, p.occurred_at, ingest_bytes.source_id, p.external_id,
                   batch.batch_id, p.record_no, p.device, p.credential_kind,
                   p.credential, p.employee_id, p.direction, p.device_state,
                   p.counts_for_attendance, p.raw, p.local_time_ambiguous,
                   p.clock_jump_sec
            FROM (SELECT DISTINCT ON (q.external_id, q.occurred_at)
                         q.*, coalesce(own.employee_id, every.employee_id) AS employee_id
                  FROM parsed AS q
                  -- The credential rule of reassign_credential_events: valid on
                  -- the event's local date, and one limited to this source wins
                  -- over one for all sources.  With the row estimate of
                  -- parse_events the planner joins a large file by hash, which
                  -- reads the organization's credentials once.
                  LEFT JOIN otan_enbek.credential AS own
                    ON own.org_id = src.org_id
                   AND own.kind = q.credential_kind
                   AND own.value = q.credential
                   AND own.source_id = ingest_bytes.source_id
                   AND (own.valid_from IS NULL OR own.valid_from <= q.local_date)
                   AND (own.valid_to IS NULL OR own.valid_to >= q.local_date)
                  LEFT JOIN otan_enbek.credential AS every
                    ON every.org_id = src.org_id
                   AND every.kind = q.credential_kind
                   AND every.value = q.credential
                   AND every.source_id IS NULL
                   AND (every.valid_from IS NULL OR every.valid_from <= q.local_date)
                   AND (every.valid_to IS NULL OR every.valid_to >= q.local_date)
                  WHERE q.accepted
                  ORDER BY q.external_id, q.occurred_at, q.record_no) AS p
            WHERE NOT EXISTS (SELECT FROM otan_enbek.skud_event AS x
                              WHERE x.org_id = src.org_id
                                AND x.source_id = ingest_bytes.source_id
                                AND x.external_id = p.external_id
                                AND x.occurred_at = p.occurred_at)
            RETURNING e.employee_id, e.counts_for_attendance, e.occurred_at
        ),
        pending AS (
            INSERT INTO otan_enbek.attendance_pending (org_id, employee_id, work_day)
            SELECT DISTINCT src.org_id, s.employee_id,
                   (s.occurred_at AT TIME ZONE src.time_zone)::date
            FROM stored s
            WHERE s.employee_id IS NOT NULL AND s.counts_for_attendance
            ON CONFLICT (org_id, employee_id, work_day)
                DO UPDATE SET marked_at = excluded.marked_at WHERE false
        ),
        rejected AS (
            INSERT INTO otan_enbek.ingest_reject (org_id, batch_id, line_no, reason, raw)
            SELECT src.org_id, batch.batch_id, p.record_no, p.reason, p.raw
            FROM parsed AS p
            WHERE p.reason IS NOT NULL
            RETURNING 1
        )
        SELECT (SELECT count(*) FROM parsed) AS read,
               (SELECT count(*) FROM stored) AS inserted,
               (SELECT count(*) FROM rejected) AS rejected,
               (SELECT count(*) FROM stored s
                WHERE s.employee_id IS NULL AND s.counts_for_attendance) AS unknown_credential,
               (SELECT count(*) FROM stored s WHERE NOT s.counts_for_attendance) AS non_attendance
        INTO counts;
    END IF;

    UPDATE otan_enbek.ingest_batch b
    SET read_count = counts.read,
        inserted_count = counts.inserted,
        duplicate_count = counts.read - counts.inserted - counts.rejected,
        rejected_count = counts.rejected,
        unknown_credential_count = counts.unknown_credential,
        non_attendance_count = counts.non_attendance,
        finished_at = clock_timestamp()
    WHERE b.org_id = src.org_id AND b.batch_id = batch.batch_id
    RETURNING b.* INTO batch;
    RETURN batch;
END
$$;
COMMENT ON FUNCTION otan_enbek.ingest_bytes(integer, text, bytea, text) IS
    'Stores the events of a file given as UTF-8 bytes and returns the batch: read = inserted + duplicates + rejected';

CREATE FUNCTION otan_enbek.ingest(source_id integer, format text, content text)
    RETURNS otan_enbek.ingest_batch
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    SELECT * FROM otan_enbek.ingest_bytes($1, $2, convert_to($3, 'UTF8'))
$$;
COMMENT ON FUNCTION otan_enbek.ingest(integer, text, text) IS
    'Stores the events of a zkteco, hikvision or csv file (NULL format: the source''s default_format) and returns the batch: read = inserted + duplicates + rejected';

-- Reads a file on the database server.  Only superusers may call it, as
-- pg_read_binary_file may read any file the server can.  NOTE: the file is
-- held in memory whole; a 103 MB file took about 310 MB of backend memory
-- (ingest of text about 400 MB), so split files of several hundred MB.
CREATE FUNCTION otan_enbek.ingest_file(source_id integer, format text, path text)
    RETURNS otan_enbek.ingest_batch
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    content bytea;
    utf8_problem text;
BEGIN
    IF path = '' OR octet_length(path) >= 1024 THEN
        RAISE EXCEPTION 'invalid file path "%"',
                CASE WHEN length(path) > 64 THEN left(path, 64) || '...' ELSE path END
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The path is %s bytes long; a path has 1 to 1023 bytes.',
                                  octet_length(path)),
                  HINT = 'Give the absolute path of the file on the database server.';
    END IF;
    content := pg_read_binary_file(path);
    utf8_problem := otan_enbek.invalid_utf8_reason(content);
    IF utf8_problem IS NOT NULL THEN
        RAISE EXCEPTION 'file "%" is not valid UTF-8', path
            USING ERRCODE = 'character_not_in_repertoire',
                  DETAIL = utf8_problem,
                  HINT = 'Exports of Windows programs are often in CP1251: convert the file, for example with iconv -f CP1251 -t UTF-8, or pass convert_from(pg_read_binary_file(path), ''WIN1251'') to otan_enbek.ingest.';
    END IF;
    RETURN otan_enbek.ingest_bytes(source_id, format, content, path);
END
$$;
REVOKE EXECUTE ON FUNCTION otan_enbek.ingest_file(integer, text, text) FROM PUBLIC;
COMMENT ON FUNCTION otan_enbek.ingest_file(integer, text, text) IS
    'Stores the events of a file on the database server (superusers only) and returns the batch';

CREATE VIEW otan_enbek.unmatched_credential AS
SELECT e.org_id,
       e.source_id,
       e.credential_kind,
       e.credential,
       count(*) AS event_count,
       min(e.occurred_at) AS first_occurred_at,
       max(e.occurred_at) AS last_occurred_at,
       array_agg(DISTINCT e.device ORDER BY e.device)
           FILTER (WHERE e.device IS NOT NULL) AS devices
FROM otan_enbek.skud_event e
WHERE e.employee_id IS NULL
  AND e.counts_for_attendance
GROUP BY e.org_id, e.source_id, e.credential_kind, e.credential;
COMMENT ON VIEW otan_enbek.unmatched_credential IS
    'Credentials of stored attendance events that match no employee; enroll them in credential and run resolve_credentials';
