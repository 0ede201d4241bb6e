-- Rules that every object of the schema must follow, also objects added
-- after this test was written.  PUBLIC has no privilege.  Every table
-- with an org_id column has row-level security and a policy.  Every
-- function that runs as its owner pins search_path.  A reader reaches no
-- table.  The last tests add objects that break each rule and check that
-- the rule reports them.
BEGIN;
SELECT plan(14);

-- Objects of the schema on which PUBLIC has a privilege.  Types are left
-- out: they keep the default USAGE for PUBLIC, because pg_dump 15 warns
-- about types whose privileges an extension changed, and PUBLIC cannot
-- name them without USAGE on the schema, which the first row checks.
CREATE FUNCTION pg_temp.public_privileges() RETURNS text[]
    LANGUAGE sql AS $$
SELECT coalesce(array_agg(o ORDER BY o), '{}') FROM (
    SELECT 'schema otan_enbek' AS o
    WHERE has_schema_privilege('public', 'otan_enbek', 'USAGE, CREATE')
    UNION ALL
    SELECT 'relation ' || c.oid::regclass
    FROM pg_class AS c
    WHERE c.relnamespace = 'otan_enbek'::regnamespace
      AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND (has_table_privilege('public', c.oid,
                               'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
           OR has_any_column_privilege('public', c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))
    UNION ALL
    SELECT 'sequence ' || c.oid::regclass
    FROM pg_class AS c
    WHERE c.relnamespace = 'otan_enbek'::regnamespace
      AND CASE WHEN c.relkind = 'S'
               THEN has_sequence_privilege('public', c.oid, 'USAGE, SELECT, UPDATE')
               ELSE false END
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure
    FROM pg_proc AS p
    WHERE p.pronamespace = 'otan_enbek'::regnamespace
      AND has_function_privilege('public', p.oid, 'EXECUTE')
) AS found
$$;

-- Tables of the schema with an org_id column but without row-level
-- security or without a policy.  Partitions are left out: a query through
-- the partitioned table applies its policies, and no role but the owner
-- has a privilege on a partition (checked below).
CREATE FUNCTION pg_temp.unprotected_org_tables() RETURNS text[]
    LANGUAGE sql AS $$
SELECT coalesce(array_agg(c.oid::regclass::text ORDER BY c.relname), '{}')
FROM pg_class AS c
JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped
WHERE c.relnamespace = 'otan_enbek'::regnamespace
  AND c.relkind IN ('r', 'p')
  AND NOT c.relispartition
  AND (NOT c.relrowsecurity
       OR NOT EXISTS (SELECT FROM pg_policy AS p WHERE p.polrelid = c.oid))
$$;

-- Functions that run as their owner without a search_path of trusted
-- schemas that ends with pg_temp.
CREATE FUNCTION pg_temp.definers_without_search_path() RETURNS text[]
    LANGUAGE sql AS $$
SELECT coalesce(array_agg(p.oid::regprocedure::text ORDER BY p.proname), '{}')
FROM pg_proc AS p
WHERE p.pronamespace = 'otan_enbek'::regnamespace
  AND p.prosecdef
  AND NOT EXISTS (SELECT FROM unnest(p.proconfig) AS s(setting)
                  WHERE s.setting ~ '^search_path=(pg_catalog|otan_enbek)(, ?(pg_catalog|otan_enbek))*, ?pg_temp$')
$$;

-- Relations of the schema, other than the reader and BI views, that a role
-- may read or change.
CREATE FUNCTION pg_temp.tables_open_to(role_name name) RETURNS text[]
    LANGUAGE sql AS $$
SELECT coalesce(array_agg(c.oid::regclass::text ORDER BY c.relname), '{}')
FROM pg_class AS c
WHERE c.relnamespace = 'otan_enbek'::regnamespace
  AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
  AND c.relname NOT LIKE 'reader\_%'
  AND c.relname NOT LIKE 'bi\_%'
  AND c.oid <> 'otan_enbek.org_access'::regclass
  AND (has_table_privilege(role_name, c.oid,
                           'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
       OR has_any_column_privilege(role_name, c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))
$$;

SELECT is(pg_temp.public_privileges(), '{}',
          'PUBLIC has no privilege on any object of the schema');
SELECT is(pg_temp.unprotected_org_tables(), '{}',
          'every table with org_id has row-level security and a policy');
SELECT is(pg_temp.definers_without_search_path(), '{}',
          'every SECURITY DEFINER function pins search_path');
SELECT is(pg_temp.tables_open_to('otan_enbek_reader'), '{}',
          'a reader reaches no table, only the reader and BI views');

-- The partitions that ingest creates grant nothing to anyone.
CREATE TEMP TABLE made AS
SELECT otan_enbek.ensure_event_partitions('2024-03-01 00:00+00', '2024-03-01 00:00+00');
SELECT is(
    (SELECT coalesce(array_agg(c.relname::text), '{}')
     FROM pg_class AS c
     WHERE c.relispartition AND c.relnamespace = 'otan_enbek'::regnamespace
       AND (has_table_privilege('otan_enbek_operator', c.oid, 'SELECT, INSERT, UPDATE, DELETE')
            OR has_table_privilege('otan_enbek_reader', c.oid, 'SELECT')
            OR has_table_privilege('otan_enbek_admin', c.oid, 'SELECT, INSERT, UPDATE, DELETE'))),
    '{}', 'no role reaches a partition of skud_event except through skud_event');

-- The reader views leave out every column that contains a full IIN, a raw
-- record, a document or a file name.
SELECT is(
    (SELECT coalesce(array_agg(c.relname || '.' || a.attname::text ORDER BY c.relname, a.attname),
                     '{}')
     FROM pg_class AS c
     JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
     WHERE c.relnamespace = 'otan_enbek'::regnamespace AND c.relname LIKE 'reader\_%'
       AND a.attname IN ('iin', 'raw', 'document', 'file_name', 'event_ids',
                         'response_message', 'last_message', 'signature_value')),
    '{}', 'the reader views have no column of personal or raw data');

-- A table added without the policy, or granted to PUBLIC, is reported.
CREATE TABLE otan_enbek.tap_unprotected (org_id integer, note text);
SELECT is(pg_temp.unprotected_org_tables(), '{otan_enbek.tap_unprotected}',
          'a table with org_id but without row-level security is reported');
ALTER TABLE otan_enbek.tap_unprotected ENABLE ROW LEVEL SECURITY;
SELECT is(pg_temp.unprotected_org_tables(), '{otan_enbek.tap_unprotected}',
          'a table with row-level security but without a policy is reported');
SELECT otan_enbek.protect_org_table('otan_enbek.tap_unprotected');
SELECT is(pg_temp.unprotected_org_tables(), '{}',
          'protect_org_table gives the table its policy');
GRANT USAGE ON SCHEMA otan_enbek TO PUBLIC;
SELECT is(pg_temp.public_privileges(), '{"schema otan_enbek"}',
          'USAGE of PUBLIC on the schema is reported');
REVOKE USAGE ON SCHEMA otan_enbek FROM PUBLIC;
GRANT SELECT (note) ON otan_enbek.tap_unprotected TO PUBLIC;
SELECT is(pg_temp.public_privileges(), '{"relation otan_enbek.tap_unprotected"}',
          'a column privilege of PUBLIC is reported');
REVOKE ALL ON otan_enbek.tap_unprotected FROM PUBLIC;
CREATE FUNCTION otan_enbek.tap_open() RETURNS integer LANGUAGE sql AS 'SELECT 1';
SELECT is(pg_temp.public_privileges(), '{"function otan_enbek.tap_open()"}',
          'a new function executable by PUBLIC is reported');
ALTER FUNCTION otan_enbek.tap_open() SECURITY DEFINER;
SELECT is(pg_temp.definers_without_search_path(), '{otan_enbek.tap_open()}',
          'a SECURITY DEFINER function without search_path is reported');
GRANT SELECT ON otan_enbek.tap_unprotected TO otan_enbek_reader;
SELECT is(pg_temp.tables_open_to('otan_enbek_reader'), '{otan_enbek.tap_unprotected}',
          'a table granted to the reader is reported');

SELECT * FROM finish();
ROLLBACK;
