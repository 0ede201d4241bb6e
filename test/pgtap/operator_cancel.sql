-- An operator cancels a queued submission of its own organization with
-- cancel_submission, although it has no UPDATE on otan_enbek.submission.
BEGIN;
SELECT plan(4);
SET LOCAL client_min_messages = warning;

CREATE ROLE otan_tap_cancel_operator IN ROLE otan_enbek_operator;
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (7601, '050440000012', 'School 76');
SELECT otan_enbek.grant_org_access('otan_tap_cancel_operator', 7601);
INSERT INTO otan_enbek.timesheet
    (org_id, timesheet_id, month, version, status, working_days, norm_hours)
VALUES (7601, 760100, '2025-11-01', 1, 'submitted', 20, 160);
INSERT INTO otan_enbek.submission
    (org_id, submission_id, timesheet_id, part_no, part_count, message_id, service_id,
     document, document_sha256, signature_value, key_fingerprint, certificate_serial,
     certificate_not_after, status, attempts)
OVERRIDING SYSTEM VALUE
VALUES (7601, 760101, 760100, 1, 1, gen_random_uuid(), 'OTAN_TIMESHEET_V1',
        '<ts:timesheetRequest/>', '\x00', 'sig', 'fp', '1001', '2030-01-01', 'queued', 0);
INSERT INTO otan_enbek.submission_event (org_id, submission_id, event_no, kind)
VALUES (7601, 760101, 1, 'created');

SET LOCAL ROLE otan_tap_cancel_operator;
CREATE TEMP TABLE cancelled AS SELECT * FROM otan_enbek.cancel_submission(7601, 760100);
SELECT is((SELECT error_message FROM cancelled), NULL,
          'operator cancel: the run raises no error');
SELECT is((SELECT status FROM cancelled), 'succeeded', 'operator cancel: the run succeeds');
RESET ROLE;

SELECT is((SELECT status FROM otan_enbek.submission WHERE submission_id = 760101), 'cancelled',
          'operator cancel: the submission is cancelled');
SELECT is((SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = 760100), 'cancelled',
          'operator cancel: the timesheet is cancelled');

SELECT * FROM finish();
ROLLBACK;
