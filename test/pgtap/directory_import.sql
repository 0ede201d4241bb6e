-- A directory import maps each line to an employee by IIN, or by personnel
-- number when the IIN is missing or invalid, creates the departments it
-- names and gives the cards and person ids to the mapped employees.  Every
-- kind of conflict is kept with its line: an invalid line, a person
-- without IIN, an IIN failing its check digit, no employee, an IIN and a
-- personnel number of two employees, and one card or person id on two
-- people, in the file or assigned to another employee.
BEGIN;
SELECT plan(51);
SET LOCAL client_min_messages = error;

INSERT INTO otan_enbek.organization (org_id, bin, name)
    OVERRIDING SYSTEM VALUE VALUES (9771, '050440000012', 'School No. 7');
INSERT INTO otan_enbek.source (org_id, source_id, name)
    OVERRIDING SYSTEM VALUE VALUES (9771, 97711, 'Main entrance');
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, personnel_no)
    OVERRIDING SYSTEM VALUE VALUES
    (9771, 97701, '810111300012', 'Abenova', 'Aigul', 'T-1'),
    (9771, 97702, '820212300023', 'Bekov', 'Daniyar', 'T-2'),
    (9771, 97703, '830313300034', 'Serikova', 'Asel', 'T-3'),
    (9771, 97704, '840414300045', 'Omarov', 'Timur', NULL),
    (9771, 97705, '850515300056', 'Nurova', 'Dana', 'T-5');
-- Employee 97704 has card 9999 with no end; employee 97705 gave up card
-- 8888 at the end of 2020.
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value, valid_to) VALUES
    (9771, 97704, 'card', '9999', NULL),
    (9771, 97705, 'card', '8888', '2020-12-31');

-- Fields: iin, personnel_no, last_name, first_name, department, card,
-- person_id, separated by semicolons as in exports of Excel set to Russian.
CREATE TEMP TABLE result AS
SELECT * FROM otan_enbek.import_directory(9771,
'iin;personnel_no;last_name;first_name;department;card;person_id
810111300012;T-1;Abenova;Aigul;Teachers;1001;1

;T-2;Bekov;Daniyar;Teachers;1002;2
830313300035;T-3;Serikova;Asel;Kitchen;1003;3
860616300067;;Zhanova;Madina;Kitchen;1001;6
840414300045;T-2;Omarov;Timur;;;4
870717300078;T-9;Kassymov;Arman;;;
;;Nobody;Known;;;
850515300056;T-5;Nurova;Dana;Teachers;9999;5
"broken;line
only;two
830313300034;T-3;Serikova;Asel;Kitchen;8888;5
', 97711);

SELECT is((SELECT line_count FROM result), 11, 'eleven data lines, the empty one not counted');
SELECT is((SELECT matched_count FROM result), 5, 'five lines mapped to existing employees');
SELECT is((SELECT created_count FROM result), 0, 'no employee created without create_employees');
SELECT is((SELECT department_count FROM result), 2, 'two departments created');
SELECT is((SELECT moved_count FROM result), 4, 'four employees moved to a department');
SELECT is((SELECT conflict_count FROM result), 14, 'fourteen conflicts counted');
SELECT is((SELECT source_id FROM result), 97711, 'the import names its source');

-- The conflicts, by line.
CREATE TEMP VIEW conflict AS
SELECT line_no, kind, employee_id, masked_iin, personnel_no, credential, detail
FROM otan_enbek.directory_conflict_report WHERE org_id = 9771;

SELECT results_eq(
    $$ SELECT line_no, kind FROM conflict ORDER BY line_no, kind $$,
    $$ VALUES (2, 'card_on_two_people'), (4, 'missing_iin'), (5, 'invalid_iin'),
              (6, 'card_on_two_people'), (6, 'no_employee'), (7, 'ambiguous_match'),
              (8, 'no_employee'), (9, 'missing_iin'), (9, 'no_employee'),
              (10, 'card_on_two_people'), (10, 'person_id_on_two_people'),
              (11, 'invalid_line'), (12, 'invalid_line'), (13, 'person_id_on_two_people') $$,
    'every conflict is kept with its line');

-- A person without IIN is mapped by personnel number.
SELECT is((SELECT personnel_no FROM conflict WHERE line_no = 4), 'T-2',
          'missing IIN: the conflict names the personnel number');
SELECT ok(EXISTS (SELECT FROM otan_enbek.credential
                  WHERE org_id = 9771 AND employee_id = 97702 AND kind = 'card' AND value = '1002'),
          'missing IIN: the line still gives its card by personnel number');

-- An IIN failing its check digit is masked and the line is mapped by
-- personnel number.
SELECT is((SELECT masked_iin FROM conflict WHERE line_no = 5), '******300035',
          'invalid IIN: the conflict shows the IIN masked');
SELECT matches((SELECT detail FROM conflict WHERE line_no = 5), 'check digit',
               'invalid IIN: the detail names the check digit');
SELECT ok(EXISTS (SELECT FROM otan_enbek.credential
                  WHERE org_id = 9771 AND employee_id = 97703 AND value = '1003'),
          'invalid IIN: the line still gives its card by personnel number');

-- One card on two people of the file: given to neither.
SELECT is((SELECT credential FROM conflict WHERE line_no = 2), '1001',
          'card on two people: the conflict names the card');
SELECT is((SELECT detail FROM conflict WHERE line_no = 2),
          'The card is also on line 6, of another person; it was given to no one.',
          'card on two people: the detail names the other line');
SELECT is((SELECT employee_id FROM conflict WHERE line_no = 2), 97701,
          'card on two people: the conflict names the mapped employee');
SELECT is((SELECT count(*) FROM otan_enbek.credential WHERE org_id = 9771 AND value = '1001'),
          0::bigint, 'card on two people: nobody gets the card');
SELECT is((SELECT detail FROM conflict WHERE line_no = 6 AND kind = 'card_on_two_people'),
          'The card is also on line 2, of another person; it was given to no one.',
          'card on two people: an unmapped line counts as another person');

-- One card held by another employee.
SELECT is((SELECT detail FROM conflict WHERE line_no = 10 AND kind = 'card_on_two_people'),
          'The card is assigned to employee 97704. Set valid_to on that credential before assigning the card to employee 97705.',
          'card held by another employee: the detail names the holder');
SELECT is((SELECT count(*) FROM otan_enbek.credential WHERE org_id = 9771 AND value = '9999'),
          1::bigint, 'card held by another employee: it stays with its holder');

-- A card given up by its earlier holder passes from the next day.
SELECT is((SELECT valid_from FROM otan_enbek.credential
           WHERE org_id = 9771 AND employee_id = 97703 AND value = '8888'),
          '2021-01-01'::date, 'a card given up passes on from the next day');

-- One person id on two people: line 10 and line 13 both carry id 5.
SELECT is((SELECT detail FROM conflict WHERE line_no = 13),
          'The person id is also on line 10, of another person; it was given to no one.',
          'person id on two people: the detail names the other line');
SELECT is((SELECT count(*) FROM otan_enbek.credential
           WHERE org_id = 9771 AND kind = 'person' AND value = '5'), 0::bigint,
          'person id on two people: nobody gets it');

-- The IIN of one employee with the personnel number of another.
SELECT is((SELECT detail FROM conflict WHERE line_no = 7),
          'The IIN is that of employee 97704, but the personnel number is that of employee 97702.',
          'ambiguous match: the detail names both employees');
SELECT is((SELECT count(*) FROM otan_enbek.credential
           WHERE org_id = 9771 AND kind = 'person' AND value = '4'), 0::bigint,
          'ambiguous match: the line gives nothing');

-- No employee, and no key at all.
SELECT is((SELECT detail FROM conflict WHERE line_no = 8),
          'No employee of the organization has the IIN or the personnel number.',
          'no employee: the detail says so');
SELECT is((SELECT detail FROM conflict WHERE line_no = 9 AND kind = 'no_employee'),
          'The line has neither a valid IIN nor a personnel number to map it by.',
          'no key: the detail says so');

-- Invalid lines.
SELECT is((SELECT detail FROM conflict WHERE line_no = 11),
          'The line is not valid CSV: a quote is not closed, or text follows a closing quote.',
          'unclosed quote: the line is invalid');
SELECT is((SELECT detail FROM conflict WHERE line_no = 12),
          'The line has 2 fields, but the header has 7 columns.',
          'too few fields: the detail gives both numbers');

-- What the mapped lines gave.
SELECT results_eq(
    $$ SELECT e.employee_id, d.name FROM otan_enbek.employee e
       LEFT JOIN otan_enbek.department d USING (org_id, department_id)
       WHERE e.org_id = 9771 ORDER BY e.employee_id $$,
    $$ VALUES (97701, 'Teachers'), (97702, 'Teachers'), (97703, 'Kitchen'),
              (97704, NULL), (97705, 'Teachers') $$,
    'mapped employees are moved to the department of their line');
SELECT results_eq(
    $$ SELECT employee_id, kind, value, source_id FROM otan_enbek.credential
       WHERE org_id = 9771 AND valid_to IS NULL ORDER BY employee_id, kind, value $$,
    $$ VALUES (97701, 'person', '1', 97711), (97702, 'card', '1002', 97711),
              (97702, 'person', '2', 97711), (97703, 'card', '1003', 97711),
              (97703, 'card', '8888', 97711), (97703, 'person', '3', 97711),
              (97704, 'card', '9999', NULL) $$,
    'credentials go to the mapped employees for the import''s source');

-- A second import of the same lines adds nothing and keeps its own report.
CREATE TEMP TABLE again AS
SELECT * FROM otan_enbek.import_directory(9771,
'iin,personnel_no,card
810111300012,T-1,
,T-2,1002
', 97711);
SELECT is((SELECT credential_count FROM again), 0, 'a card held already is not added again');
SELECT is((SELECT conflict_count FROM again), 1, 'the second import has one conflict');
SELECT results_eq($$ SELECT line_no, kind FROM conflict $$,
                  $$ VALUES (3, 'missing_iin') $$,
                  'the report shows the newest import only');
SELECT is((SELECT count(*) FROM otan_enbek.directory_conflict WHERE org_id = 9771),
          15::bigint, 'the older import keeps its conflicts');

-- create_employees adds a line with a valid IIN and names.
CREATE TEMP TABLE created AS
SELECT * FROM otan_enbek.import_directory(9771,
'iin,last_name,first_name,position,card
870717300078,Kassymov,Arman,Guard,7001
', NULL, true);
SELECT is((SELECT created_count FROM created), 1, 'create_employees adds the employee');
SELECT is((SELECT (last_name, first_name, position)::text FROM otan_enbek.employee
           WHERE org_id = 9771 AND iin = '870717300078'),
          '(Kassymov,Arman,Guard)', 'the new employee has the names and position of the line');
SELECT is((SELECT source_id IS NULL FROM otan_enbek.credential
           WHERE org_id = 9771 AND value = '7001'), true,
          'a card of an import without source is valid at every source');

-- Values over their limits are invalid lines, not database errors.
CREATE TEMP TABLE too_long AS
SELECT * FROM otan_enbek.import_directory(9771,
'iin,personnel_no,department,card
810111300012,T-1,Teachers,' || repeat('7', 6400) || '
810111300012,T-1,' || repeat('x', 501) || ',
810111300012,T-1,Teachers,' || repeat('8', 64) || '
', 97711);
SELECT results_eq($$ SELECT line_no, kind, detail FROM conflict ORDER BY line_no $$,
                  $$ VALUES (2, 'invalid_line',
                             'The card has 6400 bytes, but a credential has at most 64.'),
                            (3, 'invalid_line',
                             'A name, department or position has 501 characters, but Enbek accepts at most 500.') $$,
                  'a card over 64 bytes and a department over 500 characters are invalid lines');
SELECT is((SELECT credential_count FROM too_long), 1, 'a card of 64 bytes is assigned');
SELECT is((SELECT count(*) FROM otan_enbek.department
           WHERE org_id = 9771 AND length(name) > 500), 0::bigint,
          'no department over 500 characters is created');

-- The CSV reader.
SELECT is(otan_enbek.directory_split_line('a,"b,""c""",,d', ','),
          ARRAY['a', 'b,"c"', '', 'd'], 'quoted fields keep delimiters and doubled quotes');
SELECT is(otan_enbek.directory_split_line('a;b;', ';'), ARRAY['a', 'b', ''],
          'a trailing delimiter ends with an empty field');
SELECT is(otan_enbek.directory_split_line('"a"x,b', ','), NULL,
          'text after a closing quote makes the line invalid');

-- Errors of the whole file.
SELECT throws_ok($$ SELECT otan_enbek.import_directory(9771, '') $$, '22023',
                 'the directory file is empty', 'an empty file raises an error');
SELECT throws_ok($$ SELECT otan_enbek.import_directory(9771, E'iin,badge\n') $$, '22023',
                 'invalid header line of the directory file', 'an unknown column raises an error');
SELECT throws_like($$ SELECT otan_enbek.import_directory(9771, E'last_name,card\n') $$,
                   'invalid header line%', 'a header without iin or personnel_no raises an error');
SELECT throws_ok($$ SELECT otan_enbek.import_directory(9771, E'iin\n', 1) $$, '23503',
                 'source 1 does not belong to organization 9771',
                 'a source of another organization raises an error');
SELECT throws_ok($$ SELECT otan_enbek.import_directory(9770, E'iin\n') $$, '42704',
                 'organization 9770 does not exist', 'an unknown organization raises an error');

-- The job kind records a run with its counts, and a failure with its error.
CREATE TEMP TABLE run AS
SELECT * FROM otan_enbek.run_directory_import(9771, '/nonexistent/directory.csv');
SELECT is((SELECT status FROM run), 'failed', 'a run on a missing file fails');
SELECT is((SELECT kind FROM run), 'directory_import', 'the run has its kind');

SELECT * FROM finish();
ROLLBACK;
