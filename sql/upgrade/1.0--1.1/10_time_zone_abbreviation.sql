-- Time zone names that are also abbreviations: AT TIME ZONE reads CET,
-- EET, MET and WET as fixed offsets, while the tz database zones of those
-- names observe summer time.  Names of no place (localtime, posixrules,
-- Factory) are rejected too.  time_zone_check (70_invalid_arguments.sql)
-- now rejects them for new and changed organizations.

CREATE FUNCTION otan_enbek.time_zone_abbreviation_check(zone text) RETURNS boolean
    LANGUAGE C STABLE STRICT
    AS 'MODULE_PATHNAME', 'otan_enbek_time_zone_abbreviation_check';
COMMENT ON FUNCTION otan_enbek.time_zone_abbreviation_check(text) IS
    'Returns true unless AT TIME ZONE reads the name as a time zone abbreviation whose offset differs at some time from the tz database zone of that name (CET, EET, MET, WET); raises an error then';

-- A CHECK constraint is not evaluated again when the function it calls
-- changes, so the organizations stored under 1.0 are checked here.  The
-- update fails on the first organization with such a name, because only
-- the administrator can tell which zone its devices follow.
DO $check$
DECLARE
    org record;
    detail text;
    hint text;
BEGIN
    FOR org IN SELECT o.org_id, o.time_zone FROM otan_enbek.organization o ORDER BY o.org_id
    LOOP
        IF org.time_zone ~ '(^|/)(localtime|posixrules|Factory)$' THEN
            RAISE EXCEPTION 'organization % has time zone "%", which names no place',
                    org.org_id, org.time_zone
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = 'localtime and posixrules follow the server''s own time zone files, and Factory has no UTC offset of a place.',
                      HINT = 'Change organization.time_zone to the tz database name of the place of the devices, such as Asia/Almaty, then run ALTER EXTENSION otan_enbek UPDATE again.';
        END IF;
        BEGIN
            PERFORM otan_enbek.time_zone_abbreviation_check(org.time_zone);
        EXCEPTION WHEN invalid_parameter_value THEN
            GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
            RAISE EXCEPTION 'organization % has time zone "%", which is also a time zone abbreviation',
                    org.org_id, org.time_zone
                USING ERRCODE = 'invalid_parameter_value',
                      DETAIL = detail || ' The events stored so far were read with the abbreviation''s fixed offset, and a new time zone does not convert them.',
                      HINT = hint || ' Change organization.time_zone, then run ALTER EXTENSION otan_enbek UPDATE again.';
        END;
    END LOOP;
END
$check$;
