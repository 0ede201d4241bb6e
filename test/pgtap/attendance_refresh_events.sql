-- refresh_attendance with events stored without an employee or with an
-- ambiguous local time, in a table of many partitions.  Such events within
-- the fetch windows of the pending days count as a full computation counts
-- them.  An event without an employee far from every pending day is left
-- for compute_attendance, or for a refresh that finds one near its days
-- and so assigns all of them.
BEGIN;
SELECT plan(9);

SET LOCAL timezone = 'Asia/Almaty';
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4708, '090440004706', 'Events');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4708, 4708, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4708, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
        break_start, break_end)
SELECT 4708, 1, d, '09:00', '18:00', '13:00', '14:00' FROM generate_series(1, 5) d;
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = 4708;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
VALUES (4708, 1, '810111300012', 'Abenova', 'Aigerim');
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4708, 1, 'person', '1');
-- partitions of two years before the events too
SELECT otan_enbek.ensure_event_partitions('2024-01-01', '2026-03-31') > 0 AS partitions;

CREATE FUNCTION pg_temp.zk(t timestamp, state integer) RETURNS text
LANGUAGE sql AS $$
    SELECT format(E'1\t%s\t1\t%s\t1\t0', to_char(t, 'YYYY-MM-DD HH24:MI:SS'), state)
$$;
-- an event stored by a plain INSERT, as resolve_credentials expects
CREATE FUNCTION pg_temp.plain(id bigint, t timestamp, dir text, employee integer,
                              ambiguous boolean) RETURNS void
LANGUAGE sql AS $$
    INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id,
            credential_kind, credential, employee_id, direction, local_time_ambiguous)
    VALUES (4708, id, t AT TIME ZONE 'Asia/Almaty', 4708, 'plain-' || id, 'person', '1',
            employee, dir, ambiguous)
$$;
CREATE FUNCTION pg_temp.rows_of() RETURNS TABLE (r text)
LANGUAGE sql AS $$
    SELECT (a.work_day, a.schedule_id, a.day_kind, a.is_final, a.shift_start, a.shift_end,
            a.first_in, a.last_out, a.present_sec, a.worked_sec, a.late_sec,
            a.early_leave_sec, a.early_arrival_sec, a.overtime_sec, a.night_sec,
            a.punch_count, a.anomalies, a.event_ids, a.norm_sec)::text
    FROM otan_enbek.attendance_day a
    WHERE a.org_id = 4708 AND a.employee_id = 1
$$;

-- 09:00 to 18:00 on 2 to 6 February
SELECT otan_enbek.ingest(4708, 'zkteco',
       (SELECT string_agg(pg_temp.zk(d::date + t, s), E'\n')
        FROM generate_series(date '2026-02-02', date '2026-02-06', interval '1 day') d,
             (VALUES (time '09:00', 0), (time '18:00', 1)) v(t, s)));
SELECT otan_enbek.compute_attendance(4708, '2026-02-01', '2026-02-28');

-- An event without an employee on 20 February, then a late punch on 4
-- February: the event lies outside the fetch window of the pending day.
SELECT pg_temp.plain(900004, '2026-02-20 09:00', 'in', NULL, false);
SELECT otan_enbek.ingest(4708, 'zkteco', pg_temp.zk('2026-02-04 17:00', 1));
SELECT isnt(otan_enbek.refresh_attendance(4708), 0, 'refresh writes rows');
SELECT is((SELECT employee_id FROM otan_enbek.skud_event
           WHERE org_id = 4708 AND event_id = 900004), NULL,
          'event far from pending days left');

-- A lunch break on 4 February stored without an employee, a late exit
-- on 5 February with an ambiguous local time, then another late punch on
-- 4 February.
SELECT pg_temp.plain(900001, '2026-02-04 13:00', 'out', NULL, false);
SELECT pg_temp.plain(900002, '2026-02-04 13:40', 'in', NULL, false);
SELECT pg_temp.plain(900003, '2026-02-05 19:00', 'out', 1, true);
SELECT otan_enbek.ingest(4708, 'zkteco', pg_temp.zk('2026-02-04 17:30', 0));
SELECT otan_enbek.refresh_attendance(4708);

SELECT is((SELECT count(*) FROM otan_enbek.skud_event
           WHERE org_id = 4708 AND employee_id IS NULL AND event_id IN (900001, 900002)),
          0::bigint, 'events near pending day assigned');
SELECT is((SELECT punch_count FROM otan_enbek.attendance_day
           WHERE org_id = 4708 AND employee_id = 1 AND work_day = '2026-02-04'),
          6, 'assigned events counted');
SELECT ok((SELECT 'ambiguous_time' = ANY (anomalies) FROM otan_enbek.attendance_day
           WHERE org_id = 4708 AND employee_id = 1 AND work_day = '2026-02-05'),
          'ambiguous exit flagged');

CREATE TEMP TABLE refreshed AS SELECT r FROM pg_temp.rows_of();
SELECT otan_enbek.compute_attendance(4708, '2026-02-01', '2026-02-28');
SELECT set_eq($$SELECT r FROM refreshed$$, $$SELECT r FROM pg_temp.rows_of()$$,
              'refresh equals full computation');

-- attendance_has_events on its own, in both kinds and outside the events
SELECT ok(otan_enbek.attendance_has_events(4708, '2026-02-05', '2026-02-06', false),
          'finds ambiguous event');
SELECT ok(NOT otan_enbek.attendance_has_events(4708, '2026-02-06', '2026-02-07', false),
          'no ambiguous event outside window');
SELECT ok(NOT otan_enbek.attendance_has_events(4708, '2024-01-01', '2026-03-31', true),
          'no unassigned event left');

SELECT * FROM finish();
ROLLBACK;
