-- The attendance cases that time-and-attendance systems are known to get
-- wrong, with figures checked by hand.  Times are Asia/Almaty, and the
-- default day schedule is 09:00-18:00 with an unpaid lunch 13:00-14:00, no
-- grace, overtime allowed and a de-duplication window of 60 s.
BEGIN;
SELECT plan(71);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;

-- Organization 4601 has a default schedule; 4602 has none and gives a pair
-- across midnight to its entry's date; 4603 has none, splits such pairs at
-- midnight and closes a missing exit at the shift end.
INSERT INTO otan_enbek.organization (org_id, bin, name, dedup_window_sec)
VALUES (4601, '090440004607', 'Cases A', 60),
       (4602, '090440004617', 'Cases B', 60),
       (4603, '090440004627', 'Cases C', 60);
UPDATE otan_enbek.organization
SET calendar_pair_policy = 'split_at_midnight', missing_exit_policy = 'close_at_shift_end'
WHERE org_id = 4603;
INSERT INTO otan_enbek.source (org_id, source_id, name)
VALUES (4601, 4601, 'Gate A'), (4602, 4602, 'Gate B'), (4603, 4603, 'Gate C');
INSERT INTO otan_enbek.access_point (org_id, source_id, device, direction)
VALUES (4601, 4601, 'T-BOTH', 'both');

INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, grace_early_min,
        count_early_arrival)
VALUES (4601, 1, 'Day 09-18', 0, false),
       (4601, 2, 'Night 20-08', 0, false),
       (4601, 3, 'Day 08-17', 0, false),
       (4601, 4, 'Day 08-17, early leave grace 15', 15, false),
       (4601, 5, 'Early 06:00-14:30', 0, false),
       (4601, 7, 'Day 08-17, early arrival is overtime', 0, true),
       (4601, 8, 'Night 22-06', 0, false),
       (4601, 9, 'Night 01-09', 0, false),
       (4603, 31, 'Day 09-18', 0, false);
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, kind, rotation_anchor,
        rotation_days, break_after_min, break_deduct_min)
VALUES (4601, 10, 'Two on, two off', 'rotation', '2026-04-01', 4, 360, 60);
UPDATE otan_enbek.organization SET default_schedule_id = 3 WHERE org_id = 4601;

INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
        end_time, break_start, break_end)
SELECT 4601, 1, d, time '09:00', time '18:00', time '13:00', time '14:00' FROM generate_series(1, 5) d
UNION ALL SELECT 4603, 31, d, '09:00', '18:00', '13:00', '14:00' FROM generate_series(1, 5) d
UNION ALL SELECT 4601, 2, d, '20:00', '08:00', NULL::time, NULL::time FROM generate_series(1, 7) d
UNION ALL SELECT 4601, s, d, '08:00', '17:00', '12:00', '13:00'
          FROM unnest(ARRAY[3, 4, 7]) s, generate_series(1, 5) d
UNION ALL SELECT 4601, 5, d, '06:00', '14:30', NULL, NULL FROM generate_series(1, 7) d
UNION ALL SELECT 4601, 8, d, '22:00', '06:00', NULL, NULL FROM generate_series(1, 7) d
UNION ALL SELECT 4601, 9, d, '01:00', '09:00', NULL, NULL FROM generate_series(1, 7) d
UNION ALL SELECT 4601, 10, d, '08:00', '20:00', NULL, NULL FROM generate_series(1, 2) d;

-- Returns the k-th valid IIN of a series, so that employees get distinct,
-- valid IINs.
CREATE FUNCTION pg_temp.iin(k integer) RETURNS text LANGUAGE sql AS $$
    SELECT c FROM (SELECT lpad((850101300000 + n)::text, 12, '0') AS c
                   FROM generate_series(0, 2000) n) x
    WHERE otan_enbek.is_valid_iin(c) ORDER BY c OFFSET k - 1 LIMIT 1
$$;

INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id)
SELECT 4601, n, pg_temp.iin(n), 'Case', n::text, s
FROM (VALUES (1, 2), (3, NULL), (4, 1), (5, 4), (6, 1), (7, 5), (9, 1), (10, 1),
             (11, 1), (12, 3), (13, 7), (14, 8), (15, 9), (16, 1), (17, 10),
             (18, 10)) AS v(n, s);
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id)
VALUES (4602, 21, pg_temp.iin(21), 'Case', '2', NULL),
       (4602, 22, pg_temp.iin(22), 'Case', '14 +06', NULL),
       (4602, 23, pg_temp.iin(23), 'Case', '14 +05', NULL),
       (4602, 24, pg_temp.iin(24), 'Case', '14 local', NULL),
       (4603, 31, pg_temp.iin(31), 'Case', '2 split', NULL),
       (4603, 36, pg_temp.iin(36), 'Case', '6 closed', 31);
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4601, 11, 'person', 'P11'), (4602, 22, 'person', 'P22'),
       (4602, 23, 'person', 'P23'), (4602, 24, 'person', 'P24');
-- Case 3: the employee follows the default 08:00-17:00 schedule, but is
-- assigned 09:00-18:00 on Wednesday 4 February.
INSERT INTO otan_enbek.employee_schedule (org_id, employee_id, schedule_id, valid_from, valid_to)
VALUES (4601, 3, 1, '2026-02-04', '2026-02-04');

SELECT otan_enbek.ensure_event_partitions('2026-02-01', '2026-04-30') >= 0 AS partitions;

-- punch(org, event id, employee, local time, direction, device) stores one
-- event as a plain INSERT would.
CREATE FUNCTION pg_temp.punch(org integer, id bigint, emp integer, local_time timestamp,
                              dir text DEFAULT NULL, device text DEFAULT 'T1')
RETURNS void LANGUAGE sql AS $$
    INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id,
            device, credential_kind, credential, employee_id, direction)
    VALUES (org, id, local_time AT TIME ZONE 'Asia/Almaty', org, 'e' || id, device,
            'person', emp::text, emp, dir)
$$;
CREATE FUNCTION pg_temp.day(org integer, emp integer, d date) RETURNS otan_enbek.attendance_day
LANGUAGE sql AS $$
    SELECT * FROM otan_enbek.attendance_day
    WHERE org_id = org AND employee_id = emp AND work_day = d
$$;

SELECT pg_temp.punch(4601, 101, 1, '2026-02-02 19:52', 'in'),
       pg_temp.punch(4601, 102, 1, '2026-02-03 08:06', 'out'),
       pg_temp.punch(4601, 103, 1, '2026-02-03 19:58:00', 'in'),
       pg_temp.punch(4601, 104, 1, '2026-02-03 19:58:20', 'in'),
       pg_temp.punch(4601, 105, 1, '2026-02-04 08:01', 'out'),
       pg_temp.punch(4602, 201, 21, '2026-02-02 23:55', 'in'),
       pg_temp.punch(4602, 202, 21, '2026-02-03 00:05', 'out'),
       pg_temp.punch(4603, 211, 31, '2026-02-02 23:55', 'in'),
       pg_temp.punch(4603, 212, 31, '2026-02-03 00:05', 'out'),
       pg_temp.punch(4601, 301, 3, '2026-02-04 08:50', 'in'),
       pg_temp.punch(4601, 302, 3, '2026-02-04 18:10', 'out'),
       pg_temp.punch(4601, 401, 4, '2026-03-23 10:02', 'in'),
       pg_temp.punch(4601, 402, 4, '2026-03-23 14:15', 'out'),
       pg_temp.punch(4601, 501, 5, '2026-02-02 07:58', 'in'),
       pg_temp.punch(4601, 502, 5, '2026-02-02 15:00', 'out'),
       pg_temp.punch(4601, 503, 5, '2026-02-02 15:30', 'in'),
       pg_temp.punch(4601, 504, 5, '2026-02-02 17:02', 'out'),
       pg_temp.punch(4601, 601, 6, '2026-02-02 09:00', 'in'),
       pg_temp.punch(4601, 602, 6, '2026-02-03 08:55', 'in'),
       pg_temp.punch(4601, 603, 6, '2026-02-03 18:02', 'out'),
       pg_temp.punch(4603, 611, 36, '2026-02-02 09:00', 'in'),
       pg_temp.punch(4601, 701, 7, '2026-02-02 06:00', 'in'),
       pg_temp.punch(4601, 702, 7, '2026-02-03 06:02', 'in'),
       pg_temp.punch(4601, 703, 7, '2026-02-03 06:02', 'out'),
       pg_temp.punch(4601, 704, 7, '2026-02-03 14:35', 'out'),
       pg_temp.punch(4601, 901, 9, '2026-02-02 08:01:10', NULL, 'T-BOTH'),
       pg_temp.punch(4601, 902, 9, '2026-02-02 08:01:12', NULL, 'T-BOTH'),
       pg_temp.punch(4601, 903, 9, '2026-02-02 17:45:00', NULL, 'T-BOTH'),
       pg_temp.punch(4601, 1001, 10, '2026-02-02 09:00:00', 'in'),
       pg_temp.punch(4601, 1002, 10, '2026-02-02 12:00:00', 'out'),
       pg_temp.punch(4601, 1003, 10, '2026-02-02 12:00:00', 'in'),
       pg_temp.punch(4601, 1004, 10, '2026-02-02 18:00:00', 'out'),
       pg_temp.punch(4601, 1011, 10, '2026-02-03 09:00:00', 'in'),
       pg_temp.punch(4601, 1012, 10, '2026-02-03 09:00:00', 'in'),
       pg_temp.punch(4601, 1013, 10, '2026-02-03 18:00:00', 'out'),
       pg_temp.punch(4601, 1201, 12, '2026-02-02 06:00', 'in'),
       pg_temp.punch(4601, 1202, 12, '2026-02-02 20:00', 'out'),
       pg_temp.punch(4601, 1301, 13, '2026-02-02 06:00', 'in'),
       pg_temp.punch(4601, 1302, 13, '2026-02-02 20:00', 'out'),
       pg_temp.punch(4601, 1401, 14, '2026-02-02 22:00', 'in'),
       pg_temp.punch(4601, 1402, 14, '2026-02-03 06:00', 'out'),
       pg_temp.punch(4601, 1501, 15, '2026-02-02 01:00', 'in'),
       pg_temp.punch(4601, 1502, 15, '2026-02-02 09:00', 'out'),
       pg_temp.punch(4601, 1801, 18, '2026-04-01 08:00', 'in'),
       pg_temp.punch(4601, 1802, 18, '2026-04-01 20:00', 'out');
-- Case 15: three hours of overtime on Monday, then two hours on five more
-- days, so that the month's total reaches 13 hours on Monday 9 February.
SELECT pg_temp.punch(4601, 1600 + 2 * n, 16, d + time '09:00', 'in'),
       pg_temp.punch(4601, 1601 + 2 * n, 16,
                     d + CASE WHEN n = 0 THEN time '21:00' ELSE time '20:00' END, 'out')
FROM unnest(ARRAY['2026-02-02', '2026-02-03', '2026-02-04', '2026-02-05', '2026-02-06',
                  '2026-02-09']::date[]) WITH ORDINALITY AS x(d, k),
     LATERAL (SELECT (k - 1)::integer AS n) AS i;

SELECT otan_enbek.compute_attendance(4601, '2026-02-02', '2026-02-09') > 0 AS computed_a;
SELECT otan_enbek.compute_attendance(4602, '2026-02-02', '2026-02-03') > 0 AS computed_b;
SELECT otan_enbek.compute_attendance(4603, '2026-02-02', '2026-02-03') > 0 AS computed_c;
SELECT otan_enbek.compute_attendance(4601, '2026-03-23', '2026-03-23') > 0 AS computed_holiday;
SELECT otan_enbek.compute_attendance(4601, '2026-04-01', '2026-04-30') > 0 AS computed_april;

-- 1. night shift 20:00-08:00 and a repeated entry
SELECT is((pg_temp.day(4601, 1, '2026-02-02')).present_sec, 734 * 60, 'case 1: present 734');
SELECT is((pg_temp.day(4601, 1, '2026-02-02')).worked_sec, 720 * 60, 'case 1: regular 720');
SELECT is((pg_temp.day(4601, 1, '2026-02-02')).early_arrival_sec, 8 * 60,
          'case 1: early arrival 8');
SELECT is((pg_temp.day(4601, 1, '2026-02-02')).overtime_sec, 6 * 60, 'case 1: overtime 6');
SELECT is((pg_temp.day(4601, 1, '2026-02-02')).night_sec, 480 * 60, 'case 1: night 480');
SELECT is((pg_temp.day(4601, 1, '2026-02-03')).event_ids, '{103,105}',
          'case 1: the repeated entry is dropped and 19:58 pairs with 08:01');
SELECT is((pg_temp.day(4601, 1, '2026-02-03')).present_sec, 723 * 60,
          'case 1: second night 19:58-08:01');

-- 2. no schedule: a pair across midnight
SELECT is((pg_temp.day(4602, 21, '2026-02-02')).present_sec, 600,
          'case 2: the pair belongs to its entry''s date');
SELECT is(coalesce((pg_temp.day(4602, 21, '2026-02-03')).present_sec, 0), 0,
          'case 2: nothing on the exit''s date');
SELECT is((pg_temp.day(4603, 31, '2026-02-02')).present_sec, 300,
          'case 2: split at midnight, 5 minutes before it');
SELECT is((pg_temp.day(4603, 31, '2026-02-03')).present_sec, 300,
          'case 2: split at midnight, 5 minutes after it');

-- 3. a dated assignment wins over the default schedule
SELECT is((pg_temp.day(4601, 3, '2026-02-04')).schedule_id, 1, 'case 3: assignment applies');
SELECT is(to_char((pg_temp.day(4601, 3, '2026-02-04')).shift_start, 'HH24:MI'), '09:00',
          'case 3: shift of the assignment');
SELECT is((pg_temp.day(4601, 3, '2026-02-04')).worked_sec, 480 * 60, 'case 3: regular 480');
SELECT is((pg_temp.day(4601, 3, '2026-02-04')).late_sec, 0, 'case 3: not late');
SELECT is((pg_temp.day(4601, 3, '2026-02-04')).overtime_sec, 10 * 60, 'case 3: overtime 10');
SELECT is((pg_temp.day(4601, 3, '2026-02-04')).early_arrival_sec, 10 * 60,
          'case 3: early arrival 10');

-- 4. work on Nauryz, Monday 23 March 2026
SELECT is((pg_temp.day(4601, 4, '2026-03-23')).day_kind, 'holiday', 'case 4: a holiday');
SELECT is((pg_temp.day(4601, 4, '2026-03-23')).present_sec, 253 * 60, 'case 4: present 253');
SELECT is((pg_temp.day(4601, 4, '2026-03-23')).worked_sec, 193 * 60,
          'case 4: holiday work 193 without the lunch window');
SELECT is((pg_temp.day(4601, 4, '2026-03-23')).anomalies, '{}', 'case 4: no absence');
SELECT is((pg_temp.day(4601, 4, '2026-03-23')).norm_sec, 0, 'case 4: no norm');

-- 5. early-leave grace, a gap inside the day
SELECT is((pg_temp.day(4601, 5, '2026-02-02')).early_leave_sec, 0, 'case 5: no early leave');
SELECT is((pg_temp.day(4601, 5, '2026-02-02')).worked_sec, 450 * 60, 'case 5: regular 450');
SELECT ok((pg_temp.day(4601, 5, '2026-02-02')).anomalies @> '{gap}', 'case 5: gap flagged');
SELECT is((pg_temp.day(4601, 5, '2026-02-02')).overtime_sec, 2 * 60, 'case 5: overtime 2');

-- 6. missing exit, by default and with the close-at-shift-end policy
SELECT ok((pg_temp.day(4601, 6, '2026-02-02')).anomalies @> '{missing_exit}',
          'case 6: Monday flagged missing exit');
SELECT is((pg_temp.day(4601, 6, '2026-02-02')).worked_sec, 0,
          'case 6: Monday worked 0 by default');
SELECT is((pg_temp.day(4601, 6, '2026-02-03')).worked_sec, 480 * 60,
          'case 6: Tuesday regular 480');
SELECT is((pg_temp.day(4601, 6, '2026-02-03')).overtime_sec, 2 * 60, 'case 6: Tuesday overtime 2');
SELECT ok((pg_temp.day(4603, 36, '2026-02-02')).anomalies @> '{missing_exit}',
          'case 6: closed at the shift end, still flagged');
SELECT is((pg_temp.day(4603, 36, '2026-02-02')).worked_sec, 480 * 60,
          'case 6: closed at the shift end, 09:00-18:00 less lunch');

-- 7. a zero-length pair is noise
SELECT ok((pg_temp.day(4601, 7, '2026-02-02')).anomalies @> '{missing_exit}',
          'case 7: first day missing exit');
SELECT is((pg_temp.day(4601, 7, '2026-02-03')).worked_sec, 508 * 60, 'case 7: regular 508');
SELECT is((pg_temp.day(4601, 7, '2026-02-03')).late_sec, 2 * 60, 'case 7: late 2');
SELECT is((pg_temp.day(4601, 7, '2026-02-03')).overtime_sec, 5 * 60, 'case 7: overtime 5');
SELECT ok(NOT (pg_temp.day(4601, 7, '2026-02-03')).anomalies @> '{missing_entry}',
          'case 7: the last exit closes the open entry');
SELECT ok((pg_temp.day(4601, 7, '2026-02-03')).anomalies @> '{zero_length_pair}',
          'case 7: the zero-length pair is flagged');

-- 9. punches without direction on a two-way reader
SELECT is((pg_temp.day(4601, 9, '2026-02-02')).event_ids, '{901,903}',
          'case 9: the repeat 2 s later is dropped');
SELECT is((pg_temp.day(4601, 9, '2026-02-02')).present_sec, 35030, 'case 9: present 35,030 s');

-- 10. an exit and an entry at the same second, two entries at one second
SELECT is((pg_temp.day(4601, 10, '2026-02-02')).punch_count, 4, 'case 10: four punches kept');
SELECT is((pg_temp.day(4601, 10, '2026-02-02')).present_sec, 540 * 60, 'case 10: present 540');
SELECT is((pg_temp.day(4601, 10, '2026-02-03')).event_ids, '{1011,1013}',
          'case 10: two entries at one second collapse to one');

-- 12. early arrival, and early arrival counted as overtime
SELECT is((pg_temp.day(4601, 12, '2026-02-02')).worked_sec, 480 * 60, 'case 12: regular 480');
SELECT is((pg_temp.day(4601, 12, '2026-02-02')).early_arrival_sec, 120 * 60,
          'case 12: early arrival 120');
SELECT is((pg_temp.day(4601, 12, '2026-02-02')).overtime_sec, 180 * 60, 'case 12: overtime 180');
SELECT is((pg_temp.day(4601, 13, '2026-02-02')).overtime_sec, 300 * 60,
          'case 12: overtime 300 with early arrival counted');

-- 13. night time
SELECT is((pg_temp.day(4601, 14, '2026-02-02')).night_sec, 480 * 60,
          'case 13: shift 22:00-06:00 is all night');
SELECT is((pg_temp.day(4601, 15, '2026-02-02')).night_sec, 300 * 60,
          'case 13: shift 01:00-09:00 has 300 night minutes');

-- 15. Labour Code overtime limits are flagged, the hours kept
SELECT is((pg_temp.day(4601, 16, '2026-02-02')).overtime_sec, 180 * 60,
          'case 15: three hours of overtime kept');
SELECT ok((pg_temp.day(4601, 16, '2026-02-02')).anomalies @> '{overtime_day_limit}',
          'case 15: more than 2 hours a day is flagged');
SELECT ok(NOT (pg_temp.day(4601, 16, '2026-02-03')).anomalies @> '{overtime_day_limit}',
          'case 15: exactly 2 hours a day is not');
SELECT ok(NOT (pg_temp.day(4601, 16, '2026-02-06')).anomalies @> '{overtime_month_limit}',
          'case 15: 11 hours in the month are within the limit');
SELECT ok((pg_temp.day(4601, 16, '2026-02-09')).anomalies @> '{overtime_month_limit}',
          'case 15: the day that takes the month to 13 hours is flagged');
SELECT is((pg_temp.day(4601, 16, '2026-02-09')).overtime_sec, 120 * 60,
          'case 15: and its hours are kept');

-- 16. rotation of two days on and two off, anchored on 1 April 2026
SELECT set_eq($$SELECT work_day FROM otan_enbek.attendance_day
                WHERE org_id = 4601 AND employee_id = 17 AND work_day >= '2026-04-01'
                  AND 'absent' = ANY (anomalies)$$,
              $$SELECT d::date FROM generate_series(date '2026-04-01', '2026-04-30', '1 day') d
                WHERE (d::date - date '2026-04-01') % 4 < 2$$,
              'case 16: absences on exactly the scheduled days');
SELECT set_eq($$SELECT work_day FROM otan_enbek.attendance_day
                WHERE org_id = 4601 AND employee_id = 17 AND work_day >= '2026-04-01'
                  AND day_kind = 'weekend'$$,
              $$SELECT d::date FROM generate_series(date '2026-04-01', '2026-04-30', '1 day') d
                WHERE (d::date - date '2026-04-01') % 4 >= 2$$,
              'case 16: rest on the other days');
SELECT is((pg_temp.day(4601, 18, '2026-04-01')).worked_sec, 660 * 60,
          'case 16: 12 hours less the 60-minute break after 6 hours');
SELECT is((pg_temp.day(4601, 18, '2026-04-01')).norm_sec, 660 * 60,
          'case 16: the norm of a rotation day');
SELECT is((pg_temp.day(4601, 17, '2026-04-03')).norm_sec, 0, 'case 16: no norm on a rest day');

-- 11. a device that lost its clock
SELECT otan_enbek.ensure_event_partitions('2025-01-01', '2025-01-31') >= 0 AS partitions_2025;
SELECT otan_enbek.ingest(4601, 'csv', E'occurred_at,credential,direction\n'
       '2025-01-13 08:58:00,P11,in\n'
       '2000-01-01 00:05:00,P11,in\n'
       '2000-01-01 00:22:00,P11,out\n'
       '2025-01-13 18:03:00,P11,out\n') AS clock_batch \gset
SELECT is((:'clock_batch'::otan_enbek.ingest_batch).rejected_count, 2,
          'case 11: both punches of 2000 are counted in the batch');
SELECT is((SELECT count(*) FROM otan_enbek.ingest_reject r
           WHERE r.org_id = 4601 AND r.batch_id = (:'clock_batch'::otan_enbek.ingest_batch).batch_id
             AND r.reason LIKE '%before 2001-01-01%'), 2::bigint,
          'case 11: both are quarantined with the reason');
SELECT is(otan_enbek.compute_attendance(4601, '2025-01-13', '2025-01-13') > 0, true,
          'case 11: the 2025 day is computed');
SELECT is((pg_temp.day(4601, 11, '2025-01-13')).present_sec, 545 * 60,
          'case 11: the 2025 punches pair');
SELECT is((SELECT count(*) FROM otan_enbek.attendance_day
           WHERE org_id = 4601 AND work_day < '2001-01-01'), 0::bigint,
          'case 11: no day of 2000 exists');

-- 14. the hour that happened twice in Almaty on 29 February 2024
SELECT otan_enbek.ensure_event_partitions('2024-02-01', '2024-03-31') >= 0 AS partitions_2024;
SELECT (otan_enbek.ingest(4602, 'csv', E'occurred_at,credential,direction\n'
       '2024-02-29T23:00:00+06:00,P22,in\n'
       '2024-03-01T07:00:00+05:00,P22,out\n'
       '2024-02-29T23:00:00+05:00,P23,in\n'
       '2024-03-01T07:00:00+05:00,P23,out\n'
       '2024-02-29 23:00:00,P24,in\n'
       '2024-03-01 07:00:00,P24,out\n')).inserted_count AS dst_inserted;
-- the extension ships no production calendar for 2024, which is warned of
SET LOCAL client_min_messages = error;
SELECT otan_enbek.compute_attendance(4602, '2024-02-29', '2024-03-01') > 0 AS computed_dst;
SET LOCAL client_min_messages = warning;
SELECT is((pg_temp.day(4602, 22, '2024-02-29')).present_sec, 540 * 60,
          'case 14: entry at +06:00, present 540');
SELECT is((pg_temp.day(4602, 23, '2024-02-29')).present_sec, 480 * 60,
          'case 14: entry at +05:00, present 480');
SELECT is((pg_temp.day(4602, 24, '2024-02-29')).present_sec, 540 * 60,
          'case 14: entry without offset is the first occurrence');
SELECT ok((pg_temp.day(4602, 24, '2024-02-29')).anomalies @> '{ambiguous_time}',
          'case 14: and the day is flagged ambiguous');
SELECT ok(NOT (pg_temp.day(4602, 22, '2024-02-29')).anomalies @> '{ambiguous_time}',
          'case 14: an entry with its offset is not ambiguous');
SELECT is((SELECT count(*) FROM otan_enbek.skud_event
           WHERE org_id = 4602 AND local_time_ambiguous), 1::bigint,
          'case 14: the event is marked ambiguous');

SELECT * FROM finish();
ROLLBACK;
