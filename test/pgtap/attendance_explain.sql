-- explain_attendance: the punches used and dropped, the rules applied and
-- how each figure of a day was obtained.
BEGIN;
SELECT plan(16);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4801, '090440004647', 'Explain');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4801, 4801, 'Gate');
INSERT INTO otan_enbek.access_point (org_id, source_id, device, direction)
VALUES (4801, 4801, 'T-BOTH', 'both');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name)
VALUES (4801, 1, 'Night 20-08'), (4801, 2, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
        break_start, break_end)
SELECT 4801, 1, d, time '20:00', time '08:00', NULL::time, NULL::time FROM generate_series(1, 7) d
UNION ALL
SELECT 4801, 2, d, '09:00', '18:00', '13:00', '14:00' FROM generate_series(1, 5) d;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id)
VALUES (4801, 1, '850101300005', 'Explain', 'Night', 1),
       (4801, 2, '850101300015', 'Explain', 'Day', 2);
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (4801, 1, 'person', '1'), (4801, 2, 'person', '2');
SELECT otan_enbek.ensure_event_partitions('2026-02-01', '2026-02-28') >= 0 AS partitions;
INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id,
        device, credential_kind, credential, employee_id, direction)
SELECT 4801, id, t AT TIME ZONE 'Asia/Almaty', 4801, 'x' || id, dev, 'person', emp::text, emp, dir
FROM (VALUES (101, 1, timestamp '2026-02-02 19:52', 'in', 'T1'),
             (102, 1, '2026-02-03 08:06', 'out', 'T1'),
             (103, 1, '2026-02-03 19:58:00', 'in', 'T1'),
             (104, 1, '2026-02-03 19:58:20', 'in', 'T1'),
             (105, 1, '2026-02-04 08:01', 'out', 'T1'),
             (201, 2, '2026-02-02 08:01:10', NULL, 'T-BOTH'),
             (202, 2, '2026-02-02 08:01:12', NULL, 'T-BOTH'),
             (203, 2, '2026-02-02 17:45:00', NULL, 'T-BOTH')) AS v(id, emp, t, dir, dev);

CREATE TEMP TABLE night AS
SELECT * FROM otan_enbek.explain_attendance(4801, 1, '2026-02-03');
CREATE TEMP TABLE day_two AS
SELECT * FROM otan_enbek.explain_attendance(4801, 2, '2026-02-02');

SELECT is((SELECT detail FROM night WHERE step = 'schedule'),
          'Schedule 1 "Night 20-08" (weekly). Day kind work. missing_exit_policy flag, calendar_pair_policy entry_date, de-duplication window 60 s.',
          'the schedule and policies come first');
SELECT is((SELECT count(*) FROM night WHERE step = 'shift'), 1::bigint, 'one shift');
SELECT ok((SELECT detail FROM night WHERE step = 'shift') LIKE 'Shift 20:00-08:00; grace 0 s late%',
          'the shift with its rules');
SELECT is((SELECT array_agg(event_id ORDER BY event_id) FROM night WHERE step = 'punch'),
          '{103,104,105}', 'the punches of the night, the duplicate included');
SELECT ok((SELECT detail FROM night WHERE step = 'punch' AND event_id = 104)
          LIKE 'Dropped: it repeats kept event 103 less than 60 s later%',
          'the duplicate names the punch it repeats');
SELECT ok((SELECT detail FROM night WHERE step = 'punch' AND event_id = 103)
          LIKE 'Kept; direction reported by the device%', 'a kept punch and its direction source');
SELECT is((SELECT seconds FROM night WHERE step = 'pair'), 723 * 60::bigint,
          'the pair 19:58-08:01');
SELECT ok((SELECT detail FROM night WHERE step = 'pair')
          LIKE 'Pair 2026-02-03 19:58:00-2026-02-04 08:01:00: present 43380 s, worked 43200 s, early arrival 120 s, overtime 60 s%',
          'the pair shows what it added to each figure');
SELECT is((SELECT seconds FROM night WHERE step = 'figure' AND figure = 'present'), 43380::bigint,
          'present is the sum of the pairs');
SELECT is((SELECT seconds FROM night WHERE step = 'figure' AND figure = 'late'), 0::bigint,
          'not late');
SELECT ok((SELECT detail FROM night WHERE step = 'figure' AND figure = 'late')
          = 'The first entry came 120 s before the shift start.', 'lateness explained');
SELECT is((SELECT seconds FROM night WHERE step = 'figure' AND figure = 'norm'), 43200::bigint,
          'the norm of the night');

SELECT ok((SELECT detail FROM day_two WHERE step = 'punch' AND event_id = 203)
          LIKE 'Kept; direction by alternation%', 'a direction by alternation');
SELECT ok((SELECT detail FROM day_two WHERE step = 'punch' AND event_id = 202)
          LIKE 'Dropped: it repeats kept event 201%', 'a punch without direction 2 s later is dropped');
SELECT is((SELECT seconds FROM day_two WHERE step = 'figure' AND figure = 'present'),
          35030::bigint, 'present 35,030 s');

SELECT throws_ok($$SELECT * FROM otan_enbek.explain_attendance(4801, 99, '2026-02-02')$$,
                 '42704', 'employee 99 of organization 4801 does not exist',
                 'an unknown employee is an error');

SELECT * FROM finish();
ROLLBACK;
