-- The comparison of stored ESUTD contracts with the access-control system,
-- checked without the Enbek service.  It covers which contract counts for a
-- person and which schedule counts for an employee: a dated assignment,
-- then the own schedule, then the organization's default.  It also covers
-- how a schedule's working-hours code is derived, and each mismatch kind
-- with the cases that must not raise it.
BEGIN;
SELECT plan(24);

INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
    OVERRIDING SYSTEM VALUE VALUES (9781, '050440000012', 'School No. 7', 'Asia/Almaty');
INSERT INTO otan_enbek.source (org_id, source_id, name)
    OVERRIDING SYSTEM VALUE VALUES (9781, 97811, 'Turnstile');
INSERT INTO otan_enbek.work_schedule
    (org_id, schedule_id, name, kind, week_hours, daily_norm_min, working_hours_code)
    OVERRIDING SYSTEM VALUE VALUES
    (9781, 1, 'Five days', 'weekly', 40, NULL, NULL),
    (9781, 2, 'Flexible', 'flexible', 40, 480, NULL),
    (9781, 3, 'Thirty hours', 'weekly', 30, NULL, NULL),
    (9781, 4, 'Reduced', 'weekly', 36, NULL, 2);
UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = 9781;

-- Employees 1 to 9.  The IIN of employee 10 has a contract but no employee.
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id,
                                 dismissed_on)
    OVERRIDING SYSTEM VALUE VALUES
    (9781, 1, '900101300017', 'One', 'A', 1, NULL),
    (9781, 2, '900102300022', 'Two', 'A', 1, NULL),
    (9781, 3, '900103300038', 'Three', 'A', 1, NULL),
    (9781, 4, '900104300043', 'Four', 'A', 3, NULL),
    (9781, 5, '900105300059', 'Five', 'A', 3, NULL),
    (9781, 6, '900106300064', 'Six', 'A', 1, '2026-01-31'),
    (9781, 7, '900107300079', 'Seven', 'A', 1, NULL),
    (9781, 8, '900108300085', 'Eight', 'A', NULL, NULL),
    (9781, 9, '900109300090', 'Nine', 'A', 1, NULL);
-- Employee 7 works a flexible schedule from 2020 on, in place of its own.
INSERT INTO otan_enbek.employee_schedule (org_id, employee_id, schedule_id, valid_from)
VALUES (9781, 7, 2, '2020-01-01');
-- Employee 2's card ended in 2021.
INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value, valid_to) VALUES
    (9781, 1, 'card', 'c1', NULL), (9781, 2, 'card', 'c2', '2021-12-31'),
    (9781, 3, 'person', 'p3', NULL), (9781, 4, 'card', 'c4', NULL),
    (9781, 5, 'card', 'c5', NULL), (9781, 6, 'card', 'c6', NULL),
    (9781, 7, 'card', 'c7', NULL), (9781, 8, 'card', 'c8', NULL),
    (9781, 9, 'card', 'c9', NULL);
INSERT INTO otan_enbek.enbek_contract
    (org_id, contract_id, iin, position, working_hours_code, start_date, end_date, synced_at)
VALUES
    (9781, 'K1', '900101300017', 'Teacher', 1, '2020-01-01', NULL, now()),
    (9781, 'K2', '900102300022', 'Teacher', 1, '2020-01-01', NULL, now()),
    (9781, 'K4', '900104300043', 'Teacher', 2, '2020-01-01', NULL, now()),
    (9781, 'K5', '900105300059', 'Teacher', 1, '2020-01-01', NULL, now()),
    (9781, 'K6', '900106300064', 'Cook', 1, '2020-01-01', NULL, now()),
    (9781, 'K7', '900107300079', 'Guard', 5, '2020-01-01', NULL, now()),
    (9781, 'K8', '900108300085', 'Cleaner', 3, '2020-01-01', NULL, now()),
    -- Employee 9: an older contract that ended and a newer one that ended too.
    (9781, 'K9a', '900109300090', 'Driver', 1, '2018-01-01', '2019-12-31', now()),
    (9781, 'K9b', '900109300090', 'Driver', 1, '2020-01-01', '2026-01-31', now()),
    -- An older ended contract of employee 1 does not hide the one in force.
    (9781, 'K1old', '900101300017', 'Assistant', 3, '2015-01-01', '2019-12-31', now()),
    (9781, 'K10', '900110300105', 'Nurse', 1, '2020-01-01', NULL, now());
-- Passes: employee 6 two days after its dismissal, employee 9 late on the
-- day its contract ended (the same local day, so not after it).
SELECT otan_enbek.ensure_event_partitions('2026-01-01', '2026-02-28');
INSERT INTO otan_enbek.skud_event
    (org_id, occurred_at, source_id, external_id, credential_kind, credential, employee_id)
VALUES (9781, '2026-02-02 08:00:00+05', 97811, 'x6', 'card', 'c6', 6),
       (9781, '2026-01-31 23:30:00+05', 97811, 'x9', 'card', 'c9', 9);

CREATE TEMP VIEW mismatch AS
SELECT employee_id, kind FROM otan_enbek.contract_mismatch WHERE org_id = 9781;

SELECT results_eq(
    $$ SELECT coalesce(employee_id, 0), kind FROM mismatch ORDER BY 1, 2 $$,
    $$ VALUES (0, 'no_card'), (2, 'no_card'), (3, 'no_contract'), (5, 'schedule_mismatch'),
              (6, 'dismissed_but_passing'), (8, 'schedule_mismatch'), (9, 'no_contract') $$,
    'every mismatch, and only those');

-- The working-hours code of a schedule.
SELECT is(otan_enbek.schedule_working_hours('weekly', 40, NULL), 1::smallint,
          'a 40-hour week is normal');
SELECT is(otan_enbek.schedule_working_hours('flexible', 40, NULL), 5::smallint,
          'a flexible schedule is flexible');
SELECT is(otan_enbek.schedule_working_hours('weekly', 30, NULL), NULL::smallint,
          'a shorter week without a code is not known');
SELECT is(otan_enbek.schedule_working_hours('weekly', 40, 3::smallint), 3::smallint,
          'a code of its own wins');

-- Which contract counts.
SELECT is((SELECT contract_id FROM otan_enbek.contract_comparison
           WHERE org_id = 9781 AND employee_id = 1), 'K1',
          'the contract in force counts over an older one');
SELECT is((SELECT contract_id FROM otan_enbek.contract_comparison
           WHERE org_id = 9781 AND employee_id = 9), 'K9b',
          'without a contract in force, the one that started last counts');
SELECT is((SELECT dismissed_on FROM otan_enbek.contract_comparison
           WHERE org_id = 9781 AND employee_id = 9), '2026-01-31'::date,
          'the end of that contract is the dismissal');
SELECT is((SELECT passed_after_dismissal FROM otan_enbek.contract_comparison
           WHERE org_id = 9781 AND employee_id = 9), NULL,
          'a pass on the day of dismissal is not after it');

-- Which schedule counts.
SELECT is((SELECT schedule_id FROM otan_enbek.contract_comparison
           WHERE org_id = 9781 AND employee_id = 7), 2,
          'a dated assignment counts over the own schedule');
SELECT is((SELECT schedule_id FROM otan_enbek.contract_comparison
           WHERE org_id = 9781 AND employee_id = 8), 1,
          'without a schedule, the organization''s default counts');
SELECT is((SELECT mismatches FROM otan_enbek.contract_comparison
           WHERE org_id = 9781 AND employee_id = 7), '{}'::text[],
          'flexible schedule, flexible contract: no mismatch');
SELECT is((SELECT mismatches FROM otan_enbek.contract_comparison
           WHERE org_id = 9781 AND employee_id = 4), '{}'::text[],
          'a 30-hour week matches a reduced contract');
SELECT is((SELECT (schedule_code, contract_code)::text FROM otan_enbek.contract_comparison
           WHERE org_id = 9781 AND employee_id = 5), '(,1)',
          'a 30-hour week does not match a normal contract');

-- No card: an ended card does not count, a person id does.
SELECT is((SELECT has_card FROM otan_enbek.contract_comparison
           WHERE org_id = 9781 AND employee_id = 2), false, 'an ended card does not count');
SELECT is((SELECT has_card FROM otan_enbek.contract_comparison
           WHERE org_id = 9781 AND employee_id = 3), true, 'a person id counts as a card');
SELECT is((SELECT masked_iin FROM otan_enbek.contract_comparison
           WHERE org_id = 9781 AND employee_id IS NULL), '******300105',
          'a contract without employee shows its IIN masked');

-- Dismissed but passing.
SELECT is((SELECT passed_after_dismissal FROM otan_enbek.contract_comparison
           WHERE org_id = 9781 AND employee_id = 6), '2026-02-02 08:00:00+05'::timestamptz,
          'the pass after the dismissal is shown');
SELECT ok(NOT EXISTS (SELECT FROM mismatch WHERE employee_id = 6 AND kind = 'no_contract'),
          'a dismissal in the access-control system alone is not a missing contract');

-- A reduced schedule with its own code matches a reduced contract only.
UPDATE otan_enbek.employee SET schedule_id = 4 WHERE org_id = 9781 AND employee_id IN (4, 5);
SELECT is((SELECT mismatches FROM otan_enbek.contract_comparison
           WHERE org_id = 9781 AND employee_id = 4), '{}'::text[],
          'a reduced schedule matches a reduced contract');
SELECT is((SELECT mismatches FROM otan_enbek.contract_comparison
           WHERE org_id = 9781 AND employee_id = 5), '{schedule_mismatch}'::text[],
          'a reduced schedule does not match a normal contract');

-- The push document.
SELECT throws_ok($$ SELECT otan_enbek.directory_push_document(9781, gen_random_uuid()) $$,
                 '55000', 'the working-hours code of some schedules of organization 9781 is unknown',
                 'a 30-hour schedule without a code cannot be pushed');
UPDATE otan_enbek.work_schedule SET working_hours_code = 4 WHERE org_id = 9781 AND schedule_id = 3;
SELECT is((xpath('count(//dir:schedule)',
                 otan_enbek.directory_push_document(9781, gen_random_uuid())::xml,
                 ARRAY[ARRAY['dir', 'urn:otan-enbek:directory:v1']]))[1]::text,
          '4', 'the push document lists every schedule');
SELECT is((xpath('//dir:schedule[dir:name="Thirty hours"]/dir:workingHours/text()',
                 otan_enbek.directory_push_document(9781, gen_random_uuid())::xml,
                 ARRAY[ARRAY['dir', 'urn:otan-enbek:directory:v1']]))[1]::text,
          '4', 'a schedule is pushed with its code');

SELECT * FROM finish();
ROLLBACK;
