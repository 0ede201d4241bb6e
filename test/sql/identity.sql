-- IIN and BIN validation: the check digit, the structure, and the errors.
CREATE EXTENSION IF NOT EXISTS otan_enbek;

-- Valid numbers, generated with their check digits.
SELECT v, otan_enbek.is_valid_iin(v) AS valid
FROM unnest(ARRAY['810111300012', '751201400423', '860616300067']) AS v;
SELECT v, otan_enbek.is_valid_bin(v) AS valid
FROM unnest(ARRAY['050440000012', '110340000072']) AS v;

-- Each kind of invalid IIN: wrong last digit, length, letters, century
-- digit, birth date, 29 February of a year that is not a leap year.
SELECT v, otan_enbek.is_valid_iin(v) AS valid
FROM unnest(ARRAY['810111300013', '81011130001', '8101113000120', '81011130001X',
                  '810111700012', '811301300012', '010229500012', '']) AS v;

-- A second weighting applies when the first gives 10, and a number whose
-- two weightings both give 10 is never issued.
SELECT otan_enbek.is_valid_bin('000100000500') AS second_weighting_valid,
       otan_enbek.is_valid_bin('000100000501') AS second_weighting_wrong,
       otan_enbek.is_valid_bin('000100000550') AS never_issued;

-- The domains raise errors that name the value (masked for an IIN).
SELECT '810111300013'::otan_enbek.iin;
SELECT 'abc'::otan_enbek.iin;
SELECT '050440000013'::otan_enbek.bin;
SELECT otan_enbek.mask_iin('810111300012');

-- An organization with an invalid BIN is not stored.
INSERT INTO otan_enbek.organization (bin, name) VALUES ('050440000013', 'School');
SELECT count(*) FROM otan_enbek.organization WHERE bin = '050440000013';

-- An unknown time zone is caught when the organization is created.
INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES ('050440000012', 'School', 'Asia/Almaaty');
