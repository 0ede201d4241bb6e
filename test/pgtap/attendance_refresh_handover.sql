-- refresh_attendance deletes the row of a pending day that a full
-- computation no longer gives.  A day outside the employment dates has a
-- row only while it has punches, so it loses its row when a credential
-- handed over moves its punches to another employee.
BEGIN;
SELECT plan(5);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4711, '090440004706', 'Handover');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4711, 4711, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4711, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT 4711, 1, d, '09:00', '18:00' FROM generate_series(1, 5) d;
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = 4711;
-- employee 1 is dismissed on 10 February 2026
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, dismissed_on)
VALUES (4711, 1, '810111300012', 'Abenova', 'Aigerim', '2026-02-10'),
       (4711, 2, '820212300023', 'Bekov', 'Arman', NULL);
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4711, 1, 'person', '77');
-- PIN 77 passes on 12 February, after the dismissal
SELECT otan_enbek.ingest(4711, 'zkteco',
       E'77\t2026-02-12 09:00:00\t1\t0\t1\t0\n77\t2026-02-12 18:00:00\t1\t1\t1\t0');
SELECT otan_enbek.compute_attendance(4711, '2026-02-01', '2026-02-28');

CREATE FUNCTION pg_temp.rows_of_org() RETURNS TABLE (r text)
LANGUAGE sql AS $$
    SELECT (a.employee_id, a.work_day, a.schedule_id, a.day_kind, a.is_final,
            a.shift_start, a.shift_end, a.first_in, a.last_out, a.present_sec,
            a.worked_sec, a.late_sec, a.early_leave_sec, a.early_arrival_sec,
            a.overtime_sec, a.night_sec, a.punch_count, a.anomalies, a.event_ids,
            a.norm_sec, a.absence_code)::text
    FROM otan_enbek.attendance_day a
    WHERE a.org_id = 4711
$$;

SELECT is((SELECT punch_count FROM otan_enbek.attendance_day
           WHERE org_id = 4711 AND employee_id = 1 AND work_day = '2026-02-12'),
          2, 'punches after dismissal have a row');

-- HR records late that PIN 77 went to employee 2 on 11 February.
UPDATE otan_enbek.credential SET valid_to = '2026-02-10'
WHERE org_id = 4711 AND employee_id = 1;
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value, valid_from)
VALUES (4711, 2, 'person', '77', '2026-02-11');
SELECT otan_enbek.refresh_attendance(4711);

SELECT is((SELECT count(*) FROM otan_enbek.attendance_day
           WHERE org_id = 4711 AND employee_id = 1 AND work_day = '2026-02-12'),
          0::bigint, 'refresh deletes row without punches');
SELECT is((SELECT punch_count FROM otan_enbek.attendance_day
           WHERE org_id = 4711 AND employee_id = 2 AND work_day = '2026-02-12'),
          2, 'new holder gets the punches');
SELECT is((SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = 4711),
          0::bigint, 'no pending day left');

CREATE TEMP TABLE refreshed AS SELECT r FROM pg_temp.rows_of_org();
SELECT otan_enbek.compute_attendance(4711, '2026-02-01', '2026-02-28');
SELECT set_eq($$SELECT r FROM refreshed$$, $$SELECT r FROM pg_temp.rows_of_org()$$,
              'refresh equals full computation');

SELECT * FROM finish();
ROLLBACK;
