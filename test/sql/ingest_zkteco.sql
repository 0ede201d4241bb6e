-- ZKTeco attendance logs: both layouts, line ends, padding, states,
-- duplicates, re-ingest, and every reject reason with its line number.
CREATE EXTENSION IF NOT EXISTS otan_enbek;
BEGIN;
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, YMD';

INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES ('050440000012', 'School No. 1', 'Asia/Almaty') RETURNING org_id AS org \gset
INSERT INTO otan_enbek.source (org_id, name, default_format)
VALUES (:org, 'turnstile', 'zkteco') RETURNING source_id AS src \gset

-- The rejects of the last batch.
CREATE TEMP VIEW last_rejects AS
SELECT r.line_no, r.reason, r.raw
FROM otan_enbek.ingest_reject r
WHERE r.batch_id = (SELECT max(batch_id) FROM otan_enbek.ingest_batch)
ORDER BY r.line_no;

-- Six-column layout, LF, PINs right-aligned to 9 characters, and every
-- state: 0-5 and 255 (no key).  Line 3 repeats line 2 exactly, so it is a
-- duplicate, while line 4 is the same punch one second later and is kept.
-- Lines 5 and 10 are blank and not counted.  The format comes from the
-- source's default.
SELECT read_count, inserted_count, duplicate_count, rejected_count,
       unknown_credential_count, non_attendance_count, format
FROM otan_enbek.ingest(:src, NULL,
    E'        5\t2024-03-04 08:59:58\t1\t0\t1\t0\n' ||
    E'       17\t2024-03-04 09:01:02\t1\t0\t1\t0\n' ||
    E'       17\t2024-03-04 09:01:02\t1\t0\t1\t0\n' ||
    E'       17\t2024-03-04 09:01:03\t1\t0\t1\t0\n' ||
    E'\n' ||
    E'        5\t2024-03-04 13:00:00\t2\t2\t1\t0\n' ||
    E'        5\t2024-03-04 13:45:10\t2\t3\t1\t0\n' ||
    E'        5\t2024-03-04 18:02:00\t1\t1\t15\t0\n' ||
    E'      007\t2024-03-04 19:00:00\t1\t4\t1\t0\n' ||
    E'   \t  \n' ||
    E'      007\t2024-03-04 21:30:00\t1\t5\t1\t0\n' ||
    E'       42\t2024-03-04 22:00:00\t3\t255\t1\t0\n');

-- Direction from the state, the raw state kept, PINs without padding
-- (leading zeros kept), local times of Asia/Almaty (UTC+5) in UTC.
SELECT line_no, credential, device, device_state, direction, occurred_at, external_id
FROM otan_enbek.skud_event
WHERE source_id = :src
ORDER BY line_no;

-- The same content again inserts nothing.
SELECT read_count, inserted_count, duplicate_count, rejected_count
FROM otan_enbek.ingest(:src, 'zkteco',
    E'        5\t2024-03-04 08:59:58\t1\t0\t1\t0\n' ||
    E'       17\t2024-03-04 09:01:02\t1\t0\t1\t0\n' ||
    E'       17\t2024-03-04 09:01:02\t1\t0\t1\t0\n' ||
    E'       17\t2024-03-04 09:01:03\t1\t0\t1\t0\n' ||
    E'\n' ||
    E'        5\t2024-03-04 13:00:00\t2\t2\t1\t0\n' ||
    E'        5\t2024-03-04 13:45:10\t2\t3\t1\t0\n' ||
    E'        5\t2024-03-04 18:02:00\t1\t1\t15\t0\n' ||
    E'      007\t2024-03-04 19:00:00\t1\t4\t1\t0\n' ||
    E'   \t  \n' ||
    E'      007\t2024-03-04 21:30:00\t1\t5\t1\t0\n' ||
    E'       42\t2024-03-04 22:00:00\t3\t255\t1\t0\n');
SELECT count(*) AS events FROM otan_enbek.skud_event WHERE source_id = :src;

-- CRLF line ends and a UTF-8 byte order mark, with a line of the older
-- layout (PIN, name, date-time, state, verify) in the same file: it has no
-- device.  The line before 2024-03-01 shows that the time zone's history
-- applies: Almaty was UTC+6 until then.
SELECT read_count, inserted_count, duplicate_count, rejected_count
FROM otan_enbek.ingest(:src, 'zkteco',
    E'\uFEFF       17\t2024-03-05 08:30:00\t1\t0\t1\t0\r\n' ||
    E'\r\n' ||
    E'9\tАйгерим Н.\t2024-03-05 08:45:00\t0\t1\r\n' ||
    E'9\tP0000001\t2024-02-29 08:45:00\t1\t0\r\n');
SELECT line_no, credential, device, device_state, direction, occurred_at, raw
FROM otan_enbek.skud_event
WHERE batch_id = (SELECT max(batch_id) FROM otan_enbek.ingest_batch)
ORDER BY line_no;

-- Each reason for a reject, with its line number; the good line 1 is
-- stored.
SELECT read_count, inserted_count, duplicate_count, rejected_count
FROM otan_enbek.ingest(:src, 'zkteco',
    E'       17\t2024-03-06 08:30:00\t1\t0\t1\t0\n' ||
    E'17\t2024-03-06 08:31:00\n' ||
    E'17\t2024-03-06T08:32:00\t1\t0\t1\t0\n' ||
    E'17\t2023-02-29 08:33:00\t1\t0\t1\t0\n' ||
    E'17\t2024-03-06 24:00:00\t1\t0\t1\t0\n' ||
    E'17\t2024-03-06 08:35:00\t1\t6\t1\t0\n' ||
    E'17\t2024-03-06 08:36:00\t1\tin\t1\t0\n' ||
    E'  \t2024-03-06 08:37:00\t1\t0\t1\t0\n'
    || repeat('9', 65) || E'\t2024-03-06 08:38:00\t1\t0\t1\t0\n' ||
    E'17\t2024-03-06 08:39:00\t' || repeat('d', 65) || E'\t0\t1\t0\n' ||
    E'17\tname\tnot a date\t0\n' ||
    E'17\x01\t2024-03-06 08:41:00\t1\t0\t1\t0\n' ||
    E'17\t2024-03-06 08:42:00\t1\t0' || repeat(E'\t0', 13) || E'\n' ||
    E'17\t2000-12-31 23:59:59\t1\t0\t1\t0\n' ||
    E'17\t2099-01-01 08:00:00\t1\t0\t1\t0\n' ||
    E'17\t2024-03-06 08:45:00\t1\t0\t' || repeat('w', 8200) || E'\n');
SELECT line_no, reason, left(raw, 40) AS raw FROM last_rejects;

-- Every record read is stored, a duplicate, or rejected.
SELECT count(*) AS batches,
       bool_and(read_count = inserted_count + duplicate_count + rejected_count) AS counts_add_up,
       sum(read_count) AS read,
       (SELECT count(*) FROM otan_enbek.skud_event WHERE source_id = :src) AS stored,
       (SELECT count(*) FROM otan_enbek.ingest_reject r JOIN otan_enbek.ingest_batch b USING (org_id, batch_id)
        WHERE b.source_id = :src) AS rejects
FROM otan_enbek.ingest_batch
WHERE source_id = :src;

-- An empty log is read as no records.
SELECT read_count, inserted_count FROM otan_enbek.ingest(:src, 'zkteco', '');

-- parse_events shows what would be stored, without storing it.
SELECT record_no, external_id, local_time, utc_offset, credential_kind, credential,
       direction, device_state, counts_for_attendance, reject_reason
FROM otan_enbek.parse_events('zkteco',
    E'  12\t2024-03-07 07:59:00\t1\t255\t1\t0\nbroken\n');
ROLLBACK;
