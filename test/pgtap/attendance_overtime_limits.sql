-- Labour Code overtime limits on stored attendance days: 2 hours a day (1
-- on heavy work), 12 hours a month, 120 hours a year, flagged and never cut.
BEGIN;
SELECT plan(9);

INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4941, '090440004697', 'Limits');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, heavy_work)
VALUES (4941, 1, 'Office', false), (4941, 2, 'Foundry', true);

-- day(employee, date, schedule, overtime minutes) stores a computed day.
CREATE FUNCTION pg_temp.day(emp integer, d date, schedule integer, overtime_min integer)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO otan_enbek.attendance_day (org_id, employee_id, work_day, schedule_id, day_kind,
            is_final, overtime_sec, anomalies)
    VALUES (4941, emp, d, schedule, 'work', true, overtime_min * 60, '{gap}')
$$;
CREATE FUNCTION pg_temp.flags(emp integer, d date) RETURNS text[] LANGUAGE sql AS $$
    SELECT anomalies FROM otan_enbek.attendance_day
    WHERE org_id = 4941 AND employee_id = emp AND work_day = d
$$;

-- employee 1: 90 minutes on heavy work, 90 on office work
SELECT pg_temp.day(1, '2026-02-02', 2, 90), pg_temp.day(1, '2026-02-03', 1, 90);
-- employee 2: 11 hours in each of the first eleven months, 110 minutes on
-- each of the 10th to the 15th
SELECT pg_temp.day(2, make_date(2026, m, d), 1, 110)
FROM generate_series(1, 11) m, generate_series(10, 15) d;

SELECT is(otan_enbek.attendance_flag_overtime_limits(4941, '2026-01-01', '2026-12-31'), 2,
          'two days pass a limit');
SELECT is(pg_temp.flags(1, '2026-02-02'), '{gap,overtime_day_limit}',
          'an hour and a half of heavy work passes its 1 hour limit');
SELECT is(pg_temp.flags(1, '2026-02-03'), '{gap}', 'and of office work does not');
SELECT is(pg_temp.flags(2, '2026-11-14'), '{gap}',
          '119 hours 10 minutes in the year are within the limit');
SELECT is(pg_temp.flags(2, '2026-11-15'), '{gap,overtime_year_limit}',
          'the day that takes the year to 121 hours is flagged');
SELECT is((SELECT overtime_sec FROM otan_enbek.attendance_day
           WHERE org_id = 4941 AND employee_id = 2 AND work_day = '2026-11-15'), 110 * 60,
          'and keeps its hours');
SELECT is(otan_enbek.attendance_flag_overtime_limits(4941, '2026-01-01', '2026-12-31'), 0,
          'flagging again changes nothing');

-- a lower figure removes the flag
UPDATE otan_enbek.attendance_day SET overtime_sec = 30 * 60
WHERE org_id = 4941 AND employee_id = 1 AND work_day = '2026-02-02';
SELECT is(otan_enbek.attendance_flag_overtime_limits(4941, '2026-02-01', '2026-02-28'), 1,
          'one day loses its flag');
SELECT is(pg_temp.flags(1, '2026-02-02'), '{gap}', 'half an hour is within the limit');

SELECT * FROM finish();
ROLLBACK;
