-- A timesheet sent in parts: its status follows the outcomes of all its
-- submissions, each part's reasons stay on that part, and each outcome
-- gets a notification that names the part.  The outcomes are recorded with
-- delivery_record, as the worker records them.
BEGIN;
SELECT plan(39);

INSERT INTO otan_enbek.organization (org_id, bin, name)
    OVERRIDING SYSTEM VALUE VALUES (9101, '050440000012', 'School No. 7');
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, version, status,
                                  working_days, norm_hours)
    OVERRIDING SYSTEM VALUE
    VALUES (9101, 601, '2025-11-01', 1, 'submitted', 20, 160),
           (9101, 602, '2025-11-01', 2, 'submitted', 20, 160),
           (9101, 603, '2025-11-01', 3, 'submitted', 20, 160),
           (9101, 604, '2025-11-01', 4, 'submitted', 20, 160),
           (9101, 605, '2025-11-01', 5, 'superseded', 20, 160);
INSERT INTO otan_enbek.timesheet_line
    (org_id, timesheet_id, employee_id, line_no, iin, full_name, day_codes, day_hours)
VALUES (9101, 602, 1, 1, '810111300012', 'First Employee', ARRAY['Я'], ARRAY[8.00]),
       (9101, 602, 2, 2, '860616300067', 'Second Employee', ARRAY['Я'], ARRAY[8.00]);

-- Submission 6NP is part P of timesheet 60N.
INSERT INTO otan_enbek.submission
    (org_id, submission_id, timesheet_id, part_no, part_count, message_id, service_id,
     document, document_sha256, signature_value, key_fingerprint, certificate_serial,
     certificate_not_after)
OVERRIDING SYSTEM VALUE
SELECT 9101, 600 + (t - 600) * 10 + p, t, p, n, gen_random_uuid(), 'OTAN_TIMESHEET_V1',
       '<ts:timesheetRequest/>', '\x00', 'sig', 'fp', '1001', '2030-01-01'
FROM (VALUES (601, 3), (602, 3), (603, 3), (604, 2), (605, 2)) AS s (t, n),
     generate_series(1, n) AS p;

-- Records a final outcome of a status query, as the worker would after
-- claiming the submission.  Returns the timesheet's status afterwards.
CREATE FUNCTION pg_temp.finish(id bigint, outcome text, reasons jsonb DEFAULT NULL)
    RETURNS text
    LANGUAGE plpgsql AS $$
BEGIN
    UPDATE otan_enbek.submission SET status = 'sending'
    WHERE org_id = 9101 AND submission_id = id;
    PERFORM otan_enbek.delivery_record(
        9101, id, 'status', outcome, 200,
        CASE outcome WHEN 'accepted' THEN 'SCSS001' WHEN 'returned' THEN 'SCSE012'
                     ELSE 'SCSE999' END,
        outcome, 5, '{}', reasons, 0, '0 seconds');
    RETURN (SELECT t.status FROM otan_enbek.timesheet AS t
            JOIN otan_enbek.submission AS s USING (org_id, timesheet_id)
            WHERE s.org_id = 9101 AND s.submission_id = id);
END
$$;

CREATE TEMP VIEW note AS
SELECT submission_id, kind, subject, body, payload
FROM otan_enbek.notification WHERE org_id = 9101;

-- Every part accepted: submitted until the last one, then accepted.
SELECT is(pg_temp.finish(611, 'accepted'), 'submitted', 'one part accepted: still submitted');
SELECT is(pg_temp.finish(613, 'accepted'), 'submitted', 'two parts accepted: still submitted');
SELECT is(pg_temp.finish(612, 'accepted'), 'accepted', 'every part accepted: accepted');

SELECT is((SELECT subject FROM note WHERE submission_id = 611),
          'Часть 1 из 3 табеля за ноябрь 2025 г. принята Enbek',
          'the subject names the part');
SELECT alike((SELECT body FROM note WHERE submission_id = 611),
             'Enbek принял часть 1 из 3 табеля № 601 (версия 1) %',
             'the body names the part');
SELECT alike((SELECT body FROM note WHERE submission_id = 611),
             '% Статус табеля: ожидаются ответы по другим частям; принято частей: 1 из 3.',
             'the body of an early part says the others are awaited');
SELECT alike((SELECT body FROM note WHERE submission_id = 612),
             '% Статус табеля: принят; принято частей: 3 из 3.',
             'the body of the last part says the timesheet is accepted');
SELECT is((SELECT payload FROM note WHERE submission_id = 611),
          '{"kind": "submission_accepted", "org_id": 9101, "submission_id": 611,
            "timesheet_id": 601, "part_no": 1, "part_count": 3, "status": "accepted",
            "timesheet_status": "submitted"}'::jsonb,
          'the payload names the part and the timesheet status');
SELECT is((SELECT payload->>'timesheet_status' FROM note WHERE submission_id = 612),
          'accepted', 'the last payload has the timesheet accepted');
SELECT is((SELECT count(*) FROM note WHERE payload->>'timesheet_id' = '601'), 3::bigint,
          'one notification per part');

-- One part returned: returned at once, and it stays returned when the
-- other parts are accepted.
SELECT is(pg_temp.finish(621, 'accepted'), 'submitted', 'first part accepted: submitted');
SELECT is(pg_temp.finish(622, 'returned',
                         '[{"code": "SCSE012", "message": "no contract", "iin": "860616300067"}]'),
          'returned', 'a part returned: returned while another part is pending');
SELECT is((SELECT status FROM otan_enbek.submission WHERE org_id = 9101 AND submission_id = 623),
          'queued', 'the pending part is still queued');
SELECT is(pg_temp.finish(623, 'accepted'), 'returned', 'the last part accepted: still returned');
SELECT results_eq(
    $$SELECT submission_id, code, employee_id FROM otan_enbek.submission_reason
      WHERE org_id = 9101 ORDER BY submission_id, reason_no$$,
    $$VALUES (622::bigint, 'SCSE012', 2)$$,
    'the reasons stay on the returned part, with the employee');
SELECT is((SELECT array_agg(status ORDER BY part_no) FROM otan_enbek.submission
           WHERE org_id = 9101 AND timesheet_id = 602),
          ARRAY['accepted', 'returned', 'accepted'], 'each part keeps its own outcome');
SELECT is((SELECT subject FROM note WHERE submission_id = 622),
          'Часть 2 из 3 табеля за ноябрь 2025 г. возвращена Enbek на доработку',
          'the subject of a returned part names it');
SELECT alike((SELECT body FROM note WHERE submission_id = 622),
             'Enbek вернул часть 2 из 3 табеля № 602 (версия 2) %SCSE012 (1)%',
             'the body of a returned part names it and counts its reasons');
SELECT alike((SELECT body FROM note WHERE submission_id = 622),
             '% Статус табеля: возвращён на доработку; принято частей: 1 из 3.',
             'the body says the timesheet is returned');
SELECT alike((SELECT body FROM note WHERE submission_id = 623),
             '% Статус табеля: возвращён на доработку; принято частей: 2 из 3.',
             'a later accepted part reports the timesheet still returned');
SELECT is((SELECT payload->>'timesheet_status' FROM note WHERE submission_id = 623),
          'returned', 'and so does its payload');

-- A failed part: failed at once, unless a part is returned.
SELECT is(pg_temp.finish(632, 'failed'), 'failed', 'a part failed: failed while others are pending');
SELECT is((SELECT subject FROM note WHERE submission_id = 632),
          'Часть 2 из 3 табеля за ноябрь 2025 г. не доставлена в Enbek',
          'the subject of a failed part names it');
SELECT alike((SELECT body FROM note WHERE submission_id = 632),
             'Часть 2 из 3 табеля № 603 (версия 3) организации «School No. 7» (БИН 050440000012) за ноябрь 2025 г. не доставлена в Enbek, %',
             'the body of a failed part names it');
SELECT alike((SELECT body FROM note WHERE submission_id = 632),
             '% Статус табеля: не доставлен; принято частей: 0 из 3.',
             'the body says the timesheet failed');
SELECT is(pg_temp.finish(631, 'accepted'), 'failed', 'another part accepted: still failed');
SELECT is(pg_temp.finish(633, 'returned',
                         '[{"code": "SCSE012", "message": "no contract", "iin": "860616300067"}]'),
          'returned', 'a returned part outranks a failed one');
SELECT is((SELECT count(*) FROM otan_enbek.submission_reason
           WHERE org_id = 9101 AND submission_id = 633 AND employee_id IS NULL), 1::bigint,
          'a reason naming an IIN without a line of that timesheet has no employee');

SELECT is(pg_temp.finish(642, 'accepted'), 'submitted', 'timesheet 604: one part accepted');
SELECT is(pg_temp.finish(641, 'failed'), 'failed', 'the other part failed: failed');

-- A superseded timesheet keeps its status.
SELECT is(pg_temp.finish(651, 'accepted'), 'superseded', 'superseded stays superseded');
SELECT is((SELECT payload->>'timesheet_status' FROM note WHERE submission_id = 651),
          'superseded', 'the payload has the superseded status');

-- delivery_update_timesheet on its own: the status it sets and returns.
UPDATE otan_enbek.timesheet SET status = 'submitted' WHERE org_id = 9101 AND timesheet_id = 601;
SELECT is(otan_enbek.delivery_update_timesheet(9101, 601), 'accepted',
          'recomputed from the parts: accepted');
SELECT is((SELECT status FROM otan_enbek.timesheet WHERE org_id = 9101 AND timesheet_id = 601),
          'accepted', 'and stored');
UPDATE otan_enbek.submission SET status = 'sent' WHERE org_id = 9101 AND submission_id = 652;
SELECT is(otan_enbek.delivery_update_timesheet(9101, 605), 'superseded',
          'a superseded timesheet is not recomputed');

-- The overview shows the parts.
SELECT results_eq(
    $$SELECT part_no, part_count, status FROM otan_enbek.submission_overview
      WHERE org_id = 9101 AND timesheet_id = 602 ORDER BY part_no$$,
    $$VALUES (1, 3, 'accepted'), (2, 3, 'returned'), (3, 3, 'accepted')$$,
    'submission_overview lists the parts with their outcomes');

-- A timesheet sent whole keeps the subjects without a part.
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, version, status,
                                  working_days, norm_hours)
    OVERRIDING SYSTEM VALUE VALUES (9101, 606, '2025-11-01', 6, 'submitted', 20, 160);
INSERT INTO otan_enbek.submission
    (org_id, submission_id, timesheet_id, message_id, service_id, document,
     document_sha256, signature_value, key_fingerprint, certificate_serial,
     certificate_not_after)
OVERRIDING SYSTEM VALUE
VALUES (9101, 661, 606, gen_random_uuid(), 'OTAN_TIMESHEET_V1', '<ts:timesheetRequest/>',
        '\x00', 'sig', 'fp', '1001', '2030-01-01');
SELECT is(pg_temp.finish(661, 'accepted'), 'accepted', 'a whole timesheet accepted');
SELECT is((SELECT subject FROM note WHERE submission_id = 661),
          'Табель за ноябрь 2025 г. принят Enbek', 'its subject names no part');
SELECT unalike((SELECT body FROM note WHERE submission_id = 661), '%Статус табеля%',
               'its body has no status of parts');

SELECT * FROM finish();
ROLLBACK;
