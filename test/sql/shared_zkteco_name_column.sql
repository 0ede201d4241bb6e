-- The real older ZKTeco export with a name column and no device column.
-- The file is read from OTAN_SKUD_DATA and never copied into the
-- repository.
CREATE EXTENSION IF NOT EXISTS otan_enbek;
\getenv skud OTAN_SKUD_DATA
BEGIN;
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, YMD';

INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES ('050440000012', 'Site in Almaty', 'Asia/Almaty') RETURNING org_id AS org \gset
INSERT INTO otan_enbek.source (org_id, name) VALUES (:org, 'export') RETURNING source_id AS src \gset

SELECT read_count, inserted_count, duplicate_count, rejected_count,
       unknown_credential_count
FROM otan_enbek.ingest_file(:src, 'zkteco', :'skud' || '/zkteco_attlog_name_column.dat');

-- 104 punches of 35 PINs on one day, none with a device.  The fourth
-- column, the state, is 1 (check-out) on every line of this export.
SELECT count(*) AS punches,
       count(DISTINCT credential) AS pins,
       count(DISTINCT (occurred_at AT TIME ZONE 'Asia/Almaty')::date) AS days,
       min((occurred_at AT TIME ZONE 'Asia/Almaty')::date) AS day,
       count(device) AS with_device,
       string_agg(DISTINCT device_state::text, ',') AS states
FROM otan_enbek.skud_event WHERE source_id = :src;

-- The file is grouped by person, not by time: line order and time order
-- differ, and the line number of each punch is kept.
SELECT line_no, credential, occurred_at
FROM otan_enbek.skud_event WHERE source_id = :src
ORDER BY occurred_at
LIMIT 3;

-- Many double punches 2 to 8 seconds apart, all kept.
SELECT count(*) AS within_10_seconds
FROM (SELECT occurred_at - lag(occurred_at) OVER (PARTITION BY credential ORDER BY occurred_at) AS gap
      FROM otan_enbek.skud_event WHERE source_id = :src) g
WHERE gap < interval '10 seconds';

SELECT read_count, inserted_count, duplicate_count
FROM otan_enbek.ingest_file(:src, 'zkteco', :'skud' || '/zkteco_attlog_name_column.dat');
ROLLBACK;
