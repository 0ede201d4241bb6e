-- Several ingests in one transaction store what the SQL statement of
-- ingest_bytes stores, also after a rollback to a savepoint.  The same
-- sequence of ingests runs once streamed (gate A) and once through the SQL
-- statement (gate B, forced by a row trigger on skud_event):
--
--   1. 2,000 new records, 20 of them rejected; this creates the partition
--      of March 2024;
--   2. 2,000 other records in the same partition, in a block whose
--      exception rolls them back;
--   3. the second half of file 1 with all of file 2: the rows that step 2
--      rolled back are dead entries in the partition's unique index;
--   4. with a CHECK constraint added to skud_event for the source, 2,000
--      records from 2024-03-20 that violate it from record 1,500 on, after
--      the first batch of 1,000 rows was inserted: the error rolls the
--      ingest back;
--   5. the constraint dropped, the records of step 4 again.
--
-- Steps 3 and 5 look keys up where the index contains entries of
-- rolled-back rows.  A btree scan that steps over such an entry keeps an
-- array that it allocates at that moment, so the lookups must not run in a
-- memory context that ingest_events resets after each record.
BEGIN;
SELECT plan(23);

INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES ('050440000012', 'School No. 1', 'Asia/Almaty') RETURNING org_id AS org \gset
INSERT INTO otan_enbek.source (org_id, name) VALUES (:org, 'gate A') RETURNING source_id AS src_a \gset
INSERT INTO otan_enbek.source (org_id, name) VALUES (:org, 'gate B') RETURNING source_id AS src_b \gset
INSERT INTO otan_enbek.employee (org_id, iin, last_name, first_name)
VALUES (:org, '810111300012', 'Abenova', 'Aigerim') RETURNING employee_id AS emp \gset
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
SELECT :org, :emp, 'card', c::text FROM generate_series(0, 24) AS c;

-- Records first..last of file k: record n is a punch of card n % 50 at
-- start + (2n + k) minutes, and every 97th record is dated 1999.
CREATE FUNCTION pg_temp.csv(k integer, first integer, last integer,
                            start timestamp DEFAULT '2024-03-01 07:00')
    RETURNS text LANGUAGE sql AS $$
    SELECT string_agg(CASE
                          WHEN n % 97 = 0 THEN format('1999-03-04 08:00:00,%s,in', n % 50)
                          ELSE format('%s,%s,%s',
                                      to_char(start + (2 * n + k) * interval '1 minute',
                                              'YYYY-MM-DD HH24:MI:SS'),
                                      n % 50, CASE WHEN n % 2 = 0 THEN 'in' ELSE 'out' END)
                      END, E'\n' ORDER BY n)
    FROM generate_series(first, last) AS n
$$;

CREATE FUNCTION pg_temp.ingest_csv(src integer, body text)
    RETURNS otan_enbek.ingest_batch LANGUAGE sql AS $$
    SELECT otan_enbek.ingest(src, 'csv', E'occurred_at,card_no,direction\n' || body)
$$;

-- Runs the five steps of the header for a source.  The rolled-back steps
-- return the error they caught in place of their counts.
CREATE FUNCTION pg_temp.ingest_steps(src integer)
    RETURNS TABLE (step integer, read_count integer, inserted_count integer,
                   duplicate_count integer, rejected_count integer, error text)
    LANGUAGE plpgsql AS $$
DECLARE
    b otan_enbek.ingest_batch;
BEGIN
    b := pg_temp.ingest_csv(src, pg_temp.csv(0, 1, 2000));
    RETURN QUERY SELECT 1, b.read_count, b.inserted_count, b.duplicate_count,
                        b.rejected_count, NULL::text;

    BEGIN
        b := pg_temp.ingest_csv(src, pg_temp.csv(1, 1, 2000));
        RAISE EXCEPTION 'roll back % stored events', b.inserted_count;
    EXCEPTION WHEN raise_exception THEN
        RETURN QUERY SELECT 2, NULL::integer, NULL::integer, NULL::integer,
                            NULL::integer, SQLERRM;
    END;

    b := pg_temp.ingest_csv(src, pg_temp.csv(0, 1001, 2000) || E'\n'
                                 || pg_temp.csv(1, 1, 2000));
    RETURN QUERY SELECT 3, b.read_count, b.inserted_count, b.duplicate_count,
                        b.rejected_count, NULL::text;

    EXECUTE format($sql$
        ALTER TABLE otan_enbek.skud_event ADD CONSTRAINT test_late_lines
            CHECK (source_id <> %s OR occurred_at < timestamptz '2024-03-20 00:00+05'
                   OR line_no < 1500)$sql$, src);
    BEGIN
        b := pg_temp.ingest_csv(src, pg_temp.csv(0, 1, 2000, '2024-03-20 07:00'));
        RETURN QUERY SELECT 4, b.read_count, b.inserted_count, b.duplicate_count,
                            b.rejected_count, NULL::text;
    EXCEPTION WHEN check_violation THEN
        RETURN QUERY SELECT 4, NULL::integer, NULL::integer, NULL::integer,
                            NULL::integer, SQLERRM;
    END;
    ALTER TABLE otan_enbek.skud_event DROP CONSTRAINT test_late_lines;

    b := pg_temp.ingest_csv(src, pg_temp.csv(0, 1, 2000, '2024-03-20 07:00'));
    RETURN QUERY SELECT 5, b.read_count, b.inserted_count, b.duplicate_count,
                        b.rejected_count, NULL::text;
END
$$;

-- Whether ingest_events streams, from an empty file of gate A
CREATE FUNCTION pg_temp.streams(src integer) RETURNS boolean
    LANGUAGE sql AS $$
    SELECT e.streamed
    FROM otan_enbek.source s
    JOIN otan_enbek.organization o ON o.org_id = s.org_id
    CROSS JOIN LATERAL otan_enbek.ingest_events(
        s.org_id, s.source_id, 0, 'csv', convert_to(E'occurred_at,card_no\n', 'UTF8'),
        o.time_zone, timestamptz '2001-01-01', now(), NULL, NULL, NULL) AS e
    WHERE s.source_id = src
$$;

SELECT ok(pg_temp.streams(:src_a), 'gate A streams');
CREATE TEMP TABLE streamed AS SELECT * FROM pg_temp.ingest_steps(:src_a);

SELECT is((SELECT array[read_count, inserted_count, duplicate_count, rejected_count]
           FROM streamed WHERE step = 1),
          array[2000, 1980, 0, 20], 'streamed: the first file is stored');
SELECT is((SELECT error FROM streamed WHERE step = 2), 'roll back 1980 stored events',
          'streamed: the second file is stored, then rolled back');
SELECT is((SELECT array[read_count, inserted_count, duplicate_count, rejected_count]
           FROM streamed WHERE step = 3),
          array[3000, 1980, 990, 30],
          'streamed: after the rollback the second file is new again');
SELECT matches((SELECT error FROM streamed WHERE step = 4),
               'violates check constraint "test_late_lines"',
               'streamed: the constraint stops the ingest after a batch');
SELECT is((SELECT array[read_count, inserted_count, duplicate_count, rejected_count]
           FROM streamed WHERE step = 5),
          array[2000, 1980, 0, 20],
          'streamed: after the failed ingest its file is new again');
SELECT is((SELECT count(*) FROM otan_enbek.skud_event WHERE source_id = :src_a),
          (SELECT sum(inserted_count) FROM streamed),
          'streamed: the stored events are those counted as inserted');
SELECT is((SELECT count(*) FROM otan_enbek.ingest_batch WHERE source_id = :src_a),
          3::bigint, 'streamed: the batches of the rolled-back ingests are gone');
SELECT is((SELECT count(*) FROM otan_enbek.ingest_reject r
           JOIN otan_enbek.ingest_batch b USING (batch_id)
           WHERE b.source_id = :src_a),
          (SELECT sum(rejected_count) FROM streamed),
          'streamed: the rejects kept are those counted');
SELECT is((SELECT count(*) FROM (SELECT external_id, occurred_at FROM otan_enbek.skud_event
                                 WHERE source_id = :src_a
                                 GROUP BY 1, 2 HAVING count(*) > 1) AS twice),
          0::bigint, 'streamed: no event is stored twice');

-- The same steps from gate B through the SQL statement
CREATE FUNCTION pg_temp.no_op() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEW;
END
$$;
CREATE TRIGGER no_op AFTER INSERT ON otan_enbek.skud_event
    FOR EACH ROW EXECUTE FUNCTION pg_temp.no_op();
SELECT ok(NOT pg_temp.streams(:src_b), 'with a row trigger gate B does not stream');
CREATE TEMP TABLE by_sql AS SELECT * FROM pg_temp.ingest_steps(:src_b);
DROP TRIGGER no_op ON otan_enbek.skud_event;

SELECT is((SELECT array[read_count, inserted_count, duplicate_count, rejected_count]
           FROM by_sql WHERE step = s),
          (SELECT array[read_count, inserted_count, duplicate_count, rejected_count]
           FROM streamed WHERE step = s),
          format('step %s: both paths count the same', s))
FROM generate_series(1, 5) AS s;
SELECT is((SELECT error FROM by_sql WHERE step = 2), 'roll back 1980 stored events',
          'by SQL: the second file is stored, then rolled back');
SELECT matches((SELECT error FROM by_sql WHERE step = 4),
               'violates check constraint "test_late_lines"',
               'by SQL: the constraint stops the ingest');

-- The stored rows, apart from the source, the batch and the event id
CREATE TEMP VIEW stored AS
SELECT source_id, line_no, occurred_at, external_id, credential_kind, credential,
       employee_id, direction, counts_for_attendance, raw, local_time_ambiguous
FROM otan_enbek.skud_event;
SELECT is_empty(format($$
    SELECT line_no, occurred_at, external_id, credential, employee_id, direction, raw,
           counts_for_attendance, local_time_ambiguous
    FROM stored WHERE source_id = %s
    EXCEPT ALL
    SELECT line_no, occurred_at, external_id, credential, employee_id, direction, raw,
           counts_for_attendance, local_time_ambiguous
    FROM stored WHERE source_id = %s$$, :src_a, :src_b),
    'the SQL path stores every event that the streaming one stores');
SELECT is_empty(format($$
    SELECT line_no, occurred_at, external_id, credential, employee_id, direction, raw,
           counts_for_attendance, local_time_ambiguous
    FROM stored WHERE source_id = %s
    EXCEPT ALL
    SELECT line_no, occurred_at, external_id, credential, employee_id, direction, raw,
           counts_for_attendance, local_time_ambiguous
    FROM stored WHERE source_id = %s$$, :src_b, :src_a),
    'the streaming path stores every event that the SQL one stores');
SELECT is((SELECT count(*) FROM stored WHERE source_id = :src_a AND employee_id IS NOT NULL),
          (SELECT count(*) FROM stored WHERE source_id = :src_a AND credential::integer < 25),
          'streamed: cards 0-24 are resolved to the employee');
SELECT is((SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = :org),
          (SELECT count(DISTINCT (occurred_at AT TIME ZONE 'Asia/Almaty')::date)
           FROM stored WHERE employee_id IS NOT NULL),
          'every employee-day with a stored event is pending, and no rolled-back one');
SELECT is((SELECT count(*) FROM pg_constraint WHERE conname = 'test_late_lines'), 0::bigint,
          'the constraint of step 4 is dropped');

SELECT * FROM finish();
ROLLBACK;
