-- The months around today: the next month cannot be built, the current
-- month is built but not submitted, and the previous month is built and
-- submitted.  The months are computed from now() in the organization's
-- time zone, so the checks hold on any date.  The organization has no
-- schedule, so a day is final from the local midnight after it, and the
-- previous month has ended whenever the test runs.  Last, the time that
-- attendance_final_at returns is checked against attendance_days.
BEGIN;
SELECT plan(12);
-- The employee has no schedule, which compute_attendance reports as a notice.
SET LOCAL client_min_messages = warning;

INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
VALUES (4801, '050440000012', 'School 48', 'Asia/Almaty');
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
        contract_id, contract_start)
VALUES (4801, 1, '810111300012', 'Abenova', 'Aigerim', 'C-2024-0001', '2001-01-01');

CREATE TEMP TABLE months AS
SELECT date_trunc('month', local_now)::date AS this_month,
       (date_trunc('month', local_now) - interval '1 month')::date AS last_month,
       (date_trunc('month', local_now) + interval '1 month')::date AS next_month
FROM (SELECT now() AT TIME ZONE 'Asia/Almaty' AS local_now) AS t;

-- Calendar rows for the years of the three months, where the built-in
-- calendar has none, so that only the date decides.
INSERT INTO otan_enbek.calendar_day (day, kind, name)
SELECT make_date(extract(year FROM m)::integer, 1, 1), 'holiday', 'New Year'
FROM months, unnest(ARRAY[last_month, this_month, next_month]) AS m
ON CONFLICT (day) DO NOTHING;

SELECT throws_ok(format('SELECT otan_enbek.build_timesheet(4801, %L)', next_month),
                 '22023', format('timesheet month %s has not started yet',
                                 to_char(next_month, 'YYYY-MM')),
                 'build_timesheet rejects the next month')
FROM months;
SELECT throws_ok(format('SELECT otan_enbek.build_timesheet(4801, %L)', next_month + 40),
                 '22023', NULL,
                 'build_timesheet rejects a day of the month after next')
FROM months;
SELECT is((SELECT count(*) FROM otan_enbek.timesheet WHERE org_id = 4801), 0::bigint,
          'the rejected builds stored nothing');

-- The current month is built with its days so far.
SELECT lives_ok(format('SELECT otan_enbek.build_timesheet(4801, %L)', this_month),
                'build_timesheet builds the current month')
FROM months;
SELECT throws_ok(format('SELECT otan_enbek.submit_timesheet(%s)', t.timesheet_id),
                 '55000', format('timesheet %s is for %s, a month that has not ended yet',
                                 t.timesheet_id, to_char(t.month, 'YYYY-MM')),
                 'submit_timesheet rejects the current month')
FROM otan_enbek.timesheet t, months
WHERE t.org_id = 4801 AND t.month = months.this_month;
SELECT is((SELECT status FROM otan_enbek.timesheet t, months
           WHERE t.org_id = 4801 AND t.month = months.this_month),
          'built', 'the current month stays built');

-- The previous month has ended: it is built and submitted.
SELECT lives_ok(format('SELECT otan_enbek.build_timesheet(4801, %L)', last_month),
                'build_timesheet builds the previous month')
FROM months;
SELECT lives_ok(format('SELECT otan_enbek.submit_timesheet(%s)', t.timesheet_id),
                'submit_timesheet queues the previous month')
FROM otan_enbek.timesheet t, months
WHERE t.org_id = 4801 AND t.month = months.last_month;
SELECT is((SELECT count(*) FROM otan_enbek.submission s
           JOIN otan_enbek.timesheet t USING (org_id, timesheet_id)
           JOIN months ON t.month = months.last_month
           WHERE s.org_id = 4801), 1::bigint,
          'the previous month has one submission');

-- attendance_final_at agrees with the is_final of attendance_days: with a
-- Sunday night shift 20:00-08:00 and 6 hours after it, Sunday 30 November
-- 2025 is final from 14:00 on Monday.
INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
VALUES (4802, '110340000072', 'School 48 night', 'Asia/Almaty');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, window_after_min)
VALUES (4802, 4802, 'Night 20-08', 360);
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
VALUES (4802, 4802, 7, time '20:00', time '08:00');
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id)
VALUES (4802, 1, '820212300023', 'Bekov', 'Nurlan', 4802);
CREATE FUNCTION pg_temp.final_on(day date, as_of timestamptz) RETURNS boolean
    LANGUAGE sql AS $$
    SELECT (d).is_final
    FROM (SELECT unnest(otan_enbek.attendance_days(p.plan, p.emit_from, p.emit_to,
                                                   NULL, NULL, NULL)) AS d
          FROM otan_enbek.attendance_plans(4802, day, day, as_of) AS p
          GROUP BY p.employee_id) AS x
$$;
SELECT is(otan_enbek.attendance_final_at(4802, '2025-11-30'), '2025-12-01 14:00+05'::timestamptz,
          'attendance_final_at counts the night shift and its window');
SELECT is(pg_temp.final_on('2025-11-30', '2025-12-01 13:59:59+05'), false,
          'the day is not final a second before attendance_final_at');
SELECT is(pg_temp.final_on('2025-11-30', '2025-12-01 14:00+05'), true,
          'the day is final at attendance_final_at');

SELECT * FROM finish();
ROLLBACK;
