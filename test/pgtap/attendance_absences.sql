-- Documented absences become form No. 421 codes on attendance days and
-- take precedence over the absent flag.
BEGIN;
SELECT plan(9);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4901, '090440004657', 'Absences');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4901, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
        break_start, break_end)
SELECT 4901, 1, d, '09:00', '18:00', '13:00', '14:00' FROM generate_series(1, 5) d;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id)
VALUES (4901, 1, '850101300005', 'Absent', 'Employee', 1);
-- vacation on Monday 2 and Tuesday 3 February 2026
INSERT INTO otan_enbek.absence (org_id, employee_id, kind, first_day, last_day)
VALUES (4901, 1, 'vacation', '2026-02-02', '2026-02-03');
DELETE FROM otan_enbek.attendance_pending WHERE org_id = 4901;

SELECT otan_enbek.compute_attendance(4901, '2026-02-02', '2026-02-06') AS computed;
CREATE FUNCTION pg_temp.day(d date) RETURNS otan_enbek.attendance_day LANGUAGE sql AS $$
    SELECT * FROM otan_enbek.attendance_day WHERE org_id = 4901 AND employee_id = 1 AND work_day = d
$$;

SELECT is((pg_temp.day('2026-02-02')).absence_code, 'О', 'a vacation day has the code О');
SELECT is((pg_temp.day('2026-02-02')).anomalies, '{}', 'and is not flagged absent');
SELECT is((pg_temp.day('2026-02-04')).absence_code, NULL, 'a day without absence has no code');
SELECT is((pg_temp.day('2026-02-04')).anomalies, '{absent}', 'and is flagged absent');

-- a sick leave entered later marks its days, and a refresh codes them
INSERT INTO otan_enbek.absence (org_id, employee_id, kind, first_day, last_day)
VALUES (4901, 1, 'sick_leave', '2026-02-04', '2026-02-05');
SELECT set_eq($$SELECT work_day FROM otan_enbek.attendance_pending WHERE org_id = 4901$$,
              ARRAY['2026-02-04', '2026-02-05']::date[], 'a new absence marks its days');
SELECT is(otan_enbek.refresh_attendance(4901), 2, 'refresh writes the two days');
SELECT is((pg_temp.day('2026-02-05')).absence_code, 'Б', 'a sick day has the code Б');
SELECT is((pg_temp.day('2026-02-05')).anomalies, '{}', 'and is not flagged absent');

-- deleting the vacation brings the absent flag back
DELETE FROM otan_enbek.absence WHERE org_id = 4901 AND kind = 'vacation';
SELECT otan_enbek.refresh_attendance(4901) AS refreshed;
SELECT is((pg_temp.day('2026-02-03')).anomalies, '{absent}',
          'without the vacation the day is an absence again');

SELECT * FROM finish();
ROLLBACK;
