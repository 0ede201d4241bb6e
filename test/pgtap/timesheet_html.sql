-- timesheet_html returns a self-contained document for A4 landscape with
-- its text escaped.  It has a row per employee with a cell per day, the
-- totals, and the edited days with their reasons.  A missing or ambiguous
-- timesheet raises an error.  The browser suite checks how the document renders.
BEGIN;
SELECT plan(27);
SET LOCAL client_min_messages = warning;
SET LOCAL timezone = 'Asia/Almaty';

INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
VALUES (4901, '050440000012', 'School <script>alert(1)</script> & "Q"', 'Asia/Almaty');
INSERT INTO otan_enbek.department (org_id, department_id, name) VALUES (4901, 1, 'Teachers & staff');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4901, 4911, 'Day 09-18');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
        break_start, break_end)
SELECT 4901, 4911, d, time '09:00', time '18:00', time '13:00', time '14:00'
FROM generate_series(1, 5) d;
INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES (4901, 4901, 'Turnstiles');
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, department_id,
        position, personnel_no, schedule_id, contract_start)
VALUES (4901, 1, '850111304210', 'Abenov', '<b>Arman</b>', 1, 'Teacher', 'T-1', 4911, '2020-09-01'),
       (4901, 2, '850212304222', 'Bekova', 'Aigul', 1, 'Teacher', 'T-2', 4911, '2021-09-01');
SELECT otan_enbek.ensure_event_partitions('2026-02-01', '2026-02-28') >= 0 AS partitions \gset
INSERT INTO otan_enbek.skud_event (org_id, event_id, occurred_at, source_id, external_id,
        device, credential_kind, credential, employee_id, direction)
SELECT 4901, e.employee_id * 1000 + extract(day FROM d)::int * 10 + p.n,
       (d + p.at) AT TIME ZONE 'Asia/Almaty', 4901, 'h' || e.employee_id || d || p.n, 'T1',
       'person', e.employee_id::text, e.employee_id, p.dir
FROM otan_enbek.employee e
CROSS JOIN generate_series(timestamp '2026-02-01', '2026-02-28', interval '1 day') d
CROSS JOIN (VALUES (1, time '09:00', 'in'), (2, time '18:00', 'out')) p(n, at, dir)
WHERE e.org_id = 4901 AND extract(isodow FROM d) <= 5;
SELECT otan_enbek.edit_day(4901, 2, '2026-02-10', 'К', NULL,
                           'Trip <img src=x onerror=alert(1)> to Astana') AS edit_id \gset
SELECT otan_enbek.build_timesheet(4901, '2026-02-01') AS sheet_id \gset
CREATE TEMP TABLE doc AS SELECT otan_enbek.timesheet_html(4901, :sheet_id) AS html;

SELECT is(otan_enbek.html_escape('<a href="x">Tom & Jerry''s</a>'),
          '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;',
          'html_escape replaces the five special characters');
SELECT is(otan_enbek.timesheet_html(:sheet_id), (SELECT html FROM doc),
          'the id alone gives the same document');

-- Self-contained and laid out for A4 landscape.
SELECT ok((SELECT html LIKE '<!DOCTYPE html>%' FROM doc), 'the document starts with a doctype');
SELECT ok((SELECT html LIKE '%<meta charset="utf-8">%' FROM doc), 'the document declares UTF-8');
SELECT ok((SELECT html LIKE '%@page { size: A4 landscape;%' FROM doc),
          'the page is A4 landscape');
SELECT ok((SELECT html !~* '<[^>]*\s(src|href|srcset|data)\s*=|url\(|@import|<(script|link|img|iframe|object)'
           FROM doc),
          'the document loads nothing and runs nothing');

-- Text is escaped.
SELECT ok((SELECT html LIKE '%School &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Q&quot;%'
           FROM doc), 'the organization name is escaped');
SELECT ok((SELECT html LIKE '%Abenov &lt;b&gt;Arman&lt;/b&gt;%' FROM doc),
          'the employee name is escaped');
SELECT ok((SELECT html LIKE '%Trip &lt;img src=x onerror=alert(1)&gt; to Astana%' FROM doc),
          'the reason of an edit is escaped');
SELECT ok((SELECT html LIKE '%Teachers &amp; staff%' FROM doc), 'the department is escaped');

-- The header.
SELECT ok((SELECT html LIKE '%БИН:</b> 050440000012%' FROM doc), 'the header has the BIN');
SELECT ok((SELECT html LIKE '%с 01.02.2026 по 28.02.2026%' FROM doc), 'the header has the period');
SELECT ok((SELECT html LIKE '%Рабочих дней:</b> 20, <b>норма часов:</b> 160.00%' FROM doc),
          'the header has the working days and norm hours');
SELECT is((SELECT html NOT LIKE '%850111304210%' AND html NOT LIKE '%850212304222%' FROM doc),
          true, 'the document has no IIN');

-- A row per employee, a cell per day, and the totals.
SELECT is((SELECT count(*) FROM doc, regexp_matches(html, '<tr class="employee">', 'g')),
          2::bigint, 'one row per employee');
SELECT is((SELECT count(*) FROM doc, regexp_matches(html, '<td class="day[ "]', 'g')),
          56::bigint, 'one cell per day of February for each employee');
SELECT is((SELECT count(*) FROM doc, regexp_matches(html, '<th( class="off")?>[0-9]+</th>', 'g')),
          28::bigint, 'one header cell per day');
SELECT is((SELECT count(*) FROM doc, regexp_matches(html, '<th class="off">', 'g')),
          8::bigint, 'the eight weekend days are shaded');
SELECT ok((SELECT html ~ '<td class="day edited"><span class="code">К<sup>\*</sup></span>' FROM doc),
          'the edited day is marked');
SELECT ok((SELECT html LIKE '%Итого: работников 2</td><td class="total">39</td><td class="total">312.00</td>%'
           FROM doc), 'the total row sums days and hours');
SELECT ok((SELECT html LIKE '%<td class="absences">К&nbsp;1</td>%' FROM doc),
          'the absence of the edited day is counted');
SELECT ok((SELECT html LIKE '%Ответственное лицо%Руководитель структурного подразделения%Работник кадровой службы%'
           FROM doc), 'the signatures block has three signers');

-- A line built by version 1.0 has no day marks and prints without them.
UPDATE otan_enbek.timesheet_line SET day_marks = '{}' WHERE org_id = 4901;
SELECT is((SELECT count(*) FROM regexp_matches(otan_enbek.timesheet_html(4901, :sheet_id),
                                               '<td class="day[ "]', 'g')),
          56::bigint, 'lines without day marks still have a cell per day');
SELECT ok(otan_enbek.timesheet_html(4901, :sheet_id) NOT LIKE '%class="edits"%',
          'lines without day marks list no edits');

-- Errors.
SELECT throws_ok('SELECT otan_enbek.timesheet_html(4901, 999999)', 'P0002',
                 'timesheet 999999 of organization 4901 does not exist',
                 'an unknown timesheet is rejected');
SELECT throws_ok('SELECT otan_enbek.timesheet_html(NULL::integer)', '22004', NULL,
                 'a null timesheet is rejected');
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4902, '090440004220', 'School 49b');
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, working_days, norm_hours)
VALUES (4902, :sheet_id, '2026-02-01', 20, 160);
SELECT throws_ok(format('SELECT otan_enbek.timesheet_html(%s)', :sheet_id), '42P08', NULL,
                 'an id of two organizations is rejected');

SELECT * FROM finish();
ROLLBACK;
