-- The progress view, limited to the organizations the reader may see.  It
-- is defined again here because the functions of row-level security by
-- organization come after the view in the install script.  NOTE: a role
-- that may read the view may also call progress_slots, which lists the
-- runs of every organization, because a view calls its functions with the
-- privileges of the user who reads it.
CREATE OR REPLACE VIEW otan_enbek.progress AS
SELECT p.pid, p.command, p.org_id, p.run_id, p.phase, p.done, p.total, p.unit,
       round(100.0 * p.done / p.total, 1) AS percent,
       p.started_at, p.phase_started_at, p.updated_at
FROM otan_enbek.progress_slots() p
WHERE p.datid = (SELECT d.oid FROM pg_catalog.pg_database d
                 WHERE d.datname = pg_catalog.current_database())
  AND ((SELECT otan_enbek.sees_every_org())
       OR p.org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]));
COMMENT ON VIEW otan_enbek.progress IS
    'Runs in progress in this database, of the organizations the caller may see: phase checking or parsing counts bytes of the file, computing counts employees; total is NULL while unknown';
