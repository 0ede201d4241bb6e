-- The streaming writer cannot do what an INSERT does for a stored
-- generated column, whose expression needs the row, or for a rule on
-- skud_event.  ingest_bytes then stores the events with its SQL statement.
-- A partition created after a column of skud_event was dropped has other
-- column numbers, and the writer converts its rows.
BEGIN;
SELECT plan(8);

INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES ('050440000012', 'School No. 1', 'Asia/Almaty') RETURNING org_id AS org \gset
INSERT INTO otan_enbek.source (org_id, name) VALUES (:org, 'gate') RETURNING source_id AS src \gset
INSERT INTO otan_enbek.employee (org_id, iin, last_name, first_name)
VALUES (:org, '810111300012', 'Abenova', 'Aigerim') RETURNING employee_id AS emp \gset
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (:org, :emp, 'person', '5');

-- Whether ingest_events streams, from an empty file
CREATE FUNCTION pg_temp.streams(src integer) RETURNS boolean
    LANGUAGE sql AS $$
    SELECT e.streamed
    FROM otan_enbek.source s
    JOIN otan_enbek.organization o ON o.org_id = s.org_id
    CROSS JOIN LATERAL otan_enbek.ingest_events(
        s.org_id, s.source_id, 0, 'zkteco', '', o.time_zone,
        timestamptz '2001-01-01', now(), NULL, NULL, NULL) AS e
    WHERE s.source_id = src
$$;
SELECT ok(pg_temp.streams(:src), 'a plain skud_event takes streamed rows');

-- A stored generated column: the SQL path computes it for each row.
SAVEPOINT generated;
ALTER TABLE otan_enbek.skud_event ADD COLUMN local_day date
    GENERATED ALWAYS AS ((occurred_at AT TIME ZONE 'Asia/Almaty')::date) STORED;
SELECT ok(NOT pg_temp.streams(:src), 'with a generated column ingest does not stream');
SELECT is(inserted_count, 2,
          'generated column: events stored')
FROM otan_enbek.ingest(:src, 'zkteco',
    E'5\t2024-03-04 08:59:58\t1\t0\t1\t0\n5\t2024-03-05 00:30:00\t1\t1\t1\t0\n');
SELECT is(array_agg(local_day ORDER BY occurred_at),
          ARRAY[date '2024-03-04', date '2024-03-05'],
          'generated column: values computed')
FROM otan_enbek.skud_event WHERE source_id = :src;
ROLLBACK TO SAVEPOINT generated;

-- A rule on skud_event is the rewriter's, which the writer bypasses.
SAVEPOINT ruled;
CREATE TEMP TABLE ruled_rows (external_id text);
CREATE RULE ruled_rows AS ON INSERT TO otan_enbek.skud_event
    DO ALSO INSERT INTO ruled_rows VALUES (NEW.external_id);
SELECT ok(NOT pg_temp.streams(:src), 'with a rule on skud_event ingest does not stream');
ROLLBACK TO SAVEPOINT ruled;
SELECT ok(pg_temp.streams(:src), 'without the rule ingest streams again');

-- A dropped column: partitions created after it have other column numbers
-- than skud_event, so the rows are converted.
ALTER TABLE otan_enbek.skud_event ADD COLUMN dropped integer;
ALTER TABLE otan_enbek.skud_event DROP COLUMN dropped;
ALTER TABLE otan_enbek.skud_event ADD COLUMN note text DEFAULT 'turnstile';
SELECT is(inserted_count, 2, 'converted rows: events stored')
FROM otan_enbek.ingest(:src, 'zkteco',
    E'5\t2024-05-04 08:59:58\t1\t0\t1\t0\n5\t2024-05-04 08:59:58\t1\t0\t1\t0\n' ||
    E'5\t2024-05-04 18:00:00\t1\t1\t1\t0\n');
SELECT is(array_agg(ROW(note, employee_id)::text ORDER BY occurred_at),
          ARRAY[ROW('turnstile', :emp)::text, ROW('turnstile', :emp)::text],
          'converted rows: employee and default')
FROM otan_enbek.skud_event WHERE source_id = :src;

SELECT * FROM finish();
ROLLBACK;
