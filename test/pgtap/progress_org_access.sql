-- The progress view shows an operator the runs of its organizations only,
-- and an administrator every run.  progress_slots, which lists every run,
-- is for superusers.
BEGIN;
SELECT plan(6);
SET LOCAL client_min_messages = warning;

CREATE ROLE otan_tap_progress_operator IN ROLE otan_enbek_operator;
CREATE ROLE otan_tap_progress_other IN ROLE otan_enbek_operator;
CREATE ROLE otan_tap_progress_admin IN ROLE otan_enbek_admin;
INSERT INTO otan_enbek.organization (org_id, bin, name)
VALUES (8501, '050440000012', 'School 85'), (8502, '090440004210', 'School 85a');
SELECT otan_enbek.grant_org_access('otan_tap_progress_operator', 8501);
SELECT otan_enbek.grant_org_access('otan_tap_progress_other', 8502);

SELECT is(otan_enbek.progress_start('attendance', 8501, 85), true,
          'this session reports a run of organization 8501');
SET LOCAL ROLE otan_tap_progress_operator;
SELECT is((SELECT count(*) FROM otan_enbek.progress WHERE run_id = 85), 1::bigint,
          'an operator of the organization sees the run');
SET LOCAL ROLE otan_tap_progress_other;
SELECT is((SELECT count(*) FROM otan_enbek.progress WHERE run_id = 85), 0::bigint,
          'an operator of another organization does not');
SELECT throws_ok($$SELECT * FROM otan_enbek.progress_slots()$$, '42501', NULL,
                 'an operator cannot list every organization''s slots');
SET LOCAL ROLE otan_tap_progress_admin;
SELECT is((SELECT count(*) FROM otan_enbek.progress WHERE run_id = 85), 1::bigint,
          'an administrator sees the run');
SELECT throws_ok($$SELECT * FROM otan_enbek.progress_slots()$$, '42501', NULL,
                 'an administrator reads progress through the view only');
RESET ROLE;
SELECT otan_enbek.progress_end();

SELECT * FROM finish();
ROLLBACK;
