-- Refreshes by the background worker: with otan_enbek.refresh_in_worker on,
-- a statement that marks days in attendance_pending wakes the database's
-- worker at commit, and the worker runs refresh_attendance in its own
-- long-lived session.

CREATE FUNCTION otan_enbek.attendance_pending_wake() RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'otan_enbek_attendance_pending_wake';
COMMENT ON FUNCTION otan_enbek.attendance_pending_wake() IS
    'Trigger function: wakes the database''s worker at commit after days were marked in attendance_pending, when otan_enbek.refresh_in_worker is on';

CREATE TRIGGER attendance_pending_wake
    AFTER INSERT ON otan_enbek.attendance_pending
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.attendance_pending_wake();

CREATE FUNCTION otan_enbek.refresh_worker_info(
    OUT refresh_in_worker boolean, OUT worker_running boolean,
    OUT looks bigint, OUT refreshes bigint, OUT failures bigint,
    OUT rows_written bigint, OUT last_look_at timestamptz,
    OUT last_look_ms double precision, OUT last_look_rows integer)
    LANGUAGE C VOLATILE PARALLEL UNSAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_refresh_worker_info';
COMMENT ON FUNCTION otan_enbek.refresh_worker_info() IS
    'Attendance refreshes of this database''s worker since it started: the looks that found pending days, the organizations refreshed and failed, the rows written or deleted, and the time, duration and rows of the last look';
REVOKE ALL ON FUNCTION otan_enbek.refresh_worker_info() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION otan_enbek.refresh_worker_info()
    TO otan_enbek_operator, otan_enbek_admin;
