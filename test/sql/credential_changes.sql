-- Stored events follow every change of the credential table: a card handed
-- over and recorded late, a credential deleted and given to another
-- employee, a value corrected, an employee deleted and created again, and
-- a TRUNCATE.  Each event belongs to the employee whose credential is valid
-- on the event's local date, or to no one.
-- The whole test runs in one transaction that is rolled back, the
-- extension included when this test created it.
BEGIN;
SET LOCAL client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS otan_enbek;
SET LOCAL client_min_messages = notice;
SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL DateStyle = 'ISO, YMD';
\set ON_ERROR_ROLLBACK on
\set SHOW_CONTEXT never

INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
VALUES (4601, '050440000012', 'School No. 1', 'Asia/Almaty'),
       (4602, '110340000072', 'School No. 2', 'Asia/Almaty');
INSERT INTO otan_enbek.source (org_id, source_id, name)
VALUES (4601, 4601, 'Gate'), (4602, 4602, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name)
VALUES (4601, 4601, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
        end_time, break_start, break_end)
SELECT 4601, 4601, d, time '09:00', time '18:00', time '13:00', time '14:00'
FROM generate_series(1, 5) d;
UPDATE otan_enbek.organization SET default_schedule_id = 4601 WHERE org_id = 4601;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
VALUES (4601, 1, '810111300012', 'Abenova', 'Aigerim'),
       (4601, 2, '820212300023', 'Bekov', 'Nurlan'),
       (4602, 3, '830313300034', 'Serikova', 'Zhanna');

-- Card 3110012 is Abenova's with no end date, and PIN 5 is hers too.  The
-- other school has a card with the same number.
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4601, 1, 'card', '3110012'),
       (4601, 1, 'person', '5'),
       (4602, 3, 'card', '3110012');

-- Card punches on Friday 10 and Monday 13 April 2026, PIN 5 on Tuesday 14
-- April, unknown PIN 8 on Wednesday 15 April.
SELECT inserted_count, unknown_credential_count
FROM otan_enbek.ingest(4601, 'csv',
    E'occurred_at,card_no,direction\n' ||
    E'2026-04-10 08:55:00,3110012,in\n' ||
    E'2026-04-10 18:05:00,3110012,out\n' ||
    E'2026-04-13 08:50:00,3110012,in\n' ||
    E'2026-04-13 18:10:00,3110012,out\n');
SELECT inserted_count, unknown_credential_count
FROM otan_enbek.ingest(4601, 'zkteco',
    E'5\t2026-04-14 09:00:00\t1\t0\t1\t0\n' ||
    E'5\t2026-04-14 18:00:00\t1\t1\t1\t0\n' ||
    E'8\t2026-04-15 09:00:00\t1\t0\t1\t0\n' ||
    E'8\t2026-04-15 18:00:00\t1\t1\t1\t0\n');
SELECT inserted_count, unknown_credential_count
FROM otan_enbek.ingest(4602, 'csv',
    E'occurred_at,card_no,direction\n2026-04-13 08:30:00,3110012,in\n');

-- Owners of the events by local date and credential: an employee's name,
-- (none) for unmatched events, or the id of an employee who was deleted.
CREATE TEMP VIEW owners AS
SELECT e.org_id, (e.occurred_at AT TIME ZONE 'Asia/Almaty')::date AS day,
       e.credential_kind AS kind, e.credential, count(*) AS events,
       CASE WHEN e.employee_id IS NULL THEN '(none)'
            ELSE coalesce(emp.last_name, '(deleted ' || e.employee_id || ')')
       END AS employee
FROM otan_enbek.skud_event e
LEFT JOIN otan_enbek.employee emp USING (org_id, employee_id)
GROUP BY 1, 2, 3, 4, 6;
CREATE TEMP VIEW unmatched AS
SELECT org_id, credential_kind AS kind, credential, event_count,
       (first_occurred_at AT TIME ZONE 'Asia/Almaty')::date AS first_day,
       (last_occurred_at AT TIME ZONE 'Asia/Almaty')::date AS last_day
FROM otan_enbek.unmatched_credential;

SELECT * FROM owners ORDER BY org_id, day, kind;

-- (a) The card passed to Bekov on Saturday 11 April, and HR records it on
-- the 14th: first the end of Abenova's card, which leaves the punches of
-- 13 April without an owner, then Bekov's card, which takes them.  The
-- other school's punch with the same number stays with Serikova.
UPDATE otan_enbek.credential SET valid_to = '2026-04-10'
WHERE org_id = 4601 AND kind = 'card' AND value = '3110012';
SELECT * FROM owners WHERE kind = 'card' ORDER BY org_id, day;
SELECT * FROM unmatched ORDER BY org_id, kind, credential;
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value, valid_from)
VALUES (4601, 2, 'card', '3110012', '2026-04-11');
SELECT * FROM owners WHERE kind = 'card' ORDER BY org_id, day;

-- Attendance of 13 April: Bekov was present, Abenova absent.
SELECT otan_enbek.compute_attendance(4601, '2026-04-13', '2026-04-13') AS rows_written;
SELECT emp.last_name, a.punch_count, a.worked_sec, a.anomalies
FROM otan_enbek.attendance_day a
JOIN otan_enbek.employee emp USING (org_id, employee_id)
WHERE a.org_id = 4601 AND a.work_day = '2026-04-13'
ORDER BY emp.last_name;

-- (b) PIN 5 is deleted and enrolled for Bekov: its punches leave Abenova
-- with the delete and go to Bekov with the insert.
DELETE FROM otan_enbek.credential WHERE org_id = 4601 AND kind = 'person' AND value = '5';
SELECT * FROM owners WHERE kind = 'person' ORDER BY day, credential;
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4601, 2, 'person', '5');
SELECT * FROM owners WHERE kind = 'person' ORDER BY day, credential;

-- A PIN entered wrongly as 80 and corrected to 8 in one UPDATE: the
-- punches of PIN 8 go to Bekov, and nothing is left unmatched.
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4601, 2, 'person', '80');
SELECT * FROM owners WHERE kind = 'person' ORDER BY day, credential;
UPDATE otan_enbek.credential SET value = '8'
WHERE org_id = 4601 AND kind = 'person' AND value = '80';
SELECT * FROM owners WHERE kind = 'person' ORDER BY day, credential;
SELECT count(*) AS unmatched FROM unmatched;

-- (c) Abenova is deleted, and her card row with her: the punches of 10
-- April have no owner and are listed as unmatched again.
SELECT otan_enbek.compute_attendance(4601, '2026-04-10', '2026-04-10') AS rows_written;
DELETE FROM otan_enbek.employee WHERE org_id = 4601 AND employee_id = 1;
SELECT * FROM owners WHERE org_id = 4601 AND kind = 'card' ORDER BY day;
SELECT * FROM unmatched ORDER BY org_id, kind, credential;
SELECT count(*) AS attendance_rows_of_deleted
FROM otan_enbek.attendance_day WHERE org_id = 4601 AND employee_id = 1;

-- She is created again with a new id and her card until 10 April: the
-- punches of that day are hers, and she is not absent on it.
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
VALUES (4601, 11, '810111300012', 'Abenova', 'Aigerim');
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value, valid_to)
VALUES (4601, 11, 'card', '3110012', '2026-04-10');
SELECT * FROM owners WHERE org_id = 4601 AND kind = 'card' ORDER BY day;
SELECT count(*) AS unmatched FROM unmatched;
SELECT otan_enbek.compute_attendance(4601, '2026-04-10', '2026-04-10') AS rows_written;
SELECT a.employee_id, a.punch_count, a.worked_sec, a.anomalies
FROM otan_enbek.attendance_day a
WHERE a.org_id = 4601 AND a.work_day = '2026-04-10'
ORDER BY a.employee_id;

-- An overlapping credential is rejected, and its events keep their owner.
-- The error's detail names a generated credential id, so it is left out.
\set VERBOSITY terse
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value, valid_from)
VALUES (4601, 11, 'card', '3110012', '2026-04-13');
\set VERBOSITY default
SELECT * FROM owners WHERE org_id = 4601 AND kind = 'card' ORDER BY day;

-- (d) After a TRUNCATE no credential is left, so no event has an owner.
TRUNCATE otan_enbek.credential;
SELECT * FROM owners ORDER BY org_id, day, kind;
SELECT * FROM unmatched ORDER BY org_id, kind, credential;

-- The card enrolled for Bekov with no dates takes all its punches, so
-- resolve_credentials finds nothing left to assign.
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4601, 2, 'card', '3110012');
SELECT otan_enbek.resolve_credentials(4601) AS resolved;
SELECT * FROM owners WHERE org_id = 4601 ORDER BY day, kind;

-- An event stored by a plain INSERT without an employee is assigned by
-- resolve_credentials.
INSERT INTO otan_enbek.skud_event (org_id, occurred_at, source_id, external_id,
        credential_kind, credential, direction)
VALUES (4601, '2026-04-16 09:00+05', 4601, 'by-hand-1', 'card', '3110012', 'in');
SELECT otan_enbek.resolve_credentials(4601) AS resolved;
SELECT * FROM owners WHERE org_id = 4601 AND day = '2026-04-16';

ROLLBACK;
