-- Errors of the ingest functions: SQLSTATE and message of each, and that
-- content which cannot be read stores nothing.
BEGIN;
SELECT plan(27);

INSERT INTO otan_enbek.organization (bin, name)
VALUES ('050440000012', 'School No. 1') RETURNING org_id AS org \gset
INSERT INTO otan_enbek.source (org_id, name) VALUES (:org, 'gate') RETURNING source_id AS src \gset

-- Arguments
SELECT throws_ok(format($$SELECT otan_enbek.ingest(%s, 'xml', '')$$, :src),
                 '22023', 'unknown ingest format "xml"',
                 'an unknown format is named in the error');
SELECT throws_ok($$SELECT * FROM otan_enbek.parse_events('json', '{}')$$,
                 '22023', 'unknown ingest format "json"',
                 'parse_events rejects an unknown format too');
SELECT throws_ok($$SELECT otan_enbek.ingest(-1, 'zkteco', '')$$,
                 '22023', 'source -1 does not exist',
                 'an unknown source is an error');
SELECT throws_ok($$SELECT otan_enbek.ingest(NULL, 'zkteco', '')$$,
                 '22004', 'source_id is NULL',
                 'a NULL source is an error');
SELECT throws_ok(format($$SELECT otan_enbek.ingest(%s, NULL, '')$$, :src),
                 '22004', format('no format given for source %s', :src),
                 'a NULL format needs the source''s default_format');
SELECT throws_ok(format($$SELECT otan_enbek.ingest(%s, 'csv', NULL)$$, :src),
                 '22004', 'content is NULL',
                 'NULL content is an error');

-- Content that cannot be read as a whole
SELECT throws_ok(format($$SELECT otan_enbek.ingest(%s, 'hikvision', '{"AcsEvent": [}')$$, :src),
                 '22P02', 'content is not valid JSON',
                 'JSON that does not parse');
SELECT throws_ok(format($$SELECT otan_enbek.ingest(%s, 'hikvision', '%s')$$,
                        :src, repeat('[', 33) || repeat(']', 33)),
                 '22P02', 'content is not valid JSON',
                 'JSON nested deeper than the limit');
SELECT throws_ok(format($$SELECT otan_enbek.ingest(%s, 'hikvision', '{"Other": {}}')$$, :src),
                 '22P02', 'content is not a Hikvision AcsEvent search response',
                 'JSON without AcsEvent');
SELECT throws_ok(format($$SELECT otan_enbek.ingest(%s, 'csv', '')$$, :src),
                 '22P02', 'CSV content has no header row',
                 'empty CSV');
SELECT throws_ok(format($$SELECT otan_enbek.ingest(%s, 'csv', E'when,credential\n2024-03-04 08:00,1\n')$$, :src),
                 '22P02', 'CSV header has no occurred_at column',
                 'CSV without occurred_at');
SELECT throws_ok(format($$SELECT otan_enbek.ingest(%s, 'csv', E'occurred_at,device\n2024-03-04 08:00,1\n')$$, :src),
                 '22P02', 'CSV header has no credential column',
                 'CSV without credential');
SELECT throws_ok(format($$SELECT otan_enbek.ingest(%s, 'csv', E'occurred_at,device,device_id,credential\n')$$, :src),
                 '22P02', 'CSV header names the same column twice',
                 'CSV with a column and its alias');
SELECT throws_ok(format($$SELECT otan_enbek.ingest_bytes(%s, 'zkteco', '\x31093230c0'::bytea)$$, :src),
                 '22021', 'content is not valid UTF-8',
                 'bytes that are not UTF-8');
SELECT is((SELECT count(*) FROM otan_enbek.ingest_batch WHERE source_id = :src), 0::bigint,
          'no error above stored a batch');

-- A bad record inside readable content is a reject, not an error.
SELECT lives_ok(format($$SELECT otan_enbek.ingest(%s, 'csv', E'occurred_at,credential\nnot a time,1\n')$$, :src),
                'a bad CSV record is rejected without an error');
SELECT is((SELECT rejected_count FROM otan_enbek.ingest_batch WHERE source_id = :src), 1,
          'the bad record is counted as rejected');

-- ingest_file: only superusers, a clear error for files that are not UTF-8
SELECT lo_from_bytea(0, convert_to(E'9\tA', 'UTF8') || '\xc0e9e3'::bytea ||
                        convert_to(E'\t2024-03-04 08:45:00\t0\t1\n', 'UTF8')) AS lo \gset
SELECT lo_export(:lo, 'otan_ingest_tap_cp1251.dat') AS written \gset
SELECT throws_ok(format($$SELECT otan_enbek.ingest_file(%s, 'zkteco', 'otan_ingest_tap_cp1251.dat')$$, :src),
                 '22021', 'file "otan_ingest_tap_cp1251.dat" is not valid UTF-8',
                 'a file that is not UTF-8 is named in the error');
SELECT throws_ok(format($$SELECT otan_enbek.ingest_file(%s, 'zkteco', 'otan_ingest_tap_missing.dat')$$, :src),
                 '58P01', NULL,
                 'a missing file is an error');
SELECT ok(NOT has_function_privilege('public', 'otan_enbek.ingest_file(integer, text, text)', 'EXECUTE'),
          'PUBLIC may not execute ingest_file');

-- Runs a statement as another role and returns the error message.
CREATE FUNCTION pg_temp.error_as(role_name name, statement text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    state text;
    message text;
BEGIN
    EXECUTE format('SET LOCAL ROLE %I', role_name);
    BEGIN
        EXECUTE statement;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
    END;
    RESET ROLE;
    RETURN state || ' ' || message;
END
$$;
CREATE ROLE otan_ingest_tap_user;
GRANT USAGE ON SCHEMA otan_enbek TO otan_ingest_tap_user;
SELECT is(pg_temp.error_as('otan_ingest_tap_user',
                           format($$SELECT otan_enbek.ingest_file(%s, 'zkteco', 'otan_ingest_tap_cp1251.dat')$$, :src)),
          '42501 permission denied for function ingest_file',
          'a role that is not superuser cannot read server files');

-- Messages carry details, and hints on what to do.
CREATE FUNCTION pg_temp.error_fields(statement text,
                                     OUT message text, OUT detail text, OUT hint text)
    LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE statement;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL,
                            hint = PG_EXCEPTION_HINT;
END
$$;
SELECT is((pg_temp.error_fields(format($$SELECT otan_enbek.ingest(%s, 'xml', '')$$, :src))).detail,
          'Valid formats are zkteco, hikvision and csv.',
          'the unknown format error lists the valid formats');
SELECT is((pg_temp.error_fields(format($$SELECT otan_enbek.ingest(%s, 'hikvision', '{"a": 1,}')$$, :src))).detail,
          'Syntax error at byte 8 (line 1): expected a member name in double quotes.',
          'the JSON error gives the byte offset and line');
SELECT matches((pg_temp.error_fields(format($$SELECT otan_enbek.ingest_file(%s, 'zkteco', 'otan_ingest_tap_cp1251.dat')$$, :src))).detail,
               'The byte 0xc0 at offset 3 ',
               'the UTF-8 error gives the offset of the bad byte');
SELECT matches((pg_temp.error_fields(format($$SELECT otan_enbek.ingest_file(%s, 'zkteco', 'otan_ingest_tap_cp1251.dat')$$, :src))).hint,
               'CP1251',
               'the UTF-8 error hints at CP1251 exports');
SELECT matches((pg_temp.error_fields(format($$SELECT otan_enbek.ingest(%s, 'csv', 'a,b')$$, :src))).hint,
               'occurred_at and credential',
               'the CSV header error names the required columns');
SELECT is((SELECT count(*) FROM otan_enbek.ingest_batch WHERE source_id = :src), 1::bigint,
          'only the readable content stored a batch');

SELECT * FROM finish();
ROLLBACK;
