-- Streaming of a file's events into skud_event, for ingest_bytes.

-- Parses content and stores its new events in skud_event without holding
-- the file's records: the credentials are read once into a hash table, and
-- the events are inserted in batches of 1,000 after a lookup of their
-- unique key.  Returns the counts, the employee-days for
-- attendance_pending and the rejected records, which ingest_bytes stores.
-- The rows bypass the executor's INSERT and the rewriter.  So the function
-- returns streamed false, and stores nothing, in these cases: skud_event
-- or one of its partitions has triggers; skud_event has rules or stored
-- generated columns; row-level security is in force for the caller; or the
-- caller lacks INSERT or SELECT on skud_event.  ingest_bytes then stores
-- the events with SQL.  The caller must hold the lock of
-- ensure_event_partitions and have created the partitions of the events'
-- months.
CREATE FUNCTION otan_enbek.ingest_events(org_id integer, source_id integer,
        batch_id bigint, format text, content bytea, time_zone text,
        not_before timestamptz, not_after timestamptz,
        ambiguous_from timestamp[], ambiguous_to timestamp[],
        ambiguous_offset interval[],
        OUT streamed boolean, OUT read_count bigint, OUT inserted_count bigint,
        OUT rejected_count bigint, OUT unknown_credential_count bigint,
        OUT non_attendance_count bigint, OUT pending_employee_ids integer[],
        OUT pending_work_days date[], OUT reject_line_nos integer[],
        OUT reject_reasons text[], OUT reject_raws text[])
    RETURNS record
    LANGUAGE C VOLATILE
    AS 'MODULE_PATHNAME', 'otan_enbek_ingest_events';
COMMENT ON FUNCTION otan_enbek.ingest_events(integer, integer, bigint, text, bytea, text,
        timestamptz, timestamptz, timestamp[], timestamp[], interval[]) IS
    'Stores the new events of a file in skud_event in batches, for ingest_bytes; returns streamed false, storing nothing, when the table has triggers, rules, stored generated columns or row-level security, or the caller lacks INSERT or SELECT on it';
