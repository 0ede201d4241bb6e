-- The BI views: every column is documented, and none contains a full IIN,
-- a payload, a document or a key.  A reader reads them with IINs masked but
-- cannot read the tables behind them.  The figures follow the data, day
-- edits included.
BEGIN;
SELECT plan(33);
SET LOCAL client_min_messages = warning;
SET LOCAL timezone = 'Asia/Almaty';

-- A reader of this organization and a reader of another one.
CREATE ROLE bi_reader_4701 IN ROLE otan_enbek_reader;
CREATE ROLE bi_reader_other IN ROLE otan_enbek_reader;

-- Runs a query as a reader (bi_reader_4701 unless named) and returns the
-- first column of its first row as text, or ERROR and the SQLSTATE.  pgTAP writes its results
-- into temporary tables of the session user, so the assertions themselves
-- run as that user.  The role is local to the block, so an error resets it.
CREATE FUNCTION pg_temp.as_reader(query text, reader text DEFAULT 'bi_reader_4701')
    RETURNS text
    LANGUAGE plpgsql
    AS $$
DECLARE
    result text;
BEGIN
    BEGIN
        PERFORM set_config('role', reader, true);
        EXECUTE query INTO result;
        PERFORM set_config('role', 'none', true);
        RETURN result;
    EXCEPTION WHEN OTHERS THEN
        RETURN 'ERROR ' || SQLSTATE;
    END;
END
$$;

INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
VALUES (4701, '050440000012', 'School 47', 'Asia/Almaty');
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4701, 4701, 'Turnstiles');
SELECT otan_enbek.grant_org_access('bi_reader_4701', 4701);
INSERT INTO otan_enbek.department (org_id, department_id, name)
VALUES (4701, 1, 'Teachers'), (4701, 2, 'Kitchen');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4701, 4711, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
        break_start, break_end)
SELECT 4701, 4711, d, time '09:00', time '18:00', time '13:00', time '14:00'
FROM generate_series(1, 5) d;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
        department_id, schedule_id, contract_start)
VALUES (4701, 1, '850111304210', 'Abenov', 'Arman', 1, 4711, '2020-09-01'),
       (4701, 2, '850212304222', 'Bekova', 'Aigul', 1, 4711, '2021-09-01'),
       (4701, 3, '850313304239', 'Zhaksylykov', 'Nurlan', 2, 4711, '2019-01-10');
SELECT otan_enbek.ensure_event_partitions('2026-02-01', '2026-02-28') >= 0 AS partitions \gset

-- Everyone works 09:00-18:00 on the working days of 2-6 February 2026,
-- except that employee 1 comes at 09:30 on the 3rd and employee 3 stays
-- until 19:00 on the 4th.
INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id,
        device, credential_kind, credential, employee_id, direction)
SELECT 4701, e.employee_id * 1000 + extract(day FROM d)::int * 10 + p.n,
       (d + CASE WHEN e.employee_id = 1 AND d = '2026-02-03' AND p.n = 1 THEN time '09:30'
                 WHEN e.employee_id = 3 AND d = '2026-02-04' AND p.n = 2 THEN time '19:00'
                 ELSE p.at END) AT TIME ZONE 'Asia/Almaty',
       4701, 'b' || e.employee_id || d || p.n, 'T1', 'person', e.employee_id::text,
       e.employee_id, p.dir
FROM otan_enbek.employee e
CROSS JOIN generate_series(timestamp '2026-02-02', '2026-02-06', interval '1 day') d
CROSS JOIN (VALUES (1, time '09:00', 'in'), (2, time '18:00', 'out')) p(n, at, dir)
WHERE e.org_id = 4701;
SELECT otan_enbek.edit_day(4701, 2, '2026-02-05', 'Я', 9, 'Parents'' meeting', overtime_hours => 1)
    AS edit_id \gset
SELECT otan_enbek.build_timesheet(4701, '2026-02-01') AS sheet_id \gset

-- A returned submission whose status message names an employee by IIN.
INSERT INTO otan_enbek.submission (org_id, timesheet_id, message_id, service_id, document,
        document_sha256, signature_value, key_fingerprint, certificate_serial,
        certificate_not_after, status, response_code, response_message)
VALUES (4701, :sheet_id, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<doc>850111304210</doc>',
        '\x00', 'c2ln', 'ab', '01', '2027-01-01', 'returned', 'SCSE012',
        'No contract for IIN 850111304210');
UPDATE otan_enbek.timesheet SET status = 'returned' WHERE org_id = 4701;

-- Documentation and shape.
SELECT is((SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'otan_enbek' AND c.relkind = 'v' AND c.relname LIKE 'bi\_%'
             AND obj_description(c.oid, 'pg_class') IS NOT NULL), 4::bigint,
          'the four BI views have comments');
SELECT is((SELECT string_agg(c.relname || '.' || a.attname, ', ')
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           WHERE n.nspname = 'otan_enbek' AND c.relkind = 'v' AND c.relname LIKE 'bi\_%'
             AND col_description(c.oid, a.attnum) IS NULL), NULL,
          'every column of the BI views has a comment');
SELECT is((SELECT string_agg(c.relname || '.' || a.attname, ', ')
           FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
           WHERE n.nspname = 'otan_enbek' AND c.relkind = 'v' AND c.relname LIKE 'bi\_%'
             AND (a.attname ~ '(^iin$|document|payload|signature|key|path|password|event_ids)')),
          NULL, 'no BI view has a column for IINs, documents, payloads or keys');

-- A reader reads the views with IINs masked.
SELECT is(pg_temp.as_reader($$SELECT iin_masked FROM otan_enbek.bi_attendance_daily
                              WHERE org_id = 4701 AND employee_id = 1 LIMIT 1$$),
          '******304210', 'bi_attendance_daily masks the IIN for a reader');
SELECT is(pg_temp.as_reader($$SELECT iin_masked FROM otan_enbek.bi_monthly_totals
                              WHERE org_id = 4701 AND employee_id = 1$$),
          '******304210', 'bi_monthly_totals masks the IIN for a reader');
SELECT is(pg_temp.as_reader($$SELECT response_message FROM otan_enbek.bi_delivery_status
                              WHERE org_id = 4701$$),
          'No contract for IIN ******304210', 'bi_delivery_status masks an IIN in the message');
SELECT is(pg_temp.as_reader(format(
              $$SELECT count(*) FROM %s v WHERE v::text ~ '8502123042|8501113042|8503133042'$$,
              view_name)),
          '0', view_name || ' shows no full IIN to a reader')
FROM unnest(ARRAY['otan_enbek.bi_attendance_daily', 'otan_enbek.bi_monthly_totals',
                  'otan_enbek.bi_department_month', 'otan_enbek.bi_delivery_status'])
     AS view_name;
SELECT is(pg_temp.as_reader(format('SELECT count(*) > 0 FROM %s WHERE org_id = 4701', view_name)),
          'true', view_name || ' has rows for a reader')
FROM unnest(ARRAY['otan_enbek.bi_attendance_daily', 'otan_enbek.bi_monthly_totals',
                  'otan_enbek.bi_department_month', 'otan_enbek.bi_delivery_status'])
     AS view_name;
SELECT is(pg_temp.as_reader(format('SELECT count(*) FROM %s', view_name), 'bi_reader_other'),
          '0', view_name || ' has no rows for a reader of another organization')
FROM unnest(ARRAY['otan_enbek.bi_attendance_daily', 'otan_enbek.bi_monthly_totals',
                  'otan_enbek.bi_department_month', 'otan_enbek.bi_delivery_status'])
     AS view_name;

-- The tables behind the views stay closed to a reader, and edits are
-- read-only for it.
SELECT is(pg_temp.as_reader('SELECT iin FROM otan_enbek.employee LIMIT 1'), 'ERROR 42501',
          'a reader cannot read employee');
SELECT is(pg_temp.as_reader('SELECT iin FROM otan_enbek.timesheet_line LIMIT 1'), 'ERROR 42501',
          'a reader cannot read timesheet_line');
SELECT is(pg_temp.as_reader('SELECT document FROM otan_enbek.submission LIMIT 1'), 'ERROR 42501',
          'a reader cannot read submission documents');
SELECT is(pg_temp.as_reader($$SELECT reason FROM otan_enbek.day_edit WHERE org_id = 4701$$),
          'ERROR 42501', 'a reader cannot read the reasons of day edits');
SELECT is(pg_temp.as_reader($$SELECT otan_enbek.approve_day(4701, 1, '2026-02-02', 'r')::text$$),
          'ERROR 42501', 'a reader cannot approve a day');
SELECT is(pg_temp.as_reader($$SELECT otan_enbek.timesheet_html(4701, 1)$$), 'ERROR 42501',
          'a reader cannot print a timesheet with full names and positions');

-- The figures.
SELECT results_eq($$SELECT work_day, worked_hours, late_minutes, edit_action, edited_hours,
                           edit_reason
                    FROM otan_enbek.bi_attendance_daily
                    WHERE org_id = 4701 AND employee_id IN (1, 2)
                      AND work_day IN ('2026-02-03', '2026-02-05')
                    ORDER BY employee_id, work_day$$,
                  $$VALUES ('2026-02-03'::date, 7.50, 30.0, NULL, NULL, NULL),
                           ('2026-02-05'::date, 8.00, 0.0, NULL, NULL, NULL),
                           ('2026-02-03'::date, 8.00, 0.0, NULL, NULL, NULL),
                           ('2026-02-05'::date, 8.00, 0.0, 'edit', 9.00, 'Parents'' meeting')$$,
                  'bi_attendance_daily shows the computed day beside its edit');
SELECT results_eq($$SELECT department, employees, late_days, late_hours, overtime_hours
                    FROM otan_enbek.bi_department_month
                    WHERE org_id = 4701 AND month = '2026-02-01'
                    ORDER BY department$$,
                  $$VALUES ('Kitchen', 1::bigint, 0::bigint, 0.00, 1.00),
                           ('Teachers', 2::bigint, 1::bigint, 0.50, 1.00)$$,
                  'bi_department_month sums lateness and overtime with the edit');
SELECT results_eq($$SELECT employee_id, days_worked, hours_worked, overtime_hours, edited_days,
                           approved_days
                    FROM otan_enbek.bi_monthly_totals
                    WHERE org_id = 4701 ORDER BY employee_id$$,
                  $$VALUES (1, 5, 39.50, 0.00, 0, 0), (2, 5, 41.00, 1.00, 1, 0),
                           (3, 5, 40.00, 1.00, 0, 0)$$,
                  'bi_monthly_totals follows the timesheet');
SELECT results_eq($$SELECT timesheet_status, submission_status, response_code, reason_count
                    FROM otan_enbek.bi_delivery_status WHERE org_id = 4701$$,
                  $$VALUES ('returned', 'returned', 'SCSE012', 0::bigint)$$,
                  'bi_delivery_status shows the submission');

-- The monthly totals follow the latest version of the month.
SELECT otan_enbek.build_timesheet(4701, '2026-02-01') AS second_id \gset
SELECT is((SELECT array_agg(DISTINCT version) FROM otan_enbek.bi_monthly_totals
           WHERE org_id = 4701), ARRAY[2], 'bi_monthly_totals shows only the latest version');
SELECT is((SELECT count(*) FROM otan_enbek.bi_delivery_status WHERE org_id = 4701), 2::bigint,
          'bi_delivery_status shows every version');
SELECT is((SELECT count(*) FROM otan_enbek.bi_delivery_status
           WHERE org_id = 4701 AND submission_id IS NULL), 1::bigint,
          'a version not submitted has one row without a submission');

-- A reason that HR typed with an IIN in it reaches a reader masked.
SELECT otan_enbek.approve_day(4701, 1, '2026-02-06',
                              'Sick note of 850111304210 (780101300011 stood in)') AS approval_id \gset
SELECT is(pg_temp.as_reader($$SELECT edit_reason FROM otan_enbek.bi_attendance_daily
                              WHERE org_id = 4701 AND employee_id = 1
                                AND work_day = '2026-02-06'$$),
          'Sick note of ******304210 (******300011 stood in)',
          'bi_attendance_daily masks IINs in an edit reason');
SELECT is(pg_temp.as_reader($$SELECT edit_reason FROM otan_enbek.bi_attendance_daily
                              WHERE org_id = 4701 AND employee_id = 2
                                AND work_day = '2026-02-05'$$),
          'Parents'' meeting', 'a reason without an IIN is unchanged');

SELECT * FROM finish();
ROLLBACK;
