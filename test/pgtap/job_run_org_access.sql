-- job_run_start and job_run_finish run as their owner and are granted to
-- operators.  An operator's session can neither write a run into the log
-- of an organization it does not see nor finish the run of another user.
-- The checks use session_user, so these cases run under SET SESSION
-- AUTHORIZATION of a login operator.
BEGIN;
SELECT plan(8);
SET LOCAL client_min_messages = warning;

CREATE ROLE otan_tap_run_operator LOGIN IN ROLE otan_enbek_operator;
CREATE ROLE otan_tap_run_other LOGIN IN ROLE otan_enbek_operator;
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (7401, '050440000012', 'School 74'), (7402, '090440004210', 'School 74a');
SELECT otan_enbek.grant_org_access('otan_tap_run_operator', 7401);
SELECT otan_enbek.grant_org_access('otan_tap_run_other', 7402);

-- Runs a statement with session_user set to a role and returns its first
-- column as text, or ERROR, the SQLSTATE and the message.
CREATE FUNCTION pg_temp.as_session(role text, query text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    result text;
BEGIN
    BEGIN
        PERFORM set_config('session_authorization', role, true);
        EXECUTE query INTO result;
        PERFORM set_config('session_authorization', 'postgres', true);
        RETURN result;
    EXCEPTION WHEN OTHERS THEN
        RETURN 'ERROR ' || SQLSTATE || ' ' || SQLERRM;
    END;
END
$$;

SELECT is(pg_temp.as_session('otan_tap_run_operator', 'SELECT session_user::text'),
          'otan_tap_run_operator', 'the helper changes session_user');
SELECT is(pg_temp.as_session('otan_tap_run_operator',
              $$SELECT otan_enbek.job_run_start('attendance', 7402, NULL, NULL, '{}', 'manual')::text$$),
          'ERROR 42501 role "otan_tap_run_operator" has no access to organization 7402',
          'an operator cannot start a run of another organization');
SELECT is((SELECT count(*) FROM otan_enbek.job_run WHERE org_id = 7402), 0::bigint,
          'the other organization has no run');
SELECT isnt(pg_temp.as_session('otan_tap_run_operator',
                $$SELECT otan_enbek.job_run_start('attendance', 7401, NULL, NULL, '{}', 'manual')::text$$),
            NULL, 'an operator starts a run of its organization');

-- A running run of the other operator.
SELECT pg_temp.as_session('otan_tap_run_other',
           $$SELECT otan_enbek.job_run_start('attendance', 7402, NULL, NULL, '{}', 'manual')::text$$)
    AS other_run \gset
SELECT is(pg_temp.as_session('otan_tap_run_operator',
              format($$SELECT (otan_enbek.job_run_finish(%s, '{}', 'XX000', 'forged', NULL, NULL,
                                                          NULL)).status$$, :other_run)),
          NULL, 'an operator cannot finish the run of another user');
SELECT is((SELECT status FROM otan_enbek.job_run WHERE run_id = :other_run), 'running',
          'that run is still running');
SELECT is(pg_temp.as_session('otan_tap_run_other',
              format($$SELECT (otan_enbek.job_run_finish(%s, '{}', NULL, NULL, NULL, NULL,
                                                          NULL)).status$$, :other_run)),
          'succeeded', 'the user who started a run finishes it');
SELECT is((SELECT run_by::text FROM otan_enbek.job_run WHERE run_id = :other_run),
          'otan_tap_run_other', 'the run records its session user');

SELECT * FROM finish();
ROLLBACK;
