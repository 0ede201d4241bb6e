-- Marks for refresh_attendance the computed days that a change of access
-- points affects.  The computation reads three columns of an access point
-- for the events of its device: direction, counts_for_attendance and
-- clock_skew_sec.  An access point inserted, deleted, or changed in one of
-- them or in its device (source_id, device) changes the days of that
-- device's events.  So the local dates of those events are marked, with the
-- clock skew before and after the change.  refresh_attendance itself
-- recomputes the neighbouring days, where a night shift's punches may move.
-- No index leads from a device to its events, so finding them reads the
-- organization's events of its computed days; such changes are rare.

-- Marks the local dates of the events of the given devices.  Element i of
-- the arrays is one device and the clock skew to add to its events.
-- Returns the number of days newly marked.
CREATE FUNCTION otan_enbek.access_point_mark_days(org_ids integer[], source_ids integer[],
        devices text[], skews integer[])
    RETURNS bigint
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    WITH point AS (
        SELECT DISTINCT p.org_id, p.source_id, p.device, p.skew
        FROM unnest(org_ids, source_ids, devices, skews)
            AS p(org_id, source_id, device, skew)
    ), computed AS MATERIALIZED (
        -- the events that may fall on a computed day, whatever their skew
        SELECT o.org_id, o.time_zone,
               (r.first_day - 2)::timestamp AT TIME ZONE o.time_zone AS fetch_from,
               (r.last_day + 3)::timestamp AT TIME ZONE o.time_zone AS fetch_to
        FROM otan_enbek.organization o
        CROSS JOIN LATERAL (SELECT min(a.work_day) AS first_day,
                                   max(a.work_day) AS last_day
                            FROM otan_enbek.attendance_day a
                            WHERE a.org_id = o.org_id) r
        WHERE o.org_id IN (SELECT p.org_id FROM point p)
          AND r.first_day IS NOT NULL
    ), event_day AS (
        SELECT DISTINCT e.org_id, e.employee_id,
               ((e.occurred_at + make_interval(secs => p.skew))
                AT TIME ZONE k.time_zone)::date AS day
        FROM point p
        JOIN computed k ON k.org_id = p.org_id
        JOIN otan_enbek.skud_event e
          ON e.org_id = p.org_id
         AND e.source_id = p.source_id
         AND e.device = p.device
         AND e.occurred_at >= k.fetch_from
         AND e.occurred_at < k.fetch_to
        WHERE e.employee_id IS NOT NULL AND e.counts_for_attendance
    )
    -- attendance_mark_days is strict: without events it returns NULL
    SELECT coalesce(otan_enbek.attendance_mark_days(array_agg(d.org_id),
                                                    array_agg(d.employee_id),
                                                    array_agg(d.day), array_agg(d.day),
                                                    array_fill(false,
                                                               ARRAY[count(*)::integer])),
                    0)
    FROM event_day d
$$;
COMMENT ON FUNCTION otan_enbek.access_point_mark_days(integer[], integer[], text[], integer[]) IS
    'Marks in attendance_pending the local dates, with the given clock skew added, of the computed events of the given (org_id, source_id, device) access points; returns the number of days newly marked';

-- Marks the days of the access points that a statement inserted, deleted
-- or changed in a column the computation reads.
CREATE FUNCTION otan_enbek.access_point_mark_pending() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM otan_enbek.access_point_mark_days(array_agg(n.org_id),
                    array_agg(n.source_id), array_agg(n.device), array_agg(n.clock_skew_sec))
        FROM new_point n;
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM otan_enbek.access_point_mark_days(array_agg(o.org_id),
                    array_agg(o.source_id), array_agg(o.device), array_agg(o.clock_skew_sec))
        FROM old_point o;
    ELSE
        -- The old and the new version of each changed point: the rows that
        -- differ in a column the computation reads, or in the device.
        PERFORM otan_enbek.access_point_mark_days(array_agg(c.org_id),
                    array_agg(c.source_id), array_agg(c.device), array_agg(c.clock_skew_sec))
        FROM ((SELECT n.org_id, n.source_id, n.device, n.direction,
                      n.counts_for_attendance, n.clock_skew_sec
               FROM new_point n
               EXCEPT
               SELECT o.org_id, o.source_id, o.device, o.direction,
                      o.counts_for_attendance, o.clock_skew_sec
               FROM old_point o)
              UNION ALL
              (SELECT o.org_id, o.source_id, o.device, o.direction,
                      o.counts_for_attendance, o.clock_skew_sec
               FROM old_point o
               EXCEPT
               SELECT n.org_id, n.source_id, n.device, n.direction,
                      n.counts_for_attendance, n.clock_skew_sec
               FROM new_point n)) c;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER access_point_inserted_mark_pending
    AFTER INSERT ON otan_enbek.access_point
    REFERENCING NEW TABLE AS new_point
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.access_point_mark_pending();
CREATE TRIGGER access_point_updated_mark_pending
    AFTER UPDATE ON otan_enbek.access_point
    REFERENCING OLD TABLE AS old_point NEW TABLE AS new_point
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.access_point_mark_pending();
CREATE TRIGGER access_point_deleted_mark_pending
    AFTER DELETE ON otan_enbek.access_point
    REFERENCING OLD TABLE AS old_point
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.access_point_mark_pending();

-- TRUNCATE fires no DELETE trigger and has no transition table, so a
-- trigger before it marks the days of every access point that it removes.
CREATE FUNCTION otan_enbek.access_point_truncate_mark_pending() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM otan_enbek.access_point_mark_days(array_agg(p.org_id),
                array_agg(p.source_id), array_agg(p.device), array_agg(p.clock_skew_sec))
    FROM otan_enbek.access_point p;
    RETURN NULL;
END
$$;
CREATE TRIGGER access_point_truncated_mark_pending
    BEFORE TRUNCATE ON otan_enbek.access_point
    FOR EACH STATEMENT EXECUTE FUNCTION otan_enbek.access_point_truncate_mark_pending();
