-- The real six-column ZKTeco log (USB download): every punch is read and
-- stored, and a second reading inserts nothing.  The file is read from
-- OTAN_SKUD_DATA and never copied into the repository.
CREATE EXTENSION IF NOT EXISTS otan_enbek;
\getenv skud OTAN_SKUD_DATA
BEGIN;
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, YMD';

INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES ('050440000012', 'Site in Almaty', 'Asia/Almaty') RETURNING org_id AS org \gset
INSERT INTO otan_enbek.source (org_id, name) VALUES (:org, 'attlog') RETURNING source_id AS src \gset

SELECT read_count, inserted_count, duplicate_count, rejected_count,
       unknown_credential_count, non_attendance_count, content_bytes
FROM otan_enbek.ingest_file(:src, 'zkteco', :'skud' || '/zkteco_attlog_6col.dat');

-- 3,157 punches of 69 PINs on 25 local days, 2020-02-24 to 2021-04-08.
SELECT count(*) AS punches,
       count(DISTINCT credential) AS pins,
       count(DISTINCT (occurred_at AT TIME ZONE 'Asia/Almaty')::date) AS days,
       min((occurred_at AT TIME ZONE 'Asia/Almaty')::date) AS first_day,
       max((occurred_at AT TIME ZONE 'Asia/Almaty')::date) AS last_day,
       count(DISTINCT device) AS devices
FROM otan_enbek.skud_event WHERE source_id = :src;

-- States 0 (in) and 1 (out), and one 4 (overtime in).
SELECT device_state, direction, count(*) AS punches
FROM otan_enbek.skud_event WHERE source_id = :src
GROUP BY device_state, direction
ORDER BY device_state;

-- Double punches of one PIN a few seconds apart are kept: they are not
-- duplicates.
SELECT count(*) AS within_10_seconds
FROM (SELECT occurred_at - lag(occurred_at) OVER (PARTITION BY credential ORDER BY occurred_at) AS gap
      FROM otan_enbek.skud_event WHERE source_id = :src) g
WHERE gap < interval '10 seconds';

-- Every PIN is unknown until it is enrolled.
SELECT count(*) AS unmatched_pins, sum(event_count) AS events
FROM otan_enbek.unmatched_credential WHERE source_id = :src;

SELECT read_count, inserted_count, duplicate_count, rejected_count
FROM otan_enbek.ingest_file(:src, 'zkteco', :'skud' || '/zkteco_attlog_6col.dat');
ROLLBACK;
