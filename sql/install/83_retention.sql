-- Retention of raw events and rejected ingest lines.
--
-- Each organization that has a row in retention_policy has its raw events
-- kept for event_months whole months before the current one, and its
-- rejected lines for reject_days days.  An organization without a row is
-- never purged.  purge_expired drops whole monthly partitions of
-- skud_event, which hold the events of every organization: a partition
-- goes only when every organization with events in it allows it.

CREATE TABLE otan_enbek.retention_policy (
    org_id          integer PRIMARY KEY REFERENCES otan_enbek.organization ON DELETE CASCADE,
    event_months    integer NOT NULL DEFAULT 36 CHECK (event_months BETWEEN 1 AND 1200),
    reject_days     integer NOT NULL DEFAULT 365 CHECK (reject_days BETWEEN 1 AND 36500)
);
COMMENT ON TABLE otan_enbek.retention_policy IS
    'How long raw events and rejected ingest lines of an organization are kept; an organization without a row is never purged';
COMMENT ON COLUMN otan_enbek.retention_policy.event_months IS
    'Whole months before the current month (UTC) whose raw events are kept; older monthly partitions of skud_event may be dropped';
COMMENT ON COLUMN otan_enbek.retention_policy.reject_days IS
    'Days that the rejected lines of an ingest batch are kept, counted from the batch''s started_at';

-- Months of events that a timesheet not yet accepted depends on: the
-- latest version of each organization's month whose status is anything but
-- accepted.  The range is the local month widened by two days on each
-- side.  A shift's attribution window reaches up to 12 hours before its
-- start and after its end, and a night shift of the last day ends in the
-- next month.
CREATE FUNCTION otan_enbek.timesheet_event_ranges(
        OUT org_id integer, OUT timesheet_id integer, OUT month date,
        OUT status text, OUT events tstzrange)
    RETURNS SETOF record
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT t.org_id, t.timesheet_id, t.month, t.status,
       tstzrange((t.month - 2)::timestamp AT TIME ZONE o.time_zone,
                 ((t.month + interval '1 month')::date + 2)::timestamp AT TIME ZONE o.time_zone)
FROM (SELECT DISTINCT ON (t.org_id, t.month) t.org_id, t.timesheet_id, t.month, t.status
      FROM otan_enbek.timesheet AS t
      WHERE t.status <> 'superseded'
      ORDER BY t.org_id, t.month, t.version DESC) AS t
JOIN otan_enbek.organization AS o ON o.org_id = t.org_id
WHERE t.status <> 'accepted'
$$;
COMMENT ON FUNCTION otan_enbek.timesheet_event_ranges() IS
    'Event times that each timesheet not yet accepted depends on: its local month and two days on each side';

-- Decides, for each monthly partition of skud_event, whether it may be
-- dropped, and why not.  Returns one row per partition.
CREATE FUNCTION otan_enbek.retention_event_plan(
        OUT partition_name text, OUT covers tstzrange, OUT org_ids integer[],
        OUT droppable boolean, OUT reason text)
    RETURNS SETOF record
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    part record;
    month_start timestamptz;
    orgs integer[];
    blocker text;
BEGIN
    FOR part IN
        SELECT c.relname
        FROM pg_inherits AS i
        JOIN pg_class AS c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'otan_enbek.skud_event'::regclass
        ORDER BY c.relname
    LOOP
        partition_name := part.relname;
        covers := NULL;
        org_ids := NULL;
        IF part.relname !~ '^skud_event_p[0-9]{6}$' THEN
            droppable := false;
            reason := 'not a monthly partition named skud_event_pYYYYMM, so its months are unknown';
            RETURN NEXT;
            CONTINUE;
        END IF;
        month_start := to_timestamp(substr(part.relname, 13) || '01', 'YYYYMMDD')::timestamp
                       AT TIME ZONE 'UTC';
        covers := tstzrange(month_start,
                            ((month_start AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC');

        -- The organizations with events in the partition, by a loose scan
        -- of its primary key index, which starts with org_id.
        EXECUTE format($q$
            WITH RECURSIVE o(org_id) AS (
                SELECT min(org_id) FROM otan_enbek.%1$I
                UNION ALL
                SELECT (SELECT min(e.org_id) FROM otan_enbek.%1$I AS e WHERE e.org_id > o.org_id)
                FROM o WHERE o.org_id IS NOT NULL)
            SELECT coalesce(array_agg(org_id ORDER BY org_id), '{}') FROM o
            WHERE org_id IS NOT NULL$q$, part.relname)
            INTO orgs;
        org_ids := orgs;

        SELECT string_agg(format('organization %s has no retention policy', u.org_id), '; '
                          ORDER BY u.org_id)
          INTO blocker
        FROM unnest(orgs) AS u(org_id)
        LEFT JOIN otan_enbek.retention_policy AS p ON p.org_id = u.org_id
        WHERE p.org_id IS NULL;

        IF blocker IS NULL THEN
            SELECT string_agg(format('organization %s keeps %s months of events', p.org_id,
                                     p.event_months), '; ' ORDER BY p.org_id)
              INTO blocker
            FROM otan_enbek.retention_policy AS p
            WHERE p.org_id = ANY (orgs)
              AND upper(covers) > (date_trunc('month', now() AT TIME ZONE 'UTC')
                                   - make_interval(months => p.event_months)) AT TIME ZONE 'UTC';
        END IF;

        IF blocker IS NULL AND cardinality(orgs) = 0 THEN
            -- An empty partition goes once it is older than every policy
            -- allows; without any policy it stays.
            SELECT CASE
                       WHEN max(p.event_months) IS NULL THEN 'no organization has a retention policy'
                       WHEN upper(covers) > (date_trunc('month', now() AT TIME ZONE 'UTC')
                                             - make_interval(months => max(p.event_months))) AT TIME ZONE 'UTC'
                           THEN format('empty, but within the longest retention of %s months',
                                       max(p.event_months))
                   END
              INTO blocker
            FROM otan_enbek.retention_policy AS p;
        END IF;

        IF blocker IS NULL THEN
            SELECT string_agg(format('timesheet %s of organization %s for %s is %s, not accepted',
                                     r.timesheet_id, r.org_id, to_char(r.month, 'YYYY-MM'),
                                     r.status), '; ' ORDER BY r.org_id, r.month)
              INTO blocker
            FROM otan_enbek.timesheet_event_ranges() AS r
            WHERE r.events && covers;
        END IF;

        droppable := blocker IS NULL;
        reason := coalesce(blocker, 'older than the retention of every organization with events in it');
        RETURN NEXT;
    END LOOP;
END
$$;
COMMENT ON FUNCTION otan_enbek.retention_event_plan() IS
    'For each partition of skud_event: the organizations with events in it, whether retention allows dropping it, and the reason';

-- Drops the expired partitions of skud_event and deletes the expired
-- rejected lines, or with dry_run only reports what it would do.  It runs
-- as its owner, who owns the partitions; the caller's current_user arrives
-- as the default of "caller" for the audit entry.
CREATE FUNCTION otan_enbek.purge_expired(dry_run boolean DEFAULT true,
                                         caller name DEFAULT current_user)
    RETURNS TABLE (action text, object text, org_id integer, row_count bigint, reason text)
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
#variable_conflict use_column
DECLARE
    plan record;
    n bigint;
    dropped integer := 0;
    deleted bigint := 0;
BEGIN
    IF dry_run IS NULL THEN
        RAISE EXCEPTION 'dry_run is NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass true to see the purge report without changing anything, false to purge.';
    END IF;
    IF NOT pg_has_role(session_user, caller, 'MEMBER')
       OR NOT pg_has_role(caller, 'otan_enbek_admin', 'USAGE') THEN
        RAISE EXCEPTION 'role "%" may not purge otan_enbek data', caller
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'Retention affects every organization, so only members of otan_enbek_admin run it.',
                  HINT = 'Run it as a member of otan_enbek_admin and leave the caller argument at its default.';
    END IF;

    -- One purge at a time, and no new partition while the plan is made.
    PERFORM pg_advisory_xact_lock(hashtext('otan_enbek.skud_event partitions'));

    FOR plan IN SELECT * FROM otan_enbek.retention_event_plan() LOOP
        n := NULL;
        IF plan.droppable THEN
            EXECUTE format('SELECT count(*) FROM otan_enbek.%I', plan.partition_name) INTO n;
            IF NOT dry_run THEN
                EXECUTE format('DROP TABLE otan_enbek.%I', plan.partition_name);
                dropped := dropped + 1;
            END IF;
        END IF;
        action := CASE WHEN NOT plan.droppable THEN 'keep'
                       WHEN dry_run THEN 'would drop' ELSE 'dropped' END;
        object := 'otan_enbek.' || plan.partition_name;
        org_id := NULL;
        row_count := n;
        reason := plan.reason;
        RETURN NEXT;
    END LOOP;

    -- The report of rejected lines is made before they are deleted.
    RETURN QUERY
    SELECT CASE WHEN dry_run THEN 'would delete' ELSE 'deleted' END,
           'otan_enbek.ingest_reject', p.org_id,
           (SELECT count(*)
            FROM otan_enbek.ingest_reject AS r
            JOIN otan_enbek.ingest_batch AS b
              ON b.org_id = r.org_id AND b.batch_id = r.batch_id
            WHERE r.org_id = p.org_id
              AND b.started_at < now() - make_interval(days => p.reject_days)),
           format('rejected lines of batches started more than %s days ago', p.reject_days)
    FROM otan_enbek.retention_policy AS p
    UNION ALL
    SELECT 'keep', 'otan_enbek.ingest_reject', o.org_id, NULL::bigint,
           format('organization %s has no retention policy', o.org_id)
    FROM otan_enbek.organization AS o
    WHERE NOT EXISTS (SELECT FROM otan_enbek.retention_policy AS p WHERE p.org_id = o.org_id)
    ORDER BY 3;

    IF NOT dry_run THEN
        DELETE FROM otan_enbek.ingest_reject AS r
        USING otan_enbek.ingest_batch AS b, otan_enbek.retention_policy AS p
        WHERE b.org_id = r.org_id AND b.batch_id = r.batch_id
          AND p.org_id = r.org_id
          AND b.started_at < now() - make_interval(days => p.reject_days);
        GET DIAGNOSTICS deleted = ROW_COUNT;
        PERFORM otan_enbek.audit_record(NULL, 'purge_expired',
                                        jsonb_build_object('partitions_dropped', dropped,
                                                           'rejected_lines_deleted', deleted),
                                        caller);
    END IF;
END
$$;
COMMENT ON FUNCTION otan_enbek.purge_expired(boolean, name) IS
    'Drops the monthly partitions of skud_event and deletes the rejected ingest lines that every retention_policy allows, keeping the events of months whose timesheet is not yet accepted; returns the purge report; with dry_run (the default) changes nothing; for otan_enbek_admin';
