-- otan_enbek 1.0 to 1.1
--
-- This upgrade script is assembled from the files in sql/upgrade/1.0--1.1 in
-- name order.  Each file carries the changes of one concept, in the same
-- order as the install parts in sql/install, so that a database updated from
-- 1.0 ends with the same objects as a fresh 1.1 install.

\echo Use "ALTER EXTENSION otan_enbek UPDATE TO '1.1'" to load this file. \quit
