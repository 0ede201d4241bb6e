-- Privilege boundaries of the extension's roles, each checked as a login
-- role that is granted one of them.  The tests cover what the reader, the
-- operator and the administrator may see and do, organization by
-- organization, and the audit trail of the administrator's reads.
BEGIN;
SELECT plan(72);

SELECT session_user AS tap_session \gset
CREATE ROLE otan_tap_admin_user LOGIN IN ROLE otan_enbek_admin;
CREATE ROLE otan_tap_operator_user LOGIN IN ROLE otan_enbek_operator;
CREATE ROLE otan_tap_reader_user LOGIN IN ROLE otan_enbek_reader;

-- Organization 8001 has the BIN of the test signing key; 8002 is another
-- organization that neither the operator nor the reader is assigned.
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (8001, '050440000012', 'School A'),
       (8002, '110340000072', 'School B');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name)
VALUES (8001, 8201, 'Five days'), (8002, 8202, 'Five days');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
                                           break_start, break_end)
SELECT o, s, d, '09:00', '18:00', '13:00', '14:00'
FROM (VALUES (8001, 8201), (8002, 8202)) AS v(o, s), generate_series(1, 5) AS d;
UPDATE otan_enbek.organization SET default_schedule_id = 8201 WHERE org_id = 8001;
UPDATE otan_enbek.organization SET default_schedule_id = 8202 WHERE org_id = 8002;
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, contract_id,
                                 contract_start)
VALUES (8001, 8301, '810111300012', 'Abenova', 'Aigul', 'C-8301', '2020-09-01'),
       (8002, 8302, '820212300023', 'Bekov', 'Daniyar', 'C-8302', '2020-09-01');
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
VALUES (8001, 8301, 'person', '1'), (8002, 8302, 'person', '2');
INSERT INTO otan_enbek.source (org_id, source_id, name)
VALUES (8001, 8101, 'Gate A'), (8002, 8102, 'Gate B');

-- A ZKTeco log of October 2026 for one PIN: in at 08:55, out at 18:05 on
-- every weekday, and one line with an invalid state, which is rejected.
CREATE FUNCTION pg_temp.october_log(pin text) RETURNS text
    LANGUAGE sql AS $$
SELECT string_agg(format(E'%s\t%s 08:55:00\t1\t0\t1\t0\n%s\t%s 18:05:00\t1\t1\t1\t0',
                         pin, d::date, pin, d::date), E'\n' ORDER BY d)
       || format(E'\n%s\t2026-10-02 12:00:00\t1\t9\t1\t0', pin)
FROM generate_series('2026-10-01'::date, '2026-10-31', '1 day') AS d
WHERE extract(isodow FROM d) < 6
$$;
GRANT EXECUTE ON FUNCTION pg_temp.october_log(text) TO PUBLIC;

-- Organization 8002's month, run by the superuser.
SELECT (otan_enbek.ingest(8102, 'zkteco', pg_temp.october_log('2'))).batch_id AS other_batch \gset
SELECT otan_enbek.compute_attendance(8002, '2026-10-01', '2026-10-31') IS NOT NULL AS computed \gset
SELECT otan_enbek.build_timesheet(8002, '2026-10-01') AS other_sheet \gset

-- The administrator assigns the organizations, as a login role.
SET ROLE otan_tap_admin_user;
SELECT lives_ok($$SELECT otan_enbek.grant_org_access('otan_tap_operator_user', 8001)$$,
                'the administrator assigns an organization to the operator');
SELECT throws_ok($$SELECT otan_enbek.grant_org_access('otan_tap_admin_user', 8001)$$,
                 '22023', NULL,
                 'only operators and readers are assigned organizations');
RESET ROLE;

-- Reader before any assignment: nothing.
SET ROLE otan_tap_reader_user;
SELECT is((SELECT count(*) FROM otan_enbek.reader_employee), 0::bigint,
          'a reader without an organization sees no employee');
RESET ROLE;
SET ROLE otan_tap_admin_user;
SELECT otan_enbek.grant_org_access('otan_tap_reader_user', 8001) IS NULL AS granted \gset
RESET ROLE;

---------------------------------------------------------------------------
-- Operator: runs the month of its organization.
SET ROLE otan_tap_operator_user;
SELECT lives_ok($$CREATE TEMP TABLE op_batch AS
                  SELECT * FROM otan_enbek.ingest(8101, 'zkteco', pg_temp.october_log('1'))$$,
                'the operator ingests a file of its organization');
SELECT is((SELECT inserted_count FROM op_batch), 44, 'the operator''s ingest stores 44 events');
SELECT is((SELECT rejected_count FROM op_batch), 1, 'the operator''s ingest keeps 1 reject');
SELECT lives_ok($$SELECT otan_enbek.compute_attendance(8001, '2026-10-01', '2026-10-31')$$,
                'the operator computes attendance of its organization');
SELECT is((SELECT count(*) FROM otan_enbek.attendance_day
           WHERE org_id = 8001 AND worked_sec > 0), 22::bigint,
          'the operator''s attendance has 22 worked days');
SELECT lives_ok($$SELECT otan_enbek.refresh_attendance(8001)$$,
                'the operator refreshes the pending days of its organization');
SELECT ok((SELECT count(*) FROM otan_enbek.explain_attendance(8001,
               (SELECT min(employee_id) FROM otan_enbek.employee WHERE org_id = 8001),
               '2026-10-01')) > 0,
          'the operator explains a day of its organization');
SELECT lives_ok($$CREATE TEMP TABLE op_sheet AS
                  SELECT otan_enbek.build_timesheet(8001, '2026-10-01') AS timesheet_id$$,
                'the operator builds the timesheet of its organization');
SELECT lives_ok($$CREATE TEMP TABLE op_submitted AS
                  SELECT otan_enbek.submit_timesheet(timesheet_id) AS submission_id
                  FROM op_sheet$$,
                'the operator submits the timesheet of its organization');
SELECT is((SELECT count(*) FROM otan_enbek.submission_overview AS s
           JOIN op_submitted USING (submission_id) WHERE s.status = 'queued'), 1::bigint,
          'the operator sees its queued submission');

-- Operator: sees its organization only.
SELECT is((SELECT array_agg(org_id ORDER BY org_id) FROM otan_enbek.organization),
          '{8001}', 'the operator sees its own organization only');
SELECT is((SELECT array_agg(DISTINCT org_id) FROM otan_enbek.employee), '{8001}',
          'the operator sees the employees of its organization only');
SELECT is((SELECT count(*) FROM otan_enbek.skud_event WHERE org_id = 8002), 0::bigint,
          'the operator sees no event of another organization');
SELECT throws_ok($$SELECT otan_enbek.ensure_event_partitions('1500-01-01 00:00+00',
                                                              '1500-02-01 00:00+00')$$,
                 '42501', NULL, 'the operator cannot create partitions of months before 2001');
SELECT lives_ok($$SELECT otan_enbek.ensure_event_partitions(now() - interval '1 day', now())$$,
                'the operator creates the partitions of current events');
SELECT is((SELECT count(*) FROM otan_enbek.skud_event WHERE org_id = 8001), 44::bigint,
          'the operator sees the events of its organization');
SELECT is((SELECT count(*) FROM otan_enbek.attendance_day WHERE org_id = 8002), 0::bigint,
          'the operator sees no attendance of another organization');
SELECT is((SELECT count(*) FROM otan_enbek.timesheet WHERE org_id = 8002), 0::bigint,
          'the operator sees no timesheet of another organization');
SELECT is((SELECT count(*) FROM otan_enbek.timesheet_line WHERE org_id = 8002), 0::bigint,
          'the operator sees no timesheet line of another organization');
SELECT is((SELECT count(*) FROM otan_enbek.ingest_reject WHERE org_id = 8002), 0::bigint,
          'the operator sees no rejected line of another organization');
SELECT is((SELECT count(*) FROM otan_enbek.reader_employee WHERE org_id = 8002), 0::bigint,
          'the operator sees no other organization through the reader views');
SELECT throws_ok($$SELECT otan_enbek.ingest(8102, 'zkteco', pg_temp.october_log('2'))$$,
                 '22023', 'source 8102 does not exist',
                 'the operator cannot ingest into another organization''s source');
SELECT throws_ok($$SELECT otan_enbek.build_timesheet(8002, '2026-11-01')$$,
                 '42704', 'organization 8002 does not exist',
                 'the operator cannot build a timesheet of another organization');
SELECT throws_ok(format('SELECT otan_enbek.submit_timesheet(%s)', :other_sheet), '42501',
                 format('permission denied for timesheet %s', :other_sheet),
                 'the operator cannot submit a timesheet of another organization');
SELECT throws_ok($$INSERT INTO otan_enbek.skud_event (org_id, occurred_at, source_id, external_id,
                                                      credential_kind, credential)
                   VALUES (8002, '2026-10-05 04:00+00', 8102, 'forged', 'person', '2')$$,
                 '42501', NULL,
                 'the operator cannot insert an event for another organization');

-- Operator: no keys, endpoints, passwords or delivery configuration.
SELECT throws_ok($$UPDATE otan_enbek.organization SET enbek_sender_id = 'X' WHERE org_id = 8001$$,
                 '42501', NULL, 'the operator cannot change the Enbek sender id');
SELECT throws_ok($$SELECT * FROM otan_enbek.check_signing_key(8001)$$, '42501', NULL,
                 'the operator cannot check a key file');
SELECT throws_ok($$SELECT * FROM otan_enbek.describe_signing_key(8001)$$, '42501', NULL,
                 'the operator cannot describe the signing key');
SELECT ok(NOT has_parameter_privilege('otan_enbek.signing_key_file', 'SET')
          AND NOT has_parameter_privilege('otan_enbek.signing_key_file', 'ALTER SYSTEM'),
          'the operator cannot change the key file setting');
SELECT ok(NOT has_parameter_privilege('otan_enbek.signing_key_password', 'ALTER SYSTEM'),
          'the operator cannot change the key password');
SELECT ok(NOT has_parameter_privilege('otan_enbek.enbek_url', 'ALTER SYSTEM')
          AND NOT has_parameter_privilege('otan_enbek.sender_password', 'ALTER SYSTEM'),
          'the operator cannot change the endpoint or the sender password');
SELECT throws_ok($$SELECT otan_enbek.grant_org_access('otan_tap_operator_user', 8002)$$,
                 '42501', NULL, 'the operator cannot assign itself an organization');
SELECT throws_ok($$SELECT * FROM otan_enbek.purge_expired(false)$$, '42501', NULL,
                 'the operator cannot purge');
SELECT throws_ok($$DELETE FROM otan_enbek.skud_event$$, '42501', NULL,
                 'the operator cannot delete events');
SELECT throws_ok($$UPDATE otan_enbek.skud_event SET occurred_at = occurred_at + interval '1 hour'
                   WHERE org_id = 8001$$, '42501', NULL,
                 'the operator cannot change the time of an event');
SELECT throws_ok($$UPDATE otan_enbek.ingest_batch SET source_id = source_id$$, '42501', NULL,
                 'the operator cannot move a batch to another source');
SELECT throws_ok($$SELECT * FROM otan_enbek.audit_log$$, '42501', NULL,
                 'the operator cannot read the audit log');
RESET ROLE;

---------------------------------------------------------------------------
-- Reader: the reports of its organization, with IINs masked.
SET ROLE otan_tap_reader_user;
SELECT is((SELECT array_agg(org_id || ':' || iin_masked) FROM otan_enbek.reader_employee),
          '{8001:******300012}', 'the reader sees its organization''s employee with the IIN masked');
SELECT is((SELECT count(*) FROM otan_enbek.reader_attendance_day WHERE org_id = 8001
           AND iin_masked = '******300012'), 31::bigint,
          'the reader sees the attendance of its organization, masked');
SELECT is((SELECT array_agg(DISTINCT org_id) FROM otan_enbek.reader_timesheet_line), '{8001}',
          'the reader sees the timesheet lines of its organization only');
SELECT is((SELECT array_agg(DISTINCT status) FROM otan_enbek.reader_submission), '{queued}',
          'the reader sees the submission status of its organization');
SELECT is((SELECT count(*) FROM otan_enbek.reader_timesheet WHERE org_id = 8002), 0::bigint,
          'the reader sees no timesheet of another organization');
SELECT is((SELECT count(*) FROM otan_enbek.reader_attendance_day WHERE org_id = 8002), 0::bigint,
          'the reader sees no attendance of another organization');
SELECT throws_ok('SELECT iin FROM otan_enbek.employee', '42501', NULL,
                 'the reader cannot read the employee table');
SELECT throws_ok('SELECT iin FROM otan_enbek.timesheet_line', '42501', NULL,
                 'the reader cannot read timesheet lines with full IINs');
SELECT throws_ok('SELECT raw FROM otan_enbek.skud_event', '42501', NULL,
                 'the reader cannot read raw events');
SELECT throws_ok('SELECT raw FROM otan_enbek.ingest_reject', '42501', NULL,
                 'the reader cannot read rejected lines');
SELECT throws_ok('SELECT file_name FROM otan_enbek.ingest_batch', '42501', NULL,
                 'the reader cannot read file paths of batches');
SELECT throws_ok('SELECT document FROM otan_enbek.submission', '42501', NULL,
                 'the reader cannot read signed documents');
SELECT throws_ok('SELECT * FROM otan_enbek.employee_personal_data(8001)', '42501', NULL,
                 'the reader cannot call the personal data function');
SELECT throws_ok('SELECT * FROM otan_enbek.audit_log', '42501', NULL,
                 'the reader cannot read the audit log');
RESET ROLE;

-- No relation that the reader may read contains a full IIN of either
-- organization in any column.
CREATE FUNCTION pg_temp.full_iins_readable() RETURNS text[]
    LANGUAGE plpgsql AS $$
DECLARE
    rel regclass;
    n bigint;
    found text[] := '{}';
BEGIN
    FOR rel IN
        SELECT c.oid FROM pg_class AS c
        WHERE c.relnamespace = 'otan_enbek'::regnamespace
          AND c.relkind IN ('r', 'p', 'v', 'm')
          AND has_table_privilege('otan_tap_reader_user', c.oid, 'SELECT')
    LOOP
        SET LOCAL ROLE otan_tap_reader_user;
        EXECUTE format($q$SELECT count(*) FROM %s AS r
                          WHERE row_to_json(r)::text ~ '810111300012|820212300023'$q$, rel)
            INTO n;
        RESET ROLE;
        IF n > 0 THEN
            found := found || rel::text;
        END IF;
    END LOOP;
    RETURN found;
END
$$;
SELECT is(pg_temp.full_iins_readable(), '{}',
          'no relation the reader may read holds a full IIN');

---------------------------------------------------------------------------
-- Secrets: no role below superuser reads a key path or a password.
CREATE FUNCTION pg_temp.readable_secrets(role_name name) RETURNS text[]
    LANGUAGE plpgsql AS $$
DECLARE
    secret text;
    found text[] := '{}';
BEGIN
    FOREACH secret IN ARRAY ARRAY['otan_enbek.signing_key_file',
                                   'otan_enbek.signing_key_password',
                                   'otan_enbek.sender_password']
    LOOP
        EXECUTE format('SET LOCAL ROLE %I', role_name);
        BEGIN
            PERFORM current_setting(secret);
            found := found || ('current_setting ' || secret);
        EXCEPTION WHEN insufficient_privilege THEN
            NULL;
        END;
        IF EXISTS (SELECT FROM pg_settings WHERE name = secret) THEN
            found := found || ('pg_settings ' || secret);
        END IF;
        RESET ROLE;
    END LOOP;
    RETURN found;
END
$$;
SELECT is(pg_temp.readable_secrets('otan_tap_reader_user'), '{}',
          'the reader reads no key path or password');
SELECT is(pg_temp.readable_secrets('otan_tap_operator_user'), '{}',
          'the operator reads no key path or password');
SELECT is(pg_temp.readable_secrets('otan_tap_admin_user'), '{}',
          'the administrator reads no key path or password');
SET ROLE otan_tap_reader_user;
SELECT throws_ok('SHOW otan_enbek.signing_key_file', '42501', NULL,
                 'the reader cannot SHOW the key path');
RESET ROLE;
SET ROLE otan_tap_admin_user;
SELECT throws_ok('SHOW otan_enbek.signing_key_password', '42501', NULL,
                 'the administrator cannot SHOW the key password');
RESET ROLE;

---------------------------------------------------------------------------
-- Administrator: every organization, personal data in full, audited.
-- The session itself is the administrator's login role here, as it is
-- for an administrator who connects with psql.
SET SESSION AUTHORIZATION otan_tap_admin_user;
SELECT is((SELECT array_agg(org_id ORDER BY org_id) FROM otan_enbek.organization
           WHERE org_id IN (8001, 8002)), '{8001,8002}',
          'the administrator sees every organization');
SELECT is((SELECT iin FROM otan_enbek.employee_personal_data(8002)), '820212300023',
          'the administrator reads a full IIN through employee_personal_data');
SELECT lives_ok($$UPDATE otan_enbek.organization SET enbek_sender_id = 'SENDER-8001'
                  WHERE org_id = 8001$$,
                'the administrator changes the delivery configuration');
SELECT is((SELECT subject IS NOT NULL FROM otan_enbek.describe_signing_key(8001)), true,
          'the administrator describes the signing key');
SELECT throws_ok($$INSERT INTO otan_enbek.audit_log (session_user_name, current_user_name, action)
                   VALUES ('x', 'y', 'forged')$$, '42501', NULL,
                 'the administrator cannot write the audit log directly');
SELECT throws_ok($$DELETE FROM otan_enbek.audit_log$$, '42501', NULL,
                 'the administrator cannot delete audit entries');
SELECT throws_ok($$DELETE FROM otan_enbek.org_access$$, '42501', NULL,
                 'the administrator changes organization access only through the functions');
SELECT throws_ok($$SELECT otan_enbek.audit_record(NULL, 'forged', '{}', 'postgres')$$,
                 '42501', NULL,
                 'the administrator cannot record an entry as another role');
RESET SESSION AUTHORIZATION;

-- The audit trail of the administrator's calls above.
SELECT results_eq(
    $$SELECT session_user_name::text COLLATE "default", current_user_name::text COLLATE "default",
             org_id, action, detail
      FROM otan_enbek.audit_log ORDER BY audit_id$$,
    format($$VALUES (%1$L, 'otan_tap_admin_user', 8001, 'grant_org_access',
                     '{"role": "otan_tap_operator_user"}'::jsonb),
                    (%1$L, 'otan_tap_admin_user', 8001, 'grant_org_access',
                     '{"role": "otan_tap_reader_user"}'::jsonb),
                    ('otan_tap_admin_user', 'otan_tap_admin_user', 8002,
                     'employee_personal_data', '{"employees": 1}'::jsonb),
                    ('otan_tap_admin_user', 'otan_tap_admin_user', 8001,
                     'describe_signing_key', '{}'::jsonb)$$, :'tap_session'),
    'the audit log names who read what of which organization');
SELECT ok((SELECT bool_and(at > now() - interval '1 hour' AND at <= clock_timestamp())
           FROM otan_enbek.audit_log),
          'each audit entry records when');

-- Taking the organization away hides it again.
SET ROLE otan_tap_admin_user;
SELECT is(otan_enbek.revoke_org_access('otan_tap_reader_user', 8001), true,
          'revoke_org_access reports a removed assignment');
RESET ROLE;
SET ROLE otan_tap_reader_user;
SELECT is((SELECT count(*) FROM otan_enbek.reader_employee), 0::bigint,
          'a reader whose organization was revoked sees nothing');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
