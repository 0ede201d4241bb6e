-- The direct read of skud_event's heap finds the partitions that overlap
-- the fetch window whatever the session's DateStyle and TimeZone.  In the
-- SQL style, a partition bound prints with the zone's abbreviation, such
-- as 'CST' in Asia/Shanghai, which the input reads as US Central time, 14
-- hours off.
BEGIN;
SELECT plan(3);

SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
VALUES (4943, '090440004697', 'Date style', 'Asia/Almaty');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4943, 4943, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4943, 1, 'Night 20-08');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT 4943, 1, d, '20:00', '08:00' FROM generate_series(1, 7) d;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id)
SELECT 4943, 1, p || d, 'Night', 'Guard', 1
FROM (SELECT '8501013' || '0001' AS p) s, generate_series(0, 9) d
WHERE otan_enbek.is_valid_iin(p || d)
LIMIT 1;
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4943, 1, 'person', '1');
SELECT otan_enbek.ensure_event_partitions('2026-11-01', '2026-12-31') >= 0 AS partitions;

-- The night shift of 30 November ends at 08:00 local time on 1 December,
-- 03:00 UTC, in the partition of December.
INSERT INTO otan_enbek.skud_event (org_id, occurred_at, source_id, external_id,
        credential_kind, credential, employee_id, direction)
VALUES (4943, '2026-11-30 15:00+00', 4943, 'in-1', 'person', '1', 1, 'in'),
       (4943, '2026-12-01 03:00+00', 4943, 'out-1', 'person', '1', 1, 'out');

SET LOCAL datestyle = 'SQL, MDY';
SET LOCAL timezone = 'Asia/Shanghai';
SELECT is((SELECT punch_count
           FROM otan_enbek.attendance_compute_days(4943, '2026-11-30', '2026-11-30',
                                                   '2026-11-29 00:00+00',
                                                   '2026-12-01 12:00+00')),
          2, 'the read of every employee finds the exit in the next month''s partition');
SELECT is((SELECT punch_count
           FROM otan_enbek.attendance_compute_days(4943, '2026-11-30', '2026-11-30',
                                                   '2026-11-29 00:00+00',
                                                   '2026-12-01 12:00+00', ARRAY[1])),
          2, 'the read of a list of employees finds the exit too');

SET LOCAL datestyle = 'ISO, MDY';
SET LOCAL timezone = 'UTC';
-- The partition of November ends at 00:00 UTC, so a window that ends then
-- reads no event of December.
SELECT is((SELECT punch_count
           FROM otan_enbek.attendance_compute_days(4943, '2026-11-30', '2026-11-30',
                                                   '2026-11-29 00:00+00',
                                                   '2026-12-01 00:00+00')),
          1, 'a window that ends at the partition bound reads only the entry');

SELECT * FROM finish();
ROLLBACK;
