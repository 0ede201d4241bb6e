-- Errors of build_timesheet, and the rules of its versions.
BEGIN;
SELECT plan(10);

INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4301, '090440004210', 'School E');

SELECT throws_ok($$SELECT otan_enbek.build_timesheet(NULL, '2026-02-01')$$,
                 '22004', NULL, 'build_timesheet rejects a null organization');
SELECT throws_ok($$SELECT otan_enbek.build_timesheet(4301, NULL)$$,
                 '22004', NULL, 'build_timesheet rejects a null month');
SELECT throws_ok($$SELECT otan_enbek.build_timesheet(999999, '2026-02-01')$$,
                 '42704', 'organization 999999 does not exist',
                 'build_timesheet rejects an unknown organization');
SELECT throws_ok($$SELECT otan_enbek.build_timesheet(4301, 'infinity')$$,
                 '22023', NULL, 'build_timesheet rejects an infinite month');

-- An organization without employees gets an empty timesheet with the
-- month's working days: February 2026 has 20.
SELECT otan_enbek.build_timesheet(4301, '2026-02-17') AS first_id \gset
SELECT is((SELECT working_days FROM otan_enbek.timesheet WHERE timesheet_id = :first_id), 20,
          'February 2026 has 20 working days');
SELECT is((SELECT count(*) FROM otan_enbek.timesheet WHERE org_id = 4301), 1::bigint,
          'one version after the first build');
SELECT is((SELECT month FROM otan_enbek.timesheet WHERE org_id = 4301), '2026-02-01'::date,
          'the month is stored as its first day');

-- Each status after built makes the next build a new version.
UPDATE otan_enbek.timesheet SET status = 'returned' WHERE org_id = 4301;
SELECT otan_enbek.build_timesheet(4301, '2026-02-01') AS second_id \gset
UPDATE otan_enbek.timesheet SET status = 'failed' WHERE org_id = 4301 AND version = 2;
SELECT otan_enbek.build_timesheet(4301, '2026-02-01') AS third_id \gset
SELECT results_eq($$SELECT version, status FROM otan_enbek.timesheet WHERE org_id = 4301 ORDER BY version$$,
                  $$VALUES (1, 'returned'), (2, 'failed'), (3, 'built')$$,
                  'returned and failed versions stay, the new one is built');
SELECT is(otan_enbek.build_timesheet(4301, '2026-02-01'), :third_id,
          'a built version is rebuilt in place');
SELECT is((SELECT count(*) FROM otan_enbek.timesheet WHERE org_id = 4301), 3::bigint,
          'and no version is added');

SELECT * FROM finish();
ROLLBACK;
