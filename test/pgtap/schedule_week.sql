-- Reduced weeks: the shifts of a schedule with week_hours below 40 must fit
-- in that many hours a week, checked at the end of the transaction.
BEGIN;
SELECT plan(14);

SET LOCAL client_min_messages = warning;
INSERT INTO otan_enbek.organization (org_id, bin, name) VALUES (4931, '090440004677', 'Reduced');

-- The week figure follows the engine's day norm.
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, kind, week_hours,
        rotation_anchor, rotation_days, break_after_min, break_deduct_min, daily_norm_min)
VALUES (4931, 1, 'Day 09-18', 'weekly', 40, NULL, NULL, NULL, NULL, NULL),
       (4931, 2, 'Night 20-08', 'weekly', 40, NULL, NULL, NULL, NULL, NULL),
       (4931, 3, 'Two on, two off', 'rotation', 40, '2026-01-01', 4, 360, 60, NULL),
       (4931, 4, 'Flexible 7.2 h', 'flexible', 36, NULL, NULL, NULL, NULL, 432);
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time,
        break_start, break_end)
SELECT 4931, 1, d, time '09:00', time '18:00', time '13:00', time '14:00'
FROM generate_series(1, 5) d
UNION ALL
SELECT 4931, 2, d, '20:00', '08:00', NULL, NULL FROM generate_series(1, 4) d
UNION ALL
SELECT 4931, 3, d, '08:00', '20:00', NULL, NULL FROM generate_series(1, 2) d
UNION ALL
SELECT 4931, 4, d, '07:00', '21:00', NULL, NULL FROM generate_series(1, 5) d;

SELECT is(otan_enbek.schedule_week_seconds(4931, 1), 40 * 3600::numeric,
          'five days 09-18 less lunch are 40 hours');
SELECT is(otan_enbek.schedule_week_seconds(4931, 2), 48 * 3600::numeric,
          'a shift ending the next day counts 12 hours');
SELECT is(round(otan_enbek.schedule_week_seconds(4931, 3)), 38.5 * 3600,
          'a rotation is scaled to seven days, less the deducted break');
SELECT is(otan_enbek.schedule_week_seconds(4931, 4), 36 * 3600::numeric,
          'a flexible schedule counts its daily norm');
SELECT is(otan_enbek.schedule_week_seconds(4931, 99), NULL,
          'an unknown schedule has no week');

-- From here every check runs at the end of its statement.
SET CONSTRAINTS otan_enbek.work_schedule_check_week, otan_enbek.work_schedule_rule_check_week
    IMMEDIATE;

SELECT throws_ok($$UPDATE otan_enbek.work_schedule SET week_hours = 36
                   WHERE org_id = 4931 AND schedule_id = 1$$,
                 '23514',
                 'shifts of schedule "Day 09-18" add up to 40.00 hours a week, more than its week_hours of 36.0',
                 'a 40-hour pattern cannot become a 36-hour week');
SELECT lives_ok($$UPDATE otan_enbek.work_schedule SET week_hours = 24
                  WHERE org_id = 4931 AND schedule_id = 3 AND false$$,
                'an update of no row checks nothing');
SELECT throws_ok($$UPDATE otan_enbek.work_schedule SET week_hours = 24
                   WHERE org_id = 4931 AND schedule_id = 3$$,
                 '23514', NULL, 'a rotation of 38.5 hours cannot be a 24-hour week');

INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, week_hours)
VALUES (4931, 5, 'Reduced 36 h', 36), (4931, 6, 'Minors 24 h', 24);
SELECT lives_ok($$INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no,
                          start_time, end_time, break_start, break_end)
                  SELECT 4931, 5, d, '09:00', '17:12', '13:00', '14:00'
                  FROM generate_series(1, 5) d$$,
                '36 hours of shifts fit a 36-hour week');
SELECT throws_ok($$INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no,
                           start_time, end_time)
                   VALUES (4931, 5, 6, '09:00', '10:00')$$,
                 '23514', NULL, 'a sixth day pushes the 36-hour week over');
SELECT throws_ok($$INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no,
                           start_time, end_time)
                   SELECT 4931, 6, d, '09:00', '14:00' FROM generate_series(1, 5) d$$,
                 '23514', NULL, 'five hours a day break a 24-hour week');
SELECT throws_ok($$UPDATE otan_enbek.work_schedule SET daily_norm_min = 480
                   WHERE org_id = 4931 AND schedule_id = 4$$,
                 '23514', NULL, 'a flexible norm of 8 hours breaks a 36-hour week');

-- Deferred by default: a transaction may pass through a state that breaks
-- the rule as long as it ends within it.
SET CONSTRAINTS otan_enbek.work_schedule_check_week, otan_enbek.work_schedule_rule_check_week
    DEFERRED;
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
SELECT 4931, 6, d, '09:00', '14:00' FROM generate_series(1, 5) d;
UPDATE otan_enbek.work_schedule_rule SET end_time = '13:48'
WHERE org_id = 4931 AND schedule_id = 6;
SELECT lives_ok('SET CONSTRAINTS ALL IMMEDIATE', 'a fixed schedule passes at the end');
SELECT is(otan_enbek.schedule_week_seconds(4931, 6), 24 * 3600::numeric,
          'five days of 4.8 hours are 24 hours');

SELECT * FROM finish();
ROLLBACK;
