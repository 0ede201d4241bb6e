-- otan_enbek: timesheets from access-control (SKUD) events, delivered to Enbek.kz
--
-- This install script is assembled from the files in sql/install in name
-- order.  Every key of an organization's data starts with org_id, so that the
-- tables can be distributed by organization without changes.

\echo Use "CREATE EXTENSION otan_enbek" to load this file. \quit

-- Nothing in this schema is for PUBLIC; the extension's roles get explicit
-- grants where they need them.
REVOKE ALL ON SCHEMA otan_enbek FROM PUBLIC;
