-- A shift starts before 24:00.
BEGIN;
SELECT plan(3);

SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4962, '090440004697', 'Midnight');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES (4962, 1, 'Night');
SELECT throws_like(
    $$INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
              end_time)
      VALUES (4962, 1, 1, '24:00', '08:00')$$,
    '%"work_schedule_rule_start_time_check"%',
    'a shift starting at 24:00 is rejected');
SELECT lives_ok(
    $$INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
              end_time)
      VALUES (4962, 1, 2, '00:00', '08:00'), (4962, 1, 3, '16:00', '24:00')$$,
    'shifts from 00:00 and to 24:00 are stored');
SELECT throws_like(
    $$UPDATE otan_enbek.work_schedule_rule SET start_time = '24:00'
      WHERE org_id = 4962 AND day_no = 2$$,
    '%"work_schedule_rule_start_time_check"%',
    'a shift moved to 24:00 is rejected');

SELECT * FROM finish();
ROLLBACK;
