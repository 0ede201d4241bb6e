-- The extension's roles.  Roles belong to the cluster, not to one database,
-- so a role that already exists (the extension is installed in a second
-- database, or was dropped and created again) is kept as it is.  None of
-- them can log in: an administrator grants them to login roles.
--
--   otan_enbek_admin     configures organizations, keys and delivery, and
--                        reads personal data in full
--   otan_enbek_operator  runs ingest, attendance, timesheets and delivery
--                        for the organizations assigned to it
--   otan_enbek_reader    reads reports, with IINs masked

DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['otan_enbek_admin', 'otan_enbek_operator',
                             'otan_enbek_reader']
    LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$roles$;
