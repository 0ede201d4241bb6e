-- bi_department_month counts as work days only the days of the employment.
-- A day outside the employment dates with punches has a row flagged
-- outside_employment, with the day kind of its schedule but no work time.
BEGIN;
SELECT plan(4);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4710, '090440004706', 'BI outside');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4710, 4710, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4710, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT 4710, 1, d, '09:00', '18:00' FROM generate_series(1, 5) d;
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = 4710;
-- dismissed on Tuesday 10 February 2026
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, dismissed_on)
VALUES (4710, 1, '810111300012', 'Abenova', 'Aigerim', '2026-02-10');
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4710, 1, 'person', '1');
-- 09:00 to 18:00 on the weekdays of 2 to 20 February: 7 of them employed,
-- 8 after the dismissal
SELECT otan_enbek.ingest(4710, 'zkteco',
       (SELECT string_agg(format(E'1\t%s\t1\t%s\t1\t0',
                                 to_char(d::date + v.t, 'YYYY-MM-DD HH24:MI:SS'), v.s),
                          E'\n')
        FROM generate_series(date '2026-02-02', date '2026-02-20', interval '1 day') d,
             (VALUES (time '09:00', 0), (time '18:00', 1)) v(t, s)
        WHERE extract(isodow FROM d) < 6));
SELECT otan_enbek.compute_attendance(4710, '2026-02-01', '2026-02-28');

SELECT is((SELECT count(*) FROM otan_enbek.attendance_day
           WHERE org_id = 4710 AND day_kind = 'work' AND is_final
             AND 'outside_employment' = ANY (anomalies)),
          8::bigint, 'outside days keep work day kind');
SELECT is((SELECT work_days FROM otan_enbek.bi_department_month
           WHERE org_id = 4710 AND month = '2026-02-01'),
          7::bigint, 'work days exclude outside days');
SELECT is((SELECT employees FROM otan_enbek.bi_department_month
           WHERE org_id = 4710 AND month = '2026-02-01'),
          1::bigint, 'dismissed employee counted once');
SELECT is((SELECT late_days FROM otan_enbek.bi_department_month
           WHERE org_id = 4710 AND month = '2026-02-01'),
          0::bigint, 'no late days');

SELECT * FROM finish();
ROLLBACK;
