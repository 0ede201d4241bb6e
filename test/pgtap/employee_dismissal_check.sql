-- An employee's dismissal date lies on or after the contract start.
BEGIN;
SELECT plan(6);

SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4981, '090440004697', 'Rehire');
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
        contract_start, dismissed_on)
VALUES (4981, 1, '850101300005', 'Abenova', 'Aigerim', '2026-01-12', '2026-02-10');

SELECT throws_ok(
    $$INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
              contract_start, dismissed_on)
      VALUES (4981, 2, '850101300015', 'Bekov', 'Arman', '2026-03-05', '2026-02-10')$$,
    '23514', NULL, 'a dismissal before the contract start is rejected');
SELECT throws_like(
    $$UPDATE otan_enbek.employee SET contract_start = '2026-03-05'
      WHERE org_id = 4981 AND employee_id = 1$$,
    '%"employee_dismissed_on_check"%',
    'a rehire that keeps the old dismissal names the constraint');
SELECT lives_ok(
    $$UPDATE otan_enbek.employee SET contract_start = '2026-03-05', dismissed_on = NULL
      WHERE org_id = 4981 AND employee_id = 1$$,
    'a rehire that clears the dismissal is stored');
SELECT lives_ok(
    $$UPDATE otan_enbek.employee SET dismissed_on = contract_start
      WHERE org_id = 4981 AND employee_id = 1$$,
    'a dismissal on the first day is stored');
SELECT lives_ok(
    $$UPDATE otan_enbek.employee SET contract_start = NULL, dismissed_on = '2026-02-10'
      WHERE org_id = 4981 AND employee_id = 1$$,
    'a dismissal without a contract start is stored');
SELECT is((SELECT dismissed_on FROM otan_enbek.employee
           WHERE org_id = 4981 AND employee_id = 1),
          date '2026-02-10', 'the last stored dismissal is kept');

SELECT * FROM finish();
ROLLBACK;
