-- attendance_compute_days finds the employee of each event read from the
-- heap by id: through an array when the ids are dense, through a hash table
-- when they are sparse.  Both must skip the events of employees without a
-- plan, inside and outside the range of planned ids.
BEGIN;
SELECT plan(6);

SET LOCAL timezone = 'Asia/Almaty';
SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (4944, '090440004726', 'Employee ids');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4944, 4944, 'Gate');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4944, 1, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT 4944, 1, d, '09:00', '18:00' FROM generate_series(1, 5) d;
-- Dense ids 101 to 103, of which 102 is dismissed before the period, and
-- 100 and 104 just outside them, also dismissed.  Sparse ids 5001 and
-- 9000001, and 7000 between them, dismissed.
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id,
        dismissed_on)
VALUES (4944, 100, '850101300104', 'Ids', 'Below', 1, '2026-01-31'),
       (4944, 101, '850101300114', 'Ids', 'First', 1, NULL),
       (4944, 102, '850101300124', 'Ids', 'Gap', 1, '2026-01-31'),
       (4944, 103, '850101300134', 'Ids', 'Last', 1, NULL),
       (4944, 104, '850101300144', 'Ids', 'Above', 1, '2026-01-31'),
       (4944, 5001, '850101300154', 'Ids', 'Sparse', 1, NULL),
       (4944, 7000, '850101300164', 'Ids', 'Between', 1, '2026-01-31'),
       (4944, 9000001, '850101300174', 'Ids', 'Far', 1, NULL);
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
SELECT org_id, employee_id, 'person', employee_id::text
FROM otan_enbek.employee WHERE org_id = 4944;
SELECT otan_enbek.ensure_event_partitions('2026-02-01', '2026-02-28') >= 0 AS partitions;
-- every employee enters at 09:05 and leaves at 18:00 on Monday and Tuesday
INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id,
        credential_kind, credential, employee_id, direction)
SELECT 4944, row_number() OVER (), t AT TIME ZONE 'Asia/Almaty', 4944,
       'e' || e.employee_id || '-' || t, 'person', e.employee_id::text, e.employee_id, dir
FROM otan_enbek.employee e,
     (VALUES (timestamp '2026-02-02 09:05', 'in'), ('2026-02-02 18:00', 'out'),
             ('2026-02-03 09:05', 'in'), ('2026-02-03 18:00', 'out')) AS v(t, dir)
WHERE e.org_id = 4944;

-- the aggregate over the same events
CREATE TEMP TABLE expected AS
SELECT g.employee_id, d.*
FROM (SELECT u.employee_id,
             otan_enbek.attendance_days(u.plan, u.emit_from, u.emit_to, u.occurred_at,
                                        u.direction, u.event_id) AS days
      FROM (SELECT p.employee_id, p.plan, p.emit_from, p.emit_to,
                   NULL::timestamptz AS occurred_at, NULL::text AS direction,
                   NULL::bigint AS event_id
            FROM otan_enbek.attendance_plans(4944, '2026-02-02', '2026-02-06', now()) p
            UNION ALL
            SELECT e.employee_id, NULL, NULL, NULL, e.occurred_at, e.direction, e.event_id
            FROM otan_enbek.skud_event e
            WHERE e.org_id = 4944 AND e.counts_for_attendance
              AND e.employee_id IS NOT NULL) u
      GROUP BY u.employee_id) g
CROSS JOIN LATERAL unnest(g.days) AS d;

SELECT is((SELECT count(*) FROM expected), 20::bigint,
          'the aggregate gives five days of four employees');
SELECT is((SELECT sum(punch_count) FROM expected), 16::bigint,
          'the aggregate counts four punches of each employee');
SELECT results_eq(
    $$SELECT * FROM otan_enbek.attendance_compute_days(4944, '2026-02-02', '2026-02-06',
                                                       '2026-01-30', '2026-02-10', NULL,
                                                       100, 104)$$,
    $$SELECT * FROM expected WHERE employee_id BETWEEN 100 AND 104
      ORDER BY employee_id, work_day$$,
    'dense ids: the rows of the aggregate');
SELECT results_eq(
    $$SELECT * FROM otan_enbek.attendance_compute_days(4944, '2026-02-02', '2026-02-06',
                                                       '2026-01-30', '2026-02-10', NULL,
                                                       5000, NULL)$$,
    $$SELECT * FROM expected WHERE employee_id >= 5000 ORDER BY employee_id, work_day$$,
    'sparse ids: the rows of the aggregate');
SELECT results_eq(
    $$SELECT * FROM otan_enbek.attendance_compute_days(4944, '2026-02-02', '2026-02-06',
                                                       '2026-01-30', '2026-02-10')$$,
    $$SELECT * FROM expected ORDER BY employee_id, work_day$$,
    'dense and sparse ids together: the rows of the aggregate');
SELECT is((SELECT array_agg(DISTINCT employee_id ORDER BY employee_id)
           FROM otan_enbek.attendance_compute_days(4944, '2026-02-02', '2026-02-06',
                                                   '2026-01-30', '2026-02-10')
           WHERE punch_count > 0),
          ARRAY[101, 103, 5001, 9000001],
          'only the employees with a plan have punches');

SELECT * FROM finish();
