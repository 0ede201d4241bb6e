-- otan_enbek.submit_timesheet with timesheets whose request would exceed
-- 100 KB: how many parts, where they are cut, the size of each request,
-- the lines and documents of the parts, and their submission rows.
BEGIN;
SELECT plan(46);

INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (7201, '050440000012', 'School No. 7');

-- Valid IINs as test/harness/kzid.py iin 1985-03-15 m SERIAL makes them:
-- the serial in four digits, then the check digit.  Serials without a
-- valid check digit are skipped.
CREATE TEMP TABLE iin_pool AS
SELECT row_number() OVER (ORDER BY s)::integer AS n, c.iin
FROM generate_series(1, 900) AS s
CROSS JOIN LATERAL (SELECT '8503153' || lpad(s::text, 4, '0') || d AS iin
                    FROM generate_series(0, 9) AS d) AS c
WHERE otan_enbek.is_valid_iin(c.iin);

-- August 2026 has 31 days, the most a line can have.
CREATE TEMP TABLE august AS
SELECT array_agg(CASE WHEN extract(isodow FROM d) >= 6 THEN 'В' ELSE 'Я' END ORDER BY d) AS codes,
       array_agg(CASE WHEN extract(isodow FROM d) >= 6 THEN 0 ELSE 8 END ORDER BY d) AS hours
FROM generate_series('2026-08-01'::date, '2026-08-31', '1 day') AS d;

-- A line is about 1.4 kB, so about 70 lines fit in one request.
--   7301: departments of 60, 60 and 30 lines: three parts, one each.
--   7302: departments of 100 and 30 lines: two parts, cut inside the first.
--   7303: departments of 40 and 80 lines: two parts.  A cut after the first
--         department would leave 80 lines, too many for one part.
--   7304: 720 lines of one department: more than 9 parts.
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, version, status,
                                  working_days, norm_hours, built_at)
SELECT 7201, id, '2026-08-01', id - 7300, 'built', 21, 168, '2026-09-01 04:00+00'
FROM unnest(ARRAY[7301, 7302, 7303, 7304]) AS id;

INSERT INTO otan_enbek.timesheet_line (org_id, timesheet_id, employee_id, line_no, iin,
                                       full_name, department, day_codes, day_hours,
                                       days_worked, hours_worked, days_off)
SELECT 7201, l.timesheet_id, p.n, p.n, p.iin, 'Employee ' || p.n, l.department,
       a.codes, a.hours, 21, 168, 10
FROM (VALUES (7301, 1, 60, 'A'), (7301, 61, 120, 'B'), (7301, 121, 150, 'C'),
             (7302, 1, 100, 'A'), (7302, 101, 130, 'B'),
             (7303, 1, 40, 'A'), (7303, 41, 120, 'B'),
             (7304, 1, 720, 'A')) AS l (timesheet_id, first_line, last_line, department)
JOIN iin_pool AS p ON p.n BETWEEN l.first_line AND l.last_line
CROSS JOIN august AS a;

SELECT is((SELECT count(*) FROM otan_enbek.timesheet_line WHERE org_id = 7201
           AND NOT otan_enbek.is_valid_iin(iin)), 0::bigint, 'every IIN of the lines is valid');

SELECT lives_ok(
    $$CREATE TEMP TABLE submitted AS
      SELECT t.timesheet_id, r.submission_id, r.position
      FROM unnest(ARRAY[7301, 7302, 7303, 7304]) AS t (timesheet_id)
      CROSS JOIN LATERAL otan_enbek.submit_timesheet(t.timesheet_id)
          WITH ORDINALITY AS r (submission_id, position)$$,
    'submit_timesheet signs and queues the large timesheets');

-- Each part with its document and the facts of its 'created' event.
CREATE TEMP TABLE part AS
SELECT s.timesheet_id, s.submission_id, s.part_no, s.part_count, s.message_id,
       s.service_id, s.status, s.document, s.document::xml AS x, e.kind AS first_event,
       (e.detail->>'request_bytes')::integer AS request_bytes,
       (e.detail->>'first_line_no')::integer AS first_line_no,
       (e.detail->>'last_line_no')::integer AS last_line_no,
       (e.detail->>'employee_count')::integer AS employee_count,
       e.detail
FROM otan_enbek.submission AS s
JOIN otan_enbek.submission_event AS e
  ON e.org_id = s.org_id AND e.submission_id = s.submission_id AND e.event_no = 1
WHERE s.org_id = 7201;

-- Each ts:employee element of each part, as the document's text has it.
CREATE TEMP TABLE part_employee AS
SELECT p.timesheet_id, p.part_no, m.position, m.element[1] AS element,
       octet_length(convert_to(m.element[1], 'UTF8')) AS bytes
FROM part AS p
CROSS JOIN LATERAL regexp_matches(p.document, '<ts:employee>.*?</ts:employee>', 'g')
    WITH ORDINALITY AS m (element, position);

-- The request of a part is its employees' bytes plus a base that is the
-- same for every part of a timesheet, plus the digits of employees/@count
-- and the part attributes ' part="j" parts="m"' (17 bytes and the digits).
CREATE TEMP VIEW part_base AS
SELECT p.timesheet_id, p.part_no, p.part_count,
       p.request_bytes - e.bytes - length(e.count::text) - 17
           - length(p.part_no::text) - length(p.part_count::text) AS base
FROM part AS p
JOIN (SELECT timesheet_id, part_no, sum(bytes) AS bytes, count(*) AS count
      FROM part_employee GROUP BY timesheet_id, part_no) AS e USING (timesheet_id, part_no);

CREATE TEMP VIEW ns AS
SELECT ARRAY[ARRAY['ts', 'urn:otan-enbek:timesheet:v1']] AS ns;

-- The number of parts, and that no fewer would do.
SELECT results_eq(
    'SELECT timesheet_id, count(*) FROM part GROUP BY timesheet_id ORDER BY timesheet_id',
    $$VALUES (7301, 3::bigint), (7302, 2::bigint), (7303, 2::bigint), (7304, 11::bigint)$$,
    'the number of parts of each timesheet');
SELECT is((SELECT array_agg(timesheet_id ORDER BY timesheet_id) FROM (
               SELECT timesheet_id FROM part_base GROUP BY timesheet_id
               HAVING count(DISTINCT base) <> 1) AS t),
          NULL, 'the size of each request is its employees plus the same base for every part');
SELECT is((SELECT array_agg(b.timesheet_id ORDER BY b.timesheet_id)
           FROM (SELECT timesheet_id, min(base) AS base, max(part_count) AS part_count
                 FROM part_base GROUP BY timesheet_id) AS b
           JOIN (SELECT timesheet_id, sum(bytes) AS bytes
                 FROM part_employee GROUP BY timesheet_id) AS e USING (timesheet_id)
           -- A part has at least base + 20 bytes besides its employees, so
           -- one part fewer cannot hold all employees.
           WHERE e.bytes <= (b.part_count - 1) * (102400 - b.base - 20)),
          NULL, 'one part fewer could not hold the employees of any timesheet');

-- Each request fits, measured from the stored document with the envelope
-- the worker sends, its body signed in a WS-Security header.  The harness
-- keeps the sender password next to the key.
SELECT is((SELECT count(*) FROM part WHERE request_bytes > 102400), 0::bigint,
          'every request is at most 102,400 bytes');
SELECT is((SELECT count(*) FROM part WHERE request_bytes IS NULL), 0::bigint,
          'every created event records the request size');
SELECT is((SELECT array_agg(p.timesheet_id || '/' || p.part_no ORDER BY p.timesheet_id, p.part_no)
           FROM part AS p
           WHERE octet_length(convert_to(otan_enbek.sign_envelope(otan_enbek.build_envelope(
                     p.message_id::text, p.service_id, now(),
                     current_setting('otan_enbek.sender_id'),
                     btrim(pg_read_file(regexp_replace(current_setting('otan_enbek.signing_key_file'),
                                                       '[^/]*$', 'sender.pass')), E'\n'),
                     p.document)), 'UTF8')) <> p.request_bytes),
          NULL, 'the recorded request size is that of the envelope around the stored document');
SELECT ok((SELECT max(request_bytes) > 100000 FROM part WHERE timesheet_id = 7304),
          'a full part comes close to the limit');

-- Part numbers, in the rows and in the documents.
SELECT is((SELECT array_agg(timesheet_id ORDER BY timesheet_id) FROM (
               SELECT timesheet_id FROM part GROUP BY timesheet_id
               HAVING array_agg(part_no ORDER BY part_no)
                          <> array(SELECT generate_series(1, max(part.part_count)))
                   OR count(DISTINCT part_count) <> 1
                   OR max(part_count) <> count(*)) AS t),
          NULL, 'parts are numbered 1 to part_count, and part_count is their number');
SELECT is((SELECT count(*) FROM part, ns
           WHERE (xpath('/ts:timesheetRequest/ts:timesheet/@part', x, ns))[1]::text <> part_no::text
              OR (xpath('/ts:timesheetRequest/ts:timesheet/@parts', x, ns))[1]::text <> part_count::text),
          0::bigint, 'ts:timesheet/@part and @parts are the part number and count');
SELECT is((SELECT count(*) FROM part, ns
           WHERE (xpath('/ts:timesheetRequest/ts:timesheet/@part', x, ns))[1] IS NULL),
          0::bigint, 'every part has the part attributes');
SELECT is((SELECT count(*) FROM part, ns
           WHERE (xpath('/ts:timesheetRequest/ts:employees/@count', x, ns))[1]::text
                 <> (xpath('count(/ts:timesheetRequest/ts:employees/ts:employee)', x, ns))[1]::text),
          0::bigint, 'employees/@count is the number of employees in the part');
SELECT is((SELECT count(*) FROM part
           WHERE employee_count <> last_line_no - first_line_no + 1),
          0::bigint, 'the created event names the lines of the part');
SELECT is((SELECT count(*) FROM part, ns
           WHERE (xpath('/ts:timesheetRequest/ts:period/text()', x, ns))[1]::text <> '2026-08'
              OR (xpath('/ts:timesheetRequest/ts:workingDays/text()', x, ns))[1]::text <> '21'
              OR (xpath('/ts:timesheetRequest/ts:normHours/text()', x, ns))[1]::text <> '168.00'
              OR (xpath('/ts:timesheetRequest/ts:employer/ts:bin/text()', x, ns))[1]::text <> '050440000012'
              OR (xpath('/ts:timesheetRequest/ts:timesheet/@id', x, ns))[1]::text <> timesheet_id::text),
          0::bigint, 'each part repeats the employer, period, timesheet, working days and norm');

-- Every line is in exactly one part, and the parts follow line order.
CREATE TEMP VIEW part_iins AS
SELECT p.timesheet_id,
       array_agg(i.iin::text ORDER BY p.part_no, i.position) AS iins
FROM part AS p, ns
CROSS JOIN LATERAL unnest(xpath('/ts:timesheetRequest/ts:employees/ts:employee/ts:iin/text()',
                                p.x, ns.ns)) WITH ORDINALITY AS i (iin, position)
GROUP BY p.timesheet_id;
SELECT is((SELECT iins FROM part_iins WHERE timesheet_id = t),
          (SELECT array_agg(iin ORDER BY line_no) FROM otan_enbek.timesheet_line
           WHERE org_id = 7201 AND timesheet_id = t),
          format('the parts of timesheet %s carry its lines once each, in line order', t))
FROM unnest(ARRAY[7301, 7302, 7303, 7304]) AS t;

-- Cuts at department boundaries where they add no part.
SELECT results_eq(
    'SELECT first_line_no, last_line_no FROM part WHERE timesheet_id = 7301 ORDER BY part_no',
    $$VALUES (1, 60), (61, 120), (121, 150)$$,
    'departments that fit make the parts of timesheet 7301');
SELECT ok((SELECT first_line_no BETWEEN 2 AND 100 FROM part WHERE timesheet_id = 7302 AND part_no = 2),
          'a department larger than a part is cut inside');
SELECT ok((SELECT p.request_bytes + e.bytes > 102400
           FROM part AS p
           JOIN part_employee AS e ON e.timesheet_id = p.timesheet_id
                                  AND e.part_no = 2 AND e.position = 1
           WHERE p.timesheet_id = 7302 AND p.part_no = 1),
          'a cut inside a department comes as late as the size allows');
SELECT ok((SELECT b.base + 20 + sum(e.bytes) > 102400
           FROM part_employee AS e
           JOIN part_base AS b ON b.timesheet_id = e.timesheet_id AND b.part_no = 1
           JOIN part AS p ON p.timesheet_id = e.timesheet_id AND p.part_no = e.part_no
           WHERE e.timesheet_id = 7303
             AND p.first_line_no + e.position - 1 BETWEEN 41 AND 120
           GROUP BY b.base),
          'the second department of timesheet 7303 alone is too large for one part');
SELECT isnt((SELECT first_line_no FROM part WHERE timesheet_id = 7303 AND part_no = 2), 41,
            'so no cut is made at that department boundary');
SELECT is((SELECT count(*) FROM part WHERE timesheet_id = 7303), 2::bigint,
          'and timesheet 7303 still has two parts');

-- The split is deterministic.
SELECT results_eq(
    $$SELECT part_no, part_count, first_line_no, last_line_no, employee_count, request_bytes
      FROM otan_enbek.sign_timesheet(7302) ORDER BY part_no$$,
    $$SELECT part_no, part_count, first_line_no, last_line_no, employee_count, request_bytes
      FROM part WHERE timesheet_id = 7302 ORDER BY part_no$$,
    'signing the timesheet again splits it the same way');

-- The documents: signed, each with its own message id.
SELECT is((SELECT count(*) FROM part WHERE NOT (otan_enbek.verify_document(document)).valid),
          0::bigint, 'every part''s signature verifies');
SELECT is((SELECT count(DISTINCT message_id) FROM part), (SELECT count(*) FROM part),
          'every part has its own message id');
SELECT is((SELECT count(*) FROM part, ns
           WHERE (xpath('/ts:timesheetRequest/ts:messageId/text()', x, ns))[1]::text
                 <> message_id::text),
          0::bigint, 'every document carries the message id of its row');
SELECT is((SELECT count(*) FROM part
           WHERE sha256(convert_to(document, 'UTF8'))
                 <> (SELECT document_sha256 FROM otan_enbek.submission AS s
                     WHERE s.org_id = 7201 AND s.submission_id = part.submission_id)),
          0::bigint, 'every stored digest is that of the stored document');

-- The submission rows.
SELECT is((SELECT array_agg(timesheet_id ORDER BY timesheet_id) FROM (
               SELECT s.timesheet_id FROM submitted AS s
               JOIN part AS p USING (timesheet_id, submission_id)
               GROUP BY s.timesheet_id
               HAVING array_agg(s.submission_id ORDER BY s.position)
                      <> array_agg(s.submission_id ORDER BY p.part_no)) AS t),
          NULL, 'submit_timesheet returns the submission ids in part order');
SELECT is((SELECT count(*) FROM submitted), (SELECT count(*) FROM part),
          'submit_timesheet returns one id per part');
SELECT is((SELECT count(*) FROM part WHERE first_event <> 'created'), 0::bigint,
          'every part starts its history with a created event');
SELECT is((SELECT count(*) FROM otan_enbek.submission_event AS e
           JOIN part AS p ON e.org_id = 7201 AND e.submission_id = p.submission_id),
          (SELECT count(*) FROM part), 'and has no other event yet');
SELECT is((SELECT count(*) FROM part
           WHERE (detail->>'part_no')::integer <> part_no
              OR (detail->>'part_count')::integer <> part_count
              OR (detail->>'message_id')::uuid <> message_id),
          0::bigint, 'the created event names the part and its message id');
SELECT is((SELECT array_agg(DISTINCT status) FROM part), ARRAY['queued'],
          'every part is queued');
SELECT is((SELECT array_agg(DISTINCT service_id) FROM part),
          ARRAY[current_setting('otan_enbek.service_id')],
          'every part is for the timesheet service');
SELECT is((SELECT array_agg(DISTINCT status) FROM otan_enbek.timesheet WHERE org_id = 7201),
          ARRAY['submitted'], 'the timesheets are submitted');
SELECT results_eq(
    $$SELECT part_no, part_count FROM otan_enbek.submission_overview
      WHERE org_id = 7201 AND timesheet_id = 7301 ORDER BY part_no$$,
    $$VALUES (1, 3), (2, 3), (3, 3)$$,
    'submission_overview shows the part and the number of parts');

-- Part numbers are part of the signed identity of a submission.
SELECT throws_ok(format($$UPDATE otan_enbek.submission SET part_no = 3
                          WHERE org_id = 7201 AND submission_id = %s$$, submission_id),
                 '23000', format('the signed content of submission %s cannot be changed', submission_id),
                 'the part number cannot be changed')
FROM part WHERE timesheet_id = 7302 AND part_no = 1;
SELECT throws_ok(format($$UPDATE otan_enbek.submission SET part_count = 5
                          WHERE org_id = 7201 AND submission_id = %s$$, submission_id),
                 '23000', format('the signed content of submission %s cannot be changed', submission_id),
                 'the number of parts cannot be changed')
FROM part WHERE timesheet_id = 7302 AND part_no = 1;
SELECT throws_ok(
    $$INSERT INTO otan_enbek.submission
          (org_id, timesheet_id, part_no, part_count, message_id, service_id, document,
           document_sha256, signature_value, key_fingerprint, certificate_serial,
           certificate_not_after)
      VALUES (7201, 7302, 2, 2, gen_random_uuid(), 'S', '<d/>', '\x00', 's', 'f', '1', now())$$,
    '23505', NULL, 'a timesheet has one submission per part number');
SELECT throws_ok(
    $$INSERT INTO otan_enbek.submission
          (org_id, timesheet_id, part_no, part_count, message_id, service_id, document,
           document_sha256, signature_value, key_fingerprint, certificate_serial,
           certificate_not_after)
      VALUES (7201, 7302, 3, 2, gen_random_uuid(), 'S', '<d/>', '\x00', 's', 'f', '1', now())$$,
    '23514', NULL, 'a part number above the number of parts is rejected');
SELECT throws_ok(
    $$INSERT INTO otan_enbek.submission
          (org_id, timesheet_id, part_no, part_count, message_id, service_id, document,
           document_sha256, signature_value, key_fingerprint, certificate_serial,
           certificate_not_after)
      VALUES (7201, 7304, 0, 2, gen_random_uuid(), 'S', '<d/>', '\x00', 's', 'f', '1', now())$$,
    '23514', NULL, 'part number 0 is rejected');

-- A second submission of a split timesheet is rejected like any other.
SELECT throws_ok('SELECT otan_enbek.submit_timesheet(7301)', '55000',
                 'timesheet 7301 has already been submitted',
                 'a split timesheet is submitted once');

-- The document function writes the part attributes and the chosen lines.
SELECT is((SELECT (xpath('count(//ts:employee)', d, ns))[1]::text || ' ' ||
                  (xpath('//ts:timesheet/@part', d, ns))[1]::text || '/' ||
                  (xpath('//ts:timesheet/@parts', d, ns))[1]::text || ' ' ||
                  (xpath('//ts:employee[1]/ts:iin/text()', d, ns))[1]::text
           FROM ns, otan_enbek.timesheet_document_v1(7301, gen_random_uuid(), 2, 3,
                                                     int4range(61, 63, '[]')) AS d),
          '3 2/3 ' || (SELECT iin FROM iin_pool WHERE n = 61),
          'timesheet_document_v1 builds a part from a range of line numbers');

SELECT * FROM finish();
ROLLBACK;
