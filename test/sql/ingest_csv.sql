-- Generic CSV: the header, RFC 4180 quoting, the benchmark's column names,
-- derived ids, duplicates, rejects, and content without a usable header.
CREATE EXTENSION IF NOT EXISTS otan_enbek;
BEGIN;
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, YMD';

INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES ('050440000012', 'School No. 1', 'Asia/Almaty') RETURNING org_id AS org \gset
INSERT INTO otan_enbek.source (org_id, name, default_format)
VALUES (:org, 'vendor export', 'csv') RETURNING source_id AS src \gset

CREATE TEMP VIEW last_rejects AS
SELECT r.line_no, r.reason
FROM otan_enbek.ingest_reject r
WHERE r.batch_id = (SELECT max(batch_id) FROM otan_enbek.ingest_batch)
ORDER BY r.line_no;

-- All columns, in another order, names in mixed case with spaces, an
-- extra column that is ignored, CRLF, a byte order mark and a blank line.
-- Quoted fields hold a comma, a doubled quote and a line break (record 4
-- starts on line 4 and ends on line 5).  Record 6 has no external_id and
-- gets a derived one; record 7 repeats record 2 (a duplicate).
SELECT read_count, inserted_count, duplicate_count, rejected_count,
       unknown_credential_count
FROM otan_enbek.ingest(:src, NULL,
    E'\uFEFF External_ID ,occurred_at,Credential,credential_kind,device,direction,note\r\n' ||
    E'e-1,2024-03-04T08:00:00+05:00,1001,person,gate 1,in,\r\n' ||
    E'e-2,2024-03-04 09:00:00,"3110,012",card,"gate ""B""",OUT,"late, again"\r\n' ||
    E'e-3,2024-03-04 09:30,1002,,gate 1,,"two\r\nlines"\r\n' ||
    E'\r\n' ||
    E'  ,2024-03-04T10:15:30.250Z, 1003 ,PERSON,,In,\r\n' ||
    E'e-2,2024-03-04 09:00:00,"3110,012",card,"gate ""B""",OUT,"late, again"\r\n');

SELECT line_no, external_id, occurred_at, device, credential_kind, credential, direction,
       device_state
FROM otan_enbek.skud_event
WHERE source_id = :src
ORDER BY line_no;

-- Only the required columns; a direction-less punch; the device is NULL.
SELECT read_count, inserted_count
FROM otan_enbek.ingest(:src, 'csv',
    E'occurred_at,credential\n2024-03-04 18:00:00+05:00,1001\n');
SELECT external_id, device, direction FROM otan_enbek.skud_event
WHERE batch_id = (SELECT max(batch_id) FROM otan_enbek.ingest_batch);

-- The benchmark generator's columns: event_id, card_no (cards), device_id.
SELECT read_count, inserted_count, duplicate_count, rejected_count
FROM otan_enbek.ingest(:src, 'csv',
    E'event_id,card_no,device_id,direction,occurred_at\n' ||
    E'1,04000063,6,in,2024-03-01 07:33:37+05:00\n' ||
    E'2,04000154,4,in,2024-03-01 07:37:40+05:00\n' ||
    E'3,04000063,6,out,2024-03-01 18:10:00+05:00\n');
SELECT external_id, occurred_at, device, credential_kind, credential, direction
FROM otan_enbek.skud_event
WHERE batch_id = (SELECT max(batch_id) FROM otan_enbek.ingest_batch)
ORDER BY external_id;

-- Read again with one more row: only the new row is inserted.
SELECT read_count, inserted_count, duplicate_count, rejected_count
FROM otan_enbek.ingest(:src, 'csv',
    E'event_id,card_no,device_id,direction,occurred_at\n' ||
    E'1,04000063,6,in,2024-03-01 07:33:37+05:00\n' ||
    E'2,04000154,4,in,2024-03-01 07:37:40+05:00\n' ||
    E'3,04000063,6,out,2024-03-01 18:10:00+05:00\n' ||
    E'4,04000154,4,out,2024-03-01 18:12:00+05:00\n');

-- Each reason for a reject, with the line the record starts on.
SELECT read_count, inserted_count, duplicate_count, rejected_count
FROM otan_enbek.ingest(:src, 'csv',
    E'external_id,occurred_at,credential,credential_kind,device,direction\n' ||
    E'r-1,2024-03-05 08:00:00,1001,,,in\n' ||
    E'r-2,2024-03-05 08:00:00,1001\n' ||
    E'r-3,2024-03-05 08:00:00,10"01,,,in\n' ||
    E'r-4,2024-03-05 08:00:00,"1001"x,,,in\n' ||
    E'r-5,2024-03-05 08:00:00,,,,in\n' ||
    E'r-6,2024-03-05 08:00:00,' || repeat('8', 65) || E',,,in\n' ||
    E'r-7,2024-03-05 08:00:00,1001,badge,,in\n' ||
    E'r-8,2024-03-05 08:00:00,1001,,,both\n' ||
    E'r-9,05.03.2024 08:00,1001,,,in\n' ||
    E'r-10,2024-03-05,1001,,,in\n' ||
    E'r-11,2024-03-05 08:00:00.1234567,1001,,,in\n' ||
    E'r-12,,1001,,,in\n' ||
    E'"' || repeat('x', 129) || E'",2024-03-05 08:00:00,1001,,,in\n' ||
    E'r-14,2024-03-05 08:00:00,"10\n01",,,in\n' ||
    E'r-16,2024-03-05 08:00:00,1001,,' || repeat('g', 65) || E',in\n' ||
    E'r-17,2024-03-05 08:00:00,1001,,,in,' || repeat('z', 8200) || E'\n' ||
    E'r-18,2000-12-31 22:00:00+05:00,1001,,,in\n' ||
    E'r-19,2099-03-05 08:00:00,1001,,,in\n' ||
    E'r-20,2024-03-05 08:00:00,"1001,,,in\n');
SELECT * FROM last_rejects;

-- Content without a usable header raises an error and stores nothing.
SELECT count(*) AS batches_before FROM otan_enbek.ingest_batch WHERE source_id = :src;
SELECT * FROM otan_enbek.ingest(:src, 'csv', '');
SELECT * FROM otan_enbek.ingest(:src, 'csv', E'\n  \n');
SELECT * FROM otan_enbek.ingest(:src, 'csv', E'1,04000063,6,in,2024-03-01 07:33:37+05:00\n');
SELECT * FROM otan_enbek.ingest(:src, 'csv', E'occurred_at,card\n2024-03-01 07:33:37,5\n');
SELECT * FROM otan_enbek.ingest(:src, 'csv', E'occurred_at,credential,card_no\n');
SELECT * FROM otan_enbek.ingest(:src, 'csv', E'occurred_at,card_no,credential_kind\n');
SELECT * FROM otan_enbek.ingest(:src, 'csv', E'occurred_at,"credential\n');
SELECT count(*) AS batches_after FROM otan_enbek.ingest_batch WHERE source_id = :src;
ROLLBACK;
