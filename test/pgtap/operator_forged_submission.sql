-- KNOWN FAILURE (tester finding): operators have INSERT on
-- otan_enbek.submission, because submit_timesheet runs with their
-- privileges.  An INSERT by hand bypasses submit_timesheet: an operator
-- stores a submission that is already accepted, which Enbek never
-- received, or queues a document that submit_timesheet did not sign, which
-- the worker then sends with the employer's WS-Security signature.
BEGIN;
SELECT plan(2);
SET LOCAL client_min_messages = warning;

CREATE ROLE otan_tap_forge_operator IN ROLE otan_enbek_operator;
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (7701, '050440000012', 'School 77');
SELECT otan_enbek.grant_org_access('otan_tap_forge_operator', 7701);
INSERT INTO otan_enbek.timesheet
    (org_id, timesheet_id, month, version, status, working_days, norm_hours)
VALUES (7701, 770100, '2025-11-01', 1, 'built', 20, 160),
       (7701, 770200, '2025-10-01', 1, 'built', 23, 184);

SET LOCAL ROLE otan_tap_forge_operator;
SELECT throws_ok($$
    INSERT INTO otan_enbek.submission
        (org_id, timesheet_id, part_no, part_count, message_id, service_id, document,
         document_sha256, signature_value, key_fingerprint, certificate_serial,
         certificate_not_after, status)
    VALUES (7701, 770100, 1, 1, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<x/>',
            sha256('<x/>'), 'sig', 'fp', '1', '2030-01-01', 'accepted')$$,
    NULL, NULL, 'forged submission: an accepted row is rejected');
SELECT throws_ok($$
    INSERT INTO otan_enbek.submission
        (org_id, timesheet_id, part_no, part_count, message_id, service_id, document,
         document_sha256, signature_value, key_fingerprint, certificate_serial,
         certificate_not_after)
    VALUES (7701, 770200, 1, 1, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<forged/>',
            sha256('<forged/>'), 'sig', 'fp', '1', '2030-01-01')$$,
    NULL, NULL, 'forged submission: a queued row by hand is rejected');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
