-- Progress of long runs (ingest of a file, attendance of a period),
-- readable from any session while the run's transaction is still open.
-- The counters live in shared memory, so they exist only when otan_enbek is
-- in shared_preload_libraries; without it the view is empty.

CREATE FUNCTION otan_enbek.progress_start(command text, org_id integer, run_id bigint)
    RETURNS boolean
    AS 'MODULE_PATHNAME', 'otan_enbek_progress_start'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION otan_enbek.progress_start(text, integer, bigint) IS
    'Starts reporting the progress of a command in this session; returns false when otan_enbek is not preloaded';

CREATE FUNCTION otan_enbek.progress_phase(phase text, unit text, total bigint)
    RETURNS void
    AS 'MODULE_PATHNAME', 'otan_enbek_progress_phase'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION otan_enbek.progress_phase(text, text, bigint) IS
    'Starts a phase of the command this session reports, with its amount of work in the given unit';

CREATE FUNCTION otan_enbek.progress_end() RETURNS void
    AS 'MODULE_PATHNAME', 'otan_enbek_progress_end'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION otan_enbek.progress_end() IS
    'Stops reporting progress in this session; the end of the transaction does it too';

CREATE FUNCTION otan_enbek.progress_slots(
    OUT pid integer, OUT datid oid, OUT usesysid oid, OUT command text,
    OUT org_id integer, OUT run_id bigint, OUT phase text, OUT done bigint,
    OUT total bigint, OUT unit text, OUT started_at timestamptz,
    OUT phase_started_at timestamptz, OUT updated_at timestamptz)
    RETURNS SETOF record
    AS 'MODULE_PATHNAME', 'otan_enbek_progress_slots'
    LANGUAGE C VOLATILE;
COMMENT ON FUNCTION otan_enbek.progress_slots() IS
    'Returns the progress of every session of the cluster that reports one';

CREATE VIEW otan_enbek.progress AS
SELECT p.pid, p.command, p.org_id, p.run_id, p.phase, p.done, p.total, p.unit,
       round(100.0 * p.done / p.total, 1) AS percent,
       p.started_at, p.phase_started_at, p.updated_at
FROM otan_enbek.progress_slots() p
WHERE p.datid = (SELECT d.oid FROM pg_catalog.pg_database d
                 WHERE d.datname = pg_catalog.current_database());
COMMENT ON VIEW otan_enbek.progress IS
    'Runs in progress in this database: phase checking or parsing counts bytes of the file, computing counts employees; total is NULL while unknown';
COMMENT ON COLUMN otan_enbek.progress.done IS
    'Units of the current phase finished; updated every 1,024 records of a file and every employee computed';
