-- The real Hikvision AcsEvent search response.  The file is read from
-- OTAN_SKUD_DATA and never copied into the repository.
CREATE EXTENSION IF NOT EXISTS otan_enbek;
\getenv skud OTAN_SKUD_DATA
BEGIN;
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, YMD';

INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES ('050440000012', 'Site in Almaty', 'Asia/Almaty') RETURNING org_id AS org \gset
INSERT INTO otan_enbek.source (org_id, name) VALUES (:org, 'terminal') RETURNING source_id AS src \gset

SELECT read_count, inserted_count, duplicate_count, rejected_count,
       unknown_credential_count, non_attendance_count
FROM otan_enbek.ingest_file(:src, 'hikvision', :'skud' || '/hikvision_acsevent_search.json');

-- Six valid card passes (major 5, minor 1) of one employee number with
-- several cards.  Times with +07:00 are shown in UTC, serialNo is the
-- external id, and without attendanceStatus there is no direction.
SELECT line_no, external_id, occurred_at, device, credential_kind, credential,
       direction, counts_for_attendance,
       raw::json ->> 'cardNo' AS card
FROM otan_enbek.skud_event WHERE source_id = :src
ORDER BY line_no;

SELECT read_count, inserted_count, duplicate_count
FROM otan_enbek.ingest_file(:src, 'hikvision', :'skud' || '/hikvision_acsevent_search.json');
ROLLBACK;
