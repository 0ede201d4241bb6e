-- parse_events returns the clock_jump_sec of each record as its last
-- column, so it is created again with the new row type.
DROP FUNCTION otan_enbek.parse_events(text, text);
DROP FUNCTION otan_enbek.parse_events(text, bytea);
CREATE FUNCTION otan_enbek.parse_events(format text, content text,
        OUT record_no integer, OUT external_id text, OUT local_time timestamp,
        OUT utc_offset integer, OUT device text, OUT credential_kind text,
        OUT credential text, OUT direction text, OUT device_state smallint,
        OUT counts_for_attendance boolean, OUT raw text, OUT reject_reason text,
        OUT clock_jump_sec integer)
    RETURNS SETOF record
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    SUPPORT otan_enbek.parse_events_support
    AS 'MODULE_PATHNAME', 'otan_enbek_parse_events_text';
COMMENT ON FUNCTION otan_enbek.parse_events(text, text) IS
    'Returns the records of a zkteco, hikvision or csv file as rows without storing them; reject_reason is set for a record that cannot be read, and clock_jump_sec for a zkteco or hikvision record more than 60 s before the latest earlier record of the same device and credential';

CREATE FUNCTION otan_enbek.parse_events(format text, content bytea,
        OUT record_no integer, OUT external_id text, OUT local_time timestamp,
        OUT utc_offset integer, OUT device text, OUT credential_kind text,
        OUT credential text, OUT direction text, OUT device_state smallint,
        OUT counts_for_attendance boolean, OUT raw text, OUT reject_reason text,
        OUT clock_jump_sec integer)
    RETURNS SETOF record
    LANGUAGE C STABLE STRICT PARALLEL SAFE
    SUPPORT otan_enbek.parse_events_support
    AS 'MODULE_PATHNAME', 'otan_enbek_parse_events_bytea';
COMMENT ON FUNCTION otan_enbek.parse_events(text, bytea) IS
    'Returns the records of a file given as UTF-8 bytes, as parse_events(text, text) does';
GRANT EXECUTE ON FUNCTION
    otan_enbek.parse_events(text, text),
    otan_enbek.parse_events(text, bytea)
    TO otan_enbek_operator, otan_enbek_admin;
