-- Schedules of the processing steps, as pg_cron jobs.
--
-- Each organization has at most one job per kind, named
-- otan_enbek:<org_id>:<kind>, whose command is
-- CALL otan_enbek.run_scheduled(<org_id>, '<kind>').  The functions that
-- change jobs are SECURITY DEFINER, so every job belongs to the owner of
-- the extension and runs with its rights.  The command is fixed here, and a
-- caller chooses only the organization, the kind and the time.  pg_cron
-- 1.4 reads schedules in UTC (GMT): 02:00 in Astana (UTC+5) is "0 21 * * *".

-- Checks a five-field cron schedule as pg_cron 1.4 reads it (the syntax of
-- Vixie cron) and returns it with single spaces between the fields.  Each
-- field is a comma-separated list of items.  An item is *, a value or a
-- range a-b, and * or a range may take a step /n.  Months and days of the
-- week may be given by their first three letters (jan, sun); Sunday is 0
-- or 7.
CREATE FUNCTION otan_enbek.check_cron_schedule(schedule text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    field_names constant text[] := ARRAY['minute', 'hour', 'day of month', 'month',
                                         'day of week'];
    low constant integer[] := ARRAY[0, 0, 1, 1, 0];
    high constant integer[] := ARRAY[59, 23, 31, 12, 7];
    month_names constant text[] := ARRAY['jan', 'feb', 'mar', 'apr', 'may', 'jun',
                                         'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
    day_names constant text[] := ARRAY['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
    usage constant text := 'Write five fields separated by spaces: minute, hour, day of month, month and day of week, for example "30 20 * * *" for 20:30 UTC every day. pg_cron 1.4 reads the times in UTC.';
    fields text[];
    i integer;
    item text;
    parts text[];
    bound text;
    value integer;
    range_values integer[];
BEGIN
    IF schedule IS NULL THEN
        RAISE EXCEPTION 'cron schedule is NULL'
            USING ERRCODE = 'null_value_not_allowed', HINT = usage;
    END IF;
    IF length(schedule) > 200 THEN
        RAISE EXCEPTION 'invalid cron schedule "%...": it is % characters long',
                left(schedule, 64), length(schedule)
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'A cron schedule has at most 200 characters.', HINT = usage;
    END IF;
    fields := regexp_split_to_array(btrim(schedule), '\s+');
    IF btrim(schedule) = '' OR array_length(fields, 1) <> 5 THEN
        RAISE EXCEPTION 'invalid cron schedule "%": it has % fields, not 5', schedule,
                CASE WHEN btrim(schedule) = '' THEN 0 ELSE array_length(fields, 1) END
            USING ERRCODE = 'invalid_parameter_value', HINT = usage;
    END IF;

    FOR i IN 1 .. 5 LOOP
        FOREACH item IN ARRAY string_to_array(fields[i], ',') LOOP
            -- parts: the range or *, its first and its last value, the step
            parts := regexp_match(lower(item), '^(\*|([a-z0-9]+)(?:-([a-z0-9]+))?)(?:/([0-9]+))?$');
            IF parts IS NULL OR (parts[4] IS NOT NULL AND parts[1] <> '*' AND parts[3] IS NULL) THEN
                RAISE EXCEPTION 'invalid cron schedule "%": % field "%" has an invalid item "%"',
                        schedule, field_names[i], fields[i], item
                    USING ERRCODE = 'invalid_parameter_value',
                          DETAIL = 'An item is *, a number, a range such as 1-5, or * or a range with a step such as */15 or 8-18/2; items are separated by commas without spaces.',
                          HINT = usage;
            END IF;
            range_values := '{}';
            FOREACH bound IN ARRAY ARRAY[parts[2], parts[3]] LOOP
                CONTINUE WHEN bound IS NULL;
                IF bound ~ '^[0-9]+$' THEN
                    value := CASE WHEN length(bound) > 4 THEN 10000 ELSE bound::integer END;
                ELSIF i = 4 AND bound = ANY (month_names) THEN
                    value := array_position(month_names, bound);
                ELSIF i = 5 AND bound = ANY (day_names) THEN
                    value := array_position(day_names, bound) - 1;
                ELSE
                    RAISE EXCEPTION 'invalid cron schedule "%": % field "%" has an unknown name "%"',
                            schedule, field_names[i], fields[i], bound
                        USING ERRCODE = 'invalid_parameter_value',
                              DETAIL = CASE i
                                  WHEN 4 THEN 'Months are numbers 1 to 12 or the names jan to dec.'
                                  WHEN 5 THEN 'Days of the week are numbers 0 to 7 (0 and 7 are Sunday) or the names sun to sat.'
                                  ELSE format('The %s field accepts numbers only.', field_names[i])
                              END,
                              HINT = usage;
                END IF;
                IF value < low[i] OR value > high[i] THEN
                    RAISE EXCEPTION 'invalid cron schedule "%": % % is out of range',
                            schedule, field_names[i], bound
                        USING ERRCODE = 'invalid_parameter_value',
                              DETAIL = format('The %s field accepts %s to %s.', field_names[i],
                                              low[i], high[i]),
                              HINT = usage;
                END IF;
                range_values := range_values || value;
            END LOOP;
            IF range_values[2] < range_values[1] THEN
                RAISE EXCEPTION 'invalid cron schedule "%": % range "%" ends before it starts',
                        schedule, field_names[i], item
                    USING ERRCODE = 'invalid_parameter_value',
                          DETAIL = 'pg_cron does not wrap a range around the end of a field.',
                          HINT = 'Write the lower value first, or list two ranges, such as 22-23,0-5.';
            END IF;
            IF parts[4] IS NOT NULL
               AND (length(parts[4]) > 4 OR parts[4]::integer NOT BETWEEN 1 AND high[i]) THEN
                RAISE EXCEPTION 'invalid cron schedule "%": % step "/%" is out of range',
                        schedule, field_names[i], parts[4]
                    USING ERRCODE = 'invalid_parameter_value',
                          DETAIL = format('A step of the %s field is 1 to %s.', field_names[i], high[i]),
                          HINT = usage;
            END IF;
        END LOOP;
    END LOOP;
    RETURN array_to_string(fields, ' ');
END
$$;
COMMENT ON FUNCTION otan_enbek.check_cron_schedule(text) IS
    'Checks a five-field cron schedule as pg_cron 1.4 reads it, raising an error that names the invalid field, and returns it normalized';

-- Raises an error unless pg_cron is installed in the current database.
-- pg_cron keeps its jobs in one database of the cluster, the one named by
-- its setting cron.database_name, and CREATE EXTENSION pg_cron fails in
-- every other database.
CREATE FUNCTION otan_enbek.require_pg_cron() RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cron_database text := current_setting('cron.database_name', true);
BEGIN
    IF EXISTS (SELECT FROM pg_extension WHERE extname = 'pg_cron') THEN
        RETURN;
    ELSIF cron_database IS NULL THEN
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'pg_cron is not loaded: shared_preload_libraries does not contain pg_cron.',
                  HINT = format('Add pg_cron to shared_preload_libraries and set cron.database_name = ''%s'' in postgresql.conf, restart the server, then run CREATE EXTENSION pg_cron in this database. pg_cron creates jobs only in the database that cron.database_name names.',
                                current_database());
    ELSIF cron_database <> current_database() THEN
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = format('pg_cron creates jobs only in the database that cron.database_name names, which is "%s".',
                                  cron_database),
                  HINT = format('Schedule from database "%s" with otan_enbek installed there, or set cron.database_name = ''%s'' in postgresql.conf, restart the server and run CREATE EXTENSION pg_cron in this database.',
                                cron_database, current_database());
    ELSE
        RAISE EXCEPTION 'pg_cron is not installed in database "%"', current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'cron.database_name names this database, but the extension pg_cron has not been created in it.',
                  HINT = 'Run CREATE EXTENSION pg_cron in this database as a superuser.';
    END IF;
END
$$;
COMMENT ON FUNCTION otan_enbek.require_pg_cron() IS
    'Raises an error, with a hint about cron.database_name, unless pg_cron is installed in the current database';

-- Checks the organization and the kind of a schedule and returns the name
-- of its pg_cron job.
CREATE FUNCTION otan_enbek.schedule_job_name(org integer, kind text) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    kinds text := (SELECT string_agg(k.kind, ', ') FROM otan_enbek.job_kinds() k
                   WHERE k.schedulable);
BEGIN
    IF org IS NULL OR kind IS NULL THEN
        RAISE EXCEPTION 'organization and kind must not be null'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF NOT EXISTS (SELECT FROM otan_enbek.organization o WHERE o.org_id = org) THEN
        RAISE EXCEPTION 'organization % does not exist', org
            USING ERRCODE = 'undefined_object',
                  HINT = 'Use the org_id of a row of otan_enbek.organization.';
    END IF;
    IF NOT EXISTS (SELECT FROM otan_enbek.job_kinds() k
                   WHERE k.kind = schedule_job_name.kind AND k.schedulable) THEN
        RAISE EXCEPTION 'job kind "%" cannot be scheduled', kind
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('The kinds that can be scheduled are %s.', kinds),
                  HINT = 'Run the other kinds by hand, for example with otan_enbek.run_ingest.';
    END IF;
    RETURN format('otan_enbek:%s:%s', org, kind);
END
$$;

CREATE FUNCTION otan_enbek.set_schedule(org integer, kind text, schedule text,
                                        caller name DEFAULT current_user)
    RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    job_name text;
    normalized text;
BEGIN
    PERFORM otan_enbek.require_pg_cron();
    PERFORM otan_enbek.require_org_visible(org, caller);
    job_name := otan_enbek.schedule_job_name(org, kind);
    normalized := otan_enbek.check_cron_schedule(schedule);
    -- cron.schedule replaces the schedule of a job of the same name and owner.
    RETURN cron.schedule(job_name, normalized,
                         format('CALL otan_enbek.run_scheduled(%s, %L)', org, kind));
END
$$;
COMMENT ON FUNCTION otan_enbek.set_schedule(integer, text, text, name) IS
    'Creates or changes the pg_cron job that runs a step of an organization (kind attendance, timesheet_build, timesheet_submit, pull, contract_sync or directory_push) on a cron schedule in UTC; returns the job id';

CREATE FUNCTION otan_enbek.remove_schedule(org integer, kind text,
                                           caller name DEFAULT current_user)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    job_name text;
    removed integer;
BEGIN
    PERFORM otan_enbek.require_pg_cron();
    PERFORM otan_enbek.require_org_visible(org, caller);
    job_name := otan_enbek.schedule_job_name(org, kind);
    SELECT count(cron.unschedule(j.jobid)) INTO removed
    FROM cron.job j WHERE j.jobname = job_name;
    IF removed = 0 THEN
        RAISE EXCEPTION 'organization % has no schedule for %', org, kind
            USING ERRCODE = 'undefined_object',
                  HINT = 'List the schedules with SELECT * FROM otan_enbek.show_schedules().';
    END IF;
END
$$;
COMMENT ON FUNCTION otan_enbek.remove_schedule(integer, text, name) IS
    'Removes the pg_cron job of a step of an organization; caller is the calling role, left at its default';

CREATE FUNCTION otan_enbek.show_schedules(org integer DEFAULT NULL,
                                          caller name DEFAULT current_user)
    RETURNS TABLE (org_id integer, kind text, schedule text, active boolean, jobid bigint,
                   command text, last_run_id bigint, last_status text,
                   last_started_at timestamptz, last_error text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM otan_enbek.require_pg_cron();
    IF NOT pg_has_role(session_user, caller, 'MEMBER') THEN
        RAISE EXCEPTION 'role "%" cannot act as role "%"', session_user, caller
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Leave the caller argument at its default, current_user.';
    END IF;
    RETURN QUERY
    SELECT j.org_id, j.kind, j.schedule, j.active, j.jobid, j.command,
           r.run_id, r.status, r.started_at, r.error_message
    FROM (SELECT split_part(c.jobname, ':', 2)::integer AS org_id,
                 split_part(c.jobname, ':', 3) AS kind,
                 c.schedule, c.active, c.jobid, c.command
          FROM cron.job c
          WHERE c.jobname ~ '^otan_enbek:[0-9]+:[a-z_]+$') j
    LEFT JOIN LATERAL (
        SELECT x.run_id, x.status, x.started_at, x.error_message
        FROM otan_enbek.job_run x
        WHERE x.org_id = j.org_id AND x.kind = j.kind AND x.trigger = 'schedule'
        ORDER BY x.started_at DESC
        LIMIT 1) r ON true
    WHERE (show_schedules.org IS NULL OR j.org_id = show_schedules.org)
      AND (pg_has_role(caller, 'otan_enbek_admin', 'USAGE')
           OR j.org_id IN (SELECT a.org_id FROM otan_enbek.org_access AS a
                           WHERE pg_has_role(caller, a.role_id, 'USAGE')))
    ORDER BY j.org_id, j.kind;
END
$$;
COMMENT ON FUNCTION otan_enbek.show_schedules(integer, name) IS
    'Lists the pg_cron jobs of the steps (of one organization, or of all the caller may see) with the outcome of each job''s last run';

REVOKE ALL ON FUNCTION
    otan_enbek.set_schedule(integer, text, text, name),
    otan_enbek.remove_schedule(integer, text, name),
    otan_enbek.show_schedules(integer, name)
    FROM PUBLIC;
