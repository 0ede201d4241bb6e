-- pg_dump writes the rows of an extension's table only when the table is
-- marked with pg_extension_config_dump.  Every table and sequence of the
-- extension must be marked or named in not_dumped below with the reason,
-- so that a table added later cannot lose its rows in a dump unnoticed.
BEGIN;
SELECT plan(7);

-- Tables and sequences of the extension whose rows pg_dump must not write.
-- Empty, because every table contains configuration or business data.
CREATE TEMP TABLE not_dumped (
    relation regclass PRIMARY KEY,
    reason text NOT NULL
);

-- Members of the extension that are tables or sequences, with their mark.
CREATE TEMP VIEW member_relation AS
SELECT c.oid::regclass AS relation, c.relkind,
       coalesce(c.oid = ANY (e.extconfig), false) AS marked
FROM pg_extension e
JOIN pg_depend d ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
                AND d.deptype = 'e' AND d.classid = 'pg_class'::regclass
JOIN pg_class c ON c.oid = d.objid
WHERE e.extname = 'otan_enbek' AND c.relkind IN ('r', 'p', 'S');

CREATE TEMP VIEW unmarked AS
SELECT m.relation::text
FROM member_relation m
WHERE NOT m.marked AND m.relation NOT IN (SELECT relation FROM not_dumped);

SELECT ok((SELECT count(*) FROM member_relation WHERE relkind IN ('r', 'p')) >= 20,
          'the extension''s tables are found');
SELECT is_empty($$ SELECT relation FROM unmarked $$,
                'every table and sequence is marked for pg_dump or listed as not dumped');
SELECT is_empty($$ SELECT n.relation::text FROM not_dumped n
                   JOIN member_relation m ON m.relation = n.relation WHERE m.marked $$,
                'no table listed as not dumped is marked');

-- The shipped calendar rows are left to CREATE EXTENSION.
SELECT is((SELECT c.condition
           FROM pg_extension e,
                unnest(e.extconfig, e.extcondition) AS c(relation, condition)
           WHERE e.extname = 'otan_enbek' AND c.relation = 'otan_enbek.calendar_day'::regclass),
          'WHERE NOT built_in', 'calendar_day is dumped without the shipped rows');
SELECT is((SELECT count(*)::integer
           FROM pg_extension e,
                unnest(e.extconfig, e.extcondition) AS c(relation, condition)
           WHERE e.extname = 'otan_enbek' AND c.condition <> ''),
          1, 'no other table has a filter');

-- The check finds a table that joins the extension without a mark, which
-- is what a new table in an install script without a mark looks like.
CREATE TABLE otan_enbek.dump_config_probe (id integer);
ALTER EXTENSION otan_enbek ADD TABLE otan_enbek.dump_config_probe;
SELECT results_eq($$ SELECT relation FROM unmarked $$,
                  ARRAY['otan_enbek.dump_config_probe'],
                  'a table of the extension without a mark is reported');
INSERT INTO not_dumped VALUES ('otan_enbek.dump_config_probe', 'Probe of this test.');
SELECT is_empty($$ SELECT relation FROM unmarked $$,
                'a table listed as not dumped is not reported');

SELECT * FROM finish();
ROLLBACK;
