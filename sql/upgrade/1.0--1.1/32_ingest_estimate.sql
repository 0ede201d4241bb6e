-- Estimates the rows of parse_events from the length of the content, so
-- that ingest_bytes plans a file of millions of events with hash joins to
-- the credentials instead of an index lookup per event.
CREATE FUNCTION otan_enbek.parse_events_support(internal) RETURNS internal
    LANGUAGE C STRICT
    AS 'MODULE_PATHNAME', 'otan_enbek_parse_events_support';
COMMENT ON FUNCTION otan_enbek.parse_events_support(internal) IS
    'Planner support of parse_events: estimates its rows as the content''s length divided by 48 bytes a record';
ALTER FUNCTION otan_enbek.parse_events(text, text) SUPPORT otan_enbek.parse_events_support;
ALTER FUNCTION otan_enbek.parse_events(text, bytea) SUPPORT otan_enbek.parse_events_support;
