-- Nothing is lost: for every batch, records read = inserted + duplicates +
-- rejected, and each count matches the rows that ingest stored.
BEGIN;
SELECT plan(29);

INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES ('050440000012', 'School No. 1', 'Asia/Almaty') RETURNING org_id AS org \gset
INSERT INTO otan_enbek.source (org_id, name) VALUES (:org, 'gate') RETURNING source_id AS src \gset
INSERT INTO otan_enbek.employee (org_id, iin, last_name, first_name)
VALUES (:org, '810111300012', 'Abenova', 'Aigerim') RETURNING employee_id AS emp \gset
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (:org, :emp, 'person', '1');

-- Checks every count of a batch against the stored rows, in six tests.
CREATE FUNCTION pg_temp.check_batch(b otan_enbek.ingest_batch, label text)
    RETURNS SETOF text
    LANGUAGE plpgsql AS $$
BEGIN
    RETURN NEXT is(b.read_count, b.inserted_count + b.duplicate_count + b.rejected_count,
                   label || ': read = inserted + duplicates + rejected');
    RETURN NEXT is(b.inserted_count::bigint,
                   (SELECT count(*) FROM otan_enbek.skud_event e
                    WHERE e.org_id = b.org_id AND e.batch_id = b.batch_id),
                   label || ': inserted events are stored with the batch');
    RETURN NEXT is(b.rejected_count::bigint,
                   (SELECT count(*) FROM otan_enbek.ingest_reject r
                    WHERE r.org_id = b.org_id AND r.batch_id = b.batch_id),
                   label || ': every reject is kept');
    RETURN NEXT is(b.unknown_credential_count::bigint,
                   (SELECT count(*) FROM otan_enbek.skud_event e
                    WHERE e.org_id = b.org_id AND e.batch_id = b.batch_id
                      AND e.employee_id IS NULL AND e.counts_for_attendance),
                   label || ': unknown credentials are counted');
    RETURN NEXT is(b.non_attendance_count::bigint,
                   (SELECT count(*) FROM otan_enbek.skud_event e
                    WHERE e.org_id = b.org_id AND e.batch_id = b.batch_id
                      AND NOT e.counts_for_attendance),
                   label || ': events that do not count are counted');
    RETURN NEXT ok(b.finished_at IS NOT NULL, label || ': the batch is finished');
END
$$;

-- A generated ZKTeco log of 2,000 lines: every 7th line is a repeat of
-- the line before (a duplicate), every 11th has an invalid state and
-- every 13th is before 2001 (rejects).
CREATE TEMP TABLE zk_log AS
SELECT string_agg(line, E'\n' ORDER BY n) AS content
FROM (SELECT n,
             CASE
                 WHEN n % 11 = 0 THEN format(E'%s\t2024-03-04 08:00:%s\t1\t9\t1\t0', n % 5, lpad((n % 60)::text, 2, '0'))
                 WHEN n % 13 = 0 THEN format(E'%s\t1999-03-04 08:00:00\t1\t0\t1\t0', n % 5)
                 ELSE format(E'%s\t%s\t1\t%s\t1\t0', (n - (n % 7 = 0)::int) % 5,
                             to_char(timestamp '2024-03-04 07:00' + ((n - (n % 7 = 0)::int) * interval '37 seconds'),
                                     'YYYY-MM-DD HH24:MI:SS'),
                             (n - (n % 7 = 0)::int) % 2)
             END AS line
      FROM generate_series(1, 2000) AS n) lines;

SELECT otan_enbek.ingest(:src, 'zkteco', content) AS first_batch FROM zk_log \gset
SELECT * FROM pg_temp.check_batch(:'first_batch'::otan_enbek.ingest_batch, 'first reading');
SELECT is((:'first_batch'::otan_enbek.ingest_batch).read_count, 2000, 'every line is read');
SELECT is((:'first_batch'::otan_enbek.ingest_batch).rejected_count,
          (SELECT count(*)::integer FROM generate_series(1, 2000) n WHERE n % 11 = 0 OR n % 13 = 0),
          'the bad lines are rejected');
SELECT ok((:'first_batch'::otan_enbek.ingest_batch).duplicate_count > 0,
          'repeated lines are duplicates');

SELECT otan_enbek.ingest(:src, 'zkteco', content) AS second_batch FROM zk_log \gset
SELECT * FROM pg_temp.check_batch(:'second_batch'::otan_enbek.ingest_batch, 'second reading');
SELECT is((:'second_batch'::otan_enbek.ingest_batch).inserted_count, 0,
          'reading the same log again inserts nothing');

-- A Hikvision response with passes, a denial and a bad entry.
SELECT otan_enbek.ingest(:src, 'hikvision', $json$
{"AcsEvent": {"InfoList": [
  {"major": 5, "minor": 1, "time": "2024-03-05T08:00:00+05:00", "employeeNoString": "1", "serialNo": 1},
  {"major": 5, "minor": 1, "time": "2024-03-05T08:01:00+05:00", "employeeNoString": "2", "serialNo": 2},
  {"major": 5, "minor": 6, "time": "2024-03-05T08:02:00+05:00", "cardNo": "77", "serialNo": 3},
  {"major": 5, "minor": 1, "time": "2024-03-05T08:03:00+05:00", "employeeNoString": "2", "serialNo": 2},
  {"major": 5, "minor": 1, "employeeNoString": "2", "serialNo": 4}
]}}
$json$) AS hik_batch \gset
SELECT * FROM pg_temp.check_batch(:'hik_batch'::otan_enbek.ingest_batch, 'hikvision');

-- A CSV file with a duplicate and a reject.
SELECT otan_enbek.ingest(:src, 'csv',
    E'external_id,occurred_at,credential\n' ||
    E'c1,2024-03-06 08:00:00,1\n' ||
    E'c1,2024-03-06 08:00:00,1\n' ||
    E'c2,2024-03-06 25:00:00,1\n' ||
    E'c3,2024-03-06 09:00:00,3\n') AS csv_batch \gset
SELECT * FROM pg_temp.check_batch(:'csv_batch'::otan_enbek.ingest_batch, 'csv');

-- The table itself refuses counts that do not add up.
SELECT throws_ok(format('UPDATE otan_enbek.ingest_batch SET read_count = read_count + 1 WHERE batch_id = %s',
                        (:'csv_batch'::otan_enbek.ingest_batch).batch_id),
                 '23514', NULL,
                 'ingest_batch rejects counts that do not add up');

SELECT * FROM finish();
ROLLBACK;
