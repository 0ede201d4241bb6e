-- The streaming ingest (ingest_events) stores what the SQL statement of
-- ingest_bytes stores.  A file of 3,000 records, with repeats more than a
-- batch of 1,000 rows apart, goes once through each path.  A row trigger
-- on skud_event makes ingest_bytes take the SQL path, and the trigger must
-- see every inserted row.
BEGIN;
SELECT plan(24);

INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES ('050440000012', 'School No. 1', 'Asia/Almaty') RETURNING org_id AS org \gset
INSERT INTO otan_enbek.source (org_id, name) VALUES (:org, 'gate A') RETURNING source_id AS src_a \gset
INSERT INTO otan_enbek.source (org_id, name) VALUES (:org, 'gate B') RETURNING source_id AS src_b \gset
INSERT INTO otan_enbek.source (org_id, name) VALUES (:org, 'gate C') RETURNING source_id AS src_c \gset
INSERT INTO otan_enbek.employee (org_id, iin, last_name, first_name)
VALUES (:org, '810111300012', 'Abenova', 'Aigerim') RETURNING employee_id AS emp_1 \gset
INSERT INTO otan_enbek.employee (org_id, iin, last_name, first_name)
VALUES (:org, '820212300023', 'Bekov', 'Nurlan') RETURNING employee_id AS emp_2 \gset

-- Cards 0-29 belong to the first employee and 30-44 to the second from
-- 2024-03-10 on, at every gate.  Card 46 is the second employee's at gates
-- A and B, card 47 the first employee's at gate C only, and 45, 48 and 49
-- are no one's.
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value, source_id, valid_from)
SELECT :org, CASE WHEN c < 30 THEN :emp_1 ELSE :emp_2 END, 'card', c::text, NULL,
       CASE WHEN c >= 30 THEN date '2024-03-10' END
FROM generate_series(0, 44) AS c
UNION ALL
SELECT :org, :emp_2, 'card', '46', s, NULL FROM unnest(ARRAY[:src_a, :src_b]) AS s
UNION ALL
SELECT :org, :emp_1, 'card', '47', :src_c, NULL;

-- Record n is a punch of card n % 50 at 37-minute steps from 2024-03-04,
-- so the file covers March to May.  Every 97th record is dated 1999 (30
-- rejects).  Every 10th record after the 1,500th repeats record n - 1,500:
-- 150 repeats, of which 1,940 and 2,910 are rejects themselves and 2,470
-- repeats the rejected 970, so 147 are duplicates.
CREATE TEMP TABLE csv_file AS
SELECT E'occurred_at,card_no,direction\n' || string_agg(line, E'\n' ORDER BY n) AS content
FROM (SELECT n,
             CASE
                 WHEN n % 97 = 0 THEN format('1999-03-04 08:00:00,%s,in', n % 50)
                 ELSE format('%s,%s,%s',
                             to_char(timestamp '2024-03-04 07:00' + m * interval '37 minutes',
                                     'YYYY-MM-DD HH24:MI:SS'),
                             m % 50, CASE WHEN m % 2 = 0 THEN 'in' ELSE 'out' END)
             END AS line
      FROM (SELECT n, CASE WHEN n > 1500 AND n % 10 = 0 THEN n - 1500 ELSE n END AS m
            FROM generate_series(1, 3000) AS n) numbered) lines;

SELECT b.* FROM csv_file, otan_enbek.ingest(:src_b, 'csv', content) AS b \gset streamed_
SELECT is(:streamed_read_count, 3000, 'streamed: every record is read');
SELECT is(:streamed_rejected_count, 30, 'streamed: the 1999 records are rejected');
SELECT is(:streamed_duplicate_count, 147,
          'streamed: repeats more than a batch apart are duplicates');
SELECT is(:streamed_inserted_count, 3000 - 30 - 147, 'streamed: the rest is stored');

-- Whether ingest_events streams, from an empty file of gate B
CREATE FUNCTION pg_temp.streams(src integer, batch bigint) RETURNS boolean
    LANGUAGE sql AS $$
    SELECT e.streamed
    FROM otan_enbek.source s
    JOIN otan_enbek.organization o ON o.org_id = s.org_id
    CROSS JOIN LATERAL otan_enbek.ingest_events(
        s.org_id, s.source_id, batch, 'csv', convert_to(E'occurred_at,card_no\n', 'UTF8'),
        o.time_zone, timestamptz '2001-01-01', now(), NULL, NULL, NULL) AS e
    WHERE s.source_id = src
$$;
SELECT ok(pg_temp.streams(:src_b, :streamed_batch_id), 'without triggers ingest streams');

-- The same file from gate A through the SQL statement: a row trigger on
-- skud_event keeps ingest_bytes from streaming.
CREATE TEMP TABLE trigger_rows (n bigint NOT NULL DEFAULT 0);
INSERT INTO trigger_rows VALUES (0);
CREATE FUNCTION pg_temp.count_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE trigger_rows SET n = n + 1;
    RETURN NEW;
END
$$;
CREATE TRIGGER count_row AFTER INSERT ON otan_enbek.skud_event
    FOR EACH ROW EXECUTE FUNCTION pg_temp.count_row();
SELECT b.* FROM csv_file, otan_enbek.ingest(:src_a, 'csv', content) AS b \gset sql_
SELECT is((SELECT n FROM trigger_rows), :sql_inserted_count::bigint,
          'a trigger on skud_event sees every row that ingest stores');
SELECT ok(NOT pg_temp.streams(:src_b, :streamed_batch_id),
          'with a row trigger ingest does not stream');
DROP TRIGGER count_row ON otan_enbek.skud_event;
SELECT ok(pg_temp.streams(:src_b, :streamed_batch_id),
          'after the trigger is dropped ingest streams again');

SELECT is(:sql_read_count, :streamed_read_count, 'both paths read the same records');
SELECT is(:sql_inserted_count, :streamed_inserted_count, 'both paths store as many events');
SELECT is(:sql_duplicate_count, :streamed_duplicate_count, 'both paths find the same duplicates');
SELECT is(:sql_rejected_count, :streamed_rejected_count, 'both paths reject the same records');
SELECT is(:sql_unknown_credential_count, :streamed_unknown_credential_count,
          'both paths count the same unknown credentials');

-- The stored rows, apart from the source, the batch and the event id
CREATE TEMP VIEW stored AS
SELECT source_id, line_no, occurred_at, external_id, device, credential_kind, credential,
       employee_id, direction, device_state, counts_for_attendance, raw,
       local_time_ambiguous
FROM otan_enbek.skud_event;
SELECT is_empty(format($$
    SELECT line_no, occurred_at, external_id, credential, direction, raw,
           counts_for_attendance, local_time_ambiguous, employee_id
    FROM stored WHERE source_id = %s
    EXCEPT
    SELECT line_no, occurred_at, external_id, credential, direction, raw,
           counts_for_attendance, local_time_ambiguous, employee_id
    FROM stored WHERE source_id = %s$$, :src_a, :src_b),
    'the SQL path stores every event that the streaming one stores');
SELECT is_empty(format($$
    SELECT line_no, occurred_at, external_id, credential, direction, raw,
           counts_for_attendance, local_time_ambiguous, employee_id
    FROM stored WHERE source_id = %s
    EXCEPT
    SELECT line_no, occurred_at, external_id, credential, direction, raw,
           counts_for_attendance, local_time_ambiguous, employee_id
    FROM stored WHERE source_id = %s$$, :src_b, :src_a),
    'the streaming path stores every event that the SQL one stores');
SELECT is((SELECT count(*) FROM stored WHERE source_id = :src_b AND credential = '46'
             AND employee_id IS DISTINCT FROM :emp_2), 0::bigint,
          'streamed: card 46 is the second employee''s at gate B');
SELECT is((SELECT count(*) FROM stored WHERE source_id = :src_b AND credential = '47'
             AND employee_id IS NOT NULL), 0::bigint,
          'streamed: card 47 of gate C is no one''s at gate B');
SELECT is((SELECT count(*) FROM stored s
           WHERE s.source_id = :src_b AND s.credential::integer BETWEEN 30 AND 44
             AND s.employee_id IS DISTINCT FROM
                 CASE WHEN (s.occurred_at AT TIME ZONE 'Asia/Almaty')::date >= date '2024-03-10'
                      THEN :emp_2 END),
          0::bigint, 'streamed: cards 30-44 belong to the second employee from 2024-03-10');
SELECT is_empty(format($$
    SELECT line_no, reason, raw FROM otan_enbek.ingest_reject WHERE batch_id = %s
    EXCEPT
    SELECT line_no, reason, raw FROM otan_enbek.ingest_reject WHERE batch_id = %s$$,
    :streamed_batch_id, :sql_batch_id),
    'both paths keep the same rejects');
SELECT is((SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = :org),
          (SELECT count(DISTINCT (employee_id, (occurred_at AT TIME ZONE 'Asia/Almaty')::date))
           FROM otan_enbek.skud_event WHERE org_id = :org AND employee_id IS NOT NULL),
          'every employee-day with a stored event is pending');

-- The same file again, streamed into a partition that has rows now: every
-- record that is not rejected is a duplicate.
SELECT b.* FROM csv_file, otan_enbek.ingest(:src_b, 'csv', content) AS b \gset again_
SELECT is(:again_inserted_count, 0, 'a second reading stores nothing');
SELECT is(:again_duplicate_count, 3000 - 30, 'a second reading finds every event stored');

-- The April records moved to April 2025 are new, in a partition that this
-- ingest creates; the others are stored already.
SELECT count(*) AS april FROM stored WHERE source_id = :src_b
   AND to_char(occurred_at AT TIME ZONE 'Asia/Almaty', 'YYYY-MM') = '2024-04' \gset
SELECT b.* FROM csv_file,
    otan_enbek.ingest(:src_b, 'csv', replace(content, '2024-04-', '2025-04-')) AS b \gset moved_
SELECT is(:moved_inserted_count, :april::integer, 'a partly new file stores the new events');
SELECT is(:moved_duplicate_count, 3000 - 30 - :moved_inserted_count,
          'a partly new file finds the others stored');

SELECT * FROM finish();
ROLLBACK;
