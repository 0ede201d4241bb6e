-- Time zone names of no place are rejected for an organization.
BEGIN;
SELECT plan(6);

SET LOCAL client_min_messages = warning;
SELECT throws_ok(
    $$INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
      VALUES (4991, '090440004697', 'Server time', 'localtime')$$,
    '22023', 'time zone "localtime" names no place',
    'localtime is rejected');
SELECT throws_ok(
    $$INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
      VALUES (4991, '090440004697', 'Default rules', 'posixrules')$$,
    '22023', 'time zone "posixrules" names no place',
    'posixrules is rejected');
SELECT throws_ok(
    $$INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
      VALUES (4991, '090440004697', 'Factory', 'Factory')$$,
    '22023', 'time zone "Factory" names no place',
    'Factory is rejected');
-- The server's tz database (Debian's tzdata) also lists the zones under
-- posix/, Factory among them.
SELECT throws_ok(
    $$INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
      VALUES (4991, '090440004697', 'Factory', 'posix/Factory')$$,
    '22023', 'time zone "posix/Factory" names no place',
    'posix/Factory is rejected');
INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
VALUES (4991, '090440004697', 'School', 'Asia/Almaty');
SELECT throws_ok(
    $$UPDATE otan_enbek.organization SET time_zone = 'localtime' WHERE org_id = 4991$$,
    '22023', 'time zone "localtime" names no place',
    'localtime is rejected on update');
SELECT is((SELECT time_zone FROM otan_enbek.organization WHERE org_id = 4991),
          'Asia/Almaty', 'the organization keeps its zone');

SELECT * FROM finish();
ROLLBACK;
