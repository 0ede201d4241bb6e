-- Retention.  purge_expired drops the monthly partitions of skud_event
-- that every organization with events in them allows, and keeps the
-- months that a timesheet not yet accepted depends on.  It deletes expired
-- rejected lines, reports each decision, and changes nothing in a dry run.
BEGIN;
SELECT plan(24);

CREATE ROLE otan_tap_retention_admin LOGIN IN ROLE otan_enbek_admin;

-- Organization 9001 keeps 6 months of events and 30 days of rejected
-- lines; 9002 has no retention policy yet.
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (9001, '050440000012', 'School A'), (9002, '110340000072', 'School B');
INSERT INTO otan_enbek.source (org_id, source_id, name)
VALUES (9001, 9101, 'Gate A'), (9002, 9102, 'Gate B');
INSERT INTO otan_enbek.retention_policy (org_id, event_months, reject_days)
VALUES (9001, 6, 30);

-- The cases, by whole months before the current month (UTC); the purge
-- keeps the 6 months before the current one.
CREATE TEMP TABLE month_case (months_ago integer PRIMARY KEY, part text, first_day date);
INSERT INTO month_case
SELECT m,
       'skud_event_p' || to_char(date_trunc('month', now() AT TIME ZONE 'UTC')
                                 - m * interval '1 month', 'YYYYMM'),
       (date_trunc('month', now() AT TIME ZONE 'UTC') - m * interval '1 month')::date
FROM unnest(ARRAY[18, 13, 11, 9, 8, 7, 3]) AS m;

-- 18 months ago: an empty partition.
-- 13 months ago: events of 9001 without a timesheet.
-- 11 months ago: events of 9001 whose timesheet is accepted (version 2;
--                version 1 was superseded).
--  9 months ago: events of 9001 whose timesheet is built, not accepted.
--  8 months ago: events of 9001 in the partition after that month: the
--                timesheet's attribution reaches two days into it.
--  7 months ago: events of 9001 and of 9002, which has no policy.
--  3 months ago: events of 9001 within its retention.
CREATE TEMP TABLE made AS
SELECT otan_enbek.ensure_event_partitions(first_day, first_day) FROM month_case;
INSERT INTO otan_enbek.skud_event (org_id, occurred_at, source_id, external_id,
                                   credential_kind, credential)
SELECT c.org, c.first_day + interval '10 days 5 hours' + n * interval '1 minute',
       c.org + 100, c.months_ago || '-' || n, 'person', '1'
FROM (SELECT months_ago, first_day, 9001 AS org FROM month_case WHERE months_ago <> 18
      UNION ALL
      SELECT months_ago, first_day, 9002 FROM month_case WHERE months_ago = 7) AS c,
     generate_series(1, 3) AS n;
INSERT INTO otan_enbek.timesheet (org_id, month, version, status, working_days, norm_hours)
SELECT 9001, first_day, v, s, 21, 168
FROM month_case,
     (VALUES (11, 1, 'superseded'), (11, 2, 'accepted'), (9, 1, 'built')) AS t(m, v, s)
WHERE months_ago = t.m;

-- Rejected lines: 9001 has an expired batch of 2 and a recent one of 1;
-- 9002 has an old batch of 1 but no policy.
INSERT INTO otan_enbek.ingest_batch (org_id, batch_id, source_id, format, started_at,
                                     read_count, rejected_count)
VALUES (9001, 9401, 9101, 'zkteco', now() - interval '40 days', 2, 2),
       (9001, 9402, 9101, 'zkteco', now() - interval '1 day', 1, 1),
       (9002, 9403, 9102, 'zkteco', now() - interval '400 days', 1, 1);
INSERT INTO otan_enbek.ingest_reject (org_id, batch_id, line_no, reason, raw)
VALUES (9001, 9401, 1, 'invalid state', 'x'), (9001, 9401, 2, 'invalid state', 'x'),
       (9001, 9402, 1, 'invalid state', 'x'), (9002, 9403, 1, 'invalid state', 'x');

-- The purge report of the test's partitions, by months_ago, and of the
-- test organizations' rejected lines, by -org_id.
CREATE FUNCTION pg_temp.report(dry_run boolean)
    RETURNS TABLE (case_no integer, action text, row_count bigint, reason text)
    LANGUAGE sql AS $$
SELECT coalesce(c.months_ago, -r.org_id), r.action, r.row_count, r.reason
FROM otan_enbek.purge_expired(dry_run) AS r
LEFT JOIN month_case AS c ON r.object = 'otan_enbek.' || c.part
WHERE c.months_ago IS NOT NULL
   OR (r.object = 'otan_enbek.ingest_reject' AND r.org_id IN (9001, 9002))
ORDER BY 1 DESC
$$;
GRANT EXECUTE ON FUNCTION pg_temp.report(boolean) TO otan_tap_retention_admin;
GRANT SELECT ON month_case TO otan_tap_retention_admin;

-- Dry run.
SET ROLE otan_tap_retention_admin;
CREATE TEMP TABLE dry AS SELECT * FROM pg_temp.report(true);
RESET ROLE;
SELECT results_eq(
    $$SELECT case_no, action, row_count FROM dry ORDER BY case_no DESC$$,
    $$VALUES (18, 'would drop', 0::bigint), (13, 'would drop', 3::bigint),
             (11, 'would drop', 3::bigint), (9, 'keep', NULL), (8, 'keep', NULL),
             (7, 'keep', NULL), (3, 'keep', NULL),
             (-9001, 'would delete', 2::bigint), (-9002, 'keep', NULL)$$,
    'the dry run reports what it would drop, delete and keep');
SELECT matches((SELECT reason FROM dry WHERE case_no = 9),
               '^timesheet [0-9]+ of organization 9001 for [0-9-]+ is built, not accepted$',
               'a month with a built timesheet is kept for it');
SELECT matches((SELECT reason FROM dry WHERE case_no = 8),
               'organization 9001 for [0-9-]+ is built, not accepted$',
               'the partition after that month is kept for the same timesheet');
SELECT is((SELECT reason FROM dry WHERE case_no = 7),
          'organization 9002 has no retention policy',
          'a partition with events of an organization without a policy is kept');
SELECT is((SELECT reason FROM dry WHERE case_no = 3),
          'organization 9001 keeps 6 months of events',
          'a partition within the retention is kept');
SELECT is((SELECT reason FROM dry WHERE case_no = -9002),
          'organization 9002 has no retention policy',
          'rejected lines of an organization without a policy are kept');
SELECT is((SELECT count(*) FROM month_case WHERE to_regclass('otan_enbek.' || part) IS NULL),
          0::bigint, 'the dry run drops no partition');
SELECT is((SELECT count(*) FROM otan_enbek.ingest_reject WHERE org_id IN (9001, 9002)),
          4::bigint, 'the dry run deletes no rejected line');
SELECT is((SELECT count(*) FROM otan_enbek.audit_log WHERE action = 'purge_expired'),
          0::bigint, 'a dry run is not audited');

-- Purge.
SET ROLE otan_tap_retention_admin;
CREATE TEMP TABLE purged AS SELECT * FROM pg_temp.report(false);
RESET ROLE;
SELECT results_eq(
    $$SELECT case_no, action FROM purged ORDER BY case_no DESC$$,
    $$VALUES (18, 'dropped'), (13, 'dropped'), (11, 'dropped'), (9, 'keep'),
             (8, 'keep'), (7, 'keep'), (3, 'keep'), (-9001, 'deleted'), (-9002, 'keep')$$,
    'the purge reports what it dropped, deleted and kept');
SELECT is((SELECT array_agg(months_ago ORDER BY months_ago DESC) FROM month_case
           WHERE to_regclass('otan_enbek.' || part) IS NULL),
          '{18,13,11}', 'the purge drops the expired partitions');
SELECT is((SELECT count(*) FROM otan_enbek.skud_event AS e
           JOIN month_case AS c ON e.occurred_at >= c.first_day
                               AND e.occurred_at < c.first_day + interval '1 month'
           WHERE c.months_ago = 9), 3::bigint,
          'the events of the month with a built timesheet remain');
SELECT is((SELECT count(*) FROM otan_enbek.skud_event WHERE org_id IN (9001, 9002)), 15::bigint,
          'the events of every kept partition remain');
SELECT is((SELECT array_agg(org_id || '/' || batch_id ORDER BY batch_id)
           FROM otan_enbek.ingest_reject WHERE org_id IN (9001, 9002)),
          '{9001/9402,9002/9403}',
          'the purge deletes expired rejected lines and keeps the others');
SELECT is((SELECT count(*) FROM otan_enbek.ingest_batch WHERE batch_id IN (9401, 9402, 9403)),
          3::bigint, 'the batches themselves remain');
SELECT results_eq(
    $$SELECT current_user_name::text COLLATE "default", detail FROM otan_enbek.audit_log
      WHERE action = 'purge_expired'$$,
    $$VALUES ('otan_tap_retention_admin',
              '{"partitions_dropped": 3, "rejected_lines_deleted": 2}'::jsonb)$$,
    'the purge is audited with what it removed');

-- A policy for 9002 releases its partition; accepting the timesheet
-- releases its months.
INSERT INTO otan_enbek.retention_policy (org_id, event_months) VALUES (9002, 6);
SELECT is((SELECT action FROM otan_enbek.purge_expired() AS r
           JOIN month_case AS c ON r.object = 'otan_enbek.' || c.part
           WHERE c.months_ago = 7), 'would drop',
          'a partition goes once every organization in it allows it');
UPDATE otan_enbek.timesheet SET status = 'accepted' WHERE org_id = 9001 AND status = 'built';
SELECT is((SELECT array_agg(c.months_ago ORDER BY c.months_ago DESC)
           FROM otan_enbek.purge_expired() AS r
           JOIN month_case AS c ON r.object = 'otan_enbek.' || c.part
           WHERE r.action = 'would drop'), '{9,8,7}',
          'the months of an accepted timesheet go');
SELECT is((SELECT action FROM otan_enbek.purge_expired() AS r
           WHERE r.object = 'otan_enbek.ingest_reject' AND r.org_id = 9002),
          'would delete', 'with a policy, rejected lines of 9002 are purged');
SELECT is((SELECT row_count FROM otan_enbek.purge_expired() AS r
           WHERE r.object = 'otan_enbek.ingest_reject' AND r.org_id = 9002),
          1::bigint, 'the default of 365 days expires a reject of 400 days ago');

-- Errors and privileges.
SELECT throws_ok('SELECT * FROM otan_enbek.purge_expired(NULL)', '22004', 'dry_run is NULL',
                 'dry_run must not be NULL');
CREATE ROLE otan_tap_retention_operator IN ROLE otan_enbek_operator;
SET ROLE otan_tap_retention_operator;
SELECT throws_ok('SELECT * FROM otan_enbek.purge_expired(true)', '42501', NULL,
                 'an operator cannot run retention');
SELECT throws_ok($$INSERT INTO otan_enbek.retention_policy VALUES (9002, 1, 1)$$, '42501', NULL,
                 'an operator cannot change retention');
RESET ROLE;
SELECT throws_ok($$INSERT INTO otan_enbek.retention_policy VALUES (9003, 0, 1)$$, '23514', NULL,
                 'a retention of 0 months is rejected');

SELECT * FROM finish();
ROLLBACK;
