-- Guards of the timesheet versions that left the status built.  Once a
-- version is submitted, its lines are the signed document, so they change
-- no more.  An accepted version is final, because Enbek has it.  An
-- operator has UPDATE on timesheet and timesheet_line for build_timesheet,
-- so these rules are triggers rather than missing grants.  They hold every
-- role but superusers, who may disable triggers anyway: the delivery worker
-- connects as the bootstrap superuser, and a restore with
-- session_replication_role = replica skips every trigger.

-- Rejects a change of status that no step of the extension makes.  No
-- timesheet goes back to built or away from accepted.  Accepted needs every
-- part accepted, returned or failed needs a part in that status, and
-- cancelled needs every part cancelled.
CREATE FUNCTION otan_enbek.timesheet_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF (SELECT r.rolsuper FROM pg_roles AS r WHERE r.rolname = current_user) THEN
        RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF OLD.status = 'accepted' AND (TG_OP = 'DELETE' OR NEW IS DISTINCT FROM OLD) THEN
        RAISE EXCEPTION 'timesheet % of organization % cannot be changed', OLD.timesheet_id,
                        OLD.org_id
            USING ERRCODE = 'integrity_constraint_violation',
                  DETAIL = 'Enbek accepted this timesheet, so its status and figures are final.',
                  HINT = 'Build the month again with otan_enbek.build_timesheet and send the new version with otan_enbek.resubmit: it sends a correction of the accepted version.';
    END IF;
    IF TG_OP = 'DELETE' OR NEW.status = OLD.status THEN
        RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
    END IF;
    IF NEW.status = 'built' THEN
        RAISE EXCEPTION 'timesheet % cannot change from % to built', OLD.timesheet_id, OLD.status
            USING ERRCODE = 'integrity_constraint_violation',
                  DETAIL = 'A timesheet that left the status built was signed and queued, and its lines are that document.',
                  HINT = 'Build the month again with otan_enbek.build_timesheet: it makes a new version.';
    END IF;
    IF NEW.status = 'accepted'
       AND NOT EXISTS (SELECT FROM otan_enbek.submission s
                       WHERE s.org_id = OLD.org_id AND s.timesheet_id = OLD.timesheet_id
                       HAVING count(*) > 0 AND bool_and(s.status = 'accepted')) THEN
        RAISE EXCEPTION 'timesheet % cannot be marked accepted', OLD.timesheet_id
            USING ERRCODE = 'integrity_constraint_violation',
                  DETAIL = 'A timesheet is accepted only when Enbek accepted every submitted part of it.',
                  HINT = 'The delivery worker sets the status from Enbek''s answers; read them in otan_enbek.submission_overview.';
    END IF;
    IF NEW.status IN ('returned', 'failed')
       AND NOT EXISTS (SELECT FROM otan_enbek.submission s
                       WHERE s.org_id = OLD.org_id AND s.timesheet_id = OLD.timesheet_id
                         AND s.status = NEW.status) THEN
        RAISE EXCEPTION 'timesheet % cannot be marked %', OLD.timesheet_id, NEW.status
            USING ERRCODE = 'integrity_constraint_violation',
                  DETAIL = format('A timesheet is %s only when a submitted part of it is %s.',
                                  NEW.status, NEW.status),
                  HINT = 'The delivery worker sets the status from Enbek''s answers; read them in otan_enbek.submission_overview.';
    END IF;
    IF NEW.status = 'cancelled'
       AND NOT EXISTS (SELECT FROM otan_enbek.submission s
                       WHERE s.org_id = OLD.org_id AND s.timesheet_id = OLD.timesheet_id
                       HAVING count(*) > 0 AND bool_and(s.status = 'cancelled')) THEN
        RAISE EXCEPTION 'timesheet % cannot be marked cancelled', OLD.timesheet_id
            USING ERRCODE = 'integrity_constraint_violation',
                  DETAIL = 'A timesheet is cancelled only when every submission of it was cancelled.',
                  HINT = 'Cancel it with otan_enbek.cancel_submission, which cancels its submissions first.';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER timesheet_guard
    BEFORE UPDATE OR DELETE ON otan_enbek.timesheet
    FOR EACH ROW EXECUTE FUNCTION otan_enbek.timesheet_guard();

-- Rejects inserted, changed or deleted lines of a timesheet whose status
-- is not built.  It checks each statement's rows at once.  Lines deleted
-- by the cascade of a deleted timesheet find no timesheet and pass.
CREATE FUNCTION otan_enbek.timesheet_line_guard() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    frozen record;
BEGIN
    IF (SELECT r.rolsuper FROM pg_roles AS r WHERE r.rolname = current_user) THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'DELETE' THEN
        SELECT t.org_id, t.timesheet_id, t.status INTO frozen
        FROM otan_enbek.timesheet t
        WHERE t.status <> 'built'
          AND (t.org_id, t.timesheet_id) IN (SELECT o.org_id, o.timesheet_id FROM old_lines o)
        LIMIT 1;
    ELSE
        SELECT t.org_id, t.timesheet_id, t.status INTO frozen
        FROM otan_enbek.timesheet t
        WHERE t.status <> 'built'
          AND (t.org_id, t.timesheet_id) IN (SELECT n.org_id, n.timesheet_id FROM new_lines n)
        LIMIT 1;
    END IF;
    IF FOUND THEN
        RAISE EXCEPTION 'lines of timesheet % of organization % cannot be changed',
                        frozen.timesheet_id, frozen.org_id
            USING ERRCODE = 'integrity_constraint_violation',
                  DETAIL = format('The timesheet has the status %s: its lines are the document that was signed for Enbek.',
                                  frozen.status),
                  HINT = 'Correct days with otan_enbek.edit_day and build the month again; the build makes a new version.';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER timesheet_line_guard_insert
    AFTER INSERT ON otan_enbek.timesheet_line
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.timesheet_line_guard();
CREATE TRIGGER timesheet_line_guard_update
    AFTER UPDATE ON otan_enbek.timesheet_line
    REFERENCING NEW TABLE AS new_lines
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.timesheet_line_guard();
CREATE TRIGGER timesheet_line_guard_delete
    AFTER DELETE ON otan_enbek.timesheet_line
    REFERENCING OLD TABLE AS old_lines
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.timesheet_line_guard();
