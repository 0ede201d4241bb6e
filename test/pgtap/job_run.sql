-- Manual runs write one job_run row each: a success with its counts, a
-- failure with the error's SQLSTATE, message, detail and hint, and the
-- failed step's changes rolled back.  Cancelling a submission works only
-- while none of its parts was ever sent.  The progress of a run is in the
-- progress view, and status() sums the runs up.
BEGIN;
SELECT plan(52);
SET LOCAL client_min_messages = error;

INSERT INTO otan_enbek.organization (org_id, bin, name)
    OVERRIDING SYSTEM VALUE VALUES (9401, '050440000012', 'School No. 7');
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
    OVERRIDING SYSTEM VALUE VALUES (9401, 94011, '810111300012', 'Abenova', 'Aigul');

-- A successful run.
CREATE TEMP TABLE run AS
SELECT * FROM otan_enbek.run_attendance(9401, '2025-11-01');
SELECT is((SELECT status FROM run), 'succeeded', 'run_attendance succeeds');
SELECT is((SELECT (kind, trigger, first_day, last_day)::text FROM run),
          '(attendance,manual,2025-11-01,2025-11-30)',
          'the row has the kind, the trigger and the period to the end of the month');
SELECT is((SELECT counts->>'days_written' FROM run), '30', 'the row counts the days written');
SELECT is((SELECT finished_at >= started_at FROM run), true, 'the row has its end');
SELECT is((SELECT error_message FROM run), NULL, 'the row has no error');
SELECT is((SELECT count(*) FROM otan_enbek.job_run WHERE org_id = 9401), 1::bigint,
          'one run, one row');
SELECT is((SELECT count(*) FROM otan_enbek.attendance_day WHERE org_id = 9401), 30::bigint,
          'the step wrote attendance');

-- A failing run keeps its row and its error.
CREATE TEMP TABLE failed AS
SELECT * FROM otan_enbek.run_timesheet_submit(9401, '2025-10-15');
SELECT is((SELECT status FROM failed), 'failed', 'submitting a month without a timesheet fails');
SELECT is((SELECT (kind, first_day, last_day)::text FROM failed),
          '(timesheet_submit,2025-10-01,2025-10-31)', 'the failed row has the kind and month');
SELECT is((SELECT error_sqlstate FROM failed), 'P0002', 'the row has the SQLSTATE');
SELECT is((SELECT error_message FROM failed), 'organization 9401 has no timesheet for 2025-10',
          'the row has the message');
SELECT is((SELECT error_hint FROM failed),
          'Build it first: SELECT * FROM otan_enbek.run_timesheet_build(9401, ''2025-10-01'').',
          'the row has the hint');
SELECT is((SELECT finished_at IS NOT NULL FROM failed), true, 'the failed row has its end');
SELECT is((SELECT status FROM otan_enbek.job_run WHERE run_id = (SELECT run_id FROM failed)),
          'failed', 'the failed row is stored');

-- A failure after the step changed data rolls the changes back, not the row.
CREATE TEMP TABLE rolled_back AS
SELECT * FROM otan_enbek.run_attendance(9401, '2025-11-01', '2027-01-01');
SELECT is((SELECT status FROM rolled_back), 'failed', 'a period over 366 days fails');
SELECT is((SELECT error_detail FROM rolled_back), 'A period has at most 366 days.',
          'the row has the detail');
SELECT is((SELECT count(*) FROM otan_enbek.attendance_day WHERE org_id = 9401), 30::bigint,
          'the earlier attendance is kept');

SELECT throws_ok($$SELECT otan_enbek.run_job('vacuum', 9401, NULL, NULL)$$, '22023',
                 'unknown job kind "vacuum"', 'an unknown kind raises an error');
SELECT throws_ok($$SELECT otan_enbek.resubmit_timesheet(9401, NULL)$$, '22004',
                 'the month of the timesheet_resubmit run must not be null',
                 'resubmit_timesheet rejects a null month');
SELECT throws_ok($$SELECT otan_enbek.run_timesheet_build(9401, NULL)$$, '22004',
                 'the month of the timesheet_build run must not be null',
                 'run_timesheet_build rejects a null month');
SELECT throws_ok($$SELECT otan_enbek.run_timesheet_submit(9401, NULL)$$, '22004',
                 'the month of the timesheet_submit run must not be null',
                 'run_timesheet_submit rejects a null month');
SELECT throws_ok($$SELECT otan_enbek.run_attendance(9401, NULL)$$, '22004',
                 'the month of the attendance run must not be null',
                 'run_attendance rejects a null first day');

-- Timesheets and submissions: 9501 with two queued parts never attempted,
-- 9502 queued after one attempt, 9503 sent, 9504 accepted.
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, version, status,
                                  working_days, norm_hours)
    OVERRIDING SYSTEM VALUE
SELECT 9401, 9500 + v, make_date(2025, v, 1), 1, 'submitted', 20, 160
FROM generate_series(1, 4) AS v;
UPDATE otan_enbek.timesheet SET status = 'accepted' WHERE timesheet_id = 9504;
INSERT INTO otan_enbek.submission
    (org_id, submission_id, timesheet_id, part_no, part_count, message_id, service_id,
     document, document_sha256, signature_value, key_fingerprint, certificate_serial,
     certificate_not_after, status, attempts)
OVERRIDING SYSTEM VALUE
SELECT 9401, 95000 + s.n, s.sheet, s.part, s.parts, gen_random_uuid(), 'OTAN_TIMESHEET_V1',
       '<ts:timesheetRequest/>', '\x00', 'sig', 'fp', '1001', '2030-01-01', s.status, s.attempts
FROM (VALUES (1, 9501, 1, 2, 'queued', 0), (2, 9501, 2, 2, 'queued', 0),
             (3, 9502, 1, 1, 'queued', 1), (4, 9503, 1, 1, 'sent', 1),
             (5, 9504, 1, 1, 'sending', 1)) AS s (n, sheet, part, parts, status, attempts);
UPDATE otan_enbek.submission SET status = 'accepted' WHERE submission_id = 95005;
INSERT INTO otan_enbek.submission_event (org_id, submission_id, event_no, kind)
SELECT 9401, submission_id, 1, 'created' FROM otan_enbek.submission WHERE org_id = 9401;

-- Cancel before sending.
CREATE TEMP TABLE cancelled AS SELECT * FROM otan_enbek.cancel_submission(9401, 9501);
SELECT is((SELECT status FROM cancelled), 'succeeded', 'a queued timesheet is cancelled');
SELECT is((SELECT counts FROM cancelled), '{"cancelled": 2, "timesheet_id": 9501}'::jsonb,
          'the row counts both parts');
SELECT is((SELECT array_agg(status ORDER BY part_no) FROM otan_enbek.submission
           WHERE timesheet_id = 9501), ARRAY['cancelled', 'cancelled'],
          'both parts are cancelled');
SELECT is((SELECT count(*) FROM otan_enbek.submission_event e
           WHERE e.org_id = 9401 AND e.kind = 'cancelled' AND e.event_no = 2), 2::bigint,
          'each part has a cancelled event after its created event');
SELECT is((SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = 9501), 'cancelled',
          'the timesheet is cancelled');

-- A submission that was attempted or sent is not cancelled.
CREATE TEMP TABLE not_cancelled AS
SELECT t.sheet, r.*
FROM (VALUES (9502), (9503)) AS t (sheet),
     LATERAL otan_enbek.cancel_submission(9401, t.sheet) AS r;
SELECT is((SELECT status FROM not_cancelled WHERE sheet = 9502), 'failed',
          'a queued submission that was attempted is not cancelled');
SELECT is((SELECT error_message FROM not_cancelled WHERE sheet = 9502),
          'timesheet 9502 has already been sent to Enbek', 'with a clear error');
SELECT is((SELECT error_detail FROM not_cancelled WHERE sheet = 9502),
          'Only submissions that are queued and were never attempted can be cancelled: part 1: queued after 1 attempts.',
          'whose detail names the part and its attempts');
SELECT is((SELECT status FROM not_cancelled WHERE sheet = 9503), 'failed',
          'a sent submission is not cancelled');
SELECT is((SELECT error_sqlstate FROM not_cancelled WHERE sheet = 9503), '55000',
          'with SQLSTATE object_not_in_prerequisite_state');
SELECT is((SELECT array_agg(status ORDER BY submission_id) FROM otan_enbek.submission
           WHERE submission_id IN (95003, 95004)), ARRAY['queued', 'sent'],
          'their submissions keep their status');
SELECT is((SELECT status FROM otan_enbek.cancel_submission(9401, 9599)), 'failed',
          'cancelling a timesheet without submissions fails');

-- The guard enforces the same rule on a direct update.
SELECT throws_ok($$UPDATE otan_enbek.submission SET status = 'cancelled' WHERE submission_id = 95004$$,
                 '55000', 'submission 95004 cannot be cancelled',
                 'the guard rejects cancelling a sent submission');
SELECT throws_ok($$UPDATE otan_enbek.submission SET status = 'queued' WHERE submission_id = 95001$$,
                 '23000', 'submission 95001 cannot change from cancelled to queued',
                 'cancelled is final');

-- Resubmission is refused while in delivery.  After acceptance the new
-- version is a correction: version 1 of 2025-04 has no lines, so the
-- employees of the new build are added.
SELECT is((SELECT error_message FROM otan_enbek.resubmit_timesheet(9401, '2025-03-01')),
          'timesheet 9503 of 2025-03 is still in delivery', 'a month in delivery is not resubmitted');
CREATE TEMP TABLE corrected AS SELECT * FROM otan_enbek.resubmit_timesheet(9401, '2025-04-01');
SELECT is((SELECT (status, counts->>'kind', counts->>'version')::text FROM corrected),
          '(succeeded,correction,2)', 'an accepted month is resubmitted as a correction');

-- An ingest of a missing file fails with the organization of its source.
INSERT INTO otan_enbek.source (org_id, source_id, name, default_format)
    OVERRIDING SYSTEM VALUE VALUES (9401, 9402, 'turnstile', 'zkteco');
CREATE TEMP TABLE missing_file AS
SELECT * FROM otan_enbek.run_ingest(9402, '/nonexistent/attlog.dat');
SELECT is((SELECT status FROM missing_file), 'failed', 'an ingest of a missing file fails');
SELECT is((SELECT org_id FROM missing_file), 9401, 'the row has the source''s organization');
SELECT is((SELECT error_sqlstate FROM missing_file), '58P01', 'the row has the file error');
SELECT is((SELECT target->>'path' FROM missing_file), '/nonexistent/attlog.dat',
          'the row has the path');

-- A re-import needs a batch read from a file.
SELECT throws_ok($$SELECT otan_enbek.reimport_batch(9401, 999999)$$, 'P0002',
                 'batch 999999 of organization 9401 does not exist',
                 'reimport_batch of an unknown batch raises an error');

-- Progress of this session.
SELECT is(otan_enbek.progress_start('ingest', 9401, 42), true,
          'progress_start reports to shared memory');
SELECT otan_enbek.progress_phase('parsing', 'bytes', 1000);
SELECT is((SELECT (command, org_id, run_id, phase, done, total, unit)::text
           FROM otan_enbek.progress WHERE pid = pg_backend_pid()),
          '(ingest,9401,42,parsing,0,1000,bytes)', 'the progress view shows the command');
SELECT otan_enbek.progress_end();
SELECT is((SELECT count(*) FROM otan_enbek.progress WHERE pid = pg_backend_pid()), 0::bigint,
          'progress_end frees the slot');
SELECT is((SELECT count(*) FROM otan_enbek.progress WHERE pid = pg_backend_pid()
                                                    AND command = 'attendance'),
          0::bigint, 'a finished run leaves no progress');

-- The administrator's views.
SELECT is((SELECT (status, runs, failed_runs)::text FROM otan_enbek.run_today
           WHERE org_id = 9401 AND kind = 'attendance'),
          '(failed,2,1)', 'run_today shows the last attendance run and the counts');
SELECT is((SELECT count(*) FROM otan_enbek.recent_error WHERE org_id = 9401), 7::bigint,
          'recent_error lists every failed run');
SELECT is((SELECT array_agg(submission_id ORDER BY submission_id)
           FROM otan_enbek.submission_attention WHERE org_id = 9401),
          ARRAY(SELECT unnest(ARRAY[95003, 95004, (SELECT (counts->'submission_ids'->>0)::bigint
                                                   FROM corrected)])
                ORDER BY 1),
          'submission_attention lists the parts still in delivery');
SELECT is((SELECT state FROM otan_enbek.status() WHERE org_id = 9401 AND area = 'today attendance'),
          'failed', 'status() shows the last attendance run');
SELECT is((SELECT summary FROM otan_enbek.status() WHERE org_id = 9401 AND area = 'submissions'
                                                      AND state = 'queued'),
          '2 parts of 2025-02, 2025-04', 'status() counts the submissions waiting');

SELECT * FROM finish();
ROLLBACK;
