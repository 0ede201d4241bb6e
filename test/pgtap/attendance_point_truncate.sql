-- TRUNCATE of access_point fires no DELETE trigger, so a trigger of its
-- own marks the days of the removed points' events.  A refresh afterwards
-- gives the rows of a full computation.
BEGIN;
SELECT plan(5);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
-- Organization 4791: one employee on a Monday-to-Friday schedule of 09:00
-- to 18:00 passes reader T-1, whose clock runs ten minutes behind.
INSERT INTO otan_enbek.organization (org_id, bin, name)
SELECT 4791, b, 'Truncated readers'
FROM (SELECT '0904400047' || lpad(k::text, 2, '0') AS b FROM generate_series(0, 99) k) c
WHERE otan_enbek.is_valid_bin(c.b)
ORDER BY c.b LIMIT 1;
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4791, 4791, 'Gate');
INSERT INTO otan_enbek.access_point (org_id, source_id, device, name, clock_skew_sec)
VALUES (4791, 4791, 'T-1', 'Reader 1', 600);
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4791, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT 4791, 1, d, '09:00', '18:00' FROM generate_series(1, 5) d;
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = 4791;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
VALUES (4791, 1, '830313300054', 'Abenova', 'Aigerim');
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4791, 1, 'person', '1');
SELECT otan_enbek.ensure_event_partitions('2026-02-01', '2026-02-28') >= 0 AS partitions;
-- Passes at 08:58 and 18:03 on 2 to 6 February: 09:08 and 18:13 with the
-- reader's skew.
INSERT INTO otan_enbek.skud_event (org_id, occurred_at, source_id, external_id, device,
        credential_kind, credential, employee_id)
SELECT 4791, t AT TIME ZONE 'Asia/Almaty', 4791, 'T-1-' || t, 'T-1', 'person', '1', 1
FROM (SELECT d::date + v.t AS t
      FROM generate_series(date '2026-02-02', '2026-02-06', interval '1 day') d,
           (VALUES (time '08:58'), (time '18:03')) v(t)) e;

CREATE FUNCTION pg_temp.digest() RETURNS text
LANGUAGE sql AS $$
    SELECT md5(string_agg((to_jsonb(a) - 'computed_at')::text, ';'
                          ORDER BY a.employee_id, a.work_day))
    FROM otan_enbek.attendance_day a
    WHERE a.org_id = 4791
$$;

SELECT otan_enbek.compute_attendance(4791, '2026-02-01', '2026-02-28');
DELETE FROM otan_enbek.attendance_pending WHERE org_id = 4791;
SELECT is((SELECT late_sec FROM otan_enbek.attendance_day
           WHERE org_id = 4791 AND employee_id = 1 AND work_day = '2026-02-02'),
          480, 'the skew makes the employee late');

SET LOCAL ROLE otan_enbek_admin;
TRUNCATE otan_enbek.access_point;
RESET ROLE;
SELECT is((SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = 4791),
          5::bigint, 'TRUNCATE marks the days of the reader''s events');
SELECT otan_enbek.refresh_attendance(4791);
SELECT is((SELECT late_sec FROM otan_enbek.attendance_day
           WHERE org_id = 4791 AND employee_id = 1 AND work_day = '2026-02-02'),
          0, 'the refresh drops the skew');
CREATE TEMP TABLE refreshed AS SELECT pg_temp.digest() AS digest;
SELECT otan_enbek.compute_attendance(4791, '2026-02-01', '2026-02-28');
SELECT is(pg_temp.digest(), (SELECT digest FROM refreshed),
          'refresh gives the rows of a full computation');

-- A TRUNCATE of an empty table marks nothing and raises nothing.
DELETE FROM otan_enbek.attendance_pending WHERE org_id = 4791;
TRUNCATE otan_enbek.access_point;
SELECT is((SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = 4791),
          0::bigint, 'TRUNCATE of no access points marks nothing');

SELECT * FROM finish();
ROLLBACK;
