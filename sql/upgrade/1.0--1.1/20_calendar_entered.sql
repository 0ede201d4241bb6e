-- Entered and shipped rows of calendar_day, as in sql/install/20_reference.sql.
-- A 1.0 row that the administrator changed without setting built_in to
-- false cannot be distinguished from a shipped row and stays marked as
-- shipped.

-- Rows entered by the administrator have built_in false, so that pg_dump
-- writes them, because its filter leaves out the shipped rows, which CREATE
-- EXTENSION inserts again.  An update that changes the day, kind or name
-- of a shipped row therefore makes it an entered row.  An entered row for
-- a day that has a shipped row replaces the shipped row, which is also how
-- a restore brings back a shipped day that the administrator changed.  The
-- function runs as its owner so that a role allowed to insert rows may
-- replace a shipped one without the right to delete.
-- NOTE: a shipped row that the administrator deleted is inserted again by
-- CREATE EXTENSION when a dump is restored.
CREATE FUNCTION otan_enbek.calendar_day_mark_entered() RETURNS trigger
    LANGUAGE plpgsql
    SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        IF OLD.built_in AND NEW.built_in
           AND (NEW.day, NEW.kind, NEW.name) IS DISTINCT FROM (OLD.day, OLD.kind, OLD.name) THEN
            NEW.built_in := false;
        END IF;
    ELSIF NOT NEW.built_in THEN
        DELETE FROM otan_enbek.calendar_day c WHERE c.day = NEW.day AND c.built_in;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER calendar_day_mark_entered
    BEFORE INSERT OR UPDATE ON otan_enbek.calendar_day
    FOR EACH ROW EXECUTE FUNCTION otan_enbek.calendar_day_mark_entered();
-- It fires during a restore with triggers off too: an entered row must
-- replace the shipped row of its day there as well.
ALTER TABLE otan_enbek.calendar_day ENABLE ALWAYS TRIGGER calendar_day_mark_entered;
