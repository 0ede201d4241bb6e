-- Rounded entry and exit times are stored beside the raw ones and change
-- no figure.
BEGIN;
SELECT plan(8);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4911, '090440004667', 'Rounding');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4911, 4911, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, rounding_min, rounding_entry,
        rounding_exit)
VALUES (4911, 1, 'Quarter hours', 15, 'up', 'down'),
       (4911, 2, 'Nearest ten', 10, 'nearest', 'nearest'),
       (4911, 3, 'Raw', 0, 'up', 'down');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT 4911, s, d, '09:00', '18:00' FROM generate_series(1, 3) s, generate_series(1, 5) d;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id)
VALUES (4911, 1, '850101300005', 'Round', 'Up', 1),
       (4911, 2, '850101300015', 'Round', 'Nearest', 2),
       (4911, 3, '850101300025', 'Round', 'Raw', 3);
SELECT otan_enbek.ensure_event_partitions('2026-02-01', '2026-02-28') >= 0 AS partitions;
INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id,
        credential_kind, credential, employee_id, direction)
SELECT 4911, id, t AT TIME ZONE 'Asia/Almaty', 4911, 'r' || id, 'person', emp::text, emp, dir
FROM (VALUES (1, 1, timestamp '2026-02-02 08:53:20', 'in'), (2, 1, '2026-02-02 18:07:00', 'out'),
             (3, 2, '2026-02-02 08:54:59', 'in'), (4, 2, '2026-02-02 18:05:00', 'out'),
             (5, 3, '2026-02-02 08:53:20', 'in'), (6, 3, '2026-02-02 18:07:00', 'out'))
     AS v(id, emp, t, dir);
SELECT otan_enbek.compute_attendance(4911, '2026-02-02', '2026-02-02') AS computed;

CREATE FUNCTION pg_temp.day(emp integer) RETURNS otan_enbek.attendance_day LANGUAGE sql AS $$
    SELECT * FROM otan_enbek.attendance_day
    WHERE org_id = 4911 AND employee_id = emp AND work_day = '2026-02-02'
$$;

SELECT is(to_char((pg_temp.day(1)).first_in_rounded, 'HH24:MI:SS'), '09:00:00',
          'an entry rounded up to the quarter hour');
SELECT is(to_char((pg_temp.day(1)).last_out_rounded, 'HH24:MI:SS'), '18:00:00',
          'an exit rounded down to the quarter hour');
SELECT is(to_char((pg_temp.day(1)).first_in, 'HH24:MI:SS'), '08:53:20', 'the raw entry is kept');
SELECT is((pg_temp.day(1)).overtime_sec, 420, 'figures use the raw times');
SELECT is(to_char((pg_temp.day(2)).first_in_rounded, 'HH24:MI:SS'), '08:50:00',
          'nearest ten minutes rounds 08:54:59 down');
SELECT is(to_char((pg_temp.day(2)).last_out_rounded, 'HH24:MI:SS'), '18:10:00',
          'and a half step up');
SELECT is((pg_temp.day(3)).first_in_rounded, NULL, 'no rounded time without rounding');
SELECT is(to_char(otan_enbek.round_local_time('2024-02-29 23:07:00+06', 'Asia/Almaty', 15,
                                              'down') AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),
          '2024-02-29 17:00', 'rounding keeps the offset of the time it rounds');

SELECT * FROM finish();
ROLLBACK;
