-- otan_enbek 1.0 to 1.1
--
-- This upgrade script is assembled from the files in sql/upgrade/1.0--1.1 in
-- name order.  Each file carries the changes of one concept, in the same
-- order as the install parts in sql/install, so that a database updated from
-- 1.0 ends with the same objects as a fresh 1.1 install.

\echo Use "ALTER EXTENSION otan_enbek UPDATE TO '1.1'" to load this file. \quit
-- The extension's roles.  Roles belong to the cluster, not to one database,
-- so a role that already exists (the extension is installed in a second
-- database, or was dropped and created again) is kept as it is.  None of
-- them can log in: an administrator grants them to login roles.
--
--   otan_enbek_admin     configures organizations, keys and delivery, and
--                        sees personal data in full
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
