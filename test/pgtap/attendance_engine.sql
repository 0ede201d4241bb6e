-- Rules of the attendance engine that the regression test does not show:
-- schedule settings, overlapping windows, split shifts, dated assignments,
-- calendar overrides, employment dates, shared plans, parallel aggregation.
BEGIN;
SELECT plan(32);

SET LOCAL timezone = 'Asia/Almaty';
INSERT INTO otan_enbek.organization (org_id, bin, name, dedup_window_sec)
VALUES (4401, '090440004210', 'School R', 0);
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4401, 4401, 'Doors');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, allow_overtime,
        min_overtime_sec, count_early_arrival, window_after_min)
VALUES (4401, 1, 'No overtime', false, 60, false, 360),
       (4401, 2, 'Early counts', true, 600, true, 360),
       (4401, 3, 'Split', true, 60, false, 360),
       (4401, 4, 'Long nights', true, 60, false, 720);
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, part_no, start_time, end_time)
SELECT 4401, s, d, 1, time '09:00', time '18:00' FROM generate_series(1, 2) s, generate_series(1, 5) d
UNION ALL
SELECT 4401, 3, d, p, CASE p WHEN 1 THEN time '08:00' ELSE time '15:00' END,
       CASE p WHEN 1 THEN time '12:00' ELSE time '19:00' END
FROM generate_series(1, 5) d, generate_series(1, 2) p
UNION ALL
SELECT 4401, 4, d, 1, time '20:00', time '08:00' FROM generate_series(1, 7) d;

INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id,
        contract_start)
VALUES (4401, 1, '850111304210', 'A', 'No overtime', 1, NULL),
       (4401, 2, '850212304222', 'B', 'Early counts', 2, NULL),
       (4401, 3, '850313304239', 'C', 'Split', 3, NULL),
       (4401, 4, '850414304248', 'D', 'Long nights', 4, NULL),
       (4401, 5, '850515304257', 'E', 'Reassigned', 1, NULL),
       (4401, 6, '850616304266', 'F', 'Hired', 1, '2026-02-04'),
       (4401, 7, '850717304275', 'G', 'Same as A', 1, NULL);
-- Employee 5 works the split schedule from Wednesday on.
INSERT INTO otan_enbek.employee_schedule (org_id, employee_id, schedule_id, valid_from)
VALUES (4401, 5, 3, '2026-02-04');
-- Thursday 5 February is a holiday of this organization only.
INSERT INTO otan_enbek.org_calendar_day (org_id, day, kind, name)
VALUES (4401, '2026-02-05', 'holiday', 'School day');

SELECT otan_enbek.ensure_event_partitions('2024-12-01', '2026-03-31') >= 0;
CREATE FUNCTION pg_temp.punch(id bigint, emp integer, local_time timestamp, dir text)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id,
            credential_kind, credential, employee_id, direction)
    VALUES (4401, id, local_time AT TIME ZONE 'Asia/Almaty', 4401, 'e' || id, 'person',
            emp::text, emp, dir)
$$;
CREATE FUNCTION pg_temp.day(emp integer, d date) RETURNS otan_enbek.attendance_day
LANGUAGE sql AS $$
    SELECT * FROM otan_enbek.attendance_day
    WHERE org_id = 4401 AND employee_id = emp AND work_day = d
$$;

SELECT pg_temp.punch(101, 1, '2026-02-02 08:00', 'in'),
       pg_temp.punch(102, 1, '2026-02-02 08:00:20', 'in'),      -- kept: window 0 s
       pg_temp.punch(103, 1, '2026-02-02 19:00', 'out'),
       pg_temp.punch(201, 2, '2026-02-02 08:00', 'in'),
       pg_temp.punch(202, 2, '2026-02-02 18:05', 'out'),
       pg_temp.punch(301, 3, '2026-02-02 08:20', 'in'),
       pg_temp.punch(302, 3, '2026-02-02 12:00', 'out'),
       pg_temp.punch(303, 3, '2026-02-02 13:00', 'in'),
       pg_temp.punch(304, 3, '2026-02-02 19:30', 'out'),
       pg_temp.punch(401, 4, '2026-02-02 20:00', 'in'),
       pg_temp.punch(402, 4, '2026-02-03 08:00', 'out'),
       pg_temp.punch(403, 4, '2026-02-03 17:00', 'in'),         -- in both windows
       pg_temp.punch(404, 4, '2026-02-04 08:00', 'out'),
       pg_temp.punch(501, 5, '2026-02-03 09:00', 'in'),
       pg_temp.punch(502, 5, '2026-02-03 18:00', 'out'),
       pg_temp.punch(503, 5, '2026-02-04 08:00', 'in'),
       pg_temp.punch(504, 5, '2026-02-04 12:00', 'out'),
       pg_temp.punch(601, 6, '2026-02-02 10:00', 'in'),         -- before the contract
       pg_temp.punch(602, 6, '2026-02-02 12:00', 'out'),
       pg_temp.punch(603, 6, '2026-02-04 09:00', 'in'),
       pg_temp.punch(604, 6, '2026-02-04 18:00', 'out');

SELECT is(otan_enbek.compute_attendance(4401, '2026-02-02', '2026-02-08'), 48,
          'compute_attendance writes 7 days for six employees, 6 for the one hired on Wednesday');

-- de-duplication window of 0 s and overtime that is not allowed
SELECT is((pg_temp.day(1, '2026-02-02')).punch_count, 3, 'window of 0 s keeps a repeat 20 s later');
SELECT is((pg_temp.day(1, '2026-02-02')).anomalies, '{consecutive_entries}',
          'the first of two entries is left unpaired');
SELECT is((pg_temp.day(1, '2026-02-02')).overtime_sec, 0, 'no overtime where the schedule forbids it');
SELECT is((pg_temp.day(1, '2026-02-02')).worked_sec, 9 * 3600, 'worked time stays within the shift');

-- early arrival counted as overtime, late exit below the minimum
SELECT is((pg_temp.day(2, '2026-02-02')).early_arrival_sec, 3600, 'an hour of early arrival');
SELECT is((pg_temp.day(2, '2026-02-02')).overtime_sec, 3600,
          'early arrival counts as overtime, 5 minutes after the shift do not');

-- split shift 08:00-12:00 and 15:00-19:00
SELECT is((pg_temp.day(3, '2026-02-02')).late_sec, 1200, 'lateness against the first part');
SELECT is((pg_temp.day(3, '2026-02-02')).worked_sec, (3 * 3600 + 40 * 60) + 4 * 3600,
          'worked time is inside the parts only');
SELECT is((pg_temp.day(3, '2026-02-02')).overtime_sec, 1800, 'overtime after the last part');
SELECT is((pg_temp.day(3, '2026-02-02')).early_leave_sec, 0, 'no early leave after the last part');
SELECT is(to_char((pg_temp.day(3, '2026-02-02')).shift_end, 'HH24:MI'), '19:00',
          'shift end is the end of the last part');

-- overlapping windows: Monday's night shift window reaches Tuesday 20:00
-- and Tuesday's starts at 16:00, so a punch at 17:00 is nearer Tuesday's
-- start
SELECT is((pg_temp.day(4, '2026-02-02')).event_ids, '{401,402}', 'Monday keeps its own night');
SELECT is((pg_temp.day(4, '2026-02-03')).event_ids, '{403,404}',
          'a punch in two windows goes to the nearer shift start');
SELECT is((pg_temp.day(4, '2026-02-03')).early_arrival_sec, 3 * 3600, 'three hours before 20:00');

-- dated assignment from Wednesday
SELECT is((pg_temp.day(5, '2026-02-03')).schedule_id, 1, 'Tuesday keeps the employee''s schedule');
SELECT is((pg_temp.day(5, '2026-02-04')).schedule_id, 3, 'Wednesday takes the dated assignment');
SELECT is((pg_temp.day(5, '2026-02-04')).late_sec, 0, 'no lateness against the split schedule');
SELECT is((pg_temp.day(5, '2026-02-04')).early_leave_sec, 7 * 3600,
          'early leave against the end of the last part');

-- organization holiday
SELECT is((pg_temp.day(1, '2026-02-05')).day_kind, 'holiday', 'org_calendar_day overrides the calendar');
SELECT is((pg_temp.day(1, '2026-02-05')).anomalies, '{}', 'a holiday without punches is not an absence');

-- employment dates
SELECT is((SELECT min(work_day) FROM otan_enbek.attendance_day WHERE org_id = 4401 AND employee_id = 6
           AND work_day <> '2026-02-02'), '2026-02-04'::date,
          'no rows before the contract start except days with punches');
SELECT is((pg_temp.day(6, '2026-02-02')).anomalies, '{outside_employment}',
          'punches before the contract are flagged');
SELECT is((pg_temp.day(6, '2026-02-02')).present_sec, 7200, 'and still counted');

-- plans are shared by employees with the same schedules
SELECT is((SELECT count(DISTINCT plan) FROM otan_enbek.attendance_plans(4401, '2026-02-02',
               '2026-02-08', now())), 5::bigint,
          'seven employees with five distinct schedule assignments share five plans');

-- a weekend day made working takes the shifts of the first working weekday:
-- Sunday 5 January 2025 was a working day for Friday 3 January
SELECT pg_temp.punch(901, 2, '2025-01-05 09:00', 'in'),
       pg_temp.punch(902, 2, '2025-01-05 18:00', 'out');
SELECT is(otan_enbek.compute_attendance(4401, '2025-01-05', '2025-01-05'), 6,
          'one day for the six employees employed then');
SELECT is((pg_temp.day(2, '2025-01-05')).day_kind, 'work', 'the working Sunday is a work day');
SELECT is(to_char((pg_temp.day(2, '2025-01-05')).shift_start, 'HH24:MI'), '09:00',
          'with the shift of Monday');
SELECT is((pg_temp.day(1, '2025-01-05')).anomalies, '{absent}', 'and no punch is an absence');

-- parallel aggregation (serialize, deserialize, combine) gives the same days
-- a regular table: temporary tables are never scanned in parallel
CREATE TABLE agg_input AS
SELECT p.employee_id, p.plan, p.emit_from, p.emit_to, NULL::timestamptz AS occurred_at,
       NULL::text AS direction, NULL::bigint AS event_id
FROM otan_enbek.attendance_plans(4401, '2026-02-02', '2026-02-08', now()) p
UNION ALL
SELECT e.employee_id, NULL, NULL, NULL, e.occurred_at, e.direction, e.event_id
FROM otan_enbek.skud_event e
WHERE e.org_id = 4401 AND e.occurred_at >= '2026-02-01' AND e.occurred_at < '2026-02-10';
ANALYZE agg_input;
CREATE TABLE serial_days AS
SELECT employee_id, d.*
FROM (SELECT employee_id, otan_enbek.attendance_days(plan, emit_from, emit_to, occurred_at,
                                                     direction, event_id) AS days
      FROM agg_input GROUP BY employee_id) g, unnest(g.days) d;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL enable_hashagg = off;
CREATE FUNCTION pg_temp.explain_lines(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE 'EXPLAIN (COSTS OFF) ' || query;
END
$$;
SELECT ok(EXISTS (SELECT FROM pg_temp.explain_lines(
              'SELECT employee_id, otan_enbek.attendance_days(plan, emit_from, emit_to, occurred_at,'
              ' direction, event_id) FROM agg_input GROUP BY employee_id') AS x(line)
          WHERE line LIKE '%Partial%'), 'the planner uses a partial aggregate');
SELECT set_eq(
    $$SELECT employee_id, d.* FROM (SELECT employee_id, otan_enbek.attendance_days(plan, emit_from,
          emit_to, occurred_at, direction, event_id) AS days FROM agg_input GROUP BY employee_id) g,
          unnest(g.days) d$$,
    'SELECT * FROM serial_days',
    'partial aggregation returns the same days');
RESET enable_hashagg;

-- deleting an employee deletes the attendance rows
DELETE FROM otan_enbek.employee WHERE org_id = 4401 AND employee_id = 7;
SELECT is((SELECT count(*) FROM otan_enbek.attendance_day WHERE org_id = 4401 AND employee_id = 7),
          0::bigint, 'rows of a deleted employee are removed');

SELECT * FROM finish();
ROLLBACK;
