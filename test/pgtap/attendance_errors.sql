-- Errors of compute_attendance, the plan packer and the attendance_days
-- aggregate.
BEGIN;
SELECT plan(23);

INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4301, '090440004210', 'School E');

-- compute_attendance arguments
SELECT throws_ok($$SELECT otan_enbek.compute_attendance(NULL, '2026-02-01', '2026-02-28')$$,
                 '22004', NULL, 'compute_attendance rejects a null organization');
SELECT throws_ok($$SELECT otan_enbek.compute_attendance(4301, NULL, '2026-02-28')$$,
                 '22004', NULL, 'compute_attendance rejects a null first day');
SELECT throws_ok($$SELECT otan_enbek.compute_attendance(4301, '2026-02-28', '2026-02-01')$$,
                 '22023', 'invalid attendance period: last_day 2026-02-01 is before first_day 2026-02-28',
                 'compute_attendance rejects a reversed period');
SELECT throws_ok($$SELECT otan_enbek.compute_attendance(4301, '2025-01-01', '2026-01-02')$$,
                 '54000', 'attendance period 2025-01-01 to 2026-01-02 is 367 days long',
                 'compute_attendance rejects a period over 366 days');
-- 2024 has no calendar rows, which compute_attendance reports as a warning.
SET LOCAL client_min_messages = error;
SELECT lives_ok($$SELECT otan_enbek.compute_attendance(4301, '2024-01-01', '2024-12-31')$$,
                'compute_attendance accepts a leap year of 366 days');
RESET client_min_messages;
SELECT throws_ok($$SELECT otan_enbek.compute_attendance(4301, '-infinity', '2026-01-01')$$,
                 '22023', NULL, 'compute_attendance rejects an infinite date');
SELECT throws_ok($$SELECT otan_enbek.compute_attendance(999999, '2026-02-01', '2026-02-28')$$,
                 '42704', 'organization 999999 does not exist',
                 'compute_attendance rejects an unknown organization');

-- attendance_compute_days and attendance_write_days arguments.  The
-- organization gets an employee, so that a plan would be built for the
-- period.
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
SELECT 4301, 1, c, 'Errors', 'Employee'
FROM (SELECT lpad((860101300000 + n)::text, 12, '0') AS c FROM generate_series(0, 500) n) x
WHERE otan_enbek.is_valid_iin(c) ORDER BY c LIMIT 1;
SELECT throws_ok($$SELECT count(*) FROM otan_enbek.attendance_compute_days(4301, '2026-02-28',
                       '2026-02-01', '2026-01-30', '2026-03-02')$$,
                 '22023', 'invalid attendance period: last_day 2026-02-01 is before first_day 2026-02-28',
                 'attendance_compute_days rejects a reversed period');
SELECT throws_ok($$SELECT otan_enbek.attendance_write_days(4301, '2026-02-03', '2026-02-02',
                       '2026-01-30', '2026-03-02')$$,
                 '22023', 'invalid attendance period: last_day 2026-02-02 is before first_day 2026-02-03',
                 'attendance_write_days rejects a reversed period');
SELECT throws_ok($$SELECT otan_enbek.attendance_write_days(4301, 'infinity', 'infinity',
                       '2026-01-30', '2026-03-02', flag_overtime_limits => true)$$,
                 '22023', 'attendance period must have finite dates',
                 'attendance_write_days rejects an infinite period');

-- attendance_plan input
CREATE FUNCTION pg_temp.day(d date, kind text DEFAULT 'work')
RETURNS otan_enbek.attendance_plan_day LANGUAGE sql
RETURN ROW(d, kind, 1, 18000)::otan_enbek.attendance_plan_day;
CREATE FUNCTION pg_temp.shift(d date, s integer, e integer, bs integer DEFAULT NULL,
                              be integer DEFAULT NULL)
RETURNS otan_enbek.attendance_plan_shift LANGUAGE sql
RETURN ROW(d, s, e, bs, be, 0, 0, 3600, 3600, 60, true, false, NULL, NULL, NULL, NULL, NULL)
    ::otan_enbek.attendance_plan_shift;

SELECT throws_ok($$SELECT otan_enbek.attendance_plan('2026-02-02', '2026-02-02', now(), 60,
                       ARRAY[pg_temp.day('2026-02-02'), pg_temp.day('2026-02-04')], '{}')$$,
                 '22023', 'days of attendance plan are not consecutive dates',
                 'attendance_plan rejects a gap between days');
SELECT throws_ok($$SELECT otan_enbek.attendance_plan('2026-02-02', '2026-02-02', now(), 60,
                       ARRAY[pg_temp.day('2026-02-02'), pg_temp.day('2026-02-02')], '{}')$$,
                 '22023', 'days of attendance plan are not consecutive dates',
                 'attendance_plan rejects a repeated day');
SELECT throws_ok($$SELECT otan_enbek.attendance_plan('2026-02-01', '2026-02-02', now(), 60,
                       ARRAY[pg_temp.day('2026-02-02')], '{}')$$,
                 '22023', 'period of attendance plan is not within its days',
                 'attendance_plan rejects a period outside its days');
SELECT throws_ok($$SELECT otan_enbek.attendance_plan('2026-02-02', '2026-02-02', now(), 60,
                       ARRAY[pg_temp.day('2026-02-02', 'party')], '{}')$$,
                 '22023', 'invalid day kind "party" in attendance plan',
                 'attendance_plan rejects an unknown day kind');
SELECT throws_ok($$SELECT otan_enbek.attendance_plan('2026-02-02', '2026-02-02', now(), 60,
                       ARRAY[pg_temp.day('2026-02-02')],
                       ARRAY[pg_temp.shift('2026-02-02', 32400, 64800),
                             pg_temp.shift('2026-02-02', 60000, 70000)])$$,
                 '22023', 'shifts of 2026-02-02 overlap in attendance plan',
                 'attendance_plan rejects overlapping shifts');
SELECT throws_ok($$SELECT otan_enbek.attendance_plan('2026-02-02', '2026-02-02', now(), 60,
                       ARRAY[pg_temp.day('2026-02-02')],
                       ARRAY[pg_temp.shift('2026-02-02', 32400, 64800, 30000, 33000)])$$,
                 '22023', NULL, 'attendance_plan rejects a break that starts before the shift');
SELECT throws_ok($$SELECT otan_enbek.attendance_plan('2026-02-02', '2026-02-02', now(), 60,
                       ARRAY[pg_temp.day('2026-02-02')],
                       ARRAY[pg_temp.shift('2026-02-02', 32400, 32400 + 86401)])$$,
                 '22023', NULL, 'attendance_plan rejects a shift longer than a day');
SELECT throws_ok($$SELECT otan_enbek.attendance_plan('2026-02-02', '2026-02-02', now(), 60,
                       ARRAY[pg_temp.day('2026-02-02')],
                       ARRAY[pg_temp.shift('2026-02-03', 32400, 64800)])$$,
                 '22023', 'shift of attendance plan falls on a date outside its days',
                 'attendance_plan rejects a shift on a date outside its days');
SELECT throws_ok($$SELECT otan_enbek.attendance_plan('2026-02-02', '2026-02-02', now(), -1,
                       ARRAY[pg_temp.day('2026-02-02')], '{}')$$,
                 '22023', 'invalid de-duplication window -1 s',
                 'attendance_plan rejects a negative de-duplication window');

-- attendance_days input
SELECT throws_ok($$SELECT otan_enbek.attendance_days('\x0102'::bytea, NULL, NULL, NULL, NULL, NULL)$$,
                 '22P03', 'invalid attendance plan',
                 'attendance_days rejects bytes that are not a plan');
SELECT throws_ok($$SELECT otan_enbek.attendance_days(
                         otan_enbek.attendance_plan('2026-02-02', '2026-02-02', now(), 60,
                                                    ARRAY[pg_temp.day('2026-02-02')], '{}')
                         || '\x00'::bytea, NULL, NULL, NULL, NULL, NULL)$$,
                 '22P03', 'invalid attendance plan',
                 'attendance_days rejects a plan with extra bytes');
SELECT throws_ok($$SELECT otan_enbek.attendance_days(NULL, NULL, NULL, now(), 'sideways', 1)$$,
                 '22023', 'invalid punch direction "sideways"',
                 'attendance_days rejects an unknown direction');
SELECT is((SELECT otan_enbek.attendance_days(NULL, NULL, NULL, now(), 'in', 1)), NULL,
          'attendance_days returns NULL for a group without a plan row');

SELECT * FROM finish();
ROLLBACK;
