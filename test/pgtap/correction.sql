-- otan_enbek.resubmit and the correction document: the changed lines of a
-- version against the newest accepted one, the document that carries
-- them, the submission it makes, the rejected cases, the history views and
-- who may call what.
BEGIN;
SELECT plan(54);
SET LOCAL client_min_messages = warning;

SELECT session_user AS tap_session \gset
CREATE ROLE otan_tap_corr_operator LOGIN IN ROLE otan_enbek_operator;
CREATE ROLE otan_tap_corr_reader LOGIN IN ROLE otan_enbek_reader;

-- Organization 6901 has the BIN of the test signing key.  6902 is an
-- organization that neither role is assigned.
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (6901, '050440000012', 'School No. 7'),
       (6902, '110340000072', 'Another School');
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, version, working_days, norm_hours)
VALUES (6902, 6941, '2025-10-01', 1, 23, 184);
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, contract_id)
VALUES (6901, 1, '810111300012', 'Abenova', 'Aigul', 'C-2024-0001'),
       (6901, 2, '820212300023', 'Bekov', 'Daniyar', NULL),
       (6901, 3, '830313300034', 'Serikova', 'Zhanna', 'C-2024-0003'),
       (6901, 4, '840414300045', 'Tulegenov', 'Arman', NULL);

-- October 2025: version 1 accepted (submission 69011), version 2 returned
-- (69012), version 3 built.  November 2025: version 1 returned, version 2
-- built.  December 2025: version 1 accepted, version 2 in delivery,
-- version 3 built.
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, version, status,
                                  working_days, norm_hours, built_at)
VALUES (6901, 6911, '2025-10-01', 1, 'submitted', 23, 184, '2025-11-02 04:00+00'),
       (6901, 6912, '2025-10-01', 2, 'submitted', 23, 184, '2025-11-03 04:00+00'),
       (6901, 6913, '2025-10-01', 3, 'built', 23, 184, '2025-11-04 04:00+00'),
       (6901, 6921, '2025-11-01', 1, 'submitted', 20, 160, '2025-12-02 04:00+00'),
       (6901, 6922, '2025-11-01', 2, 'built', 20, 160, '2025-12-03 04:00+00'),
       (6901, 6931, '2025-12-01', 1, 'submitted', 22, 176, '2026-01-02 04:00+00'),
       (6901, 6932, '2025-12-01', 2, 'submitted', 22, 176, '2026-01-03 04:00+00'),
       (6901, 6933, '2025-12-01', 3, 'built', 22, 176, '2026-01-04 04:00+00');

CREATE TEMP TABLE october_codes AS
SELECT array_agg(CASE WHEN extract(isodow FROM d) >= 6 THEN 'В' ELSE 'Я' END ORDER BY d) AS codes,
       array_agg(CASE WHEN extract(isodow FROM d) >= 6 THEN 0 ELSE 8 END ORDER BY d) AS hours
FROM generate_series('2025-10-01'::date, '2025-10-31', '1 day') AS d;

-- Every version has the lines of employees 1 to 3 with the same days, but
-- version 3 of October changes a day of employee 1, drops employee 2, adds
-- employee 4, and renames employee 3, whose name is not in the document.
-- Version 2 of November and version 3 of December equal their accepted
-- versions.
INSERT INTO otan_enbek.timesheet_line (org_id, timesheet_id, employee_id, line_no, iin,
                                       full_name, contract_id, day_codes, day_hours,
                                       days_worked, hours_worked, days_off)
SELECT 6901, t.timesheet_id, e.employee_id, e.employee_id, e.iin,
       e.last_name || CASE WHEN t.timesheet_id = 6913 AND e.employee_id = 3 THEN ' (renamed)' ELSE '' END,
       e.contract_id, c.codes, c.hours, 23, 184, 8
FROM otan_enbek.timesheet AS t
CROSS JOIN otan_enbek.employee AS e
CROSS JOIN october_codes AS c
WHERE t.org_id = 6901
  AND (e.employee_id IN (1, 3)
       OR (e.employee_id = 2 AND t.timesheet_id <> 6913)
       OR (e.employee_id = 4 AND t.timesheet_id = 6913));
UPDATE otan_enbek.timesheet_line
SET day_codes[2] = 'Б', day_hours[2] = 0, days_worked = 22, hours_worked = 176
WHERE org_id = 6901 AND timesheet_id = 6913 AND employee_id = 1;

INSERT INTO otan_enbek.submission
    (org_id, submission_id, timesheet_id, message_id, service_id, document, document_sha256,
     signature_value, key_fingerprint, certificate_serial, certificate_not_after, status,
     attempts)
OVERRIDING SYSTEM VALUE
SELECT 6901, s.id, s.sheet, s.message_id::uuid, 'OTAN_TIMESHEET_V1', '<ts:timesheetRequest/>',
       '\x00', 'sig', 'fp', '1001', '2030-01-01', 'sending', 1
FROM (VALUES (69011, 6911, '11111111-1111-4111-8111-111111111111'),
             (69012, 6912, '22222222-2222-4222-8222-222222222222'),
             (69021, 6921, '33333333-3333-4333-8333-333333333333'),
             (69031, 6931, '44444444-4444-4444-8444-444444444444'),
             (69032, 6932, '55555555-5555-4555-8555-555555555555')) AS s (id, sheet, message_id);
INSERT INTO otan_enbek.submission_event (org_id, submission_id, event_no, kind)
SELECT 6901, submission_id, 1, 'created' FROM otan_enbek.submission WHERE org_id = 6901;
UPDATE otan_enbek.submission SET status = 'accepted' WHERE submission_id IN (69011, 69031);
UPDATE otan_enbek.submission SET status = 'returned' WHERE submission_id IN (69012, 69021);
UPDATE otan_enbek.submission SET status = 'sent' WHERE submission_id = 69032;
UPDATE otan_enbek.timesheet SET status = 'accepted' WHERE timesheet_id IN (6911, 6931);
UPDATE otan_enbek.timesheet SET status = 'returned' WHERE timesheet_id IN (6912, 6921);
INSERT INTO otan_enbek.submission_reason (org_id, submission_id, reason_no, code, message,
                                          iin, employee_id)
VALUES (6901, 69012, 1, 'SCSE012', 'no contract of employer 050440000012 is registered for this IIN',
        '820212300023', 2);

-- The base and the changes.
SELECT is((SELECT (base_timesheet_id, base_version, base_submission_id, base_message_id)::text
           FROM otan_enbek.correction_base(6901, 6913)),
          '(6911,1,69011,11111111-1111-4111-8111-111111111111)',
          'the base is the accepted version, not the returned one after it');
SELECT is((SELECT count(*) FROM otan_enbek.correction_base(6901, 6922)), 0::bigint,
          'a month without an accepted version has no base');
SELECT is((SELECT count(*) FROM otan_enbek.timesheet_history), 9::bigint,
          'the superuser reads the history of every organization');
SELECT is((SELECT array_agg(c.change_no || ':' || c.iin || ':' || c.change || ':' || c.employee_id
                           ORDER BY c.change_no)
           FROM otan_enbek.timesheet_changes(6901, 6911, 6913) AS c),
          ARRAY['1:810111300012:changed:1', '2:840414300045:added:4', '3:820212300023:removed:2'],
          'the changes: a changed day, an added and a removed employee, in line order');
SELECT is((SELECT count(*) FROM otan_enbek.timesheet_changes(6901, 6931, 6933)), 0::bigint,
          'an unchanged version has no changes');

-- The correction document.
CREATE TEMP TABLE document AS
SELECT otan_enbek.timesheet_correction_document(6913, '99999999-9999-4999-8999-999999999999') AS x;
CREATE TEMP VIEW doc AS
SELECT x, ARRAY[ARRAY['ts', 'urn:otan-enbek:timesheet:v1']] AS ns FROM document;
SELECT is((SELECT (xpath('name(/*)', x, ns))[1]::text || ' ' || (xpath('/*/@schemaVersion', x, ns))[1]::text
           FROM doc),
          'ts:timesheetCorrection 1.1', 'the root is ts:timesheetCorrection of schema version 1.1');
SELECT is((SELECT (xpath('/ts:timesheetCorrection/ts:corrects/@messageId', x, ns))[1]::text FROM doc),
          '11111111-1111-4111-8111-111111111111', 'ts:corrects names the accepted message');
SELECT is((SELECT (xpath('/ts:timesheetCorrection/ts:corrects/@timesheetId', x, ns))[1]::text || ' '
                  || (xpath('/ts:timesheetCorrection/ts:corrects/@version', x, ns))[1]::text FROM doc),
          '6911 1', 'and its timesheet and version');
SELECT is((SELECT (xpath('/ts:timesheetCorrection/ts:timesheet/@version', x, ns))[1]::text FROM doc),
          '3', 'ts:timesheet is the new version');
SELECT is((SELECT (xpath('/ts:timesheetCorrection/ts:changes/@count', x, ns))[1]::text FROM doc),
          '3', 'ts:changes counts the three employees');
SELECT is((SELECT array_agg(v::text) FROM doc,
                  unnest(xpath('/ts:timesheetCorrection/ts:changes/*/ts:iin/text()', x, ns)) AS v),
          ARRAY['810111300012', '840414300045', '820212300023'],
          'only the changed, added and removed employees, not the renamed one');
SELECT is((SELECT array_agg(v::text) FROM doc,
                  unnest(xpath('/ts:timesheetCorrection/ts:changes/ts:employee/@change', x, ns)) AS v),
          ARRAY['changed', 'added'], 'each carried line says how it changed');
SELECT is((SELECT (xpath('/ts:timesheetCorrection/ts:changes/ts:employee[1]/ts:days/ts:day[@n=2]/@code',
                         x, ns))[1]::text FROM doc),
          'Б', 'a changed line carries the new day');
SELECT is((SELECT (xpath('count(/ts:timesheetCorrection/ts:changes/ts:employee[1]/ts:days/ts:day)',
                         x, ns))[1]::text FROM doc),
          '31', 'and the whole month');
SELECT is((SELECT (xpath('/ts:timesheetCorrection/ts:changes/ts:removed/ts:iin/text()', x, ns))[1]::text
           FROM doc),
          '820212300023', 'a removed employee is named by IIN');
SELECT is((SELECT (xpath('count(/ts:timesheetCorrection/ts:changes/ts:removed/*)', x, ns))[1]::text
           FROM doc),
          '1', 'without a contract id when the line had none');
SELECT ok((SELECT strpos(otan_enbek.timesheet_document_v1(6911, '99999999-9999-4999-8999-999999999999')::text,
                          otan_enbek.timesheet_employee_element(l)::text) > 0
           FROM otan_enbek.timesheet_line l WHERE l.timesheet_id = 6911 AND l.employee_id = 1),
          'a line''s element is the text that timesheet_document_v1 writes');
SELECT is(otan_enbek.timesheet_correction_document(6922, '99999999-9999-4999-8999-999999999999')::text,
          NULL, 'a month without an accepted version has no correction document');

-- The rejected cases.
SELECT throws_ok($$SELECT * FROM otan_enbek.resubmit(NULL)$$, '22004', 'timesheet is NULL',
                 'a NULL timesheet is rejected');
SELECT throws_ok($$SELECT * FROM otan_enbek.resubmit(9999999999)$$, 'P0002',
                 'timesheet 9999999999 does not exist', 'an id out of range does not exist');
SELECT throws_ok($$SELECT * FROM otan_enbek.resubmit(6999)$$, 'P0002',
                 'timesheet 6999 does not exist', 'an unknown timesheet is rejected');
SELECT throws_ok($$SELECT * FROM otan_enbek.resubmit(6911)$$, '55000',
                 'timesheet 6911 has already been submitted', 'a submitted version is not sent again');
SELECT throws_ok($$SELECT * FROM otan_enbek.resubmit(6933)$$, '55000',
                 'version 2 of 2025-12 is still in delivery',
                 'a version is not sent while an earlier one is in delivery');
UPDATE otan_enbek.submission SET status = 'sending' WHERE submission_id = 69032;
UPDATE otan_enbek.submission SET status = 'returned' WHERE submission_id = 69032;
UPDATE otan_enbek.timesheet SET status = 'returned' WHERE timesheet_id = 6932;
SELECT throws_ok($$SELECT * FROM otan_enbek.resubmit(6933)$$, '55000',
                 'timesheet 6933 has no changes since the accepted version 1',
                 'a version without changes is not sent');
SELECT is((SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = 6933), 'built',
          'and stays built');

-- A month without an accepted version is sent in full.
CREATE TEMP TABLE full_sent AS SELECT * FROM otan_enbek.resubmit(6922);
SELECT is((SELECT (kind, corrects_message_id, employee_count)::text FROM full_sent), '(full,,3)',
          'a returned month is sent in full');
SELECT is((SELECT (document_kind, corrects_submission_id)::text FROM otan_enbek.submission
           WHERE submission_id = (SELECT submission_id FROM full_sent)),
          '(full,)', 'its submission is a full document');
SELECT ok((SELECT document LIKE '<ts:timesheetRequest %' FROM otan_enbek.submission
           WHERE submission_id = (SELECT submission_id FROM full_sent)),
          'with a ts:timesheetRequest');

-- A correction.
CREATE TEMP TABLE correction_sent AS SELECT * FROM otan_enbek.resubmit(6913);
CREATE TEMP VIEW correction AS
SELECT s.* FROM otan_enbek.submission s
WHERE s.submission_id = (SELECT submission_id FROM correction_sent);
SELECT is((SELECT (kind, corrects_message_id, employee_count)::text FROM correction_sent),
          '(correction,11111111-1111-4111-8111-111111111111,3)',
          'resubmit returns the correction and its reference');
SELECT is((SELECT (document_kind, corrects_submission_id, part_no, part_count, status)::text
           FROM correction),
          '(correction,69011,1,1,queued)', 'the correction is one queued document');
SELECT ok((SELECT document LIKE '<ts:timesheetCorrection %<ds:Signature%' FROM correction),
          'its document is a signed ts:timesheetCorrection');
SELECT is((SELECT valid FROM otan_enbek.verify_document((SELECT document FROM correction))), true,
          'its signature verifies');
SELECT is((SELECT detail - 'message_id' - 'key_fingerprint' - 'document_bytes' - 'request_bytes'
           FROM otan_enbek.submission_event
           WHERE submission_id = (SELECT submission_id FROM correction) AND event_no = 1),
          '{"kind": "correction", "added": [4], "changed": [1], "removed": [2], "part_no": 1,
            "part_count": 1, "first_change_no": 1, "last_change_no": 3,
            "employee_count": 3, "corrects_version": 1, "timesheet_version": 3,
            "corrects_message_id": "11111111-1111-4111-8111-111111111111"}'::jsonb,
          'the created event names the reference and the changed employees');
SELECT is((SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = 6913), 'submitted',
          'the version is submitted');
SELECT throws_ok($$UPDATE otan_enbek.submission SET corrects_submission_id = 69012
                   WHERE submission_id = (SELECT submission_id FROM correction_sent)$$,
                 '23000', NULL, 'the reference of a correction cannot be changed');
SELECT throws_ok($$UPDATE otan_enbek.submission SET document_kind = 'full', corrects_submission_id = NULL
                   WHERE submission_id = (SELECT submission_id FROM correction_sent)$$,
                 '23000', NULL, 'nor its kind');

-- The history.
SELECT is((SELECT array_agg(concat_ws(':', version, timesheet_status, coalesce(kind, '-'),
                                      coalesce(corrects_version::text, '-'),
                                      coalesce(submission_status, '-'),
                                      coalesce(changed_employee_count::text, '-'),
                                      coalesce(reasons->0->>'code', '-'))
                            ORDER BY version)
           FROM otan_enbek.timesheet_history WHERE org_id = 6901 AND month = '2025-10-01'),
          ARRAY['1:accepted:full:-:accepted:-:-', '2:returned:full:-:returned:-:SCSE012',
                '3:submitted:correction:1:queued:3:-'],
          'the history lists every version of the month with its submission');
SELECT is((SELECT reasons->0->>'iin' FROM otan_enbek.timesheet_history
           WHERE org_id = 6901 AND timesheet_id = 6912),
          '820212300023', 'the history shows the IIN of a reason in full');

-- Who may call what.
SELECT otan_enbek.grant_org_access('otan_tap_corr_reader', 6901, :'tap_session') IS NULL AS granted \gset
SELECT otan_enbek.grant_org_access('otan_tap_corr_operator', 6901, :'tap_session') IS NULL AS granted \gset
SET LOCAL ROLE otan_tap_corr_reader;
SELECT is((SELECT reasons FROM otan_enbek.reader_timesheet_history WHERE timesheet_id = 6912),
          '[{"code": "SCSE012", "iin_masked": "******300023", "employee_id": 2}]'::jsonb,
          'a reader sees the reasons with the IIN masked and without the message');
SELECT is((SELECT count(*) FROM otan_enbek.reader_timesheet_history), 8::bigint,
          'a reader sees every version and submission of its organization only');
SELECT throws_ok($$SELECT * FROM otan_enbek.timesheet_history$$, '42501', NULL,
                 'a reader cannot read the full history');
SELECT throws_ok($$SELECT * FROM otan_enbek.resubmit(6913)$$, '42501', NULL,
                 'a reader cannot resubmit');
RESET ROLE;
SET LOCAL ROLE otan_tap_corr_operator;
SELECT is((SELECT count(*) FROM otan_enbek.timesheet_history), 8::bigint,
          'an operator reads the history of its organization only');
SELECT throws_ok($$SELECT * FROM otan_enbek.resubmit(6933)$$, '55000',
                 'timesheet 6933 has no changes since the accepted version 1',
                 'an operator may call resubmit');
RESET ROLE;

-- A full resubmission in parts, and a correction too large for one
-- request.  January 2026 has 130 lines in departments of 100 and 30, about
-- 1.4 kB each, so the full document needs two parts.
CREATE TEMP TABLE iin_pool AS
SELECT row_number() OVER (ORDER BY s)::integer AS n, c.iin
FROM generate_series(1, 200) AS s
CROSS JOIN LATERAL (SELECT '8503153' || lpad(s::text, 4, '0') || d AS iin
                    FROM generate_series(0, 9) AS d) AS c
WHERE otan_enbek.is_valid_iin(c.iin);
CREATE TEMP TABLE january AS
SELECT array_agg(CASE WHEN extract(isodow FROM d) >= 6 THEN 'В' ELSE 'Я' END ORDER BY d) AS codes,
       array_agg(CASE WHEN extract(isodow FROM d) >= 6 THEN 0 ELSE 8 END ORDER BY d) AS hours
FROM generate_series('2026-01-01'::date, '2026-01-31', '1 day') AS d;
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, version, status,
                                  working_days, norm_hours, built_at)
VALUES (6901, 6951, '2026-01-01', 1, 'built', 22, 176, '2026-02-02 04:00+00'),
       (6901, 6952, '2026-01-01', 2, 'built', 22, 176, '2026-02-03 04:00+00');
INSERT INTO otan_enbek.timesheet_line (org_id, timesheet_id, employee_id, line_no, iin,
                                       full_name, department, day_codes, day_hours,
                                       days_worked, hours_worked, days_off)
SELECT 6901, t.id, 1000 + p.n, p.n, p.iin, 'Employee ' || p.n,
       CASE WHEN p.n <= 100 THEN 'A' ELSE 'B' END,
       CASE WHEN t.id = 6952 THEN a.codes[1:4] || ARRAY['Б'] || a.codes[6:31] ELSE a.codes END,
       a.hours, 22, 176, 9
FROM unnest(ARRAY[6951, 6952]) AS t (id)
JOIN iin_pool AS p ON p.n <= 130
CROSS JOIN january AS a;

CREATE TEMP TABLE parts_sent AS SELECT * FROM otan_enbek.resubmit(6951);
SELECT is((SELECT count(*) FROM parts_sent WHERE kind = 'full'), 2::bigint,
          'a large month without an accepted version is sent in two parts');
SELECT is((SELECT array_agg(s.part_no ORDER BY s.part_no) FROM otan_enbek.submission AS s
           WHERE s.submission_id IN (SELECT submission_id FROM parts_sent)),
          ARRAY[1, 2], 'one submission per part');
SELECT is((SELECT sum(employee_count) FROM parts_sent), 130::bigint,
          'each row counts the employees of its part');

UPDATE otan_enbek.submission SET status = 'sending'
WHERE submission_id IN (SELECT submission_id FROM parts_sent);
UPDATE otan_enbek.submission SET status = 'accepted'
WHERE submission_id IN (SELECT submission_id FROM parts_sent);
UPDATE otan_enbek.timesheet SET status = 'accepted' WHERE timesheet_id = 6951;
CREATE TEMP TABLE large_correction_sent AS SELECT * FROM otan_enbek.resubmit(6952);
SELECT is((SELECT count(*) FROM large_correction_sent WHERE kind = 'correction'), 2::bigint,
          'a correction over 100 KB is sent in two parts');
SELECT is((SELECT array_agg(DISTINCT corrects_message_id) FROM large_correction_sent),
          (SELECT array_agg(s.message_id) FROM otan_enbek.submission AS s
           WHERE s.timesheet_id = 6951 AND s.part_no = 1),
          'every part names part 1 of the accepted version');
SELECT is((SELECT array_agg(s.part_no || '/' || s.part_count || ':' || s.document_kind
                            ORDER BY s.part_no)
           FROM otan_enbek.submission AS s WHERE s.timesheet_id = 6952),
          ARRAY['1/2:correction', '2/2:correction'], 'one correction submission per part');
SELECT is((SELECT count(*) FROM otan_enbek.submission AS s
           WHERE s.timesheet_id = 6952
             AND s.document LIKE '%<ts:timesheet %part="' || s.part_no
                                 || '" parts="2"/><ts:corrects %'),
          2::bigint, 'each document carries its part and the number of parts');
SELECT is((SELECT sum(employee_count) FROM large_correction_sent), 130::bigint,
          'each row counts the changed employees of its part');
SELECT is((SELECT count(*) || ' listed, ' || count(DISTINCT id) || ' distinct'
           FROM otan_enbek.submission AS s
           JOIN otan_enbek.submission_event AS e USING (org_id, submission_id)
           CROSS JOIN LATERAL jsonb_array_elements_text(e.detail->'changed') AS id
           WHERE s.timesheet_id = 6952 AND e.kind = 'created'),
          '130 listed, 130 distinct', 'the created events list each changed employee once');
SELECT is((SELECT max((e.detail->>'request_bytes')::integer) <= 102400
           FROM otan_enbek.submission AS s
           JOIN otan_enbek.submission_event AS e USING (org_id, submission_id)
           WHERE s.timesheet_id = 6952 AND e.kind = 'created'),
          true, 'every part fits in one request');
SELECT * FROM finish();
ROLLBACK;
