-- ensure_event_partitions limits a caller that is not a superuser to the
-- months that ingest may store, and takes the calling role as an argument
-- (see sql/install/30_events.sql).

DROP FUNCTION otan_enbek.ensure_event_partitions(timestamptz, timestamptz);
CREATE FUNCTION otan_enbek.ensure_event_partitions(first timestamptz, last timestamptz,
                                                   caller name DEFAULT current_user)
    RETURNS integer
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    month_utc timestamp;        -- start of a month, as a UTC wall-clock time
    part_name text;
    created integer := 0;
BEGIN
    IF first IS NULL OR last IS NULL THEN
        RETURN 0;
    END IF;
    IF last < first THEN
        RAISE EXCEPTION 'invalid partition range: % is after %', first, last
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF first < timestamptz '0001-01-01 00:00:00+00'
       OR last >= timestamptz '10000-01-01 00:00:00+00' THEN
        RAISE EXCEPTION 'partition range % to % is out of range', first, last
            USING ERRCODE = 'datetime_field_overflow',
                  DETAIL = 'Partitions of skud_event cover months of the years 1 to 9999 in UTC; events before 2001 are never stored.',
                  HINT = 'Give finite times within those years.';
    END IF;

    -- The function runs as its owner, so that an operator's ingest can
    -- create partitions.  A caller that is not a superuser gets only the
    -- months that ingest may store: from 2001 to one day ahead.  caller is
    -- the calling role (its default, current_user, is taken in the caller's
    -- context), and the session must be allowed to act as it.
    IF NOT pg_has_role(session_user, caller, 'MEMBER') THEN
        RAISE EXCEPTION 'role "%" cannot act as role "%"', session_user, caller
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Leave the caller argument at its default, current_user.';
    END IF;
    IF NOT coalesce((SELECT r.rolsuper FROM pg_roles AS r WHERE r.rolname = caller), false)
       AND (first < timestamptz '2001-01-01 00:00:00+00'
            OR last > transaction_timestamp() + interval '1 day') THEN
        RAISE EXCEPTION 'partition range % to % is out of range', first, last
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'A role that is not a superuser may create the partitions of events from 2001 to one day after now, the events that ingest stores.',
                  HINT = 'Ingest the events; their partitions are created as needed.';
    END IF;

    -- Sessions that ingest at the same time must not race to create the
    -- same partition.
    PERFORM pg_advisory_xact_lock(hashtext('otan_enbek.skud_event partitions'));

    month_utc := date_trunc('month', first AT TIME ZONE 'UTC');
    WHILE (month_utc AT TIME ZONE 'UTC') <= last LOOP
        part_name := 'skud_event_p' || to_char(month_utc, 'YYYYMM');
        IF to_regclass('otan_enbek.' || part_name) IS NULL THEN
            EXECUTE format('CREATE TABLE otan_enbek.%I PARTITION OF otan_enbek.skud_event
                            FOR VALUES FROM (%L) TO (%L)',
                           part_name,
                           month_utc AT TIME ZONE 'UTC',
                           (month_utc + interval '1 month') AT TIME ZONE 'UTC');
            created := created + 1;
        END IF;
        month_utc := month_utc + interval '1 month';
    END LOOP;
    RETURN created;
END
$$;
COMMENT ON FUNCTION otan_enbek.ensure_event_partitions(timestamptz, timestamptz, name) IS
    'Creates the missing monthly partitions of skud_event between two times; returns how many were created; a caller that is not a superuser may create those of 2001 to one day ahead';
