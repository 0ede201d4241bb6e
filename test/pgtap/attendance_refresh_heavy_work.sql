-- refresh_attendance after a schedule becomes heavy work: the daily
-- overtime limit drops from 2 hours to 1, so a refreshed day whose
-- overtime is as before must get the daily limit flag, as a full
-- computation gives it.
BEGIN;
SELECT plan(3);

SET LOCAL timezone = 'Asia/Almaty';
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4703, '090440004706', 'Heavy');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4703, 4703, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4703, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
        break_start, break_end)
SELECT 4703, 1, d, '09:00', '18:00', '13:00', '14:00' FROM generate_series(1, 5) d;
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = 4703;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
VALUES (4703, 1, '810111300012', 'Abenova', 'Aigerim');
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4703, 1, 'person', '1');

CREATE FUNCTION pg_temp.zk(t timestamp, state integer) RETURNS text
LANGUAGE sql AS $$
    SELECT format(E'1\t%s\t1\t%s\t1\t0', to_char(t, 'YYYY-MM-DD HH24:MI:SS'), state)
$$;
CREATE FUNCTION pg_temp.flags(d date) RETURNS text[] LANGUAGE sql AS $$
    SELECT anomalies FROM otan_enbek.attendance_day
    WHERE org_id = 4703 AND employee_id = 1 AND work_day = d
$$;

-- 09:00 to 19:30 from 2 to 6 February: 1.5 hours of overtime a day,
-- under the limit of 2 hours.
SELECT otan_enbek.ingest(4703, 'zkteco',
       (SELECT string_agg(pg_temp.zk(d::date + t, s), E'\n')
        FROM generate_series(date '2026-02-02', date '2026-02-06', interval '1 day') d,
             (VALUES (time '09:00', 0), (time '19:30', 1)) v(t, s)));
SELECT otan_enbek.compute_attendance(4703, '2026-02-01', '2026-02-28');
SELECT ok(NOT 'overtime_day_limit' = ANY (pg_temp.flags('2026-02-03')),
          'ordinary schedule: no daily limit flag');

-- The schedule becomes heavy work, then a late lunch break on 3 February
-- is ingested: the day's overtime stays 1.5 hours.
UPDATE otan_enbek.work_schedule SET heavy_work = true WHERE org_id = 4703;
SELECT otan_enbek.ingest(4703, 'zkteco',
       pg_temp.zk('2026-02-03 12:00', 1) || E'\n' || pg_temp.zk('2026-02-03 12:10', 0));
SELECT otan_enbek.refresh_attendance(4703);
SELECT ok('overtime_day_limit' = ANY (pg_temp.flags('2026-02-03')),
          'heavy work: refreshed day flagged');

CREATE TEMP TABLE refreshed AS
SELECT work_day, overtime_sec, anomalies FROM otan_enbek.attendance_day
WHERE org_id = 4703 AND work_day = '2026-02-03';
SELECT otan_enbek.compute_attendance(4703, '2026-02-01', '2026-02-28');
SELECT set_eq($$SELECT * FROM refreshed$$,
              $$SELECT work_day, overtime_sec, anomalies FROM otan_enbek.attendance_day
                WHERE org_id = 4703 AND work_day = '2026-02-03'$$,
              'refreshed day equals full computation');

SELECT * FROM finish();
ROLLBACK;
