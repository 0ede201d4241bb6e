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
