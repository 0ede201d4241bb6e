-- Rows of calendar_day entered or changed by the administrator are marked
-- built_in false, because pg_dump writes only those rows; an entered row
-- replaces the shipped row of its day.
BEGIN;
SELECT plan(9);

-- A changed shipped row becomes an entered row.
UPDATE otan_enbek.calendar_day SET name = 'Victory Day (changed)' WHERE day = '2026-05-09';
SELECT is((SELECT built_in FROM otan_enbek.calendar_day WHERE day = '2026-05-09'),
          false, 'a shipped row whose name changes is marked entered');
UPDATE otan_enbek.calendar_day SET kind = 'working' WHERE day = '2026-05-11';
SELECT is((SELECT built_in FROM otan_enbek.calendar_day WHERE day = '2026-05-11'),
          false, 'a shipped row whose kind changes is marked entered');
UPDATE otan_enbek.calendar_day SET kind = kind WHERE day = '2026-05-07';
SELECT is((SELECT built_in FROM otan_enbek.calendar_day WHERE day = '2026-05-07'),
          true, 'an update that changes nothing keeps a shipped row shipped');

-- An entered row replaces the shipped row of its day.
INSERT INTO otan_enbek.calendar_day (day, kind, name)
VALUES ('2026-07-06', 'holiday', 'Capital Day (entered)');
SELECT is((SELECT count(*)::integer FROM otan_enbek.calendar_day WHERE day = '2026-07-06'),
          1, 'an entered row for a shipped day leaves one row');
SELECT is((SELECT name || ' ' || built_in FROM otan_enbek.calendar_day WHERE day = '2026-07-06'),
          'Capital Day (entered) false', 'the entered row replaces the shipped one');

-- Entered rows keep the primary key.
SELECT throws_ok($$ INSERT INTO otan_enbek.calendar_day (day, kind, name)
                    VALUES ('2026-07-06', 'holiday', 'Capital Day (twice)') $$,
                 '23505', NULL, 'a second entered row for a day is rejected');
SELECT throws_ok($$ INSERT INTO otan_enbek.calendar_day (day, kind, name, built_in)
                    VALUES ('2026-07-06', 'holiday', 'Capital Day', true) $$,
                 '23505', NULL, 'a shipped row does not replace an entered one');
INSERT INTO otan_enbek.calendar_day (day, kind, name, built_in)
VALUES ('2026-07-06', 'holiday', 'Capital Day', true)
ON CONFLICT (day) DO NOTHING;
SELECT is((SELECT name FROM otan_enbek.calendar_day WHERE day = '2026-07-06'),
          'Capital Day (entered)', 'a shipped row inserted with ON CONFLICT keeps the entered one');

-- A role that may insert but not delete can still replace a shipped day.
CREATE ROLE otan_calendar_probe;
GRANT USAGE ON SCHEMA otan_enbek TO otan_calendar_probe;
GRANT INSERT, SELECT ON otan_enbek.calendar_day TO otan_calendar_probe;
SET LOCAL ROLE otan_calendar_probe;
INSERT INTO otan_enbek.calendar_day (day, kind, name)
VALUES ('2026-12-16', 'holiday', 'Independence Day (entered)');
RESET ROLE;
SELECT is((SELECT name FROM otan_enbek.calendar_day WHERE day = '2026-12-16'),
          'Independence Day (entered)', 'a role without DELETE replaces a shipped day');

SELECT * FROM finish();
ROLLBACK;
