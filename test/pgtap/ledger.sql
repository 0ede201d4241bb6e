-- The ledger of submissions: ledger numbers without gaps per organization,
-- and each row linked to the digest of the one before.  verify_ledger names
-- the first broken link after a document, a digest or a row is changed or
-- removed behind the guard's back.
BEGIN;
SELECT plan(19);
SET LOCAL client_min_messages = warning;

INSERT INTO otan_enbek.organization (org_id, bin, name)
    OVERRIDING SYSTEM VALUE VALUES (9601, '050440000012', 'School No. 7'),
                                   (9602, '090440004210', 'School No. 9');
INSERT INTO otan_enbek.timesheet (org_id, timesheet_id, month, version, status,
                                  working_days, norm_hours)
    OVERRIDING SYSTEM VALUE
SELECT o, 700 + v, '2025-11-01', v, 'submitted', 20, 160
FROM generate_series(1, 4) AS v, (VALUES (9601), (9602)) AS orgs(o);

-- Four submissions of 9601 in two statements (the second inserts two rows
-- at once) and one of 9602 in between.
CREATE FUNCTION pg_temp.add(org integer, sheets integer[]) RETURNS void
    LANGUAGE sql AS $$
INSERT INTO otan_enbek.submission
    (org_id, timesheet_id, message_id, service_id, document, document_sha256,
     signature_value, key_fingerprint, certificate_serial, certificate_not_after)
SELECT org, t, gen_random_uuid(), 'OTAN_TIMESHEET_V1', d,
       sha256(convert_to(d, 'UTF8')), 'sig', 'fp', '1001', '2030-01-01'
FROM unnest(sheets) AS t,
     LATERAL (SELECT format('<ts:timesheetRequest n="%s" org="%s">Иванов</ts:timesheetRequest>',
                            t, org) AS d) AS doc
ORDER BY t
$$;
SELECT pg_temp.add(9601, '{701}');
SELECT pg_temp.add(9602, '{701}');
SELECT pg_temp.add(9601, '{702, 703}');
SELECT pg_temp.add(9601, '{704}');

SELECT results_eq(
    $$SELECT ledger_no FROM otan_enbek.submission WHERE org_id = 9601 ORDER BY submission_id$$,
    ARRAY[1, 2, 3, 4]::bigint[], 'ledger numbers of an organization count from 1 without gaps');
SELECT is((SELECT ledger_no FROM otan_enbek.submission WHERE org_id = 9602), 1::bigint,
          'each organization has its own ledger');
SELECT is((SELECT previous_sha256 FROM otan_enbek.submission WHERE org_id = 9601 AND ledger_no = 1),
          NULL, 'the first submission has no previous digest');
SELECT ok((SELECT bool_and(s.previous_sha256 = p.document_sha256)
           FROM otan_enbek.submission AS s
           JOIN otan_enbek.submission AS p ON p.org_id = s.org_id AND p.ledger_no = s.ledger_no - 1
           WHERE s.org_id = 9601),
          'each submission holds the digest of the previous one, also within one statement');
SELECT ok((SELECT bool_and(document_sha256 = sha256(convert_to(document, 'UTF8')))
           FROM otan_enbek.submission WHERE org_id IN (9601, 9602)),
          'document_sha256 is the SHA-256 of the stored document');

SELECT results_eq(
    $$SELECT org_id, submissions, broken_ledger_no, problem
      FROM otan_enbek.verify_ledger() WHERE org_id IN (9601, 9602)$$,
    $$VALUES (9601, 4::bigint, NULL::bigint, NULL::text), (9602, 1, NULL, NULL)$$,
    'an intact chain is reported intact');

-- The guard keeps the ledger columns unchanged.
SELECT throws_ok($$UPDATE otan_enbek.submission SET ledger_no = 9 WHERE org_id = 9601 AND ledger_no = 4$$,
                 '23000', NULL, 'ledger_no cannot be changed');
SELECT throws_ok($$UPDATE otan_enbek.submission SET previous_sha256 = '\x00'
                   WHERE org_id = 9601 AND ledger_no = 2$$,
                 '23000', NULL, 'previous_sha256 cannot be changed');
SELECT throws_ok($$INSERT INTO otan_enbek.submission
                       (org_id, timesheet_id, message_id, service_id, document, document_sha256,
                        signature_value, key_fingerprint, certificate_serial,
                        certificate_not_after, ledger_no)
                   VALUES (9601, 704, gen_random_uuid(), 'S', 'x', '\x00', 's', 'f', '1',
                           '2030-01-01', 1)$$,
                 '23505', NULL, 'a given ledger_no is replaced by the next one, so no slot is reused');

-- Tampering behind the guard (a superuser with the trigger off).
ALTER TABLE otan_enbek.submission DISABLE TRIGGER submission_immutable;

SAVEPOINT changed_document;
UPDATE otan_enbek.submission SET document = replace(document, 'Иванов', 'Петров')
WHERE org_id = 9601 AND ledger_no = 2;
SELECT results_eq(
    $$SELECT broken_ledger_no, problem FROM otan_enbek.verify_ledger(9601)$$,
    $$VALUES (2::bigint, 'the signed document does not match its document_sha256: it was changed after it was signed')$$,
    'a changed document breaks the chain at its row');
ROLLBACK TO changed_document;

SAVEPOINT changed_digest;
UPDATE otan_enbek.submission
SET document = replace(document, 'Иванов', 'Петров'),
    document_sha256 = sha256(convert_to(replace(document, 'Иванов', 'Петров'), 'UTF8'))
WHERE org_id = 9601 AND ledger_no = 2;
SELECT results_eq(
    $$SELECT broken_ledger_no, problem FROM otan_enbek.verify_ledger(9601)$$,
    $$VALUES (3::bigint, 'previous_sha256 does not match the document_sha256 of the previous submission: that submission or this link was changed')$$,
    'a document changed together with its digest breaks the link of the next row');
ROLLBACK TO changed_digest;

SAVEPOINT removed_row;
DELETE FROM otan_enbek.submission WHERE org_id = 9601 AND ledger_no = 3;
SELECT results_eq(
    $$SELECT submissions, broken_ledger_no, problem FROM otan_enbek.verify_ledger(9601)$$,
    $$VALUES (3::bigint, 4::bigint, 'ledger number 4 follows 2: the submissions between them are missing')$$,
    'a removed row breaks the chain where it was');
ROLLBACK TO removed_row;

SAVEPOINT removed_first;
DELETE FROM otan_enbek.submission WHERE org_id = 9601 AND ledger_no = 1;
SELECT is((SELECT broken_ledger_no FROM otan_enbek.verify_ledger(9601)), 2::bigint,
          'a removed first row is reported at the row that follows it');
ROLLBACK TO removed_first;

SELECT is((SELECT problem FROM otan_enbek.verify_ledger(9601)), NULL,
          'the chain is intact again after each rollback');
ALTER TABLE otan_enbek.submission ENABLE TRIGGER submission_immutable;

SELECT is((SELECT count(*) FROM otan_enbek.verify_ledger(9603)), 0::bigint,
          'an organization without submissions has no ledger row');
SELECT has_function('otan_enbek', 'verify_ledger', ARRAY['integer'],
                    'verify_ledger exists');
SELECT function_privs_are('otan_enbek', 'verify_ledger', ARRAY['integer'],
                          'otan_enbek_reader', '{}', 'a reader cannot verify the ledger');

CREATE ROLE otan_tap_ledger_operator IN ROLE otan_enbek_operator;
SELECT otan_enbek.grant_org_access('otan_tap_ledger_operator', 9601);
SET LOCAL ROLE otan_tap_ledger_operator;
SELECT is((SELECT submissions FROM otan_enbek.verify_ledger(9601)), 4::bigint,
          'an operator verifies the ledger of its organization');
SELECT throws_ok('SELECT * FROM otan_enbek.verify_ledger(9602)', '42501', NULL,
                 'an operator cannot verify the ledger of another organization');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
