-- Every SQL function of the extension is called three times: with NULL
-- arguments, with empty and boundary ones (empty strings, zero, infinite
-- dates), and with extreme ones (100,000-character strings, invalid UTF-8
-- bytes, the largest integers and dates).  Each call must return or raise
-- an error that names the problem.  The calls come from the catalogue, so a
-- function added later is covered without editing this file.  Trigger
-- functions, aggregates and support functions with internal arguments
-- cannot be called from SQL and are left out.
--
-- An error counts as unclear when it is an internal error (class XX), a
-- failure of the system or of resources (classes 53, 54, 57, 58, except
-- 58P01 for a file that does not exist), a
-- PL/pgSQL error of the function's own code ("query returned no rows"), or
-- a message over 1000 characters, which copies a huge argument into the
-- server log.  A crash of the server ends this file early, so pg_prove reports
-- the missing tests.
BEGIN;

-- An endless loop that writes temporary files fails here at once instead
-- of filling the disk.
SET LOCAL temp_file_limit = '64MB';

-- A literal of the given type for a kind of argument: null, edge or
-- extreme.
CREATE FUNCTION pg_temp.argument_literal(type regtype, kind text) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
SELECT CASE
    WHEN kind = 'null' THEN format('NULL::%s', type)
    WHEN kind = 'edge' THEN CASE type
        WHEN 'text'::regtype THEN $e$''$e$
        WHEN 'bytea'::regtype THEN $e$''::bytea$e$
        WHEN 'integer'::regtype THEN '0'
        WHEN 'bigint'::regtype THEN '0::bigint'
        WHEN 'date'::regtype THEN $e$'infinity'::date$e$
        WHEN 'timestamptz'::regtype THEN $e$'-infinity'::timestamptz$e$
        WHEN 'uuid'::regtype THEN $e$'00000000-0000-0000-0000-000000000000'::uuid$e$
        WHEN 'int4range'::regtype THEN $e$'empty'::int4range$e$
        WHEN 'jsonb'::regtype THEN $e$'{}'::jsonb$e$
        WHEN 'interval'::regtype THEN $e$'0'::interval$e$
        ELSE CASE WHEN type::text LIKE '%[]' THEN format($e$'{}'::%s$e$, type)
                  ELSE format('NULL::%s', type) END
    END
    ELSE CASE type
        WHEN 'text'::regtype THEN $e$repeat('Ж', 100000)$e$
        WHEN 'bytea'::regtype THEN $e$decode(repeat('ff', 100000), 'hex')$e$
        WHEN 'integer'::regtype THEN '2147483647'
        WHEN 'bigint'::regtype THEN '9223372036854775807::bigint'
        WHEN 'date'::regtype THEN $e$'5874897-12-31'::date$e$
        WHEN 'timestamptz'::regtype THEN $e$'294276-12-31 23:59:59+00'::timestamptz$e$
        WHEN 'uuid'::regtype THEN $e$'ffffffff-ffff-ffff-ffff-ffffffffffff'::uuid$e$
        WHEN 'int4range'::regtype THEN $e$int4range(-2147483648, 2147483647)$e$
        WHEN 'jsonb'::regtype THEN $e$jsonb_build_object('x', repeat('Ж', 100000))$e$
        WHEN 'interval'::regtype THEN $e$'178000000 years'::interval$e$
        ELSE CASE WHEN type::text LIKE '%[]' THEN format($e$'{}'::%s$e$, type)
                  ELSE format('NULL::%s', type) END
    END
END
$$;

-- The functions under test and one call of each per kind of argument.
CREATE TEMP TABLE call AS
SELECT p.oid::regprocedure AS function, k.kind,
       format('SELECT * FROM %s(%s)', p.oid::regproc,
              (SELECT string_agg(pg_temp.argument_literal(t.type, k.kind), ', '
                                 ORDER BY t.n)
               FROM unnest(p.proargtypes::regtype[]) WITH ORDINALITY AS t(type, n)))
           AS statement
FROM pg_proc AS p
CROSS JOIN (VALUES ('null'), ('edge'), ('extreme')) AS k(kind)
WHERE p.pronamespace = 'otan_enbek'::regnamespace
  AND p.prokind = 'f'
  AND p.prorettype NOT IN ('trigger'::regtype, 'internal'::regtype)
  AND NOT 'internal'::regtype = ANY (p.proargtypes::regtype[]);

-- Runs a call in a subtransaction and returns its error as
-- "SQLSTATE: message", or NULL when the call returns.
CREATE FUNCTION pg_temp.call_error(statement text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    state text;
    message text;
BEGIN
    EXECUTE statement;
    RETURN NULL;
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT;
    RETURN state || ': ' || message;
END
$$;

CREATE TEMP TABLE outcome AS
SELECT c.function, c.kind, c.statement, pg_temp.call_error(c.statement) AS error
FROM call AS c;

SELECT plan((SELECT count(*)::integer + 6 FROM call));

-- The errors of the cases that this test found wrong before they were
-- fixed.
SELECT throws_ok($$SELECT otan_enbek.calendar_missing_years('2020-01-01', 'infinity')$$,
                 '22023', 'invalid calendar period from 2020-01-01 to infinity',
                 'calendar_missing_years rejects an infinite period');
SELECT throws_ok($$SELECT otan_enbek.delivery_retry_delay(NULL)$$,
                 '22004', 'number of failures must not be null',
                 'delivery_retry_delay rejects NULL failures');
SELECT throws_ok($$SELECT otan_enbek.delivery_notify(NULL, NULL, NULL)$$,
                 'P0002', 'submission NULL of organization NULL not found',
                 'delivery_notify names a missing submission');
SELECT throws_ok($$SELECT otan_enbek.ingest_file(1, 'csv', '')$$,
                 '22023', 'invalid file path ""',
                 'ingest_file rejects an empty path');
SELECT throws_ok($$SELECT otan_enbek.bin_check(repeat('1', 100))$$,
                 '23514', format('invalid BIN "%s..."', repeat('1', 64)),
                 'bin_check quotes the first 64 characters of a long value');

SELECT cmp_ok((SELECT count(DISTINCT function)::integer FROM call), '>=', 40,
              'the catalogue lists the functions of the extension');

SELECT ok(o.error IS NULL
          OR NOT ((left(o.error, 2) IN ('XX', '53', '54', '57', '58')
                   AND left(o.error, 5) <> '58P01')
                  OR substr(o.error, 8) IN ('query returned no rows',
                                            'query returned more than one row')
                  OR length(o.error) > 1000),
          format('%s with %s arguments', o.function, o.kind))
       || CASE WHEN o.error IS NULL THEN ''
               ELSE E'\n# ' || left(o.statement, 200) || E'\n# ' || left(o.error, 200)
                    || CASE WHEN length(o.error) > 200
                            THEN format(' ... (%s characters)', length(o.error)) ELSE '' END
          END
FROM outcome AS o
ORDER BY o.function::text, o.kind;

SELECT * FROM finish();
ROLLBACK;
