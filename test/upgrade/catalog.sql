-- Describes the objects of the extension otan_enbek in the current database
-- as sorted lines "object | property | value", so that two databases can be
-- compared with diff: one updated from an older version and one with a
-- fresh install.  OIDs, creation order and attribute numbers are left out,
-- because they differ between two databases with the same objects.  Column
-- order is kept (as a position among the columns that are not dropped),
-- because SELECT * and COPY without a column list depend on it.
--
-- It covers every member object (pg_depend).  Relations add their columns,
-- constraints, indexes, triggers, policies, options, privileges, comments
-- and sequence parameters.  Functions add their definition or aggregate
-- parts, and types their base, constraints, attributes or labels.  Then
-- come the schema, the initial privileges (what pg_dump compares against),
-- the default privileges in the schema and the tables marked for pg_dump.

\pset format unaligned
\pset tuples_only on
\pset fieldsep ' | '
\pset null '<null>'

WITH ext AS (
    SELECT e.oid, e.extname FROM pg_extension e WHERE e.extname = 'otan_enbek'
), member AS (
    SELECT d.classid, d.objid
    FROM pg_depend d, ext
    WHERE d.refclassid = 'pg_extension'::regclass
      AND d.refobjid = ext.oid
      AND d.deptype = 'e'
), member_rel AS (
    SELECT c.*
    FROM member m JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
), member_proc AS (
    SELECT p.*
    FROM member m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
), member_type AS (
    SELECT t.*
    FROM member m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
), facts (object, property, value) AS (
    -- Every member object, by its identity.
    SELECT pg_describe_object(m.classid, m.objid, 0), 'member', 'yes'
    FROM member m
    UNION ALL
    -- Comments of member objects and of their columns.
    SELECT pg_describe_object(m.classid, m.objid, d.objsubid), 'comment', d.description
    FROM member m
    JOIN pg_description d ON d.classoid = m.classid AND d.objoid = m.objid
    UNION ALL
    SELECT pg_describe_object(m.classid, m.objid, 0), 'owner', pg_get_userbyid(o.owner)
    FROM member m,
    LATERAL (SELECT relowner FROM pg_class WHERE m.classid = 'pg_class'::regclass AND oid = m.objid
             UNION ALL
             SELECT proowner FROM pg_proc WHERE m.classid = 'pg_proc'::regclass AND oid = m.objid
             UNION ALL
             SELECT typowner FROM pg_type WHERE m.classid = 'pg_type'::regclass AND oid = m.objid
             UNION ALL
             SELECT nspowner FROM pg_namespace
             WHERE m.classid = 'pg_namespace'::regclass AND oid = m.objid) AS o(owner)

    -- Relations.
    UNION ALL
    SELECT 'relation ' || r.oid::regclass, 'kind and persistence',
           format('%s %s', r.relkind, r.relpersistence)
    FROM member_rel r
    UNION ALL
    SELECT 'relation ' || r.oid::regclass, 'row security',
           r.relrowsecurity || ' forced ' || r.relforcerowsecurity
    FROM member_rel r
    UNION ALL
    SELECT 'relation ' || r.oid::regclass, 'options', array_to_string(r.reloptions, ',')
    FROM member_rel r WHERE r.reloptions IS NOT NULL
    UNION ALL
    SELECT 'relation ' || r.oid::regclass, 'replica identity', r.relreplident::text
    FROM member_rel r
    UNION ALL
    SELECT 'relation ' || r.oid::regclass, 'partition key', pg_get_partkeydef(r.oid)
    FROM member_rel r WHERE r.relkind = 'p'
    UNION ALL
    SELECT 'relation ' || r.oid::regclass, 'view definition', pg_get_viewdef(r.oid)
    FROM member_rel r WHERE r.relkind IN ('v', 'm')
    UNION ALL
    SELECT 'relation ' || r.oid::regclass, 'privileges',
           (SELECT string_agg(a::text, ' ' ORDER BY a::text)
            FROM unnest(coalesce(r.relacl,
                                 acldefault(CASE WHEN r.relkind = 'S' THEN 's' ELSE 'r' END::"char",
                                            r.relowner))) AS a)
    FROM member_rel r
    UNION ALL
    SELECT 'relation ' || r.oid::regclass, 'sequence',
           format('type %s start %s increment %s min %s max %s cache %s cycle %s',
                  s.seqtypid::regtype, s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
                  s.seqcache, s.seqcycle)
    FROM member_rel r JOIN pg_sequence s ON s.seqrelid = r.oid

    -- Columns, with their position among the columns that are not dropped.
    UNION ALL
    SELECT format('column %s.%I', a.attrelid::regclass, a.attname), 'definition',
           format('position %s type %s not null %s default %s identity %s generated %s collation %s',
                  row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
                  format_type(a.atttypid, a.atttypmod), a.attnotnull,
                  pg_get_expr(ad.adbin, ad.adrelid), nullif(a.attidentity, ''),
                  nullif(a.attgenerated, ''),
                  CASE WHEN a.attcollation <> 0 THEN a.attcollation::regcollation::text END)
    FROM member_rel r
    JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
    UNION ALL
    SELECT format('column %s.%I', a.attrelid::regclass, a.attname), 'privileges',
           (SELECT string_agg(x::text, ' ' ORDER BY x::text) FROM unnest(a.attacl) AS x)
    FROM member_rel r
    JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE a.attacl IS NOT NULL

    -- Constraints of tables and domains, indexes, triggers and policies.
    UNION ALL
    SELECT format('constraint %I on %s', c.conname,
                  coalesce(c.conrelid::regclass::text, c.contypid::regtype::text)),
           'definition',
           pg_get_constraintdef(c.oid) || format(' deferrable %s deferred %s validated %s',
                                                 c.condeferrable, c.condeferred, c.convalidated)
    FROM pg_constraint c
    WHERE c.conrelid IN (SELECT oid FROM member_rel)
       OR c.contypid IN (SELECT oid FROM member_type)
    UNION ALL
    SELECT 'index ' || i.indexrelid::regclass, 'definition', pg_get_indexdef(i.indexrelid)
    FROM pg_index i WHERE i.indrelid IN (SELECT oid FROM member_rel)
    UNION ALL
    SELECT format('index %s', i.indexrelid::regclass), 'comment', d.description
    FROM pg_index i
    JOIN pg_description d ON d.classoid = 'pg_class'::regclass AND d.objoid = i.indexrelid
    WHERE i.indrelid IN (SELECT oid FROM member_rel)
    UNION ALL
    SELECT format('trigger %I on %s', t.tgname, t.tgrelid::regclass), 'definition',
           pg_get_triggerdef(t.oid) || ' enabled ' || t.tgenabled::text
    FROM pg_trigger t
    WHERE t.tgrelid IN (SELECT oid FROM member_rel) AND NOT t.tgisinternal
    UNION ALL
    SELECT format('policy %I on %s', p.polname, p.polrelid::regclass), 'definition',
           format('command %s permissive %s roles %s using %s with check %s',
                  p.polcmd, p.polpermissive,
                  (SELECT string_agg(CASE WHEN r = 0 THEN 'public' ELSE pg_get_userbyid(r)::text END,
                                     ',' ORDER BY 1)
                   FROM unnest(p.polroles) AS r),
                  pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
    FROM pg_policy p WHERE p.polrelid IN (SELECT oid FROM member_rel)

    -- Functions, procedures and aggregates.
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure, 'definition',
           CASE WHEN p.prokind = 'a'
                THEN format('aggregate kind %s transition %s type %s final %s extra %s '
                            'modify %s combine %s serial %s deserial %s initial %s '
                            'parallel %s strict %s',
                            a.aggkind, a.aggtransfn::regprocedure, a.aggtranstype::regtype,
                            nullif(a.aggfinalfn, 0)::regprocedure, a.aggfinalextra,
                            a.aggfinalmodify, nullif(a.aggcombinefn, 0)::regprocedure,
                            nullif(a.aggserialfn, 0)::regprocedure,
                            nullif(a.aggdeserialfn, 0)::regprocedure, a.agginitval,
                            p.proparallel, p.proisstrict)
                ELSE pg_get_functiondef(p.oid) END
    FROM member_proc p LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure, 'privileges',
           (SELECT string_agg(x::text, ' ' ORDER BY x::text)
            FROM unnest(coalesce(p.proacl, acldefault('f', p.proowner))) AS x)
    FROM member_proc p

    -- Types: domains, composite types, enums.
    UNION ALL
    SELECT 'type ' || t.oid::regtype, 'definition',
           format('kind %s base %s not null %s default %s collation %s',
                  t.typtype, nullif(t.typbasetype, 0)::regtype, t.typnotnull, t.typdefault,
                  CASE WHEN t.typcollation <> 0 THEN t.typcollation::regcollation::text END)
    FROM member_type t
    UNION ALL
    SELECT format('attribute %s.%I', t.oid::regtype, a.attname), 'definition',
           format('position %s type %s',
                  row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum),
                  format_type(a.atttypid, a.atttypmod))
    FROM member_type t
    JOIN pg_attribute a ON a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'type ' || t.oid::regtype, 'labels',
           (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
            FROM pg_enum e WHERE e.enumtypid = t.oid)
    FROM member_type t WHERE t.typtype = 'e'
    UNION ALL
    SELECT 'type ' || t.oid::regtype, 'privileges',
           (SELECT string_agg(x::text, ' ' ORDER BY x::text)
            FROM unnest(coalesce(t.typacl, acldefault('T', t.typowner))) AS x)
    FROM member_type t

    -- Schemas of the extension.
    UNION ALL
    SELECT 'schema ' || quote_ident(n.nspname), 'privileges',
           (SELECT string_agg(x::text, ' ' ORDER BY x::text)
            FROM unnest(coalesce(n.nspacl, acldefault('n', n.nspowner))) AS x)
    FROM member m JOIN pg_namespace n ON m.classid = 'pg_namespace'::regclass AND n.oid = m.objid
    UNION ALL
    SELECT 'schema ' || quote_ident(n.nspname), 'default privileges',
           format('role %s type %s acl %s', pg_get_userbyid(da.defaclrole), da.defaclobjtype,
                  (SELECT string_agg(x::text, ' ' ORDER BY x::text)
                   FROM unnest(da.defaclacl) AS x))
    FROM member m
    JOIN pg_namespace n ON m.classid = 'pg_namespace'::regclass AND n.oid = m.objid
    JOIN pg_default_acl da ON da.defaclnamespace = n.oid

    -- Initial privileges, which pg_dump compares the current ones against.
    UNION ALL
    SELECT pg_describe_object(ip.classoid, ip.objoid, ip.objsubid), 'initial privileges',
           (SELECT string_agg(x::text, ' ' ORDER BY x::text) FROM unnest(ip.initprivs) AS x)
    FROM pg_init_privs ip
    JOIN member m ON m.classid = ip.classoid AND m.objid = ip.objoid
    WHERE ip.privtype = 'e'

    -- Tables whose rows pg_dump writes, with the filter of each.
    UNION ALL
    SELECT 'extension ' || ext.extname, 'dumped ' || c.cfg::regclass,
           coalesce(nullif(c.cond, ''), '<all rows>')
    FROM ext, pg_extension e,
    LATERAL unnest(e.extconfig, e.extcondition) AS c(cfg, cond)
    WHERE e.oid = ext.oid
)
SELECT object, property, value
FROM facts
ORDER BY object COLLATE "C", property COLLATE "C", value COLLATE "C";
