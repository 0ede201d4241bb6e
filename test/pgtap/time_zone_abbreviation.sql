-- Time zone names that are also time zone abbreviations.  AT TIME ZONE,
-- which both ingest paths and the attendance plans use, reads CET as the
-- fixed UTC+1 abbreviation, while SET TimeZone reads it as the tz
-- database zone with summer time.  time_zone_check rejects such a name
-- unless the two readings agree at every instant.
BEGIN;
SELECT plan(18);

SET LOCAL timezone = 'UTC';
SET LOCAL client_min_messages = warning;

-- The four names of the tz database that observe summer time but are
-- fixed-offset abbreviations in the Default set.
SELECT throws_ok(format($$INSERT INTO otan_enbek.organization (bin, name, time_zone)
                          VALUES ('050440000012', 'School', %L)$$, z),
                 '22023', format('time zone "%s" is also a time zone abbreviation', z),
                 z || ': a new organization is rejected')
FROM unnest(ARRAY['CET', 'EET', 'MET', 'WET']) AS z;

INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
VALUES (4951, '050440000012', 'School in Paris', 'Europe/Paris');
SELECT throws_ok($$UPDATE otan_enbek.organization SET time_zone = 'CET' WHERE org_id = 4951$$,
                 '22023', 'time zone "CET" is also a time zone abbreviation',
                 'CET: a changed organization is rejected');

CREATE FUNCTION pg_temp.check_error(zone text, OUT detail text, OUT hint text)
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM otan_enbek.time_zone_check(zone);
EXCEPTION WHEN invalid_parameter_value THEN
    GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
END
$$;
SELECT is((pg_temp.check_error('CET')).detail,
          'AT TIME ZONE reads "CET" as the abbreviation for UTC+01:00 at all times of the year. '
          'The tz database zone of that name has another offset at some times, such as in summer.',
          'CET: the detail names the fixed offset');
SELECT matches((pg_temp.check_error('CET')).hint, 'Europe/Paris for CET',
               'CET: the hint names a city zone');

-- Names whose abbreviation and zone have one and the same offset stay valid.
SELECT ok(otan_enbek.time_zone_check(z), z || ': accepted')
FROM unnest(ARRAY['UTC', 'GMT', 'Europe/Paris', 'Asia/Almaty']) AS z;

-- Every name of the tz database that is also an abbreviation, read on the
-- 15th of January and of July of 1970 to 2030.  An accepted name reads the
-- same in AT TIME ZONE and under SET TimeZone on each date.  A rejected
-- name reads otherwise on at least one of them.
CREATE FUNCTION pg_temp.readings_differ(zone text) RETURNS boolean
    LANGUAGE plpgsql AS $$
DECLARE
    differ boolean;
BEGIN
    PERFORM set_config('timezone', zone, true);
    SELECT bool_or((g.at AT TIME ZONE zone) <> g.at::timestamp) INTO differ
    FROM (SELECT make_timestamptz(y, m, 15, 12, 0, 0, 'UTC') AS at
          FROM generate_series(1970, 2030) y, unnest(ARRAY[1, 7]) m) g;
    PERFORM set_config('timezone', 'UTC', true);
    RETURN differ;
END
$$;
CREATE FUNCTION pg_temp.accepted(zone text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RETURN otan_enbek.time_zone_check(zone);
EXCEPTION WHEN invalid_parameter_value THEN
    RETURN false;
END
$$;
CREATE TEMP TABLE abbreviation_zone AS
SELECT n.name, pg_temp.accepted(n.name) AS accepted, pg_temp.readings_differ(n.name) AS differ
FROM pg_timezone_names n
WHERE EXISTS (SELECT FROM pg_timezone_abbrevs a WHERE lower(a.abbrev) = lower(n.name));
SELECT ok((SELECT count(*) FROM abbreviation_zone WHERE NOT accepted) >= 4,
          'the tz database has names that are rejected');
SELECT is(ARRAY(SELECT name FROM abbreviation_zone WHERE accepted AND differ ORDER BY name),
          '{}'::text[], 'no accepted name reads otherwise in AT TIME ZONE');
SELECT is(ARRAY(SELECT name FROM abbreviation_zone WHERE NOT accepted AND NOT differ ORDER BY name),
          '{}'::text[], 'every rejected name reads otherwise on some date');

-- With the city zone that the hint names, a summer punch at 09:00 on the
-- turnstile's clock is 07:00 UTC in both ingest paths and in attendance.
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
FROM otan_enbek.ingest(:src, 'csv', E'occurred_at,card_no,direction\n2026-07-01 09:00:00,7,in\n') \gset
SELECT is((SELECT occurred_at FROM otan_enbek.skud_event WHERE org_id = 4951),
          timestamptz '2026-07-01 07:00:00+00',
          'streamed ingest: a summer 09:00 in Paris is 07:00 UTC');

-- the SQL path: a trigger on skud_event stops the streaming
CREATE FUNCTION pg_temp.noop() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TRIGGER noop AFTER INSERT ON otan_enbek.skud_event
    FOR EACH ROW EXECUTE FUNCTION pg_temp.noop();
SELECT inserted_count AS sql_count
FROM otan_enbek.ingest(:src, 'csv', E'occurred_at,card_no,direction\n2026-07-01 18:00:00,7,out\n') \gset
SELECT is((SELECT max(occurred_at) FROM otan_enbek.skud_event WHERE org_id = 4951),
          timestamptz '2026-07-01 16:00:00+00',
          'SQL ingest: a summer 18:00 in Paris is 16:00 UTC');
DROP TRIGGER noop ON otan_enbek.skud_event;

SELECT otan_enbek.compute_attendance(4951, '2026-07-01', '2026-07-01') AS computed \gset
SELECT is((SELECT shift_start FROM otan_enbek.attendance_day
           WHERE org_id = 4951 AND work_day = '2026-07-01'),
          timestamptz '2026-07-01 07:00:00+00',
          'attendance: the 09:00 shift starts at 07:00 UTC');
SELECT is((SELECT late_sec FROM otan_enbek.attendance_day
           WHERE org_id = 4951 AND work_day = '2026-07-01'),
          0, 'attendance: the 09:00 entry is on time');

SELECT * FROM finish();
ROLLBACK;
