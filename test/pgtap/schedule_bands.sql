-- The bands of a flexible schedule hold its daily norm and core hours.
-- The check runs at commit, and SET CONSTRAINTS makes it run at each statement.
BEGIN;
SELECT plan(8);

SET LOCAL client_min_messages = warning;
SET CONSTRAINTS ALL IMMEDIATE;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4961, '090440004697', 'Bands');
SELECT lives_ok(
    $$INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, kind, daily_norm_min,
              core_start, core_end)
      VALUES (4961, 1, 'Flexible 8 h', 'flexible', 480, '10:00', '16:00'),
             (4961, 2, 'Flexible night', 'flexible', 420, '23:00', '01:00');
      INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
              end_time)
      VALUES (4961, 1, 1, '08:00', '19:00'), (4961, 2, 1, '22:00', '06:00')$$,
    'bands that hold the norm and the core hours are stored');

SELECT throws_like(
    $$INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
              end_time)
      VALUES (4961, 1, 2, '09:00', '16:00')$$,
    'band 09:00:00 to 16:00:00 of flexible schedule "Flexible 8 h" (day 2, part 1) is invalid: daily_norm_min 480 is longer than the band of 420 minutes',
    'a band shorter than the norm is rejected');
SELECT throws_like(
    $$INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
              end_time)
      VALUES (4961, 1, 3, '11:00', '20:00')$$,
    '%(day 3, part 1) is invalid: core hours 10:00:00 to 16:00:00 do not lie within the band',
    'core hours that start before the band are rejected');
SELECT throws_like(
    $$INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
              end_time)
      VALUES (4961, 1, 4, '07:00', '15:30')$$,
    '%(day 4, part 1) is invalid: core hours 10:00:00 to 16:00:00 do not lie within the band',
    'core hours that end after the band are rejected');
SELECT throws_like(
    $$UPDATE otan_enbek.work_schedule SET daily_norm_min = 720
      WHERE org_id = 4961 AND schedule_id = 1$$,
    '%"Flexible 8 h" (day 1, part 1) is invalid: daily_norm_min 720 is longer than the band of 660 minutes',
    'a norm raised beyond a band is rejected');
SELECT throws_like(
    $$UPDATE otan_enbek.work_schedule SET core_start = '21:00'
      WHERE org_id = 4961 AND schedule_id = 2$$,
    '%"Flexible night" (day 1, part 1) is invalid: core hours 21:00:00 to 01:00:00 do not lie within the band',
    'night core hours before the band are rejected');

SELECT is(otan_enbek.schedule_band_problem(480, NULL, NULL, '08:00', '16:00'), NULL,
          'a band as long as the norm is valid');
SELECT is(otan_enbek.schedule_band_problem(60, NULL, NULL, '23:30', '00:30'), NULL,
          'a band across midnight counts the next day');

SELECT * FROM finish();
ROLLBACK;
