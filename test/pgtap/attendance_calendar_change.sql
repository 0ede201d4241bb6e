-- Changes of the national and the organization's production calendar mark
-- the changed dates of the organizations' employees, so that
-- refresh_attendance gives the rows of a full computation.
BEGIN;
SELECT plan(33);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
-- Organization 4718 has three employees and one who left in January,
-- organization 4719 has one employee.  Both have a Monday-to-Friday
-- schedule of 09:00 to 18:00.
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (4718, '090440004706', 'Calendar'), (4719, '090440004716', 'Calendar too');
INSERT INTO otan_enbek.source (org_id, source_id, name)
VALUES (4718, 4718, 'Gate'), (4719, 4719, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name)
VALUES (4718, 1, 'Day 09-18'), (4719, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
        break_start, break_end)
SELECT o, 1, d, '09:00', '18:00', '13:00', '14:00'
FROM generate_series(1, 5) d, (VALUES (4718), (4719)) v(o);
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id IN (4718, 4719);
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
        contract_start, dismissed_on)
VALUES (4718, 1, '830313300004', 'Abenova', 'Aigerim', NULL, NULL),
       (4718, 2, '830313300014', 'Bekov', 'Arman', NULL, NULL),
       (4718, 3, '830313300024', 'Serikov', 'Dias', NULL, NULL),
       (4718, 4, '830313300034', 'Dosova', 'Dana', '2025-09-01', '2026-01-20'),
       (4719, 1, '830313300044', 'Ermekova', 'Zhanna', NULL, NULL);
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
SELECT 4718, n, 'person', n::text FROM generate_series(1, 4) n
UNION ALL
SELECT 4719, 1, 'person', '1';

CREATE FUNCTION pg_temp.zk(pin integer, t timestamp, state integer) RETURNS text
LANGUAGE sql AS $$
    SELECT format(E'%s\t%s\t1\t%s\t1\t0', pin, to_char(t, 'YYYY-MM-DD HH24:MI:SS'), state)
$$;
-- Every column of an organization's rows except computed_at, in order.
CREATE FUNCTION pg_temp.digest(org integer) RETURNS text
LANGUAGE sql AS $$
    SELECT md5(string_agg((to_jsonb(a) - 'computed_at')::text, ';'
                          ORDER BY a.employee_id, a.work_day))
    FROM otan_enbek.attendance_day a
    WHERE a.org_id = org
$$;
-- The marked days of both organizations.
CREATE FUNCTION pg_temp.pending() RETURNS TABLE (org_id integer, employee_id integer,
        work_day date)
LANGUAGE sql AS $$
    SELECT p.org_id, p.employee_id, p.work_day FROM otan_enbek.attendance_pending p
    WHERE p.org_id IN (4718, 4719)
$$;
-- The rows of the last full computation of each organization.
CREATE TEMP TABLE kept (org_id integer PRIMARY KEY, digest text);
-- Two tests: the change alters the organization's computed rows, so that
-- a refresh without marks would fail the second test, and the refresh
-- gives the rows of a full computation.
CREATE FUNCTION pg_temp.refresh_matches_compute(org integer, change text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    refreshed text;
    computed text;
BEGIN
    PERFORM otan_enbek.refresh_attendance(org);
    refreshed := pg_temp.digest(org);
    PERFORM otan_enbek.compute_attendance(org, '2026-02-01', '2026-02-28');
    computed := pg_temp.digest(org);
    RETURN NEXT isnt(computed, (SELECT k.digest FROM kept k WHERE k.org_id = org),
                     change || ' alters the rows');
    RETURN NEXT is(refreshed, computed, change || ': refresh equals full computation');
    UPDATE kept k SET digest = computed WHERE k.org_id = org;
END
$$;

-- 09:00 to 18:00 on the weekdays of 2 to 20 February.
SELECT otan_enbek.ingest(o.org_id, 'zkteco',
       (SELECT string_agg(pg_temp.zk(e.pin, d::date + v.t, v.s), E'\n')
        FROM generate_series(date '2026-02-02', date '2026-02-20', interval '1 day') d,
             (VALUES (time '09:00', 0), (time '18:00', 1)) v(t, s),
             generate_series(1, CASE WHEN o.org_id = 4718 THEN 3 ELSE 1 END) e(pin)
        WHERE extract(isodow FROM d) < 6))
FROM (VALUES (4718), (4719)) o(org_id);
SELECT otan_enbek.compute_attendance(o, '2026-02-01', '2026-02-28')
FROM (VALUES (4718), (4719)) v(o);
INSERT INTO kept SELECT o, pg_temp.digest(o) FROM (VALUES (4718), (4719)) v(o);

-- A national holiday on Wednesday 11 February: the day of every employed
-- employee of both organizations.
INSERT INTO otan_enbek.calendar_day (day, kind, name)
VALUES ('2026-02-11', 'holiday', 'Test holiday');
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$VALUES (4718, 1, date '2026-02-11'), (4718, 2, '2026-02-11'),
                       (4718, 3, '2026-02-11'), (4719, 1, '2026-02-11')$$,
              'an added holiday marks every organization');
SELECT is((SELECT day_kind FROM otan_enbek.attendance_day
           WHERE org_id = 4718 AND employee_id = 1 AND work_day = '2026-02-11'),
          'work', 'before the refresh it is a work day');
SELECT * FROM pg_temp.refresh_matches_compute(4718, 'an added holiday');
SELECT * FROM pg_temp.refresh_matches_compute(4719, 'an added holiday in 4719');
SELECT is((SELECT day_kind FROM otan_enbek.attendance_day
           WHERE org_id = 4718 AND employee_id = 1 AND work_day = '2026-02-11'),
          'holiday', 'the added holiday is computed');

UPDATE otan_enbek.calendar_day SET name = 'Test holiday, renamed' WHERE day = '2026-02-11';
SELECT is((SELECT count(*) FROM pg_temp.pending()), 0::bigint,
          'a renamed holiday marks nothing');

-- Moved to Thursday: the old and the new day.
UPDATE otan_enbek.calendar_day SET day = '2026-02-12' WHERE day = '2026-02-11';
SELECT set_eq($$SELECT * FROM pg_temp.pending() WHERE org_id = 4718$$,
              $$SELECT 4718, e, d::date
                FROM generate_series(1, 3) e,
                     generate_series(date '2026-02-11', '2026-02-12', interval '1 day') d$$,
              'a moved holiday marks both days');
SELECT * FROM pg_temp.refresh_matches_compute(4718, 'a moved holiday');
SELECT * FROM pg_temp.refresh_matches_compute(4719, 'a moved holiday in 4719');

DELETE FROM otan_enbek.calendar_day WHERE day = '2026-02-12';
SELECT set_eq($$SELECT * FROM pg_temp.pending() WHERE org_id = 4718$$,
              $$SELECT 4718, e, date '2026-02-12' FROM generate_series(1, 3) e$$,
              'a deleted holiday marks its day');
SELECT * FROM pg_temp.refresh_matches_compute(4718, 'a deleted holiday');
SELECT otan_enbek.refresh_attendance(4719);

-- A day off of organization 4718 alone, on Friday 13 February.
INSERT INTO otan_enbek.org_calendar_day (org_id, day, kind, name)
VALUES (4718, '2026-02-13', 'day_off', 'Founders'' day');
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$SELECT 4718, e, date '2026-02-13' FROM generate_series(1, 3) e$$,
              'an organization day off marks it alone');
SELECT * FROM pg_temp.refresh_matches_compute(4718, 'an organization day off');

-- The organization's row overrides a national holiday on the same day.
INSERT INTO otan_enbek.calendar_day (day, kind, name)
VALUES ('2026-02-13', 'holiday', 'Test holiday');
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$VALUES (4719, 1, date '2026-02-13')$$,
              'an overridden national day marks nothing');
SELECT * FROM pg_temp.refresh_matches_compute(4719, 'a national day beside an override');
SELECT is((SELECT day_kind FROM otan_enbek.attendance_day
           WHERE org_id = 4718 AND employee_id = 1 AND work_day = '2026-02-13'),
          'day_off', 'the override keeps its kind');

UPDATE otan_enbek.org_calendar_day SET kind = 'working'
WHERE org_id = 4718 AND day = '2026-02-13';
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$SELECT 4718, e, date '2026-02-13' FROM generate_series(1, 3) e$$,
              'a changed override kind marks the day');
SELECT * FROM pg_temp.refresh_matches_compute(4718, 'a changed override kind');

UPDATE otan_enbek.org_calendar_day SET name = 'Founders'' day, renamed'
WHERE org_id = 4718 AND day = '2026-02-13';
SELECT is((SELECT count(*) FROM pg_temp.pending()), 0::bigint,
          'a renamed override marks nothing');

-- Without the organization's row the national holiday applies.
DELETE FROM otan_enbek.org_calendar_day WHERE org_id = 4718 AND day = '2026-02-13';
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$SELECT 4718, e, date '2026-02-13' FROM generate_series(1, 3) e$$,
              'a deleted override marks the day');
SELECT * FROM pg_temp.refresh_matches_compute(4718, 'a deleted override');
SELECT is((SELECT day_kind FROM otan_enbek.attendance_day
           WHERE org_id = 4718 AND employee_id = 1 AND work_day = '2026-02-13'),
          'holiday', 'without the override the holiday applies');

-- A role that may change the national calendar alone still marks the day
-- in every organization.
CREATE ROLE otan_calendar_change_probe;
GRANT USAGE ON SCHEMA otan_enbek TO otan_calendar_change_probe;
GRANT INSERT, SELECT ON otan_enbek.calendar_day TO otan_calendar_change_probe;
SET LOCAL ROLE otan_calendar_change_probe;
INSERT INTO otan_enbek.calendar_day (day, kind, name)
VALUES ('2026-02-17', 'holiday', 'Test holiday');
RESET ROLE;
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$VALUES (4718, 1, date '2026-02-17'), (4718, 2, '2026-02-17'),
                       (4718, 3, '2026-02-17'), (4719, 1, '2026-02-17')$$,
              'a calendar-only role marks every organization');
SELECT otan_enbek.refresh_attendance(o) FROM (VALUES (4718), (4719)) v(o);

-- A holiday after the computed days marks nothing.
INSERT INTO otan_enbek.calendar_day (day, kind, name)
VALUES ('2026-03-04', 'holiday', 'Test holiday');
SELECT is((SELECT count(*) FROM pg_temp.pending()), 0::bigint,
          'a holiday after computed days marks nothing');

SELECT * FROM finish();
ROLLBACK;
