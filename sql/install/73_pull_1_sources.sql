-- Network pull sources: a Hikvision ISAPI device or a JSON REST service
-- from which the pull job requests new events, each with its own interval,
-- credentials, cursor and backoff.

CREATE TABLE otan_enbek.source_pull (
    org_id          integer NOT NULL,
    source_id       integer NOT NULL UNIQUE,
    protocol        text NOT NULL CHECK (protocol IN ('hikvision_isapi', 'rest')),
    url             text NOT NULL
                    CHECK (url ~* '^https?://[^/?#@[:space:]]+([/?][^[:space:]]*)?$'
                           AND octet_length(url) <= 2000),
    pull_interval   interval CHECK (pull_interval >= interval '1 second'),
    settings        jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    enabled         boolean NOT NULL DEFAULT true,
    PRIMARY KEY (org_id, source_id),
    FOREIGN KEY (org_id, source_id) REFERENCES otan_enbek.source ON DELETE CASCADE
);
COMMENT ON TABLE otan_enbek.source_pull IS
    'Sources whose events the pull job requests over HTTP: a Hikvision ISAPI device (AcsEvent search) or a JSON REST service';
COMMENT ON COLUMN otan_enbek.source_pull.protocol IS
    'hikvision_isapi: POST <url>/ISAPI/AccessControl/AcsEvent?format=json with digest authentication; rest: GET <url> with the paging and field mapping of settings';
COMMENT ON COLUMN otan_enbek.source_pull.url IS
    'http:// or https:// address of the device or the service, without user name or password (those are in source_pull_secret)';
COMMENT ON COLUMN otan_enbek.source_pull.pull_interval IS
    'Time between two pulls of the source; NULL: every run of the organization''s pull job, scheduled or by hand, and never by the worker alone';
COMMENT ON COLUMN otan_enbek.source_pull.settings IS
    'Paging, field mapping and timeouts as a JSON object; README.md lists the keys of each protocol';

-- Credentials, readable by superusers and the owner of the extension only.
-- 91_secret_tables.sql revokes the schema-wide grants of the roles on this
-- table.  Row-level security without any policy also hides every row from
-- any other role that is given rights on it, and superusers and the owner
-- bypass it.
CREATE TABLE otan_enbek.source_pull_secret (
    source_id       integer PRIMARY KEY
                    REFERENCES otan_enbek.source_pull (source_id) ON DELETE CASCADE,
    username        text,
    password        text,
    ca_file         text CHECK (ca_file ~ '^/')
);
ALTER TABLE otan_enbek.source_pull_secret ENABLE ROW LEVEL SECURITY;
COMMENT ON TABLE otan_enbek.source_pull_secret IS
    'User name, password and CA file of each pull source; row-level security without a policy hides the rows from every role but superusers and the owner';
COMMENT ON COLUMN otan_enbek.source_pull_secret.ca_file IS
    'File of CA certificates on the database server that verify an https:// source; NULL uses the system''s store';

-- The state of every source that the pull job reads, drop folders
-- included.  The pull writes it in the transaction that stores the
-- source's events, so the cursor never moves past events that were not
-- committed.
CREATE TABLE otan_enbek.source_pull_state (
    org_id          integer NOT NULL,
    source_id       integer NOT NULL UNIQUE,
    cursor          jsonb,
    next_pull_at    timestamptz,
    failures        integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_pull_at    timestamptz,
    last_success_at timestamptz,
    last_counts     jsonb,
    last_error      text,
    last_error_at   timestamptz,
    PRIMARY KEY (org_id, source_id),
    FOREIGN KEY (org_id, source_id) REFERENCES otan_enbek.source ON DELETE CASCADE
);
COMMENT ON TABLE otan_enbek.source_pull_state IS
    'Cursor, next pull time and last outcome of each source read by the pull job';
COMMENT ON COLUMN otan_enbek.source_pull_state.cursor IS
    'Where the next pull continues: for Hikvision the time and serialNo of the newest event stored, for REST the service''s cursor or the time of the newest event';
COMMENT ON COLUMN otan_enbek.source_pull_state.next_pull_at IS
    'Earliest time of the next pull: the interval after a success, the backoff after a failure; NULL: at the next run';
COMMENT ON COLUMN otan_enbek.source_pull_state.failures IS
    'Failed pulls in a row; each one doubles the backoff';
COMMENT ON COLUMN otan_enbek.source_pull_state.last_error IS
    'Error of the last failed pull; cleared by the next success';

-- The worker's runs are recorded with the trigger "worker".
ALTER TABLE otan_enbek.job_run DROP CONSTRAINT job_run_trigger_check;
ALTER TABLE otan_enbek.job_run ADD CONSTRAINT job_run_trigger_check
    CHECK (trigger IN ('manual', 'schedule', 'worker'));
COMMENT ON COLUMN otan_enbek.job_run.trigger IS
    'manual: started by a call in a session; schedule: started by a pg_cron job of set_schedule; worker: a pull started by the background worker for a source whose interval had passed';

-- Stores the credentials of a pull source, replacing earlier ones.  A
-- source that failed is due at once, because new credentials are usually
-- the fix, and waiting out its backoff would only delay the check.
CREATE FUNCTION otan_enbek.set_source_credentials(source_id integer, username text,
                                                  password text, ca_file text DEFAULT NULL)
    RETURNS void
    LANGUAGE sql
    SET search_path = pg_catalog, pg_temp
    AS $$
    INSERT INTO otan_enbek.source_pull_secret AS s (source_id, username, password, ca_file)
    VALUES ($1, $2, $3, $4)
    ON CONFLICT (source_id) DO UPDATE
    SET username = excluded.username, password = excluded.password, ca_file = excluded.ca_file;
    UPDATE otan_enbek.source_pull_state AS st
    SET next_pull_at = NULL
    WHERE st.source_id = $1 AND st.failures > 0;
$$;
REVOKE EXECUTE ON FUNCTION otan_enbek.set_source_credentials(integer, text, text, text)
    FROM PUBLIC;
COMMENT ON FUNCTION otan_enbek.set_source_credentials(integer, text, text, text) IS
    'Stores the user name, password and CA file of a pull source (superusers only), and makes a source that failed due at once';

-- The state of each source with its settings, without credentials.
CREATE VIEW otan_enbek.source_pull_status WITH (security_invoker = true) AS
SELECT s.org_id, s.source_id, s.name,
       CASE WHEN p.source_id IS NOT NULL THEN p.protocol
            WHEN s.drop_dir IS NOT NULL THEN 'drop_folder' END AS protocol,
       p.url, p.pull_interval, coalesce(p.enabled, true) AS enabled,
       st.cursor, st.next_pull_at, st.failures, st.last_pull_at, st.last_success_at,
       st.last_counts, st.last_error, st.last_error_at
FROM otan_enbek.source s
LEFT JOIN otan_enbek.source_pull p ON p.source_id = s.source_id
LEFT JOIN otan_enbek.source_pull_state st ON st.source_id = s.source_id
WHERE p.source_id IS NOT NULL OR s.drop_dir IS NOT NULL;
COMMENT ON VIEW otan_enbek.source_pull_status IS
    'Each source that the pull job reads, with its cursor, next pull time, failures in a row and last error';

-- Row-level security by organization comes from the loop over every table
-- with an org_id column in 90_privileges.sql.
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.source_pull', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.source_pull_secret', '');
SELECT pg_catalog.pg_extension_config_dump('otan_enbek.source_pull_state', '');

GRANT ALL ON otan_enbek.source_pull TO otan_enbek_admin;
GRANT SELECT ON otan_enbek.source_pull TO otan_enbek_operator;
GRANT ALL ON otan_enbek.source_pull_state TO otan_enbek_admin;
GRANT SELECT ON otan_enbek.source_pull_state TO otan_enbek_operator;
GRANT SELECT ON otan_enbek.source_pull_status TO otan_enbek_admin, otan_enbek_operator;
