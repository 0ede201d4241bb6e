-- Row-level security by organization.
--
-- Operators and readers see the rows of the organizations assigned to them
-- in org_access, and nothing of the others.  Members of otan_enbek_admin
-- and superusers see every organization.  Every table of the schema with
-- an org_id column gets the same policy, org_visible, built on
-- sees_every_org and visible_org_ids.  A table added later gets it with
-- one call:
--     SELECT otan_enbek.protect_org_table('otan_enbek.my_table');
-- The functions that run as their owner (SECURITY DEFINER) bypass these
-- policies, so each of them calls require_org_visible itself.

CREATE TABLE otan_enbek.org_access (
    org_id          integer NOT NULL REFERENCES otan_enbek.organization ON DELETE CASCADE,
    role_id         regrole NOT NULL,
    granted_at      timestamptz NOT NULL DEFAULT now(),
    granted_by      name NOT NULL DEFAULT session_user,
    PRIMARY KEY (org_id, role_id)
);
CREATE INDEX ON otan_enbek.org_access (role_id);
COMMENT ON TABLE otan_enbek.org_access IS
    'Organizations whose rows a role and the members of that role may see; change it with grant_org_access and revoke_org_access';
COMMENT ON COLUMN otan_enbek.org_access.role_id IS
    'The role, stored by its OID so that renaming the role keeps its access; pg_dump writes it by name';

-- A role sees its own assignments and those of the roles it belongs to.
ALTER TABLE otan_enbek.org_access ENABLE ROW LEVEL SECURITY;
CREATE POLICY org_access_own ON otan_enbek.org_access
    USING (pg_catalog.pg_has_role(role_id, 'USAGE')
           OR pg_catalog.pg_has_role('otan_enbek_admin', 'USAGE'));

-- The predicate of every policy by organization is
--     (SELECT otan_enbek.sees_every_org())
--     OR org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[])
-- The scalar subqueries make each function run once per query instead of
-- once per row, and the cast keeps the second from being read as
-- ANY (subquery).  A predicate function called per row is much slower,
-- and an SQL function that contains a subquery is not inlined.  An
-- operator's count(*) of a partition of 400,000 events, 200,000 of them
-- visible, took about 1.4 s that way (2 runs) and 0.09 s with this
-- predicate (3 runs).  The superuser, without row-level security, took
-- 0.05 s (2 shared cores).
CREATE FUNCTION otan_enbek.sees_every_org() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT pg_has_role('otan_enbek_admin', 'USAGE')
$$;
COMMENT ON FUNCTION otan_enbek.sees_every_org() IS
    'True when current_user sees the rows of every organization: a superuser or a member of otan_enbek_admin';

CREATE FUNCTION otan_enbek.visible_org_ids() RETURNS integer[]
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT coalesce(array_agg(DISTINCT a.org_id ORDER BY a.org_id), '{}')
FROM otan_enbek.org_access AS a
WHERE pg_has_role(a.role_id, 'USAGE')
$$;
COMMENT ON FUNCTION otan_enbek.visible_org_ids() IS
    'Organizations assigned in org_access to current_user or to a role whose privileges it has';

-- Enables row-level security on a table of the schema that has an org_id
-- column and adds the policy org_visible, with the predicate above, for
-- every command.  Only
-- the table's owner may call it; calling it again changes nothing.
CREATE FUNCTION otan_enbek.protect_org_table(tab regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_attribute
                   WHERE attrelid = tab AND attname = 'org_id' AND NOT attisdropped) THEN
        RAISE EXCEPTION 'table % has no org_id column', tab
            USING ERRCODE = 'undefined_column',
                  HINT = 'Row-level security by organization applies to tables with an org_id column only.';
    END IF;
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tab);
    IF NOT EXISTS (SELECT FROM pg_policy
                   WHERE polrelid = tab AND polname = 'org_visible') THEN
        EXECUTE format('CREATE POLICY org_visible ON %s
                            USING ((SELECT otan_enbek.sees_every_org())
                                   OR org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]))
                            WITH CHECK ((SELECT otan_enbek.sees_every_org())
                                        OR org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]))',
                       tab);
    END IF;
END
$$;
COMMENT ON FUNCTION otan_enbek.protect_org_table(regclass) IS
    'Enables row-level security on a table with an org_id column and adds the policy org_visible, so that operators and readers see the rows of their organizations only';

-- Raises an error unless the caller may see the organization.  A function
-- that runs as its owner takes the caller's current_user as the default
-- of its own "caller" argument and passes it here, because current_user
-- inside it is the owner.
CREATE FUNCTION otan_enbek.require_org_visible(org integer, caller name DEFAULT current_user)
    RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF org IS NULL THEN
        RAISE EXCEPTION 'organization is NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the org_id of a row of otan_enbek.organization.';
    END IF;
    IF NOT pg_has_role(session_user, caller, 'MEMBER') THEN
        RAISE EXCEPTION 'role "%" cannot act as role "%"', session_user, caller
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Leave the caller argument at its default, current_user.';
    END IF;
    IF NOT (pg_has_role(caller, 'otan_enbek_admin', 'USAGE')
            OR EXISTS (SELECT FROM otan_enbek.org_access AS a
                       WHERE a.org_id = org AND pg_has_role(caller, a.role_id, 'USAGE'))) THEN
        RAISE EXCEPTION 'role "%" has no access to organization %', caller, org
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'An administrator assigns organizations with otan_enbek.grant_org_access(role, org_id).';
    END IF;
END
$$;
COMMENT ON FUNCTION otan_enbek.require_org_visible(integer, name) IS
    'Raises insufficient_privilege unless the role (default: current_user) may see the organization';

-- Raises insufficient_privilege when a timesheet with this id exists but the
-- role may see none of the organizations that have one.  The functions that
-- take a timesheet id alone read the timesheet with the caller's row-level
-- security, so they call this before reporting that it does not exist.  It
-- returns for an id that does not exist, and the caller reports that.  The
-- error names neither the organization nor anything else of the timesheet.
-- It shows only that the id exists, which the ids of the caller's own
-- timesheets, drawn from the same sequence, already show in large part.
CREATE FUNCTION otan_enbek.require_timesheet_access(timesheet_id integer,
                                                    caller name DEFAULT current_user)
    RETURNS void
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NOT pg_has_role(session_user, caller, 'MEMBER') THEN
        RAISE EXCEPTION 'role "%" cannot act as role "%"', session_user, caller
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Leave the caller argument at its default, current_user.';
    END IF;
    IF pg_has_role(caller, 'otan_enbek_admin', 'USAGE') THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT FROM otan_enbek.timesheet AS t
               WHERE t.timesheet_id = require_timesheet_access.timesheet_id)
       AND NOT EXISTS (SELECT FROM otan_enbek.timesheet AS t
                       JOIN otan_enbek.org_access AS a USING (org_id)
                       WHERE t.timesheet_id = require_timesheet_access.timesheet_id
                         AND pg_has_role(caller, a.role_id, 'USAGE')) THEN
        RAISE EXCEPTION 'permission denied for timesheet %', timesheet_id
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('The timesheet belongs to an organization that role "%s" has no access to.',
                                  caller),
                  HINT = 'Pass the id of a timesheet of your organizations, as build_timesheet returned it or as otan_enbek.reader_timesheet lists it, or ask an administrator to grant access with otan_enbek.grant_org_access(role, org_id).';
    END IF;
END
$$;
COMMENT ON FUNCTION otan_enbek.require_timesheet_access(integer, name) IS
    'Raises insufficient_privilege when the timesheet id exists but the role (default: current_user) may see none of its organizations; returns for an id that does not exist';

-- Assigns an organization to a role.  It runs as its owner because
-- otan_enbek_admin may read org_access but not write it, so that every
-- change goes through here and is audited.
CREATE FUNCTION otan_enbek.grant_org_access(role regrole, org integer,
                                            caller name DEFAULT current_user)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF role IS NULL OR org IS NULL THEN
        RAISE EXCEPTION 'role and organization must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass a role name and the org_id of a row of otan_enbek.organization.';
    END IF;
    IF NOT EXISTS (SELECT FROM otan_enbek.organization AS o WHERE o.org_id = org) THEN
        RAISE EXCEPTION 'organization % does not exist', org
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'List the organizations with SELECT org_id, name FROM otan_enbek.organization.';
    END IF;
    IF NOT (pg_has_role(role, 'otan_enbek_operator', 'MEMBER')
            OR pg_has_role(role, 'otan_enbek_reader', 'MEMBER')) THEN
        RAISE EXCEPTION 'role "%" is neither an operator nor a reader of otan_enbek', role
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Organization access limits what otan_enbek_operator and otan_enbek_reader see; other roles have no privileges in the schema.',
                  HINT = format('Run GRANT otan_enbek_operator TO %s (or otan_enbek_reader) first.', role);
    END IF;
    PERFORM otan_enbek.audit_record(org, 'grant_org_access',
                                    jsonb_build_object('role', role::text), caller);
    INSERT INTO otan_enbek.org_access (org_id, role_id)
    VALUES (org, role)
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION otan_enbek.grant_org_access(regrole, integer, name) IS
    'Lets the role and its members see and work on the organization''s rows; audited; for otan_enbek_admin';

CREATE FUNCTION otan_enbek.revoke_org_access(role regrole, org integer,
                                             caller name DEFAULT current_user)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    removed integer;
BEGIN
    IF role IS NULL OR org IS NULL THEN
        RAISE EXCEPTION 'role and organization must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass a role name and an org_id; SELECT org_id, role_id::regrole FROM otan_enbek.org_access lists the assignments.';
    END IF;
    PERFORM otan_enbek.audit_record(org, 'revoke_org_access',
                                    jsonb_build_object('role', role::text), caller);
    DELETE FROM otan_enbek.org_access AS a WHERE a.org_id = org AND a.role_id = role;
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed > 0;
END
$$;
COMMENT ON FUNCTION otan_enbek.revoke_org_access(regrole, integer, name) IS
    'Takes the organization away from the role; returns false when it was not assigned; audited; for otan_enbek_admin';
