-- Identification numbers: IIN (person) and BIN (legal entity), checked with
-- their check digit wherever they are stored.

CREATE FUNCTION otan_enbek.iin_check(text) RETURNS boolean
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_iin_check';
COMMENT ON FUNCTION otan_enbek.iin_check(text) IS
    'Returns true for a valid IIN; raises an error that names the masked value otherwise';

CREATE FUNCTION otan_enbek.bin_check(text) RETURNS boolean
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_bin_check';
COMMENT ON FUNCTION otan_enbek.bin_check(text) IS
    'Returns true for a valid BIN; raises an error that names the value otherwise';

CREATE FUNCTION otan_enbek.is_valid_iin(text) RETURNS boolean
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_is_valid_iin';
COMMENT ON FUNCTION otan_enbek.is_valid_iin(text) IS
    'Tells whether the text is a valid IIN: 12 digits, a birth date, a century digit and the check digit';

CREATE FUNCTION otan_enbek.is_valid_bin(text) RETURNS boolean
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_is_valid_bin';
COMMENT ON FUNCTION otan_enbek.is_valid_bin(text) IS
    'Tells whether the text is a valid BIN: 12 digits, a registration month and the check digit';

CREATE FUNCTION otan_enbek.mask_iin(text) RETURNS text
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE
    AS 'MODULE_PATHNAME', 'otan_enbek_mask_iin';
-- Masks by characters in the database encoding, one asterisk per character.
-- A text of n characters shows its last min(6, n - 6) characters, none when
-- n <= 6: an IIN of 12 ASCII digits shows its last six digits, and any
-- other text (fullwidth digits, spaces around the digits, a longer or a
-- shorter string) shows at most its last six characters.
COMMENT ON FUNCTION otan_enbek.mask_iin(text) IS
    'Returns the text with all but at most its last six characters replaced by asterisks, one per character; always masks the first six, which in an IIN are the birth date';

CREATE DOMAIN otan_enbek.iin AS text
    CHECK (otan_enbek.iin_check(VALUE));
COMMENT ON DOMAIN otan_enbek.iin IS
    'Individual identification number of a person, validated with its check digit';

CREATE DOMAIN otan_enbek.bin AS text
    CHECK (otan_enbek.bin_check(VALUE));
COMMENT ON DOMAIN otan_enbek.bin IS
    'Business identification number of a legal entity, validated with its check digit';

-- Rejects a name that AT TIME ZONE reads as an abbreviation with another
-- offset than the tz database zone of that name, such as CET.
CREATE FUNCTION otan_enbek.time_zone_abbreviation_check(zone text) RETURNS boolean
    LANGUAGE C STABLE STRICT
    AS 'MODULE_PATHNAME', 'otan_enbek_time_zone_abbreviation_check';
COMMENT ON FUNCTION otan_enbek.time_zone_abbreviation_check(text) IS
    'Returns true unless AT TIME ZONE reads the name as a time zone abbreviation whose offset differs at some time from the tz database zone of that name (CET, EET, MET, WET); raises an error then';

-- Time zone names are checked against the tz database, so that a typo is
-- caught when the organization is created, not when events are read.
-- Names that are also abbreviations, such as CET, are rejected unless
-- both readings agree, because the project converts local times with
-- AT TIME ZONE, which prefers the abbreviation.
CREATE FUNCTION otan_enbek.time_zone_check(zone text) RETURNS boolean
    LANGUAGE plpgsql STABLE STRICT
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_timezone_names WHERE name = zone) THEN
        RAISE EXCEPTION 'unknown time zone "%"',
                CASE WHEN length(zone) > 64 THEN left(zone, 64) || '...' ELSE zone END
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The name is not in the server''s tz database.',
                  HINT = 'Use a tz database name such as Asia/Almaty; fixed offsets such as +05 do not follow the country''s changes of time.';
    END IF;
    -- localtime and posixrules follow the server's files, and Factory has
    -- no offset of a place, so none of them names where the devices are.
    -- The tz database also lists copies under posix/ and right/, such as
    -- posix/Factory.
    IF zone ~ '(^|/)(localtime|posixrules|Factory)$' THEN
        RAISE EXCEPTION 'time zone "%" names no place', zone
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'localtime and posixrules follow the server''s own time zone files, and Factory has no UTC offset of a place.',
                  HINT = 'Use the tz database name of the place of the devices, such as Asia/Almaty.';
    END IF;
    RETURN otan_enbek.time_zone_abbreviation_check(zone);
END
$$;
