-- Credentials at ingest: employees found when the event is stored, unknown
-- credentials kept and listed, and assigned when the credentials are
-- enrolled.
CREATE EXTENSION IF NOT EXISTS otan_enbek;
BEGIN;
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never
SET LOCAL TimeZone = 'UTC';
SET LOCAL DateStyle = 'ISO, YMD';

INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES ('050440000012', 'School No. 1', 'Asia/Almaty') RETURNING org_id AS org \gset
INSERT INTO otan_enbek.source (org_id, name) VALUES (:org, 'gate') RETURNING source_id AS gate \gset
INSERT INTO otan_enbek.source (org_id, name) VALUES (:org, 'canteen') RETURNING source_id AS canteen \gset
INSERT INTO otan_enbek.employee (org_id, iin, last_name, first_name)
VALUES (:org, '810111300012', 'Abenova', 'Aigerim') RETURNING employee_id AS abenova \gset
INSERT INTO otan_enbek.employee (org_id, iin, last_name, first_name)
VALUES (:org, '820212300023', 'Bekov', 'Nurlan') RETURNING employee_id AS bekov \gset

-- PIN 5 is Abenova's from 2024-03-05 (local date) on every source; card
-- 3110012 is Bekov's, but only at the gate.
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value, valid_from)
VALUES (:org, :abenova, 'person', '5', '2024-03-05');
INSERT INTO otan_enbek.credential (org_id, employee_id, source_id, kind, value)
VALUES (:org, :bekov, :gate, 'card', '3110012');

-- Line 1 is before the PIN was valid.  Line 2 is at 2024-03-05 00:30 local
-- time, the evening before in UTC, and already counts.  PIN 99 is unknown.
SELECT read_count, inserted_count, unknown_credential_count
FROM otan_enbek.ingest(:gate, 'zkteco',
    E'5\t2024-03-04 23:59:00\t1\t0\t1\t0\n' ||
    E'5\t2024-03-05 00:30:00\t1\t1\t1\t0\n' ||
    E'99\t2024-03-05 08:00:00\t1\t0\t1\t0\n' ||
    E'99\t2024-03-05 18:00:00\t2\t1\t1\t0\n');
-- The card counts at the gate only; at the canteen it is unknown.
SELECT read_count, inserted_count, unknown_credential_count
FROM otan_enbek.ingest(:gate, 'csv',
    E'occurred_at,card_no,device\n2024-03-05 08:01:00,3110012,t1\n');
SELECT read_count, inserted_count, unknown_credential_count
FROM otan_enbek.ingest(:canteen, 'csv',
    E'occurred_at,card_no,device\n2024-03-05 13:00:00,3110012,till\n');

SELECT s.name AS source, e.line_no, e.credential_kind, e.credential, e.occurred_at,
       emp.last_name
FROM otan_enbek.skud_event e
JOIN otan_enbek.source s USING (org_id, source_id)
LEFT JOIN otan_enbek.employee emp USING (org_id, employee_id)
WHERE e.org_id = :org
ORDER BY s.name, e.occurred_at;

SELECT s.name AS source, u.credential_kind, u.credential, u.event_count,
       u.first_occurred_at, u.last_occurred_at, u.devices
FROM otan_enbek.unmatched_credential u
JOIN otan_enbek.source s USING (org_id, source_id)
WHERE u.org_id = :org
ORDER BY s.name, u.credential;

-- PIN 99 is enrolled for Bekov, PIN 5 is made valid from the start, and the
-- card is allowed everywhere: each of these changes assigns the waiting
-- events at once, so resolve_credentials finds none left, and the list is
-- empty.
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (:org, :bekov, 'person', '99');
UPDATE otan_enbek.credential SET valid_from = NULL
WHERE org_id = :org AND kind = 'person' AND value = '5';
UPDATE otan_enbek.credential SET source_id = NULL
WHERE org_id = :org AND kind = 'card' AND value = '3110012';
SELECT otan_enbek.resolve_credentials(:org) AS resolved;
SELECT count(*) AS unmatched FROM otan_enbek.unmatched_credential WHERE org_id = :org;
SELECT emp.last_name, count(*) AS events
FROM otan_enbek.skud_event e
JOIN otan_enbek.employee emp USING (org_id, employee_id)
WHERE e.org_id = :org
GROUP BY emp.last_name
ORDER BY emp.last_name;
ROLLBACK;
