-- Incremental attendance: ingest marks the employee-days it touched and
-- refresh_attendance recomputes only those.
BEGIN;
SELECT plan(16);

SET LOCAL timezone = 'Asia/Almaty';
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4701, '090440004637', 'Refresh');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4701, 4701, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4701, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
        break_start, break_end)
SELECT 4701, 1, d, '09:00', '18:00', '13:00', '14:00' FROM generate_series(1, 5) d;
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = 4701;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
SELECT 4701, row_number() OVER (ORDER BY c), c, 'Refresh', 'Employee'
FROM (SELECT c FROM (SELECT lpad((850101300000 + n)::text, 12, '0') AS c
                     FROM generate_series(0, 2000) n) x
      WHERE otan_enbek.is_valid_iin(c) ORDER BY c LIMIT 30) v;
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
SELECT 4701, n, 'person', n::text FROM generate_series(1, 30) n;

-- A cumulative ZKTeco log: 30 employees on Monday 2 to Friday 6 February
-- 2026 (300 punches), then the same log with Monday 9 February of the
-- first ten employees appended (20 punches).
CREATE TEMP TABLE zk_line AS
SELECT row_number() OVER (ORDER BY d, emp, t) AS n,
       format(E'%s\t%s\t1\t%s\t1\t0', emp, to_char(d + t, 'YYYY-MM-DD HH24:MI:SS'),
              CASE WHEN t = time '09:00' THEN 0 ELSE 1 END) AS line,
       d
FROM generate_series(date '2026-02-02', '2026-02-06', '1 day') AS g(d0)
CROSS JOIN LATERAL (SELECT g.d0::date AS d) AS x
CROSS JOIN generate_series(1, 30) AS emp
CROSS JOIN unnest(ARRAY[time '09:00', time '18:00']) AS t
UNION ALL
SELECT 300 + row_number() OVER (ORDER BY emp, t),
       format(E'%s\t2026-02-09 %s\t1\t%s\t1\t0', emp, t,
              CASE WHEN t = time '09:00' THEN 0 ELSE 1 END),
       date '2026-02-09'
FROM generate_series(1, 10) AS emp
CROSS JOIN unnest(ARRAY[time '09:00', time '18:00']) AS t;

SELECT otan_enbek.ingest(4701, 'zkteco',
       (SELECT string_agg(line, E'\n' ORDER BY n) FROM zk_line WHERE n <= 300)) AS day1 \gset
SELECT is((:'day1'::otan_enbek.ingest_batch).inserted_count, 300, 'day 1 inserts 300 punches');
SELECT is((SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = 4701), 150::bigint,
          'day 1 marks 150 employee-days');
SELECT is(otan_enbek.refresh_attendance(4701), 150, 'refresh computes the 150 days');
SELECT is((SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = 4701), 0::bigint,
          'refresh empties the queue');

CREATE TEMP TABLE before_day2 AS
SELECT employee_id, work_day, ctid AS row_ctid FROM otan_enbek.attendance_day WHERE org_id = 4701;

SELECT otan_enbek.ingest(4701, 'zkteco',
       (SELECT string_agg(line, E'\n' ORDER BY n) FROM zk_line)) AS day2 \gset
SELECT is((:'day2'::otan_enbek.ingest_batch).inserted_count, 20, 'day 2 inserts 20');
SELECT is((:'day2'::otan_enbek.ingest_batch).duplicate_count, 300, 'day 2 finds 300 duplicates');
SELECT is((:'day2'::otan_enbek.ingest_batch).rejected_count, 0, 'day 2 rejects nothing');
SELECT set_eq($$SELECT employee_id, work_day FROM otan_enbek.attendance_pending
                WHERE org_id = 4701$$,
              $$SELECT n, date '2026-02-09' FROM generate_series(1, 10) n$$,
              'day 2 marks only the days of the new punches');
SELECT is(otan_enbek.refresh_attendance(4701), 10, 'refresh writes the 10 days');
SELECT is((SELECT count(*) FROM before_day2 b
           JOIN otan_enbek.attendance_day a
             ON a.org_id = 4701 AND a.employee_id = b.employee_id
            AND a.work_day = b.work_day AND a.ctid = b.row_ctid), 150::bigint,
          'the days of day 1 are not rewritten');
SELECT is(a.worked_sec, 480 * 60, 'a refreshed day has its figures')
FROM otan_enbek.attendance_day a
WHERE org_id = 4701 AND employee_id = 3 AND work_day = '2026-02-09';

-- A full computation of the same days gives the same rows.
CREATE TEMP TABLE refreshed AS
SELECT employee_id, work_day, schedule_id, day_kind, is_final, shift_start, shift_end,
       first_in, last_out, present_sec, worked_sec, late_sec, early_leave_sec,
       early_arrival_sec, overtime_sec, night_sec, punch_count, anomalies, event_ids, norm_sec
FROM otan_enbek.attendance_day WHERE org_id = 4701;
SELECT otan_enbek.compute_attendance(4701, '2026-02-02', '2026-02-09') AS full_rows;
SELECT set_eq($$SELECT * FROM refreshed$$,
              $$SELECT employee_id, work_day, schedule_id, day_kind, is_final, shift_start,
                       shift_end, first_in, last_out, present_sec, worked_sec, late_sec,
                       early_leave_sec, early_arrival_sec, overtime_sec, night_sec,
                       punch_count, anomalies, event_ids, norm_sec
                FROM otan_enbek.attendance_day
                WHERE org_id = 4701 AND punch_count > 0$$,
              'refreshed days equal a full computation');
SELECT is(otan_enbek.refresh_attendance(4701), 0, 'a second refresh has nothing to do');

-- A credential enrolled after its events were read marks their days.
SELECT (otan_enbek.ingest(4701, 'zkteco', E'99\t2026-02-10 09:00:00\t1\t0\t1\t0')).unknown_credential_count
       AS unknown;
SELECT is((SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = 4701), 0::bigint,
          'an event of an unknown credential marks nothing');
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value) VALUES (4701, 5, 'person', '99');
SELECT set_eq($$SELECT employee_id, work_day FROM otan_enbek.attendance_pending
                WHERE org_id = 4701$$,
              $$VALUES (5, date '2026-02-10')$$,
              'enrolling the credential marks the day of its event');
SELECT is(otan_enbek.refresh_attendance(4701), 1, 'and refresh computes it');

SELECT * FROM finish();
ROLLBACK;
