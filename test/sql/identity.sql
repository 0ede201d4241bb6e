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

-- mask_iin counts characters, not bytes, and shows at most the last six.
-- A text of n characters shows its last min(6, n - 6), so the first six
-- are always hidden: fullwidth digits, spaces around the digits, short and
-- long texts.  The IIN domain rejects all of these, naming them masked.
SELECT label, v AS value, otan_enbek.mask_iin(v) AS masked,
       char_length(otan_enbek.mask_iin(v)) = char_length(v) AS same_length
FROM (VALUES (1, 'ASCII IIN', '810111300012'),
             (2, 'fullwidth digits', '８１０１１１３０００１２'),
             (3, 'leading space', ' 810111300012'),
             (4, 'trailing space', '810111300012 '),
             (5, 'Cyrillic letters', 'ИИН810111300012'),
             (6, 'eleven digits', '81011130001'),
             (7, 'seven digits', '8101113'),
             (8, 'six digits', '810111'),
             (9, 'one digit', '8'),
             (10, 'empty', ''),
             (11, 'long text', '810111300012 Abenova Aigul')) AS t(n, label, v)
ORDER BY n;
SELECT otan_enbek.mask_iin(NULL) IS NULL AS null_gives_null;
SELECT '８１０１１１３０００１２'::otan_enbek.iin;
SELECT ' 810111300012'::otan_enbek.iin;

-- An organization with an invalid BIN is not stored.
INSERT INTO otan_enbek.organization (bin, name) VALUES ('050440000013', 'School');
SELECT count(*) FROM otan_enbek.organization WHERE bin = '050440000013';

-- An unknown time zone is caught when the organization is created.
INSERT INTO otan_enbek.organization (bin, name, time_zone)
VALUES ('050440000012', 'School', 'Asia/Almaaty');
