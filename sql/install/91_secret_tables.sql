
-- The administrator reads every table of the schema (90_privileges.sql)
-- except those that hold credentials, which only superusers and the
-- extension's owner read.
REVOKE ALL ON otan_enbek.source_pull_secret
    FROM otan_enbek_admin, otan_enbek_operator, otan_enbek_reader;
