-- Errors about the extension's tables show an IIN masked to the client.
-- PostgreSQL's own constraint errors repeat the key or the row, and the
-- context lines repeat values and statements.  The log hook of the
-- extension masks the valid IINs in them before the error is logged and
-- sent.  The server log side is tested in test/t/110_iin_not_logged.pl.
CREATE EXTENSION IF NOT EXISTS otan_enbek;
BEGIN;
\set ON_ERROR_ROLLBACK on

INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (9101, '050440000012', 'School No. 9');
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
VALUES (9101, 1, '810111300012', 'Abenova', 'Aigul');

-- A duplicate IIN: the key in DETAIL.
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
VALUES (9101, 2, '810111300012', 'Abenova', 'Aigul');

-- A missing name and a contract that ends before it starts: the row in
-- DETAIL.
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
VALUES (9101, 3, '820212300023', NULL, 'Daniyar');
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
                                 contract_start, contract_end)
VALUES (9101, 4, '830313300034', 'Serikova', 'Zhanna', '2025-02-01', '2025-01-31');

-- An update that does not touch the IIN still shows the row.
UPDATE otan_enbek.employee SET first_name = NULL WHERE employee_id = 1;

-- A foreign key error names no IIN.
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
                                 department_id)
VALUES (9101, 5, '840414300045', 'Temirov', 'Arman', 77);

-- Dynamic SQL: the statement in CONTEXT.
DO $$
BEGIN
    EXECUTE format('INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)'
                   ' VALUES (9101, 6, %L, %L, NULL)', '850515300056', 'Nurlanova');
END
$$;

-- COPY repeats the value that the IIN domain rejects in its CONTEXT line,
-- and a valid IIN in the row of a later error.
COPY otan_enbek.employee (org_id, employee_id, iin, last_name, first_name) FROM stdin WITH (FORMAT csv);
9101,7,860616300067,Omarov,Yerlan
9101,8,860616300068,Omarova,Aliya
\.
COPY otan_enbek.employee (org_id, employee_id, iin, last_name, first_name) FROM stdin WITH (FORMAT csv);
9101,9,860616300067,,Yerlan
\.

-- A BIN is public and stays whole; an IIN stored as a BIN, as a sole
-- proprietor's, is masked.
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (9102, '050440000012', 'School No. 9 again');
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (9103, '751201400423', 'Sole proprietor');
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (9104, '751201400423', 'Sole proprietor again');

-- Errors outside the extension's schema are left alone.
SELECT 1 / 0 AS not_about_employees;
ROLLBACK;
