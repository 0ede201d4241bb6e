-- ingest_file: files on the server, the file name, NUL bytes, and files
-- that are not UTF-8.  The files are written into the data directory of
-- the test cluster with lo_export, so that their bytes are exact.
CREATE EXTENSION IF NOT EXISTS otan_enbek;
BEGIN;
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never

INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES ('050440000012', 'School No. 1', 'Asia/Almaty') RETURNING org_id AS org \gset
INSERT INTO otan_enbek.source (org_id, name, default_format)
VALUES (:org, 'gate', 'zkteco') RETURNING source_id AS src \gset

-- A ZKTeco log with a byte order mark, CRLF, and a NUL byte in line 2.
SELECT lo_from_bytea(0,
    '\xefbbbf'::bytea ||
    convert_to(E'  5\t2024-03-04 08:00:00\t1\t0\t1\t0\r\n  6\t2024-03-04 08:01', 'UTF8') ||
    '\x00'::bytea ||
    convert_to(E'00\t1\t0\t1\t0\r\n  7\t2024-03-04 08:02:00\t1\t0\t1\t0\r\n', 'UTF8')) AS lo \gset
SELECT lo_export(:lo, 'otan_ingest_test_nul.dat') AS written;

SELECT format, file_name, content_bytes,
       content_sha256 = sha256(pg_read_binary_file('otan_ingest_test_nul.dat')) AS checksum_ok,
       read_count, inserted_count, duplicate_count, rejected_count
FROM otan_enbek.ingest_file(:src, NULL, 'otan_ingest_test_nul.dat');
SELECT r.line_no, r.reason, r.raw
FROM otan_enbek.ingest_reject r
WHERE r.batch_id = (SELECT max(batch_id) FROM otan_enbek.ingest_batch);
SELECT line_no, credential FROM otan_enbek.skud_event WHERE source_id = :src ORDER BY line_no;

-- The same file again inserts nothing new.
SELECT read_count, inserted_count, duplicate_count, rejected_count
FROM otan_enbek.ingest_file(:src, 'zkteco', 'otan_ingest_test_nul.dat');

-- parse_events reads the same bytes.
SELECT record_no, credential, reject_reason
FROM otan_enbek.parse_events('zkteco', pg_read_binary_file('otan_ingest_test_nul.dat'));

-- A log exported in CP1251 (a name in Cyrillic) is not UTF-8: the error
-- names the file and the offset of the first bad byte, and stores nothing.
SELECT lo_from_bytea(0,
    convert_to(E'9\t', 'UTF8') || '\xc0e9e3e5f0e8ec'::bytea ||
    convert_to(E'\t2024-03-04 08:45:00\t0\t1\r\n', 'UTF8')) AS lo \gset
SELECT lo_export(:lo, 'otan_ingest_test_cp1251.dat') AS written;
SELECT * FROM otan_enbek.ingest_file(:src, 'zkteco', 'otan_ingest_test_cp1251.dat');
-- Converted as the hint suggests, it is read.
SELECT read_count, inserted_count, rejected_count
FROM otan_enbek.ingest(:src, 'zkteco',
    convert_from(pg_read_binary_file('otan_ingest_test_cp1251.dat'), 'WIN1251'));
SELECT raw FROM otan_enbek.skud_event WHERE source_id = :src AND credential = '9';

-- A file that does not exist.
SELECT * FROM otan_enbek.ingest_file(:src, 'zkteco', 'otan_ingest_test_missing.dat');

SELECT count(*) AS batches, sum(read_count) AS read, sum(rejected_count) AS rejected
FROM otan_enbek.ingest_batch WHERE source_id = :src;
ROLLBACK;
