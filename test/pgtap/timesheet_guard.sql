-- A timesheet version that left the status built keeps its lines, and an
-- accepted one is final.  An operator has UPDATE on timesheet and
-- timesheet_line for build_timesheet, but cannot rewrite the signed lines,
-- move a version back to built or mark it accepted by hand.  The steps of
-- the extension still pass: a build in place, a new version after a
-- submission, and accepted once every part is accepted.  Administrators
-- are held to the same rules; superusers are not.
BEGIN;
SELECT plan(20);
SET LOCAL client_min_messages = warning;

CREATE ROLE otan_tap_guard_operator IN ROLE otan_enbek_operator;
CREATE ROLE otan_tap_guard_admin IN ROLE otan_enbek_admin;

INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (5801, '050440000012', 'School 58');
SELECT otan_enbek.grant_org_access('otan_tap_guard_operator', 5801);
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, version, status,
                                  working_days, norm_hours)
    OVERRIDING SYSTEM VALUE
VALUES (5801, 5811, '2025-10-01', 1, 'built', 23, 184),
       (5801, 5812, '2025-11-01', 1, 'built', 20, 160),
       (5801, 5813, '2025-12-01', 1, 'built', 22, 176);
INSERT INTO otan_enbek.timesheet_line (org_id, timesheet_id, employee_id, line_no, iin,
                                       full_name, day_codes, day_hours)
SELECT 5801, t, 1, 1, '850111304210', 'Abenov Arman', '{Я}', '{8}'
FROM unnest(ARRAY[5811, 5812, 5813]) AS t;
-- Timesheet 5811 was accepted and 5812 is in delivery, as the steps of
-- the extension and the delivery worker, a superuser, leave them.
INSERT INTO otan_enbek.submission
    (org_id, submission_id, timesheet_id, message_id, service_id, document,
     document_sha256, signature_value, key_fingerprint, certificate_serial,
     certificate_not_after, status)
OVERRIDING SYSTEM VALUE
VALUES (5801, 5821, 5811, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<ts:timesheetRequest/>',
        '\x00', 'sig', 'fp', '1001', '2030-01-01', 'queued'),
       (5801, 5822, 5812, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<ts:timesheetRequest/>',
        '\x00', 'sig', 'fp', '1001', '2030-01-01', 'queued');
UPDATE otan_enbek.submission SET status = 'sending' WHERE submission_id = 5821;
UPDATE otan_enbek.submission SET status = 'accepted', finished_at = now()
WHERE submission_id = 5821;
SET LOCAL ROLE otan_tap_guard_operator;
UPDATE otan_enbek.timesheet SET status = 'submitted' WHERE timesheet_id IN (5811, 5812);
SELECT lives_ok($$UPDATE otan_enbek.timesheet SET status = 'accepted' WHERE timesheet_id = 5811$$,
                'accepted is set once every part is accepted');
RESET ROLE;

SET LOCAL ROLE otan_tap_guard_operator;

-- The lines of a submitted or accepted version.
SELECT throws_ok($$UPDATE otan_enbek.timesheet_line SET hours_worked = 999
                   WHERE timesheet_id = 5811$$,
                 '23000', 'lines of timesheet 5811 of organization 5801 cannot be changed',
                 'lines of an accepted timesheet cannot be updated');
SELECT throws_ok($$UPDATE otan_enbek.timesheet_line SET hours_worked = 999
                   WHERE timesheet_id = 5812$$,
                 '23000', 'lines of timesheet 5812 of organization 5801 cannot be changed',
                 'lines of a submitted timesheet cannot be updated');
SELECT throws_ok($$DELETE FROM otan_enbek.timesheet_line WHERE timesheet_id = 5812$$,
                 '23000', 'lines of timesheet 5812 of organization 5801 cannot be changed',
                 'lines of a submitted timesheet cannot be deleted');
SELECT throws_ok($$INSERT INTO otan_enbek.timesheet_line (org_id, timesheet_id, employee_id,
                       line_no, iin, full_name, day_codes, day_hours)
                   VALUES (5801, 5812, 2, 2, '850212304222', 'Bekova Aigul', '{Я}', '{8}')$$,
                 '23000', 'lines of timesheet 5812 of organization 5801 cannot be changed',
                 'no line can be added to a submitted timesheet');
SELECT lives_ok($$UPDATE otan_enbek.timesheet_line SET hours_worked = 8
                  WHERE timesheet_id = 5813$$,
                'lines of a built timesheet can be rebuilt');

-- The status of a version.
SELECT throws_ok($$UPDATE otan_enbek.timesheet SET status = 'built' WHERE timesheet_id = 5811$$,
                 '23000', 'timesheet 5811 of organization 5801 cannot be changed',
                 'an accepted timesheet cannot go back to built');
SELECT throws_ok($$UPDATE otan_enbek.timesheet SET status = 'returned' WHERE timesheet_id = 5811$$,
                 '23000', 'timesheet 5811 of organization 5801 cannot be changed',
                 'an accepted timesheet cannot change its status');
SELECT throws_ok($$UPDATE otan_enbek.timesheet SET norm_hours = 1 WHERE timesheet_id = 5811$$,
                 '23000', 'timesheet 5811 of organization 5801 cannot be changed',
                 'an accepted timesheet cannot change its figures');
SELECT throws_ok($$UPDATE otan_enbek.timesheet SET status = 'built' WHERE timesheet_id = 5812$$,
                 '23000', 'timesheet 5812 cannot change from submitted to built',
                 'a submitted timesheet cannot go back to built');
SELECT throws_ok($$UPDATE otan_enbek.timesheet SET status = 'accepted' WHERE timesheet_id = 5812$$,
                 '23000', 'timesheet 5812 cannot be marked accepted',
                 'a timesheet whose part is queued cannot be marked accepted');
SELECT throws_ok($$UPDATE otan_enbek.timesheet SET status = 'accepted' WHERE timesheet_id = 5813$$,
                 '23000', 'timesheet 5813 cannot be marked accepted',
                 'a timesheet never submitted cannot be marked accepted');

SELECT throws_ok($$UPDATE otan_enbek.timesheet SET status = 'returned' WHERE timesheet_id = 5812$$,
                 '23000', 'timesheet 5812 cannot be marked returned',
                 'a timesheet without a returned part cannot be marked returned');
SELECT throws_ok($$UPDATE otan_enbek.timesheet SET status = 'failed' WHERE timesheet_id = 5812$$,
                 '23000', 'timesheet 5812 cannot be marked failed',
                 'a timesheet without a failed part cannot be marked failed');
SELECT throws_ok($$UPDATE otan_enbek.timesheet SET status = 'cancelled' WHERE timesheet_id = 5812$$,
                 '23000', 'timesheet 5812 cannot be marked cancelled',
                 'a timesheet whose part is queued cannot be marked cancelled');

-- With the status kept, the day of an accepted month cannot be edited.
SELECT is((SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = 5811), 'accepted',
          'timesheet 5811 is still accepted');
SELECT is((SELECT hours_worked FROM otan_enbek.timesheet_line WHERE timesheet_id = 5811),
          0::numeric, 'its line keeps its hours');
RESET ROLE;

SET LOCAL ROLE otan_tap_guard_admin;
SELECT throws_ok($$DELETE FROM otan_enbek.timesheet WHERE timesheet_id = 5811$$,
                 '23000', 'timesheet 5811 of organization 5801 cannot be changed',
                 'an accepted timesheet cannot be deleted');
SELECT throws_ok($$UPDATE otan_enbek.timesheet_line SET hours_worked = 999
                   WHERE timesheet_id = 5811$$,
                 '23000', 'lines of timesheet 5811 of organization 5801 cannot be changed',
                 'an administrator cannot change accepted lines');
SELECT lives_ok($$DELETE FROM otan_enbek.timesheet WHERE timesheet_id = 5813$$,
                'a built timesheet is deleted with its lines');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
