-- The ingest functions' arguments and rules common to every format: the
-- source and format checks, the time limits, partitions and batch rows.
CREATE EXTENSION IF NOT EXISTS otan_enbek;
BEGIN;
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, YMD';

INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES ('050440000012', 'School No. 1', 'Asia/Almaty') RETURNING org_id AS org \gset
-- A fixed source_id, because error messages show it.
INSERT INTO otan_enbek.source (org_id, source_id, name)
VALUES (:org, 900001, 'gate') RETURNING source_id AS src \gset

-- An unknown format names itself and the valid ones; an unknown source and
-- a missing format are errors too; none of them stores a batch.
SELECT * FROM otan_enbek.ingest(:src, 'xml', '<events/>');
SELECT * FROM otan_enbek.ingest(:src, 'ZKTeco', '');
SELECT * FROM otan_enbek.ingest(-1, 'zkteco', '');
SELECT * FROM otan_enbek.ingest(NULL, 'zkteco', '');
SELECT * FROM otan_enbek.ingest(:src, NULL, '');
SELECT * FROM otan_enbek.ingest(:src, 'zkteco', NULL);
SELECT * FROM otan_enbek.parse_events('json', '{}');
SELECT count(*) AS batches FROM otan_enbek.ingest_batch WHERE source_id = :src;

-- Times are checked in the organization's zone: 2001-01-01 00:00 local is
-- the first time accepted (UTC+6 in Almaty then), and one day after the
-- transaction's start the last.
SELECT read_count, inserted_count, rejected_count
FROM otan_enbek.ingest(:src, 'csv',
    E'occurred_at,credential\n' ||
    E'2000-12-31 23:59:59,1\n' ||
    E'2001-01-01 00:00:00,1\n' ||
    E'2000-12-31 18:00:00Z,2\n' ||
    E'2000-12-31 17:59:59Z,2\n' ||
    E'1999-06-01 00:00:00,2\n' ||
    to_char(now() + interval '23 hours', 'YYYY-MM-DD HH24:MI:SS') || E'Z,3\n' ||
    to_char(now() + interval '25 hours', 'YYYY-MM-DD HH24:MI:SS') || E'Z,3\n');
SELECT r.line_no, r.reason LIKE 'The time % is before 2001-01-01.' AS too_early,
       r.reason LIKE 'The time % is more than one day in the future.' AS too_late
FROM otan_enbek.ingest_reject r
WHERE r.batch_id = (SELECT max(batch_id) FROM otan_enbek.ingest_batch)
ORDER BY r.line_no;

-- ingest creates the monthly partitions that the events need, and only
-- those: none for rejected times, none for the months between two events.
SELECT read_count, inserted_count
FROM otan_enbek.ingest(:src, 'csv',
    E'occurred_at,credential\n2005-06-15 12:00:00,4\n2005-09-15 12:00:00,4\n');
SELECT c.relname
FROM pg_inherits i
JOIN pg_class c ON c.oid = i.inhrelid
WHERE i.inhparent = 'otan_enbek.skud_event'::regclass
  AND c.relname IN ('skud_event_p199906', 'skud_event_p200012', 'skud_event_p200506',
                    'skud_event_p200507', 'skud_event_p200508', 'skud_event_p200509')
ORDER BY c.relname;

-- event_months gives the UTC months of the events before they are stored:
-- 2024-03-01 00:30 in Almaty is still February in UTC.
SELECT month
FROM otan_enbek.event_months('csv',
    convert_to(E'occurred_at,credential\n2024-03-01 00:30:00,1\n2024-03-02 09:00:00,1\n1990-01-01 00:00:00,1\n', 'UTF8'),
    'Asia/Almaty', '2001-01-01 00:00:00+06', '2030-01-01 00:00:00+00') AS month;

-- The batch row: format, size and checksum of the content, counts.
SELECT format, file_name, content_bytes,
       content_sha256 = sha256(convert_to(E'occurred_at,credential\n2024-03-05 08:00:00,1\n', 'UTF8')) AS checksum_ok,
       read_count, inserted_count, duplicate_count, rejected_count,
       finished_at >= started_at AS finished, run_by = current_user AS run_by_caller
FROM otan_enbek.ingest(:src, 'csv', E'occurred_at,credential\n2024-03-05 08:00:00,1\n');

-- ingest_bytes takes UTF-8 bytes and records a file name; bytes that are
-- not UTF-8 are an error.
SELECT file_name, read_count, inserted_count
FROM otan_enbek.ingest_bytes(:src, 'csv',
    convert_to(E'occurred_at,credential\n2024-03-06 08:00:00,1\n', 'UTF8'), 'upload.csv');
SELECT * FROM otan_enbek.ingest_bytes(:src, 'csv', '\x6f6363c3'::bytea);
SELECT otan_enbek.invalid_utf8_offset('\x41c3a9ff42'::bytea) AS bad_offset,
       otan_enbek.invalid_utf8_offset('\x4100c3a942'::bytea) AS nul_is_allowed;
ROLLBACK;
