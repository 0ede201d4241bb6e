-- The stored credentials of a pull source stay with the address they were
-- set for: a change of url, protocol or authentication by a role other
-- than a superuser deletes them.
BEGIN;
SELECT plan(9);

SET LOCAL client_min_messages = error;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4941, '090440004677', 'Pull');
INSERT INTO otan_enbek.source (org_id, source_id, name)
VALUES (4941, 4941, 'Gate'), (4941, 4942, 'Service');
INSERT INTO otan_enbek.source_pull (org_id, source_id, protocol, url)
VALUES (4941, 4941, 'hikvision_isapi', 'http://127.0.0.1:9/'),
       (4941, 4942, 'rest', 'http://127.0.0.1:9/events');
SELECT otan_enbek.set_source_credentials(4941, 'admin', 'device password');
SELECT otan_enbek.set_source_credentials(4942, NULL, 'token');
CREATE ROLE otan_tap_pull_admin;
GRANT otan_enbek_admin TO otan_tap_pull_admin;

CREATE FUNCTION pg_temp.secrets(source integer) RETURNS bigint
LANGUAGE sql AS $$ SELECT count(*) FROM otan_enbek.source_pull_secret WHERE source_id = source $$;

-- A superuser may move a source with its credentials.
UPDATE otan_enbek.source_pull SET url = 'http://127.0.0.1:10/' WHERE source_id = 4941;
SELECT is(pg_temp.secrets(4941), 1::bigint, 'a superuser keeps the credentials');

SET SESSION AUTHORIZATION otan_tap_pull_admin;
UPDATE otan_enbek.source_pull SET pull_interval = '10 minutes' WHERE source_id = 4941;
UPDATE otan_enbek.source_pull SET settings = '{"page_size": 10}' WHERE source_id = 4942;
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.secrets(4941), 1::bigint, 'an interval change keeps the credentials');
SELECT is(pg_temp.secrets(4942), 1::bigint, 'a paging change keeps the credentials');

SET SESSION AUTHORIZATION otan_tap_pull_admin;
UPDATE otan_enbek.source_pull SET url = 'http://127.0.0.1:11/steal' WHERE source_id = 4941;
UPDATE otan_enbek.source_pull SET settings = '{"auth": "basic"}' WHERE source_id = 4942;
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.secrets(4941), 0::bigint, 'a new url by the administrator drops the credentials');
SELECT is(pg_temp.secrets(4942), 0::bigint, 'a new authentication by the administrator drops them');

SELECT otan_enbek.set_source_credentials(4941, 'admin', 'device password');
SET SESSION AUTHORIZATION otan_tap_pull_admin;
UPDATE otan_enbek.source_pull SET protocol = 'rest' WHERE source_id = 4941;
RESET SESSION AUTHORIZATION;
SELECT is(pg_temp.secrets(4941), 0::bigint, 'a new protocol by the administrator drops them');

-- New credentials end the backoff of a source that failed.
INSERT INTO otan_enbek.source_pull_state (org_id, source_id, next_pull_at, failures, last_error)
VALUES (4941, 4941, now() + interval '1 hour', 3, 'HTTP 401: Unauthorized'),
       (4941, 4942, now() + interval '1 hour', 0, NULL);
SELECT otan_enbek.set_source_credentials(4941, 'admin', 'new password');
SELECT otan_enbek.set_source_credentials(4942, NULL, 'new token');
SELECT is((SELECT next_pull_at FROM otan_enbek.source_pull_state WHERE source_id = 4941), NULL,
          'a failed source is due at once with new credentials');
SELECT isnt((SELECT next_pull_at FROM otan_enbek.source_pull_state WHERE source_id = 4942), NULL,
            'a source without failures keeps its interval');

SET SESSION AUTHORIZATION otan_tap_pull_admin;
SELECT throws_ok('SELECT count(*) FROM otan_enbek.source_pull_secret', '42501', NULL,
                 'the administrator cannot read the credentials');
RESET SESSION AUTHORIZATION;

SELECT * FROM finish();
ROLLBACK;
