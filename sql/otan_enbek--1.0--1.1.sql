-- otan_enbek 1.0 to 1.1
--
-- This upgrade script is assembled from the files in sql/upgrade/1.0--1.1 in
-- name order.  Each file carries the changes of one concept, in the same
-- order as the install parts in sql/install, so that a database updated from
-- 1.0 ends with the same objects as a fresh 1.1 install.

\echo Use "ALTER EXTENSION otan_enbek UPDATE TO '1.1'" to load this file. \quit
-- The extension's roles.  Roles belong to the cluster, not to one database,
-- so a role that already exists (the extension is installed in a second
-- database, or was dropped and created again) is kept as it is.  None of
-- them can log in: an administrator grants them to login roles.
--
--   otan_enbek_admin     configures organizations, keys and delivery, and
--                        sees personal data in full
--   otan_enbek_operator  runs ingest, attendance, timesheets and delivery
--                        for the organizations assigned to it
--   otan_enbek_reader    reads reports, with IINs masked

DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['otan_enbek_admin', 'otan_enbek_operator',
                             'otan_enbek_reader']
    LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$roles$;
-- Audit trail of access to personal data and of access configuration.
--
-- The administrator's functions that return full IINs or names, describe
-- the signing key, or change which organizations a role may see each add a
-- row here.  Reading the tables directly is not audited: an administrator
-- who must be audited for every read uses these functions only, and the
-- server's own logging (log_statement, pgaudit) covers direct queries.

CREATE TABLE otan_enbek.audit_log (
    audit_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT clock_timestamp(),
    session_user_name name NOT NULL,
    current_user_name name NOT NULL,
    org_id          integer,
    action          text NOT NULL,
    detail          jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE otan_enbek.audit_log IS
    'Who read personal data or key facts, or changed organization access, through the administrator''s functions; readable by otan_enbek_admin only, written only by audit_record';
COMMENT ON COLUMN otan_enbek.audit_log.session_user_name IS
    'session_user of the call: the role that logged in';
COMMENT ON COLUMN otan_enbek.audit_log.current_user_name IS
    'current_user of the call: the role in effect after SET ROLE';
COMMENT ON COLUMN otan_enbek.audit_log.org_id IS
    'Organization whose data was read or whose access changed; NULL when the call concerned none';
COMMENT ON COLUMN otan_enbek.audit_log.detail IS
    'What was done, without personal data: arguments and row counts';
CREATE INDEX ON otan_enbek.audit_log (org_id, at);

-- Adds a row to audit_log.  It runs as its owner, so that no caller needs
-- a privilege on the table.  The caller's current_user arrives as the
-- default of "caller", because a default is evaluated where the call is
-- written.  A session that passes another role must be a member of it, so
-- no one can record an action under a role that is not theirs.
CREATE FUNCTION otan_enbek.audit_record(org integer, action text, detail jsonb,
                                        caller name DEFAULT current_user)
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    id bigint;
BEGIN
    IF action IS NULL OR caller IS NULL THEN
        RAISE EXCEPTION 'audit action and caller must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the name of the action and leave caller at its default, current_user.';
    END IF;
    IF NOT pg_has_role(session_user, caller, 'MEMBER') THEN
        RAISE EXCEPTION 'role "%" cannot record an audit entry as role "%"',
                session_user, caller
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = 'The caller of an audit entry must be the session role or a role it is a member of.',
                  HINT = 'Leave the caller argument at its default, current_user.';
    END IF;
    INSERT INTO otan_enbek.audit_log (session_user_name, current_user_name, org_id, action, detail)
    VALUES (session_user, caller, org, action, coalesce(detail, '{}'))
    RETURNING audit_id INTO id;

    -- The row is lost when the caller's transaction rolls back, but the
    -- data may already have been read; the server log keeps the entry.
    RAISE LOG 'otan_enbek audit %: % by session user "%" as "%", organization %',
        id, action, session_user, caller, coalesce(org::text, 'none');
    RETURN id;
END
$$;
COMMENT ON FUNCTION otan_enbek.audit_record(integer, text, jsonb, name) IS
    'Adds an entry to audit_log for the session role and the caller''s current_user; returns its audit_id';
-- Row-level security by organization.
--
-- Operators and readers see the rows of the organizations assigned to them
-- in org_access, and nothing of the others.  Members of otan_enbek_admin
-- and superusers see every organization.  Every table of the schema with
-- an org_id column gets the same policy, org_visible, built on
-- sees_every_org and visible_org_ids.  A table added later gets it with
-- one call:
--     SELECT otan_enbek.protect_org_table('otan_enbek.my_table');
-- The functions that run as their owner (SECURITY DEFINER) bypass these
-- policies, so each of them calls require_org_visible itself.

CREATE TABLE otan_enbek.org_access (
    org_id          integer NOT NULL REFERENCES otan_enbek.organization ON DELETE CASCADE,
    role_id         oid NOT NULL,
    granted_at      timestamptz NOT NULL DEFAULT now(),
    granted_by      name NOT NULL DEFAULT session_user,
    PRIMARY KEY (org_id, role_id)
);
CREATE INDEX ON otan_enbek.org_access (role_id);
COMMENT ON TABLE otan_enbek.org_access IS
    'Organizations whose rows a role and the members of that role may see; change it with grant_org_access and revoke_org_access';
COMMENT ON COLUMN otan_enbek.org_access.role_id IS
    'OID of the role (pg_roles.oid), so that renaming the role keeps its access; read it as role_id::regrole';

-- A role sees its own assignments and those of the roles it belongs to.
ALTER TABLE otan_enbek.org_access ENABLE ROW LEVEL SECURITY;
CREATE POLICY org_access_own ON otan_enbek.org_access
    USING (pg_catalog.pg_has_role(role_id, 'USAGE')
           OR pg_catalog.pg_has_role('otan_enbek_admin', 'USAGE'));

-- The predicate of every policy by organization is
--     (SELECT otan_enbek.sees_every_org())
--     OR org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[])
-- The scalar subqueries make each function run once per query instead of
-- once per row, and the cast keeps the second from being read as
-- ANY (subquery).  A predicate function called per row is much slower,
-- and an SQL function that contains a subquery is not inlined.  An
-- operator's count(*) of a partition of 400,000 events, 200,000 of them
-- visible, took about 1.4 s that way (2 runs) and 0.09 s with this
-- predicate (3 runs).  The superuser, without row-level security, took
-- 0.05 s (2 shared cores).
CREATE FUNCTION otan_enbek.sees_every_org() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT pg_has_role('otan_enbek_admin', 'USAGE')
$$;
COMMENT ON FUNCTION otan_enbek.sees_every_org() IS
    'True when current_user sees the rows of every organization: a superuser or a member of otan_enbek_admin';

CREATE FUNCTION otan_enbek.visible_org_ids() RETURNS integer[]
    LANGUAGE sql STABLE PARALLEL SAFE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT coalesce(array_agg(DISTINCT a.org_id ORDER BY a.org_id), '{}')
FROM otan_enbek.org_access AS a
WHERE pg_has_role(a.role_id, 'USAGE')
$$;
COMMENT ON FUNCTION otan_enbek.visible_org_ids() IS
    'Organizations assigned in org_access to current_user or to a role whose privileges it has';

-- Enables row-level security on a table of the schema that has an org_id
-- column and adds the policy org_visible, with the predicate above, for
-- every command.  Only
-- the table's owner may call it; calling it again changes nothing.
CREATE FUNCTION otan_enbek.protect_org_table(tab regclass) RETURNS void
    LANGUAGE plpgsql
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_attribute
                   WHERE attrelid = tab AND attname = 'org_id' AND NOT attisdropped) THEN
        RAISE EXCEPTION 'table % has no org_id column', tab
            USING ERRCODE = 'undefined_column',
                  HINT = 'Row-level security by organization applies to tables with an org_id column only.';
    END IF;
    EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', tab);
    IF NOT EXISTS (SELECT FROM pg_policy
                   WHERE polrelid = tab AND polname = 'org_visible') THEN
        EXECUTE format('CREATE POLICY org_visible ON %s
                            USING ((SELECT otan_enbek.sees_every_org())
                                   OR org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]))
                            WITH CHECK ((SELECT otan_enbek.sees_every_org())
                                        OR org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]))',
                       tab);
    END IF;
END
$$;
COMMENT ON FUNCTION otan_enbek.protect_org_table(regclass) IS
    'Enables row-level security on a table with an org_id column and adds the policy org_visible, so that operators and readers see the rows of their organizations only';

-- Raises an error unless the caller may see the organization.  A function
-- that runs as its owner takes the caller's current_user as the default
-- of its own "caller" argument and passes it here, because current_user
-- inside it is the owner.
CREATE FUNCTION otan_enbek.require_org_visible(org integer, caller name DEFAULT current_user)
    RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF org IS NULL THEN
        RAISE EXCEPTION 'organization is NULL'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass the org_id of a row of otan_enbek.organization.';
    END IF;
    IF NOT pg_has_role(session_user, caller, 'MEMBER') THEN
        RAISE EXCEPTION 'role "%" cannot act as role "%"', session_user, caller
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Leave the caller argument at its default, current_user.';
    END IF;
    IF NOT (pg_has_role(caller, 'otan_enbek_admin', 'USAGE')
            OR EXISTS (SELECT FROM otan_enbek.org_access AS a
                       WHERE a.org_id = org AND pg_has_role(caller, a.role_id, 'USAGE'))) THEN
        RAISE EXCEPTION 'role "%" has no access to organization %', caller, org
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'An administrator assigns organizations with otan_enbek.grant_org_access(role, org_id).';
    END IF;
END
$$;
COMMENT ON FUNCTION otan_enbek.require_org_visible(integer, name) IS
    'Raises insufficient_privilege unless the role (default: current_user) may see the organization';

-- Assigns an organization to a role.  It runs as its owner because
-- otan_enbek_admin may read org_access but not write it, so that every
-- change goes through here and is audited.
CREATE FUNCTION otan_enbek.grant_org_access(role regrole, org integer,
                                            caller name DEFAULT current_user)
    RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    IF role IS NULL OR org IS NULL THEN
        RAISE EXCEPTION 'role and organization must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass a role name and the org_id of a row of otan_enbek.organization.';
    END IF;
    IF NOT EXISTS (SELECT FROM otan_enbek.organization AS o WHERE o.org_id = org) THEN
        RAISE EXCEPTION 'organization % does not exist', org
            USING ERRCODE = 'foreign_key_violation',
                  HINT = 'List the organizations with SELECT org_id, name FROM otan_enbek.organization.';
    END IF;
    IF NOT (pg_has_role(role, 'otan_enbek_operator', 'MEMBER')
            OR pg_has_role(role, 'otan_enbek_reader', 'MEMBER')) THEN
        RAISE EXCEPTION 'role "%" is neither an operator nor a reader of otan_enbek', role
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Organization access limits what otan_enbek_operator and otan_enbek_reader see; other roles have no privileges in the schema.',
                  HINT = format('Run GRANT otan_enbek_operator TO %s (or otan_enbek_reader) first.', role);
    END IF;
    PERFORM otan_enbek.audit_record(org, 'grant_org_access',
                                    jsonb_build_object('role', role::text), caller);
    INSERT INTO otan_enbek.org_access (org_id, role_id)
    VALUES (org, role)
    ON CONFLICT DO NOTHING;
END
$$;
COMMENT ON FUNCTION otan_enbek.grant_org_access(regrole, integer, name) IS
    'Lets the role and its members see and work on the organization''s rows; audited; for otan_enbek_admin';

CREATE FUNCTION otan_enbek.revoke_org_access(role regrole, org integer,
                                             caller name DEFAULT current_user)
    RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    removed integer;
BEGIN
    IF role IS NULL OR org IS NULL THEN
        RAISE EXCEPTION 'role and organization must not be null'
            USING ERRCODE = 'null_value_not_allowed',
                  HINT = 'Pass a role name and an org_id; SELECT org_id, role_id::regrole FROM otan_enbek.org_access lists the assignments.';
    END IF;
    PERFORM otan_enbek.audit_record(org, 'revoke_org_access',
                                    jsonb_build_object('role', role::text), caller);
    DELETE FROM otan_enbek.org_access AS a WHERE a.org_id = org AND a.role_id = role;
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed > 0;
END
$$;
COMMENT ON FUNCTION otan_enbek.revoke_org_access(regrole, integer, name) IS
    'Takes the organization away from the role; returns false when it was not assigned; audited; for otan_enbek_admin';
-- Views for otan_enbek_reader: the reports, with IINs masked by mask_iin
-- (the first six digits, the birth date, hidden), without raw event
-- records, signed documents or file paths.  The views run with their
-- owner's privileges, so a reader needs no privilege on the tables behind
-- them.  The owner is not subject to row-level security, so each view
-- filters by organization itself, with the predicate of the policies.
-- security_barrier keeps a caller's own functions from seeing rows before
-- that filter.

CREATE VIEW otan_enbek.reader_employee WITH (security_barrier) AS
SELECT e.org_id, e.employee_id,
       otan_enbek.mask_iin(e.iin) AS iin_masked,
       e.last_name, e.first_name, e.middle_name,
       d.name AS department, e.position, e.personnel_no,
       e.contract_start, e.contract_end, e.dismissed_on
FROM otan_enbek.employee AS e
LEFT JOIN otan_enbek.department AS d
       ON d.org_id = e.org_id AND d.department_id = e.department_id
WHERE (SELECT otan_enbek.sees_every_org())
   OR e.org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]);
COMMENT ON VIEW otan_enbek.reader_employee IS
    'Employees of the organizations the caller may see, with the IIN masked';
COMMENT ON COLUMN otan_enbek.reader_employee.iin_masked IS
    'IIN with its first six digits (the birth date) replaced by asterisks';

CREATE VIEW otan_enbek.reader_attendance_day WITH (security_barrier) AS
SELECT a.org_id, a.employee_id,
       otan_enbek.mask_iin(e.iin) AS iin_masked,
       e.last_name, e.first_name, e.middle_name,
       a.work_day, a.day_kind, a.is_final, a.shift_start, a.shift_end,
       a.first_in, a.last_out, a.present_sec, a.worked_sec, a.late_sec,
       a.early_leave_sec, a.early_arrival_sec, a.overtime_sec, a.night_sec,
       a.punch_count, a.anomalies, a.computed_at
FROM otan_enbek.attendance_day AS a
JOIN otan_enbek.employee AS e ON e.org_id = a.org_id AND e.employee_id = a.employee_id
WHERE (SELECT otan_enbek.sees_every_org())
   OR a.org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]);
COMMENT ON VIEW otan_enbek.reader_attendance_day IS
    'Working time per employee and work day of the organizations the caller may see, with the IIN masked and without the events behind it';
COMMENT ON COLUMN otan_enbek.reader_attendance_day.iin_masked IS
    'IIN with its first six digits (the birth date) replaced by asterisks';

CREATE VIEW otan_enbek.reader_timesheet WITH (security_barrier) AS
SELECT t.org_id, t.timesheet_id, t.month, t.version, t.status,
       t.working_days, t.norm_hours, t.employee_count, t.built_at
FROM otan_enbek.timesheet AS t
WHERE (SELECT otan_enbek.sees_every_org())
   OR t.org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]);
COMMENT ON VIEW otan_enbek.reader_timesheet IS
    'Timesheets of the organizations the caller may see';

CREATE VIEW otan_enbek.reader_timesheet_line WITH (security_barrier) AS
SELECT l.org_id, l.timesheet_id, t.month, t.version, l.employee_id, l.line_no,
       otan_enbek.mask_iin(l.iin) AS iin_masked,
       l.full_name, l.department, l.position, l.personnel_no, l.contract_id,
       l.day_codes, l.day_hours, l.days_worked, l.hours_worked,
       l.overtime_hours, l.night_hours, l.holiday_hours, l.days_off,
       l.absence_days, l.norm_hours
FROM otan_enbek.timesheet_line AS l
JOIN otan_enbek.timesheet AS t ON t.org_id = l.org_id AND t.timesheet_id = l.timesheet_id
WHERE (SELECT otan_enbek.sees_every_org())
   OR l.org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]);
COMMENT ON VIEW otan_enbek.reader_timesheet_line IS
    'Timesheet lines of the organizations the caller may see, with the IIN masked';
COMMENT ON COLUMN otan_enbek.reader_timesheet_line.iin_masked IS
    'IIN with its first six digits (the birth date) replaced by asterisks';

-- Enbek's messages are left out because an error message may name an
-- employee's IIN in full.  The view reads the tables, not
-- submission_overview, because that view checks privileges as the caller.
CREATE VIEW otan_enbek.reader_submission WITH (security_barrier) AS
SELECT s.org_id, s.submission_id, s.timesheet_id, s.part_no, s.part_count,
       t.month, t.version, s.status, s.attempts, s.next_attempt_at,
       s.last_attempt_at, s.response_code, s.created_at, s.finished_at,
       e.kind AS last_event, e.at AS last_event_at,
       e.http_status AS last_http_status, e.code AS last_code,
       (SELECT count(*) FROM otan_enbek.submission_reason AS r
        WHERE r.org_id = s.org_id AND r.submission_id = s.submission_id) AS reasons
FROM otan_enbek.submission AS s
JOIN otan_enbek.timesheet AS t ON t.org_id = s.org_id AND t.timesheet_id = s.timesheet_id
LEFT JOIN LATERAL (
    SELECT ev.kind, ev.at, ev.http_status, ev.code
    FROM otan_enbek.submission_event AS ev
    WHERE ev.org_id = s.org_id AND ev.submission_id = s.submission_id
    ORDER BY ev.event_no DESC
    LIMIT 1) AS e ON true
WHERE (SELECT otan_enbek.sees_every_org())
   OR s.org_id = ANY ((SELECT otan_enbek.visible_org_ids())::integer[]);
COMMENT ON VIEW otan_enbek.reader_submission IS
    'Delivery state of the submissions of the organizations the caller may see, without documents and without Enbek''s messages';
COMMENT ON COLUMN otan_enbek.reader_submission.reasons IS
    'Number of reasons Enbek gave for returning the document';
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
-- The administrator's audited functions: personal data in full and the
-- facts of the signing key.  Each call adds a row to audit_log.

CREATE FUNCTION otan_enbek.employee_personal_data(org integer)
    RETURNS TABLE (org_id integer, employee_id integer, iin text,
                   last_name text, first_name text, middle_name text,
                   "position" text, personnel_no text, contract_id text,
                   contract_start date, contract_end date, dismissed_on date)
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    employee_count bigint;
BEGIN
    PERFORM otan_enbek.require_org_visible(org);
    SELECT count(*) INTO employee_count FROM otan_enbek.employee AS e WHERE e.org_id = org;
    PERFORM otan_enbek.audit_record(org, 'employee_personal_data',
                                    jsonb_build_object('employees', employee_count));
    RETURN QUERY
    SELECT e.org_id, e.employee_id, e.iin::text, e.last_name, e.first_name,
           e.middle_name, e.position, e.personnel_no, e.contract_id,
           e.contract_start, e.contract_end, e.dismissed_on
    FROM otan_enbek.employee AS e
    WHERE e.org_id = org
    ORDER BY e.employee_id;
END
$$;
COMMENT ON FUNCTION otan_enbek.employee_personal_data(integer) IS
    'Returns the employees of an organization with their full IIN and names, and records the read in audit_log; for otan_enbek_admin';

-- Describes the configured signing key for an organization.  It runs as
-- its owner because check_signing_key, which reads the key file with the
-- key password, is for superusers.  Only the certificate's facts come
-- back, not the key file's path.
CREATE FUNCTION otan_enbek.describe_signing_key(org integer,
                                                caller name DEFAULT current_user,
        OUT subject text, OUT issuer text, OUT bin text, OUT serial text,
        OUT not_before timestamptz, OUT not_after timestamptz,
        OUT key_algorithm text, OUT key_bits integer,
        OUT key_usage text[], OUT extended_key_usage text[],
        OUT fingerprint text, OUT trusted boolean)
    RETURNS record
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS $$
BEGIN
    PERFORM otan_enbek.require_org_visible(org, caller);
    IF NOT pg_has_role(caller, 'otan_enbek_admin', 'USAGE') THEN
        RAISE EXCEPTION 'role "%" may not describe the signing key', caller
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Run it as a member of otan_enbek_admin and leave the caller argument at its default.';
    END IF;
    PERFORM otan_enbek.audit_record(org, 'describe_signing_key', '{}', caller);
    SELECT k.subject, k.issuer, k.bin, k.serial, k.not_before, k.not_after,
           k.key_algorithm, k.key_bits, k.key_usage, k.extended_key_usage,
           k.fingerprint, k.trusted
      INTO subject, issuer, bin, serial, not_before, not_after,
           key_algorithm, key_bits, key_usage, extended_key_usage,
           fingerprint, trusted
    FROM otan_enbek.check_signing_key(org) AS k;
END
$$;
COMMENT ON FUNCTION otan_enbek.describe_signing_key(integer, name) IS
    'Checks the configured signing key for the organization and describes its certificate, as check_signing_key does without a key_file; audited; for otan_enbek_admin';
-- Privileges of the extension's roles.  This part runs last, so that it
-- covers every object the parts before it create:
--   * PUBLIC keeps no privilege on the schema or on any table, sequence or
--     function of it;
--   * every table with an org_id column gets row-level security by
--     organization (protect_org_table), also tables of parts that grant
--     nothing themselves;
--   * each role gets exactly the grants listed below.
-- A part added later that creates objects for the roles adds its grants
-- here.

-- ensure_event_partitions creates tables in the schema, which only its
-- owner may do, and an operator's ingest calls it.
-- TODO: an operator may call it directly and create empty partitions for
-- any month of the years 1 to 9999.
ALTER FUNCTION otan_enbek.ensure_event_partitions(timestamptz, timestamptz)
    SECURITY DEFINER;

-- The views of 1.0 read their tables with the caller's privileges, so that
-- row-level security applies to an operator reading them.
ALTER VIEW otan_enbek.submission_overview SET (security_invoker = true);
ALTER VIEW otan_enbek.unmatched_credential SET (security_invoker = true);

DO $rls$
DECLARE
    tab regclass;
BEGIN
    FOR tab IN
        SELECT c.oid::regclass
        FROM pg_catalog.pg_class AS c
        JOIN pg_catalog.pg_attribute AS a
          ON a.attrelid = c.oid AND a.attname = 'org_id' AND NOT a.attisdropped
        WHERE c.relnamespace = 'otan_enbek'::regnamespace
          AND c.relkind IN ('r', 'p')
          AND NOT c.relispartition
          AND c.oid <> 'otan_enbek.org_access'::regclass
        ORDER BY c.relname
    LOOP
        PERFORM otan_enbek.protect_org_table(tab);
    END LOOP;
END
$rls$;

REVOKE ALL ON ALL TABLES IN SCHEMA otan_enbek FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA otan_enbek FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA otan_enbek FROM PUBLIC;

-- Types keep the default USAGE for PUBLIC: pg_dump 15 warns about every
-- type whose privileges an extension script changed ("unsupported
-- pg_init_privs entry"), and without USAGE on the schema PUBLIC cannot
-- name them.

GRANT USAGE ON SCHEMA otan_enbek
    TO otan_enbek_admin, otan_enbek_operator, otan_enbek_reader;

-- Every role: the pure checks that the tables' constraints call, IIN
-- masking and the organization predicate of the policies and views.
GRANT EXECUTE ON FUNCTION
    otan_enbek.iin_check(text),
    otan_enbek.bin_check(text),
    otan_enbek.is_valid_iin(text),
    otan_enbek.is_valid_bin(text),
    otan_enbek.mask_iin(text),
    otan_enbek.time_zone_check(text),
    otan_enbek.sees_every_org(),
    otan_enbek.visible_org_ids()
    TO otan_enbek_admin, otan_enbek_operator, otan_enbek_reader;

-- visible_org_ids reads org_access with the caller's privileges; its policy
-- shows each role its own assignments.
GRANT SELECT ON otan_enbek.org_access
    TO otan_enbek_admin, otan_enbek_operator, otan_enbek_reader;

-- Reader: the reports, with IINs masked.
GRANT SELECT ON
    otan_enbek.reader_employee,
    otan_enbek.reader_attendance_day,
    otan_enbek.reader_timesheet,
    otan_enbek.reader_timesheet_line,
    otan_enbek.reader_submission
    TO otan_enbek_admin, otan_enbek_operator, otan_enbek_reader;

-- Operator: reads the data of its organizations and runs ingest,
-- attendance, timesheets and submission.  It changes no reference data,
-- no organization settings, and no key or endpoint, which are server
-- settings that only a superuser may change.
GRANT SELECT ON
    otan_enbek.organization,
    otan_enbek.department,
    otan_enbek.work_schedule,
    otan_enbek.work_schedule_rule,
    otan_enbek.employee,
    otan_enbek.source,
    otan_enbek.credential,
    otan_enbek.access_point,
    otan_enbek.employee_schedule,
    otan_enbek.calendar_day,
    otan_enbek.org_calendar_day,
    otan_enbek.absence,
    otan_enbek.ingest_batch,
    otan_enbek.ingest_reject,
    otan_enbek.skud_event,
    otan_enbek.attendance_day,
    otan_enbek.timesheet,
    otan_enbek.timesheet_line,
    otan_enbek.submission,
    otan_enbek.submission_event,
    otan_enbek.submission_reason,
    otan_enbek.notification,
    otan_enbek.submission_overview,
    otan_enbek.unmatched_credential
    TO otan_enbek_operator;
GRANT INSERT ON otan_enbek.ingest_batch TO otan_enbek_operator;
GRANT UPDATE (read_count, inserted_count, duplicate_count, rejected_count,
              unknown_credential_count, non_attendance_count, finished_at)
    ON otan_enbek.ingest_batch TO otan_enbek_operator;
GRANT INSERT ON otan_enbek.ingest_reject TO otan_enbek_operator;
GRANT INSERT ON otan_enbek.skud_event TO otan_enbek_operator;
-- Only the assignment to an employee changes after ingest.
GRANT UPDATE (employee_id) ON otan_enbek.skud_event TO otan_enbek_operator;
GRANT USAGE ON SEQUENCE otan_enbek.skud_event_event_id_seq TO otan_enbek_operator;
GRANT INSERT, UPDATE, DELETE ON otan_enbek.attendance_day TO otan_enbek_operator;
-- TODO: build_timesheet and submit_timesheet run with the operator's
-- privileges and set the status, so an operator may also set a status,
-- such as accepted, by hand.
GRANT INSERT, UPDATE ON otan_enbek.timesheet TO otan_enbek_operator;
GRANT INSERT, UPDATE, DELETE ON otan_enbek.timesheet_line TO otan_enbek_operator;
GRANT INSERT ON otan_enbek.submission TO otan_enbek_operator;
GRANT INSERT ON otan_enbek.submission_event TO otan_enbek_operator;

GRANT EXECUTE ON FUNCTION
    otan_enbek.calendar_missing_years(date, date),
    otan_enbek.ensure_event_partitions(timestamptz, timestamptz),
    otan_enbek.reassign_credential_events(integer[], text[], text[]),
    otan_enbek.resolve_credentials(integer),
    otan_enbek.parse_events(text, text),
    otan_enbek.parse_events(text, bytea),
    otan_enbek.event_months(text, bytea, text, timestamptz, timestamptz),
    otan_enbek.invalid_utf8_offset(bytea),
    otan_enbek.invalid_utf8_reason(bytea),
    otan_enbek.ingest_bytes(integer, text, bytea, text),
    otan_enbek.ingest(integer, text, text),
    otan_enbek.attendance_plan(date, date, timestamptz, integer,
                               otan_enbek.attendance_plan_day[],
                               otan_enbek.attendance_plan_shift[]),
    otan_enbek.attendance_days(bytea, date, date, timestamptz, text, bigint),
    otan_enbek.attendance_plans(integer, date, date, timestamptz),
    otan_enbek.compute_attendance(integer, date, date),
    otan_enbek.attendance_final_at(integer, date),
    otan_enbek.absence_code(text),
    otan_enbek.build_timesheet(integer, date),
    otan_enbek.iso8601_local(timestamptz, text),
    otan_enbek.timesheet_document_v1(integer, uuid, integer, integer, int4range),
    otan_enbek.sign_timesheet(integer),
    otan_enbek.submit_timesheet(integer),
    otan_enbek.wake_delivery(),
    otan_enbek.delivery_worker_info(),
    otan_enbek.delivery_status(),
    otan_enbek.delivery_retry_delay(integer, integer)
    TO otan_enbek_operator, otan_enbek_admin;

-- Admin: every table and function of the operator, the reference data and
-- organization settings, the audited functions, organization access and
-- retention.  audit_log and org_access are read-only, so that every entry
-- and every change of access goes through the audited functions.  Not
-- granted: ingest_file and check_signing_key (they read files on the
-- server: superusers only), build_envelope (its result contains the sender
-- password) and the delivery worker's own functions.
GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER
    ON ALL TABLES IN SCHEMA otan_enbek TO otan_enbek_admin;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER
    ON otan_enbek.audit_log, otan_enbek.org_access FROM otan_enbek_admin;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA otan_enbek TO otan_enbek_admin;
GRANT EXECUTE ON FUNCTION
    otan_enbek.verify_document(text),
    otan_enbek.require_org_visible(integer, name),
    otan_enbek.audit_record(integer, text, jsonb, name),
    otan_enbek.grant_org_access(regrole, integer, name),
    otan_enbek.revoke_org_access(regrole, integer, name),
    otan_enbek.timesheet_event_ranges(),
    otan_enbek.retention_event_plan(),
    otan_enbek.purge_expired(boolean, name),
    otan_enbek.employee_personal_data(integer),
    otan_enbek.describe_signing_key(integer, name)
    TO otan_enbek_admin;
