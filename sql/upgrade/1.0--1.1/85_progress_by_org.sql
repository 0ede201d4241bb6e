-- The progress view, limited to the organizations the reader may see.  It
-- is defined again here because the functions of row-level security by
-- organization come after the view in the install script.  A view calls
-- its functions with the privileges of the user who reads it.  So the view
-- reads the slots through visible_progress_slots, which runs as its owner
-- and keeps the caller's organizations.  progress_slots itself lists the
-- runs of every organization and is for superusers only.
CREATE FUNCTION otan_enbek.visible_progress_slots(caller name DEFAULT current_user)
    RETURNS TABLE (pid integer, datid oid, usesysid oid, command text, org_id integer,
                   run_id bigint, phase text, done bigint, total bigint, unit text,
                   started_at timestamptz, phase_started_at timestamptz,
                   updated_at timestamptz)
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT p.pid, p.datid, p.usesysid, p.command, p.org_id, p.run_id, p.phase, p.done, p.total,
       p.unit, p.started_at, p.phase_started_at, p.updated_at
FROM otan_enbek.progress_slots() AS p
WHERE pg_has_role(session_user, caller, 'MEMBER')
  AND (pg_has_role(caller, 'otan_enbek_admin', 'USAGE')
       OR p.org_id IN (SELECT a.org_id FROM otan_enbek.org_access AS a
                       WHERE pg_has_role(caller, a.role_id, 'USAGE')))
$$;
COMMENT ON FUNCTION otan_enbek.visible_progress_slots(name) IS
    'Returns the progress slots of the runs of the organizations that the calling role may see; caller is left at its default, current_user';
REVOKE ALL ON FUNCTION otan_enbek.visible_progress_slots(name) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION otan_enbek.progress_slots()
    FROM otan_enbek_admin, otan_enbek_operator;
GRANT EXECUTE ON FUNCTION otan_enbek.visible_progress_slots(name)
    TO otan_enbek_admin, otan_enbek_operator;

CREATE OR REPLACE VIEW otan_enbek.progress AS
SELECT p.pid, p.command, p.org_id, p.run_id, p.phase, p.done, p.total, p.unit,
       round(100.0 * p.done / p.total, 1) AS percent,
       p.started_at, p.phase_started_at, p.updated_at
FROM otan_enbek.visible_progress_slots() p
WHERE p.datid = (SELECT d.oid FROM pg_catalog.pg_database d
                 WHERE d.datname = pg_catalog.current_database());
COMMENT ON VIEW otan_enbek.progress IS
    'Runs in progress in this database, of the organizations the caller may see: phase checking or parsing counts bytes of the file, computing counts employees; total is NULL while unknown';
