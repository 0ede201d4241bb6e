-- Audit trail of access to personal data and of access configuration.
--
-- The administrator's functions that return full IINs or names, describe
-- the signing key, or change which organizations a role may see each add a
-- row here.  Reading the tables directly is not audited: an administrator
-- who must be audited for every read uses these functions only, and the
-- server's own logging (log_statement, pgaudit) covers direct queries.

CREATE TABLE otan_enbek.audit_log (
    audit_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    session_user_name name NOT NULL,
    current_user_name name NOT NULL,
    org_id          integer,
    action          text NOT NULL,
    detail          jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE otan_enbek.audit_log IS
    'Who read personal data or key facts, or changed organization access, through the administrator''s functions; readable by otan_enbek_admin only, written only by audit_record';
COMMENT ON COLUMN otan_enbek.audit_log.session_user_name IS
    'session_user of the call: the role that logged in';
COMMENT ON COLUMN otan_enbek.audit_log.current_user_name IS
    'current_user of the call: the role in effect after SET ROLE';
COMMENT ON COLUMN otan_enbek.audit_log.org_id IS
    'Organization whose data was read or whose access changed; NULL when the call concerned none';
COMMENT ON COLUMN otan_enbek.audit_log.detail IS
    'What was done, without personal data: arguments and row counts';
CREATE INDEX ON otan_enbek.audit_log (org_id, at);

-- Adds a row to audit_log.  It runs as its owner, so that no caller needs
-- a privilege on the table.  The caller's current_user arrives as the
-- default of "caller", because a default is evaluated where the call is
-- written.  A session that passes another role must be a member of it, so
-- no one can record an action under a role that is not theirs.
CREATE FUNCTION otan_enbek.audit_record(org integer, action text, detail jsonb,
                                        caller name DEFAULT current_user)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    id bigint;
BEGIN
    IF action IS NULL OR caller IS NULL THEN
        RAISE EXCEPTION 'audit action and caller must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the name of the action and leave caller at its default, current_user.';
    END IF;
    IF NOT pg_has_role(session_user, caller, 'MEMBER') THEN
        RAISE EXCEPTION 'role "%" cannot record an audit entry as role "%"',
                session_user, caller
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'The caller of an audit entry must be the session role or a role it is a member of.',
                  HINT = 'Leave the caller argument at its default, current_user.';
    END IF;
    INSERT INTO otan_enbek.audit_log (session_user_name, current_user_name, org_id, action, detail)
    VALUES (session_user, caller, org, action, coalesce(detail, '{}'))
    RETURNING audit_id INTO id;

    -- The row is lost when the caller's transaction rolls back, but the
    -- data may already have been read; the server log keeps the entry.
    RAISE LOG 'otan_enbek audit %: % by session user "%" as "%", organization %',
        id, action, session_user, caller, coalesce(org::text, 'none');
    RETURN id;
END
$$;
COMMENT ON FUNCTION otan_enbek.audit_record(integer, text, jsonb, name) IS
    'Adds an entry to audit_log for the session role and the caller''s current_user; returns its audit_id';
