-- No role of the extension can read key material, key passwords or the
-- credentials of the signers: not the reader, not the operator, and not
-- the administrator, who gets the facts of the certificate through
-- describe_signing_key and nothing more.  Each check runs as a login role
-- that is granted one of the roles.
BEGIN;
SELECT plan(56);

CREATE ROLE otan_tap_secret_admin LOGIN IN ROLE otan_enbek_admin;
CREATE ROLE otan_tap_secret_operator LOGIN IN ROLE otan_enbek_operator;
CREATE ROLE otan_tap_secret_reader LOGIN IN ROLE otan_enbek_reader;

-- Tells whether current_setting(setting) fails with insufficient_privilege
-- for the role.
CREATE FUNCTION pg_temp.setting_denied(role name, setting text) RETURNS boolean
    LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('SET LOCAL ROLE %I', role);
    PERFORM current_setting(setting);
    RESET ROLE;
    RETURN false;
EXCEPTION WHEN insufficient_privilege THEN
    RESET ROLE;
    RETURN true;
END
$$;

-- Returns the number of pg_settings rows visible to the role for the setting.
CREATE FUNCTION pg_temp.settings_rows(role name, setting_name text) RETURNS bigint
    LANGUAGE plpgsql AS $$
DECLARE
    result bigint;
BEGIN
    EXECUTE format('SET LOCAL ROLE %I', role);
    SELECT count(*) INTO result FROM pg_settings AS s WHERE s.name = setting_name;
    RESET ROLE;
    RETURN result;
END
$$;

-- The secret settings: the passwords, the signer's token, and the places
-- of the key (its file and the signer's URL, which may carry a password).
CREATE TEMP TABLE secret_setting (name text);
INSERT INTO secret_setting
VALUES ('otan_enbek.signing_key_password'), ('otan_enbek.sender_password'),
       ('otan_enbek.external_signer_token'), ('otan_enbek.signing_key_file'),
       ('otan_enbek.external_signer_url');
CREATE TEMP TABLE tap_role (name name);
INSERT INTO tap_role
VALUES ('otan_tap_secret_admin'), ('otan_tap_secret_operator'), ('otan_tap_secret_reader');
GRANT SELECT ON secret_setting, tap_role TO PUBLIC;

SELECT ok(pg_temp.setting_denied(r.name, s.name),
          format('%s cannot read %s', r.name, s.name))
FROM tap_role AS r, secret_setting AS s
ORDER BY r.name, s.name;

SELECT is(pg_temp.settings_rows(r.name, s.name), 0::bigint,
          format('pg_settings has no %s row for %s', s.name, r.name))
FROM tap_role AS r, secret_setting AS s
ORDER BY r.name, s.name;

-- SHOW of a password displays asterisks even for a superuser, so only the
-- setting's presence can leak through it.
SELECT ok(current_setting('otan_enbek.external_signer_token') IN ('', '********'),
          'SHOW displays the token as asterisks');

-- The predefined roles that read files or all settings.
SELECT ok(NOT pg_has_role(r.name, p.name, 'MEMBER'),
          format('%s is not a member of %s', r.name, p.name))
FROM tap_role AS r,
     (VALUES ('pg_read_server_files'), ('pg_read_all_settings'),
             ('pg_execute_server_program')) AS p(name)
ORDER BY r.name, p.name;

-- The functions that read a key file with its password, read any file, or
-- return the sender password.  sign_timesheet is granted to the operator
-- and the administrator: it returns signed documents, not the key.
SELECT ok(NOT has_function_privilege(r.name, f.signature, 'EXECUTE'),
          format('%s cannot execute %s', r.name, f.signature))
FROM tap_role AS r,
     (VALUES ('otan_enbek.check_signing_key(integer, text)'),
             ('pg_read_file(text)'),
             ('otan_enbek.build_envelope(text, text, timestamp with time zone, text, text, text)'),
             ('pg_read_binary_file(text)')) AS f(signature)
ORDER BY r.name, f.signature;

-- No column of the extension that a role may read contains a secret.
SELECT is((SELECT count(*)
           FROM pg_attribute AS a
           JOIN pg_class AS c ON c.oid = a.attrelid
           WHERE c.relnamespace = 'otan_enbek'::regnamespace
             AND a.attnum > 0 AND NOT a.attisdropped
             AND a.attname ~ '(password|private_key|secret|token|key_file)'
             AND has_column_privilege(r.name, c.oid, a.attnum, 'SELECT')),
          0::bigint,
          format('%s can read no column that holds a secret', r.name))
FROM tap_role AS r
ORDER BY r.name;

-- describe_signing_key returns no path, password or key.
SELECT is((SELECT count(*)
           FROM unnest(proargnames) AS n
           WHERE n ~ '(password|private|secret|token|file|path)'),
          0::bigint, 'describe_signing_key returns no path, password or key')
FROM pg_proc
WHERE oid = 'otan_enbek.describe_signing_key(integer, name)'::regprocedure;

SELECT * FROM finish();
ROLLBACK;
