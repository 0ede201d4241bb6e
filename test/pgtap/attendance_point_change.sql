-- Changes of access points mark the days of their devices' events, so that
-- refresh_attendance gives the rows of a full computation.
BEGIN;
SELECT plan(25);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
-- Organization 4741: two employees on a Monday-to-Friday schedule of 09:00
-- to 18:00; employee 1 passes the two-way reader T-1, employee 2 the reader
-- T-2.  Organization 4742 has a reader named T-1 too.
INSERT INTO otan_enbek.organization (org_id, bin, name)
SELECT 4740 + n, bin, 'Readers ' || n
FROM (SELECT n, (SELECT b FROM (SELECT '0904400047' || lpad(k::text, 2, '0') AS b
                                FROM generate_series(0, 99) k) c
                 WHERE otan_enbek.is_valid_bin(c.b)
                 ORDER BY c.b OFFSET n - 1 LIMIT 1) AS bin
      FROM generate_series(1, 2) n) v;
INSERT INTO otan_enbek.source (org_id, source_id, name)
VALUES (4741, 4741, 'Gate'), (4742, 4742, 'Gate');
INSERT INTO otan_enbek.access_point (org_id, source_id, device, name)
VALUES (4741, 4741, 'T-1', 'Reader 1'), (4741, 4741, 'T-2', 'Reader 2'),
       (4742, 4742, 'T-1', 'Reader 1');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name)
VALUES (4741, 1, 'Day 09-18'), (4742, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT o, 1, d, '09:00', '18:00' FROM generate_series(1, 5) d, (VALUES (4741), (4742)) v(o);
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id IN (4741, 4742);
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
VALUES (4741, 1, '830313300054', 'Abenova', 'Aigerim'),
       (4741, 2, '830313300064', 'Bekov', 'Arman'),
       (4742, 1, '830313300074', 'Serikov', 'Dias');
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4741, 1, 'person', '1'), (4741, 2, 'person', '2'), (4742, 1, 'person', '1');
SELECT otan_enbek.ensure_event_partitions('2026-02-01', '2026-03-31') >= 0 AS partitions;
-- Passes without a direction at 08:58 and 18:03 on 2 to 6 February, a late
-- pass of employee 2 at 23:58 on Friday 6 February, and one pass in March,
-- after the computed days.
INSERT INTO otan_enbek.skud_event (org_id, occurred_at, source_id, external_id, device,
        credential_kind, credential, employee_id)
SELECT org, t AT TIME ZONE 'Asia/Almaty', org, format('%s-%s-%s', dev, emp, t), dev,
       'person', emp::text, emp
FROM (SELECT o.org, o.emp, o.dev, d::date + v.t AS t
      FROM (VALUES (4741, 1, 'T-1'), (4741, 2, 'T-2'), (4742, 1, 'T-1')) o(org, emp, dev),
           generate_series(date '2026-02-02', '2026-02-06', interval '1 day') d,
           (VALUES (time '08:58'), (time '18:03')) v(t)
      UNION ALL
      VALUES (4741, 2, 'T-2', timestamp '2026-02-06 23:58'),
             (4741, 1, 'T-1', timestamp '2026-03-10 09:00')) e(org, emp, dev, t);

-- Every column of organization 4741's rows except computed_at, in order.
CREATE FUNCTION pg_temp.digest() RETURNS text
LANGUAGE sql AS $$
    SELECT md5(string_agg((to_jsonb(a) - 'computed_at')::text, ';'
                          ORDER BY a.employee_id, a.work_day))
    FROM otan_enbek.attendance_day a
    WHERE a.org_id = 4741
$$;
CREATE FUNCTION pg_temp.pending() RETURNS TABLE (org_id integer, employee_id integer,
        work_day date)
LANGUAGE sql AS $$
    SELECT p.org_id, p.employee_id, p.work_day FROM otan_enbek.attendance_pending p
    WHERE p.org_id IN (4741, 4742)
$$;
CREATE TEMP TABLE kept (digest text);
-- Two tests: the change alters the rows, so that a refresh without marks
-- would fail the second test, and the refresh gives the rows of a full
-- computation.
CREATE FUNCTION pg_temp.refresh_matches_compute(change text) RETURNS SETOF text
LANGUAGE plpgsql AS $$
DECLARE
    refreshed text;
    computed text;
BEGIN
    PERFORM otan_enbek.refresh_attendance(4741);
    refreshed := pg_temp.digest();
    PERFORM otan_enbek.compute_attendance(4741, '2026-02-01', '2026-02-28');
    computed := pg_temp.digest();
    RETURN NEXT isnt(computed, (SELECT k.digest FROM kept k), change || ' alters the rows');
    RETURN NEXT is(refreshed, computed, change || ': refresh equals full computation');
    UPDATE kept SET digest = computed;
END
$$;

SELECT otan_enbek.compute_attendance(o, '2026-02-01', '2026-02-28')
FROM (VALUES (4741), (4742)) v(o);
DELETE FROM otan_enbek.attendance_pending WHERE org_id IN (4741, 4742);
INSERT INTO kept SELECT pg_temp.digest();

UPDATE otan_enbek.access_point SET name = 'Reader 1, north door'
WHERE org_id = 4741 AND device = 'T-1';
SELECT is((SELECT count(*) FROM pg_temp.pending()), 0::bigint,
          'a renamed access point marks nothing');

-- T-1's clock runs ten minutes behind: employee 1 is late every day.
UPDATE otan_enbek.access_point SET clock_skew_sec = 600 WHERE org_id = 4741 AND device = 'T-1';
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$SELECT 4741 AS o, 1 AS e, d::date
                FROM generate_series(date '2026-02-02', '2026-02-06', interval '1 day') d$$,
              'a clock skew marks the days of the reader''s events, in the computed days only');
SELECT * FROM pg_temp.refresh_matches_compute('a clock skew');
SELECT is((SELECT late_sec FROM otan_enbek.attendance_day
           WHERE org_id = 4741 AND employee_id = 1 AND work_day = '2026-02-03'),
          480, 'the refreshed day applies the skew');

UPDATE otan_enbek.access_point SET direction = 'in' WHERE org_id = 4741 AND device = 'T-1';
SELECT is((SELECT count(*) FROM pg_temp.pending()), 5::bigint,
          'a direction marks the reader''s days');
SELECT * FROM pg_temp.refresh_matches_compute('a direction');

UPDATE otan_enbek.access_point SET counts_for_attendance = false
WHERE org_id = 4741 AND device = 'T-1';
SELECT is((SELECT count(*) FROM pg_temp.pending()), 5::bigint,
          'a reader that stops counting marks its days');
SELECT * FROM pg_temp.refresh_matches_compute('a reader that stops counting');

DELETE FROM otan_enbek.access_point WHERE org_id = 4741 AND device = 'T-1';
SELECT is((SELECT count(*) FROM pg_temp.pending()), 5::bigint,
          'a deleted access point marks its days');
SELECT * FROM pg_temp.refresh_matches_compute('a deleted access point');

INSERT INTO otan_enbek.access_point (org_id, source_id, device, direction)
VALUES (4741, 4741, 'T-1', 'out');
SELECT is((SELECT count(*) FROM pg_temp.pending()), 5::bigint,
          'an added access point marks the days of its device''s events');
SELECT * FROM pg_temp.refresh_matches_compute('an added access point');

-- A skew of five minutes moves employee 2's pass of 23:58 on Friday to
-- Saturday: both dates are marked.
UPDATE otan_enbek.access_point SET clock_skew_sec = 300 WHERE org_id = 4741 AND device = 'T-2';
SELECT set_eq('SELECT * FROM pg_temp.pending()',
              $$SELECT 4741 AS o, 2 AS e, d::date
                FROM generate_series(date '2026-02-02', '2026-02-07', interval '1 day') d$$,
              'a skew marks the dates of the events before and after it');
SELECT * FROM pg_temp.refresh_matches_compute('a skew across midnight');

-- A statement that changes an access point of each organization marks the
-- days of both.
UPDATE otan_enbek.access_point SET direction = 'in' WHERE device = 'T-1';
SELECT set_eq('SELECT DISTINCT org_id, employee_id FROM pg_temp.pending()',
              $$VALUES (4741, 1), (4742, 1)$$,
              'one statement marks the days of each organization''s reader');
SELECT * FROM pg_temp.refresh_matches_compute('a direction in two organizations');
SELECT is((SELECT count(*) FROM pg_temp.pending() WHERE org_id = 4741), 0::bigint,
          'the refresh takes the marks of 4741');

-- An administrator's change marks the days with the administrator's
-- privileges.
SET LOCAL ROLE otan_enbek_admin;
UPDATE otan_enbek.access_point SET clock_skew_sec = 60 WHERE org_id = 4741 AND device = 'T-2';
RESET ROLE;
SELECT is((SELECT count(*) FROM pg_temp.pending() WHERE org_id = 4741 AND employee_id = 2),
          6::bigint, 'an administrator''s change marks the days');

SELECT * FROM finish();
ROLLBACK;
