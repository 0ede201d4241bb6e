
-- Stored credentials belong to the address and protocol they were set for.
-- The administrator may change a source.  When a role other than a
-- superuser changes its url, protocol or authentication settings, the
-- stored user name and password are deleted.  So they are never sent to an
-- address of that role's choosing, and a superuser sets them again with
-- set_source_credentials.
CREATE FUNCTION otan_enbek.source_pull_drop_credentials() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF (SELECT r.rolsuper FROM pg_roles AS r WHERE r.rolname = session_user) THEN
        RETURN NEW;
    END IF;
    IF NEW.url IS DISTINCT FROM OLD.url
       OR NEW.protocol IS DISTINCT FROM OLD.protocol
       OR NEW.source_id IS DISTINCT FROM OLD.source_id
       OR NEW.settings->'auth' IS DISTINCT FROM OLD.settings->'auth' THEN
        DELETE FROM otan_enbek.source_pull_secret AS s
        WHERE s.source_id IN (OLD.source_id, NEW.source_id);
        IF FOUND THEN
            RAISE WARNING 'the credentials of source % were deleted', NEW.source_id
                USING DETAIL = 'Its address, protocol or authentication changed, and only a superuser may keep stored credentials for a new address.',
                      HINT = 'Ask a superuser to run otan_enbek.set_source_credentials for the source.';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION otan_enbek.source_pull_drop_credentials() IS
    'Trigger function: deletes the stored credentials of a pull source whose url, protocol or authentication a role other than a superuser changes';
CREATE TRIGGER source_pull_drop_credentials
    BEFORE UPDATE ON otan_enbek.source_pull
    FOR EACH ROW EXECUTE FUNCTION otan_enbek.source_pull_drop_credentials();
