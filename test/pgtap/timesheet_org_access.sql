-- Functions called with a timesheet id, or with an organization and a
-- month or timesheet, by an operator who may not see that organization.
-- A timesheet that exists in another organization is reported as
-- "permission denied for timesheet", without naming its organization, and
-- an id that exists nowhere as "does not exist".  A function that takes the
-- organization reports that the role has no access to it, whether or not
-- the organization exists.
BEGIN;
SELECT plan(19);
SET LOCAL client_min_messages = warning;

CREATE ROLE otan_tap_ts_operator IN ROLE otan_enbek_operator;
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (7501, '050440000012', 'School 75'), (7502, '090440004210', 'School 75a');
SELECT otan_enbek.grant_org_access('otan_tap_ts_operator', 7501);
INSERT INTO otan_enbek.timesheet
    (org_id, timesheet_id, month, version, status, working_days, norm_hours)
VALUES (7501, 750100, '2025-11-01', 1, 'submitted', 20, 160),
       (7502, 750200, '2025-11-01', 1, 'built', 20, 160);

-- Runs a query as the operator and returns its SQLSTATE and message, its
-- detail after a second |, or OK when it raised no error.
CREATE FUNCTION pg_temp.error_as_operator(query text) RETURNS text
    LANGUAGE plpgsql AS $$
DECLARE
    message text;
    detail text;
BEGIN
    PERFORM set_config('role', 'otan_tap_ts_operator', true);
    EXECUTE query;
    PERFORM set_config('role', 'none', true);
    RETURN 'OK';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS message = MESSAGE_TEXT, detail = PG_EXCEPTION_DETAIL;
    RETURN SQLSTATE || ' ' || message || ' | ' || detail;
END
$$;

-- Timesheet 750200 of organization 7502, which the operator may not see.
SELECT is(pg_temp.error_as_operator('SELECT * FROM otan_enbek.resubmit(750200)'),
          '42501 permission denied for timesheet 750200 | The timesheet belongs to an organization that role "otan_tap_ts_operator" has no access to.',
          'resubmit: permission denied');
SELECT is(pg_temp.error_as_operator('SELECT * FROM otan_enbek.submit_timesheet(750200)'),
          '42501 permission denied for timesheet 750200 | The timesheet belongs to an organization that role "otan_tap_ts_operator" has no access to.',
          'submit_timesheet: permission denied');
SELECT is(pg_temp.error_as_operator('SELECT * FROM otan_enbek.sign_timesheet(750200)'),
          '42501 permission denied for timesheet 750200 | The timesheet belongs to an organization that role "otan_tap_ts_operator" has no access to.',
          'sign_timesheet: permission denied');
SELECT is(pg_temp.error_as_operator('SELECT * FROM otan_enbek.sign_timesheet_correction(750200)'),
          '42501 permission denied for timesheet 750200 | The timesheet belongs to an organization that role "otan_tap_ts_operator" has no access to.',
          'sign_timesheet_correction: permission denied');
SELECT is(pg_temp.error_as_operator('SELECT otan_enbek.timesheet_html(750200)'),
          '42501 permission denied for timesheet 750200 | The timesheet belongs to an organization that role "otan_tap_ts_operator" has no access to.',
          'timesheet_html by id: permission denied');
SELECT is(pg_temp.error_as_operator('SELECT otan_enbek.timesheet_html(7502, 750200)'),
          '42501 role "otan_tap_ts_operator" has no access to organization 7502 | ',
          'timesheet_html of an organization: no access');
SELECT is(pg_temp.error_as_operator($$SELECT * FROM otan_enbek.resubmit_timesheet(7502, '2025-11-01')$$),
          '42501 role "otan_tap_ts_operator" has no access to organization 7502 | ',
          'resubmit_timesheet: no access');
SELECT is(pg_temp.error_as_operator('SELECT * FROM otan_enbek.cancel_submission(7502, 750200)'),
          '42501 role "otan_tap_ts_operator" has no access to organization 7502 | ',
          'cancel_submission: no access');
SELECT is(pg_temp.error_as_operator($$SELECT * FROM otan_enbek.run_timesheet_submit(7502, '2025-11-01')$$),
          '42501 role "otan_tap_ts_operator" has no access to organization 7502 | ',
          'run_timesheet_submit: no access');
SELECT is((SELECT count(*) FROM otan_enbek.job_run WHERE target->>'org_id' = '7502'), 0::bigint,
          'no run is recorded for the other organization');
SELECT is((SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = 750200), 'built',
          'the other organization''s timesheet is unchanged');

-- An id or an organization that does not exist.
SELECT is(pg_temp.error_as_operator('SELECT * FROM otan_enbek.resubmit(759999)'),
          'P0002 timesheet 759999 does not exist | ',
          'resubmit: a missing id does not exist');
SELECT is(pg_temp.error_as_operator('SELECT * FROM otan_enbek.submit_timesheet(759999)'),
          'P0002 timesheet 759999 does not exist | ',
          'submit_timesheet: a missing id does not exist');
SELECT is(pg_temp.error_as_operator('SELECT * FROM otan_enbek.sign_timesheet(759999)'),
          'P0002 timesheet 759999 does not exist | ',
          'sign_timesheet: a missing id does not exist');
SELECT is(pg_temp.error_as_operator('SELECT otan_enbek.timesheet_html(759999)'),
          'P0002 timesheet 759999 does not exist | ',
          'timesheet_html: a missing id does not exist');
SELECT is(pg_temp.error_as_operator($$SELECT * FROM otan_enbek.resubmit_timesheet(7599, '2025-11-01')$$),
          '42501 role "otan_tap_ts_operator" has no access to organization 7599 | ',
          'resubmit_timesheet: a missing organization reads as no access');

-- The operator's own timesheet passes the access check and fails on its
-- status.
SELECT is(pg_temp.error_as_operator('SELECT * FROM otan_enbek.resubmit(750100)'),
          '55000 timesheet 750100 has already been submitted | Version 1 of 2025-11 has status submitted. Each version is sent once.',
          'resubmit of an own timesheet reaches its status check');
SELECT is(pg_temp.error_as_operator('SELECT otan_enbek.require_timesheet_access(750100)'),
          'OK', 'require_timesheet_access: an own timesheet passes');

-- The superuser may see every organization.
SELECT is(otan_enbek.require_timesheet_access(750200)::text, '',
          'require_timesheet_access: the superuser passes');

SELECT * FROM finish();
ROLLBACK;
