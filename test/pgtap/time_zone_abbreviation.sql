-- An organization whose time_zone is CET: time_zone_check accepts the
-- name because pg_timezone_names lists it, and SET TimeZone reads it as
-- that tz database zone, with summer time.  AT TIME ZONE reads it as the
-- fixed UTC+1 abbreviation.  A summer punch at 09:00 on the turnstile's
-- clock is 07:00 UTC in the zone, and both ingest paths and the attendance
-- day must say so.  This test fails: every path takes the abbreviation.
BEGIN;
SELECT plan(4);

SET LOCAL timezone = 'UTC';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
VALUES (4951, '050440000012', 'School in CET', 'CET');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4951, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT 4951, 1, d, '09:00', '18:00' FROM generate_series(1, 5) d;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id)
VALUES (4951, 1, '810111300012', 'Abenova', 'Aigerim', 1);
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4951, 1, 'card', '7');
INSERT INTO otan_enbek.source (org_id, name) VALUES (4951, 'gate') RETURNING source_id AS src \gset

-- the streamed path: skud_event has no triggers
SELECT inserted_count AS streamed_count
FROM otan_enbek.ingest(:src, 'csv', E'occurred_at,card_no,direction\n2024-07-01 09:00:00,7,in\n') \gset
SELECT is((SELECT occurred_at FROM otan_enbek.skud_event WHERE org_id = 4951),
          timestamptz '2024-07-01 07:00:00+00',
          'streamed ingest: a summer 09:00 in CET is 07:00 UTC');

-- the SQL path: a trigger on skud_event stops the streaming
CREATE FUNCTION pg_temp.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER noop AFTER INSERT ON otan_enbek.skud_event
    FOR EACH ROW EXECUTE FUNCTION pg_temp.noop();
SELECT inserted_count AS sql_count
FROM otan_enbek.ingest(:src, 'csv', E'occurred_at,card_no,direction\n2024-07-01 18:00:00,7,out\n') \gset
SELECT is((SELECT max(occurred_at) FROM otan_enbek.skud_event WHERE org_id = 4951),
          timestamptz '2024-07-01 16:00:00+00',
          'SQL ingest: a summer 18:00 in CET is 16:00 UTC');
DROP TRIGGER noop ON otan_enbek.skud_event;

SELECT otan_enbek.compute_attendance(4951, '2024-07-01', '2024-07-01') AS computed \gset
SELECT is((SELECT shift_start FROM otan_enbek.attendance_day
           WHERE org_id = 4951 AND work_day = '2024-07-01'),
          timestamptz '2024-07-01 07:00:00+00',
          'attendance: the 09:00 shift starts at 07:00 UTC');
SELECT is((SELECT late_sec FROM otan_enbek.attendance_day
           WHERE org_id = 4951 AND work_day = '2024-07-01'),
          0, 'attendance: the 09:00 entry is on time');

SELECT * FROM finish();
ROLLBACK;
