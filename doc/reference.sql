-- Prints doc/reference.md: every setting, function, view and table of the
-- extension with its description and the extension's roles that may use it.
-- Run it in a database with the extension, on a server that preloads
-- otan_enbek (so that every setting is defined):
--   psql -X -At -f doc/reference.sql DATABASE > doc/reference.md
\pset footer off

WITH roles(role_name) AS (
    VALUES ('otan_enbek_admin'), ('otan_enbek_operator'), ('otan_enbek_reader')
),
setting AS (
    SELECT format('| `%s` | %s | %s | %s |', s.name,
                  CASE WHEN s.name LIKE '%password' THEN '(empty)'
                       ELSE coalesce(nullif(s.boot_val, '') || coalesce(' ' || s.unit, ''),
                                     '(empty)') END,
                  s.context, replace(s.short_desc, '|', '\|')) AS line,
           s.name AS sort_key
    FROM pg_catalog.pg_settings AS s
    WHERE s.name LIKE 'otan\_enbek.%'
),
func AS (
    SELECT format('| `%s` | %s | %s |',
                  p.oid::regprocedure,
                  coalesce((SELECT string_agg(replace(r.role_name, 'otan_enbek_', ''), ', '
                                              ORDER BY r.role_name)
                            FROM roles AS r
                            WHERE has_function_privilege(r.role_name, p.oid, 'EXECUTE')),
                           'superuser'),
                  replace(coalesce(obj_description(p.oid, 'pg_proc'), ''), '|', '\|')) AS line,
           p.oid::regprocedure::text AS sort_key
    FROM pg_catalog.pg_proc AS p
    WHERE p.pronamespace = 'otan_enbek'::regnamespace
      AND obj_description(p.oid, 'pg_proc') IS NOT NULL
),
rel AS (
    SELECT c.relkind,
           format('| `%s` | %s | %s |', c.relname,
                  coalesce((SELECT string_agg(replace(r.role_name, 'otan_enbek_', ''), ', '
                                              ORDER BY r.role_name)
                            FROM roles AS r
                            WHERE has_table_privilege(r.role_name, c.oid, 'SELECT')),
                           'superuser'),
                  replace(coalesce(obj_description(c.oid, 'pg_class'), ''), '|', '\|')) AS line,
           c.relname::text AS sort_key
    FROM pg_catalog.pg_class AS c
    WHERE c.relnamespace = 'otan_enbek'::regnamespace
      AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
),
doc(section, sort_key, line) AS (
    VALUES (0, '', '# otan_enbek reference'),
           (0, '1', ''),
           (0, '2', 'Generated from the database catalogue by `doc/reference.sql`; each description is the object''s comment. "Roles" are the extension''s roles that may run the function or read the relation (admin, operator, reader); "superuser" means none of them.'),
           (1, '', E'\n## Settings\n\nThe two password settings, `otan_enbek.signing_key_password` and `otan_enbek.sender_password`, are left out: they are hidden from pg_settings and SHOW shows them as `********`. A superuser sets them in postgresql.conf; they take effect at a server restart.\n\n| setting | default | context | description |\n|---|---|---|---|'),
           (2, '', E'\n## Functions\n\nFunctions without a comment are internal: trigger functions, the support functions of aggregates and steps called by other functions.\n\n| function | roles | description |\n|---|---|---|'),
           (3, '', E'\n## Views\n\n| view | roles | description |\n|---|---|---|'),
           (4, '', E'\n## Tables\n\n| table | roles | description |\n|---|---|---|')
    UNION ALL SELECT 1, '~' || sort_key, line FROM setting
    UNION ALL SELECT 2, '~' || sort_key, line FROM func
    UNION ALL SELECT 3, '~' || sort_key, line FROM rel WHERE relkind = 'v'
    UNION ALL SELECT 4, '~' || sort_key, line FROM rel WHERE relkind IN ('r', 'p')
)
SELECT line FROM doc ORDER BY section, sort_key COLLATE "C";
