-- Operators hold INSERT on otan_enbek.submission because submit_timesheet
-- and resubmit run with their privileges.  This guard keeps them from
-- inserting rows by hand.  A role that is neither a superuser nor a member
-- of otan_enbek_admin may insert only a new queued row: 0 attempts, and no
-- last_attempt_at, response or finished_at.  Its document must be one that
-- sign_timesheet or sign_timesheet_correction signed in the same
-- transaction for the same timesheet, part and message id.  Its
-- document_sha256 must be the SHA-256 of that document, and its signature
-- and certificate columns must be those that the signing returned.
-- Superusers and administrators are exempt, so that a restore or a repair
-- can insert any row.
-- NOTE: submit_timesheet runs with the operator's privileges, so operators
-- may also call sign_timesheet directly and insert its document as a
-- queued row, without the checks that submit_timesheet makes first, such
-- as the timesheet's status.
CREATE FUNCTION otan_enbek.submission_insert_guard() RETURNS trigger
    LANGUAGE C
    AS 'MODULE_PATHNAME', 'otan_enbek_submission_insert_guard';
COMMENT ON FUNCTION otan_enbek.submission_insert_guard() IS
    'Rejects a submission inserted by a role other than a superuser or an administrator unless it is a new queued row whose document this transaction signed';
REVOKE ALL ON FUNCTION otan_enbek.submission_insert_guard() FROM PUBLIC;
CREATE TRIGGER submission_insert_guard
    BEFORE INSERT ON otan_enbek.submission
    FOR EACH ROW EXECUTE FUNCTION otan_enbek.submission_insert_guard();
