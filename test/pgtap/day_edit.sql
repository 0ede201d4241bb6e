-- Day edits: approve_day and edit_day keep HR's decisions beside
-- attendance_day, and build_timesheet uses and marks the latest one of each
-- day.  A recompute of attendance keeps them, and each invalid edit is
-- rejected with its own error.  February 2026 has 20 working days and no
-- holiday in Kazakhstan.
BEGIN;
SELECT plan(47);
SET LOCAL client_min_messages = warning;
SET LOCAL timezone = 'Asia/Almaty';

INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
VALUES (4601, '050440000012', 'School 46', 'Asia/Almaty');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4601, 4601, 'Turnstiles');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4601, 4611, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
        break_start, break_end)
SELECT 4601, 4611, d, time '09:00', time '18:00', time '13:00', time '14:00'
FROM generate_series(1, 5) d;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
        schedule_id, contract_start, dismissed_on)
VALUES (4601, 1, '850111304210', 'Abenov', 'Arman', 4611, '2020-09-01', NULL),
       (4601, 2, '850212304222', 'Bekova', 'Aigul', 4611, '2021-09-01', NULL),
       (4601, 3, '850313304239', 'Zhaksylykov', 'Nurlan', 4611, '2019-01-10', '2026-02-13');
SELECT otan_enbek.ensure_event_partitions('2026-02-01', '2026-02-28') >= 0 AS partitions \gset

-- Everyone works 09:00-18:00 on every working day, except employee 1 on
-- 10 February, who forgot the card.
INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id,
        device, credential_kind, credential, employee_id, direction)
SELECT 4601, e.employee_id * 1000 + extract(day FROM d)::int * 10 + p.n,
       (d + p.at) AT TIME ZONE 'Asia/Almaty', 4601, 'e' || e.employee_id || d || p.n, 'T1',
       'person', e.employee_id::text, e.employee_id, p.dir
FROM otan_enbek.employee e
CROSS JOIN generate_series(timestamp '2026-02-01', '2026-02-28', interval '1 day') d
CROSS JOIN (VALUES (1, time '09:00', 'in'), (2, time '18:00', 'out')) p(n, at, dir)
WHERE e.org_id = 4601
  AND extract(isodow FROM d) <= 5
  AND NOT (e.employee_id = 1 AND d = '2026-02-10')
  AND NOT (e.employee_id = 3 AND d > '2026-02-13');

SELECT otan_enbek.build_timesheet(4601, '2026-02-01') AS first_id \gset
CREATE TEMP VIEW line AS
SELECT l.* FROM otan_enbek.timesheet_line l
WHERE l.org_id = 4601
  AND l.timesheet_id = (SELECT max(t.timesheet_id) FROM otan_enbek.timesheet t
                        WHERE t.org_id = 4601);

SELECT is((SELECT day_codes[10] FROM line WHERE employee_id = 1), 'П',
          'the day without punches is computed as П');
SELECT is((SELECT day_marks[10] FROM line WHERE employee_id = 1), '',
          'an unedited day has no mark');
SELECT is((SELECT hours_worked FROM line WHERE employee_id = 1), 152.00,
          'the computed month has 19 days of 8 hours');

-- An edit replaces the day in the timesheet and leaves attendance_day alone.
SELECT ok(otan_enbek.edit_day(4601, 1, '2026-02-10', 'Я', 8,
                              '  Forgot the card; the director confirms 09:00-18:00  ') > 0,
          'edit_day returns the edit id');
SELECT is((SELECT worked_sec FROM otan_enbek.attendance_day
           WHERE org_id = 4601 AND employee_id = 1 AND work_day = '2026-02-10'), 0,
          'the edit does not change attendance_day');
SELECT is((SELECT reason FROM otan_enbek.day_edit WHERE org_id = 4601 AND employee_id = 1),
          'Forgot the card; the director confirms 09:00-18:00',
          'the reason is stored trimmed');
SELECT is((SELECT edited_by FROM otan_enbek.day_edit WHERE org_id = 4601 AND employee_id = 1),
          session_user, 'the edit records the login role');

SELECT is(otan_enbek.build_timesheet(4601, '2026-02-01'), :first_id,
          'the built timesheet is rebuilt in place');
SELECT is((SELECT day_codes[10] FROM line WHERE employee_id = 1), 'Я',
          'the edited code is in the timesheet');
SELECT is((SELECT day_hours[10] FROM line WHERE employee_id = 1), 8.00,
          'the edited hours are in the timesheet');
SELECT is((SELECT day_marks[10] FROM line WHERE employee_id = 1), 'edited',
          'the edited day is marked');
SELECT is((SELECT hours_worked FROM line WHERE employee_id = 1), 160.00,
          'the total includes the edited hours');
SELECT is((SELECT days_worked FROM line WHERE employee_id = 1), 20,
          'the edited day counts as worked');
SELECT is((SELECT absence_days FROM line WHERE employee_id = 1), '{}'::jsonb,
          'the edited day is no longer an absence');
SELECT is((SELECT cardinality(day_marks) FROM line WHERE employee_id = 1), 28,
          'day_marks has one element per day');

-- A recompute of attendance keeps the edit.
SELECT otan_enbek.compute_attendance(4601, '2026-02-01', '2026-02-28') IS NOT NULL AS computed \gset
SELECT is((SELECT count(*) FROM otan_enbek.day_edit WHERE org_id = 4601), 1::bigint,
          'the recompute keeps the edit');
SELECT otan_enbek.build_timesheet(4601, '2026-02-01') AS rebuilt_id \gset
SELECT is((SELECT day_codes[10] || ' ' || day_marks[10] FROM line WHERE employee_id = 1),
          'Я edited', 'the build after a recompute still uses the edit');

-- An approval marks the day and keeps its computed figures.
SELECT ok(otan_enbek.approve_day(4601, 2, '2026-02-03', 'Checked with the timetable') > 0,
          'approve_day returns the edit id');
SELECT otan_enbek.build_timesheet(4601, '2026-02-01') AS rebuilt_id \gset
SELECT is((SELECT day_codes[3] || ' ' || day_hours[3] || ' ' || day_marks[3]
           FROM line WHERE employee_id = 2),
          'Я 8.00 approved', 'an approved day keeps its computed figures');

-- An absence code takes no hours and counts as an absence.
SELECT ok(otan_enbek.edit_day(4601, 2, '2026-02-04', 'Б', NULL, 'Sick note for one day') > 0,
          'edit_day takes an absence code without hours');
-- Overtime given in an edit replaces the computed overtime of the day.
SELECT ok(otan_enbek.edit_day(4601, 2, '2026-02-05', 'Я', 10, 'Stayed for the exams',
                              overtime_hours => 2) > 0,
          'edit_day takes overtime hours');
SELECT otan_enbek.build_timesheet(4601, '2026-02-01') AS rebuilt_id \gset
SELECT is((SELECT day_codes[4] || ' ' || day_hours[4] FROM line WHERE employee_id = 2), 'Б 0.00',
          'an absence code has no hours');
SELECT is((SELECT absence_days FROM line WHERE employee_id = 2), '{"Б": 1}'::jsonb,
          'the edited absence is counted by its code');
SELECT is((SELECT overtime_hours FROM line WHERE employee_id = 2), 2.00,
          'the edited overtime is in the total');
SELECT is((SELECT hours_worked FROM line WHERE employee_id = 2), 154.00,
          'the totals use the edited hours of both days');

-- The latest row counts: an approval withdraws the earlier edit.
SELECT ok(otan_enbek.approve_day(4601, 1, '2026-02-10',
                                 'The director withdrew the confirmation') > 0,
          'approve_day follows an edit of the day');
SELECT otan_enbek.build_timesheet(4601, '2026-02-01') AS rebuilt_id \gset
SELECT is((SELECT day_codes[10] || ' ' || day_marks[10] FROM line WHERE employee_id = 1),
          'П approved', 'a later approval withdraws the edit');
SELECT is((SELECT count(*) FROM otan_enbek.day_edit
           WHERE org_id = 4601 AND employee_id = 1 AND work_day = '2026-02-10'), 2::bigint,
          'both rows stay as the history of the day');

-- Invalid edits.
SELECT throws_ok($$SELECT otan_enbek.edit_day(4601, 1, '2026-02-10', 'Я', 8, NULL)$$,
                 '22004', 'reason for the day edit of employee 1 on 2026-02-10 is missing',
                 'an edit without a reason is rejected');
SELECT throws_ok($$SELECT otan_enbek.approve_day(4601, 1, '2026-02-10', '   ')$$,
                 '22004', 'reason for the day edit of employee 1 on 2026-02-10 is missing',
                 'an approval with a blank reason is rejected');
SELECT throws_ok($$SELECT otan_enbek.approve_day(4601, 1, '2026-02-10', E'\n\t\r ')$$,
                 '22004', 'reason for the day edit of employee 1 on 2026-02-10 is missing',
                 'a reason of tabs and line breaks is rejected');
SELECT throws_ok($$SELECT otan_enbek.approve_day(4601, 1, '2026-02-10', E'\u00a0\u2007\u202f\u3000')$$,
                 '22004', 'reason for the day edit of employee 1 on 2026-02-10 is missing',
                 'a reason of no-break and ideographic spaces is rejected');
SELECT throws_ok($$SELECT otan_enbek.edit_day(4601, 1, '2026-02-10', 'X', 8, 'r')$$,
                 '22023', 'invalid day code ''X''', 'a code outside form No. 421 is rejected');
SELECT throws_ok($$SELECT otan_enbek.edit_day(4601, 1, '2026-02-10', 'О', 8, 'r')$$,
                 '22023', 'a day with code О cannot have hours worked',
                 'hours on a vacation day are rejected');
SELECT throws_ok($$SELECT otan_enbek.edit_day(4601, 1, '2026-02-10', 'Я', NULL, 'r')$$,
                 '22004', 'hours of a day with code Я are missing',
                 'a worked day without hours is rejected');
SELECT throws_ok($$SELECT otan_enbek.edit_day(4601, 1, '2026-02-10', 'Я', 25, 'r')$$,
                 '22003', 'hours of day 2026-02-10 of employee 1 are out of range',
                 'more than 24 hours are rejected');
SELECT throws_ok(format('SELECT otan_enbek.approve_day(4601, 1, %L, %L)',
                        (now() AT TIME ZONE 'Asia/Almaty')::date + 1, 'r'),
                 '22023', NULL, 'a day that has not come is rejected');
SELECT throws_ok($$SELECT otan_enbek.approve_day(4601, 3, '2026-02-16', 'r')$$,
                 '22023', 'employee 3 was not employed on 2026-02-16',
                 'a day after the dismissal is rejected');
SELECT throws_ok($$SELECT otan_enbek.approve_day(4601, 99, '2026-02-16', 'r')$$,
                 '42704', 'employee 99 of organization 4601 does not exist',
                 'an unknown employee is rejected');
SELECT throws_ok($$UPDATE otan_enbek.day_edit SET reason = 'changed' WHERE org_id = 4601$$,
                 '55000', 'day edits cannot be changed', 'a stored edit cannot be changed');
SELECT is((SELECT count(*) FROM otan_enbek.day_edit WHERE org_id = 4601), 5::bigint,
          'the rejected edits stored nothing');

-- A submitted timesheet keeps its lines, and the next build is a new
-- version with the edit.
UPDATE otan_enbek.timesheet SET status = 'submitted' WHERE org_id = 4601;
SELECT ok(otan_enbek.edit_day(4601, 1, '2026-02-11', 'К', 0,
                              'Business trip to Astana, order 15') > 0,
          'edit_day works after a submission');
SELECT isnt(otan_enbek.build_timesheet(4601, '2026-02-01'), :first_id,
            'the build after a submission makes a new version');
SELECT is((SELECT day_codes[11] FROM otan_enbek.timesheet_line
           WHERE org_id = 4601 AND timesheet_id = :first_id AND employee_id = 1), 'Я',
          'the submitted version keeps its computed day');
SELECT is((SELECT day_codes[11] || ' ' || day_marks[11] FROM line WHERE employee_id = 1),
          'К edited', 'the new version has the edit');

-- A day of an accepted timesheet may be edited for a correction, and the
-- accepted version keeps its line.
UPDATE otan_enbek.timesheet SET status = 'accepted' WHERE org_id = 4601 AND timesheet_id <> :first_id;
SELECT ok(otan_enbek.edit_day(4601, 2, '2026-02-12', 'Я', 6, 'Left for the doctor at 15:00') > 0,
          'a day of an accepted timesheet can be edited');
SELECT is((SELECT l.day_hours[12] FROM otan_enbek.timesheet_line l
           JOIN otan_enbek.timesheet t USING (org_id, timesheet_id)
           WHERE t.org_id = 4601 AND t.status = 'accepted' AND l.employee_id = 2), 8.00,
          'the accepted version keeps its line');

SELECT * FROM finish();
ROLLBACK;
