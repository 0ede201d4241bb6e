-- Errors about wrong arguments and content name what is wrong: an empty
-- key_file argument, a NULL timesheet_id, the byte that makes content
-- invalid UTF-8, and dates beyond the years that device logs can carry.
BEGIN;
SELECT plan(26);

INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (9301, '050440000012', 'School No. 9');
INSERT INTO otan_enbek.source (org_id, name) VALUES (9301, 'gate') RETURNING source_id AS src \gset

-- Runs a statement that must fail and returns the fields of its error.
CREATE FUNCTION pg_temp.error_fields(statement text,
                                     OUT state text, OUT message text,
                                     OUT detail text, OUT hint text)
    LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
    RAISE EXCEPTION 'statement succeeded: %', statement;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT,
                            detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
END
$$;

-- An empty key_file is the argument's fault, not the setting's.
SELECT throws_ok($$SELECT * FROM otan_enbek.check_signing_key(9301, '')$$,
                 '22023', 'key_file must not be empty',
                 'check_signing_key names an empty key_file argument');
SELECT matches((pg_temp.error_fields($$SELECT * FROM otan_enbek.check_signing_key(9301, '')$$)).hint,
               'or NULL to check the key in otan_enbek\.signing_key_file',
               'the hint says how to check the configured key');

-- A NULL timesheet_id is not a missing timesheet.
SELECT throws_ok($$SELECT otan_enbek.submit_timesheet(NULL)$$,
                 '22004', 'timesheet_id is NULL',
                 'submit_timesheet rejects a NULL timesheet_id');
SELECT matches((pg_temp.error_fields($$SELECT otan_enbek.submit_timesheet(NULL)$$)).hint,
               'otan_enbek\.build_timesheet',
               'the hint names where timesheet ids come from');

-- UTF-8: the error names the byte that breaks the sequence and what was
-- expected, not the valid lead byte before it.
SELECT is(otan_enbek.invalid_utf8_offset('\x6f63c241'::bytea), 3::bigint,
          'the offset is that of the byte after the lead byte');
SELECT is((pg_temp.error_fields(format($$SELECT otan_enbek.ingest_bytes(%s, 'csv', '\x6f63c241'::bytea)$$, :src))).detail,
          'The byte 0x41 at offset 3 does not continue the 2-byte character that starts with 0xc2 at offset 2: expected a continuation byte from 0x80 to 0xbf.',
          'ingest_bytes names the byte that does not continue a character');
SELECT is(otan_enbek.invalid_utf8_reason('\x41e0808041'::bytea),
          'The byte 0x80 at offset 2 does not continue the 3-byte character that starts with 0xe0 at offset 1: expected a continuation byte from 0xa0 to 0xbf.',
          'an overlong form is reported at its second byte, with its range');
SELECT is(otan_enbek.invalid_utf8_reason('\x41eda08041'::bytea),
          'The byte 0xa0 at offset 2 does not continue the 3-byte character that starts with 0xed at offset 1: expected a continuation byte from 0x80 to 0x9f.',
          'a UTF-16 surrogate is reported at its second byte');
SELECT is(otan_enbek.invalid_utf8_reason('\x41f4908080'::bytea),
          'The byte 0x90 at offset 2 does not continue the 4-byte character that starts with 0xf4 at offset 1: expected a continuation byte from 0x80 to 0x8f.',
          'a code point above U+10FFFF is reported at its second byte');
SELECT is(otan_enbek.invalid_utf8_reason('\x41f09f9841'::bytea),
          'The byte 0x41 at offset 4 does not continue the 4-byte character that starts with 0xf0 at offset 1: expected a continuation byte from 0x80 to 0xbf.',
          'the fourth byte of a 4-byte character is checked');
SELECT is(otan_enbek.invalid_utf8_reason('\x41e282'::bytea),
          'The content ends at offset 3 inside the 3-byte character that starts with 0xe2 at offset 1: expected a continuation byte from 0x80 to 0xbf.',
          'content that ends inside a character says so');
SELECT is(otan_enbek.invalid_utf8_offset('\x41e282'::bytea), 3::bigint,
          'the offset of content that ends inside a character is its length');
SELECT is(otan_enbek.invalid_utf8_reason('\x419c'::bytea),
          'The byte 0x9c at offset 1 is a continuation byte without a lead byte: expected an ASCII byte (0x00 to 0x7f) or a lead byte (0xc2 to 0xf4).',
          'a continuation byte without a lead byte is named');
SELECT is(otan_enbek.invalid_utf8_reason('\x41c0af'::bytea),
          'The byte 0xc0 at offset 1 never occurs in UTF-8: expected an ASCII byte (0x00 to 0x7f) or a lead byte (0xc2 to 0xf4).',
          'a byte that never occurs in UTF-8 is named');
SELECT is(otan_enbek.invalid_utf8_reason('\x41c3a900e282ac'::bytea), NULL,
          'valid UTF-8 with a NUL byte has no reason');
SELECT lo_from_bytea(0, convert_to(E'9\t2024-03-04 08:45:00\t0\t1\tA', 'UTF8') ||
                        '\xc241'::bytea) AS lo \gset
SELECT lo_export(:lo, 'otan_input_errors_c241.dat') AS written \gset
SELECT is((pg_temp.error_fields(format($$SELECT otan_enbek.ingest_file(%s, 'zkteco', 'otan_input_errors_c241.dat')$$, :src))).detail,
          'The byte 0x41 at offset 28 does not continue the 2-byte character that starts with 0xc2 at offset 27: expected a continuation byte from 0x80 to 0xbf.',
          'ingest_file names the byte that does not continue a character');

-- Dates beyond the years 1 to 9999 raise an error that names the range,
-- instead of a bare "timestamp out of range" from deep inside the function.
SELECT throws_ok($$SELECT otan_enbek.build_timesheet(9301, '294276-12-01')$$,
                 '22008', 'timesheet month 294276-12-01 is out of range',
                 'build_timesheet rejects a month after the year 9999');
SELECT matches((pg_temp.error_fields($$SELECT otan_enbek.build_timesheet(9301, '294276-12-01')$$)).detail,
               'years 1 to 9999',
               'the detail gives the years');
SELECT throws_ok($$SELECT otan_enbek.compute_attendance(9301, '294276-12-01', '294276-12-31')$$,
                 '22008', 'attendance period 294276-12-01 to 294276-12-31 is out of range',
                 'compute_attendance rejects days after the year 9999');
SELECT throws_ok($$SELECT otan_enbek.compute_attendance(9301, '4000-01-01 BC', '4000-01-31 BC')$$,
                 '22008', 'attendance period 4000-01-01 BC to 4000-01-31 BC is out of range',
                 'compute_attendance rejects days before the year 1');
SELECT throws_like($$SELECT otan_enbek.ensure_event_partitions('294276-12-01', '294276-12-01')$$,
                   'partition range % is out of range',
                   'ensure_event_partitions rejects months after the year 9999');
SELECT throws_like($$SELECT otan_enbek.ensure_event_partitions('-infinity', '2025-01-01')$$,
                   'partition range % is out of range',
                   'ensure_event_partitions rejects an infinite start');

-- event_months takes infinite limits: no event can lie beyond the years 1
-- to 9999 of its file, give or take a day of UTC offset.
SELECT is(ARRAY(SELECT to_char(m AT TIME ZONE 'UTC', 'YYYY-MM BC')
                FROM otan_enbek.event_months('csv',
                    convert_to(E'occurred_at,credential\n'
                               '0001-01-01T00:00:00+18:00,1\n'
                               '2025-01-01T12:00:00+05:00,1\n'
                               '9999-12-31T23:59:59-18:00,1\n', 'UTF8'),
                    'Asia/Almaty', '-infinity', 'infinity') AS m),
          ARRAY['0001-12 BC', '2025-01 AD', '10000-01 AD'],
          'event_months reads the months of the first and the last possible times');
SELECT is(ARRAY(SELECT m FROM otan_enbek.event_months('csv',
                    convert_to(E'occurred_at,credential\n2025-01-01T12:00:00+05:00,1\n', 'UTF8'),
                    'Asia/Almaty', 'infinity', 'infinity') AS m),
          '{}'::timestamptz[],
          'limits after the last possible time select no month');

-- The first and the last time a file can carry are rejected records with
-- a reason, not an error for the whole file.
SELECT lives_ok(format($$SELECT otan_enbek.ingest(%s, 'csv', E'occurred_at,credential\n'
                          '0001-01-01T00:00:00+18:00,1\n9999-12-31T23:59:59-18:00,1\n')$$, :src),
                'ingest reads the extreme times without an error');
SELECT is(ARRAY(SELECT r.reason FROM otan_enbek.ingest_reject AS r
                JOIN otan_enbek.ingest_batch AS b
                  ON b.org_id = r.org_id AND b.batch_id = r.batch_id
                WHERE b.source_id = :src
                ORDER BY r.line_no),
          ARRAY['The time 0001-01-01 00:00:00 is before 2001-01-01.',
                'The time 9999-12-31 23:59:59 is more than one day in the future.'],
          'both records are rejected with their reasons');

SELECT * FROM finish();
ROLLBACK;
