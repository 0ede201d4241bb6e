# The update from each released version refuses rows that the current
# version forbids, names them, and succeeds once they are changed as its
# hint says:
# - an organization whose time zone AT TIME ZONE reads as an abbreviation
#   with another offset (CET), and one whose time zone names no place
#   (localtime);
# - work schedules with an id below 1, referred to by a rule, an employee,
#   an assignment and the organization's default;
# - an employee dismissed before the contract start;
# - a shift that starts at 24:00.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use OtanUpgrade;
use Test::More;

my $current = default_version();
my @released = grep { $_ ne $current } released_versions();
ok(scalar @released >= 1, 'at least one released version to update from');

foreach my $version (@released)
{
	my $db = new_database("otan_t_update_invalid_$version", version => $version);
	psql($db, <<'SQL');
SET client_min_messages = warning;
BEGIN;
INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
VALUES (4971, '090440004657', 'School in CET', 'CET');
INSERT INTO otan_enbek.organization (org_id, bin, name, time_zone)
VALUES (4972, '090440004697', 'School on server time', 'localtime');
INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name)
VALUES (4971, 0, 'Day'), (4971, -3, 'Night');
INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time, end_time)
VALUES (4971, 0, 1, '09:00', '18:00'), (4971, -3, 2, '24:00', '08:00');
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name, schedule_id)
VALUES (4971, 1, '850101300005', 'Abenova', 'Aigerim', 0);
INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
        contract_start, dismissed_on)
VALUES (4971, 2, '850101300015', 'Bekov', 'Arman', '2026-03-05', '2026-02-10');
INSERT INTO otan_enbek.employee_schedule (org_id, employee_id, schedule_id, valid_from)
VALUES (4971, 1, -3, '2026-01-01');
UPDATE otan_enbek.organization SET default_schedule_id = 0 WHERE org_id = 4971;
COMMIT;
SQL

	my $err = psql_error($db, 'ALTER EXTENSION otan_enbek UPDATE');
	like($err, qr/organization 4971 has time zone "CET", which is also a time zone abbreviation/,
		"$version: the update names the organization in CET");
	like($err, qr/HINT:.*Europe\/Paris for CET/, "$version: the hint names a city zone");
	is(psql($db, q{SELECT extversion FROM pg_extension WHERE extname = 'otan_enbek'}),
		$version, "$version: the failed update leaves the old version");

	psql($db, q{UPDATE otan_enbek.organization SET time_zone = 'Europe/Paris'
	            WHERE org_id = 4971});
	$err = psql_error($db, 'ALTER EXTENSION otan_enbek UPDATE');
	like($err, qr/organization 4972 has time zone "localtime", which names no place/,
		"$version: the update names the organization on server time");
	psql($db, q{UPDATE otan_enbek.organization SET time_zone = 'Asia/Almaty'
	            WHERE org_id = 4972});
	$err = psql_error($db, 'ALTER EXTENSION otan_enbek UPDATE');
	like($err,
		qr/employees dismissed before their contract start \(1\): 2 of organization 4971/,
		"$version: the update lists the employee dismissed before the start");
	like($err, qr/HINT:  For a rehired employee, set dismissed_on to NULL/,
		"$version: the hint says how to record a rehire");

	psql($db, q{UPDATE otan_enbek.employee SET dismissed_on = NULL
	            WHERE org_id = 4971 AND employee_id = 2});
	$err = psql_error($db, 'ALTER EXTENSION otan_enbek UPDATE');
	like($err,
		qr/work_schedule has 2 ids below 1: -3 of organization 4971, 0 of organization 4971/,
		"$version: the update lists the schedules with ids below 1");

	# The steps of the hint, for both schedules.
	psql($db, <<'SQL');
SET client_min_messages = warning;
BEGIN;
CREATE TEMP TABLE renumber (old_id integer, new_id integer);
INSERT INTO renumber VALUES (0, 10), (-3, 11);
UPDATE otan_enbek.work_schedule ws SET name = ws.name || ' (old)'
FROM renumber r WHERE ws.org_id = 4971 AND ws.schedule_id = r.old_id;
INSERT INTO otan_enbek.work_schedule
SELECT (jsonb_populate_record(ws, jsonb_build_object('schedule_id', r.new_id,
                                                     'name', replace(ws.name, ' (old)', '')))).*
FROM renumber r JOIN otan_enbek.work_schedule ws
  ON ws.org_id = 4971 AND ws.schedule_id = r.old_id;
UPDATE otan_enbek.work_schedule_rule x SET schedule_id = r.new_id
FROM renumber r WHERE x.org_id = 4971 AND x.schedule_id = r.old_id;
UPDATE otan_enbek.employee x SET schedule_id = r.new_id
FROM renumber r WHERE x.org_id = 4971 AND x.schedule_id = r.old_id;
UPDATE otan_enbek.employee_schedule x SET schedule_id = r.new_id
FROM renumber r WHERE x.org_id = 4971 AND x.schedule_id = r.old_id;
UPDATE otan_enbek.organization x SET default_schedule_id = r.new_id
FROM renumber r WHERE x.org_id = 4971 AND x.default_schedule_id = r.old_id;
DELETE FROM otan_enbek.work_schedule ws
USING renumber r WHERE ws.org_id = 4971 AND ws.schedule_id = r.old_id;
COMMIT;
SQL

	$err = psql_error($db, 'ALTER EXTENSION otan_enbek UPDATE');
	like($err,
		qr/shifts that start at 24:00 \(1\): day 2 of schedule 11 of organization 4971/,
		"$version: the update lists the shift that starts at 24:00");
	psql($db, q{UPDATE otan_enbek.work_schedule_rule SET day_no = 3, start_time = '00:00'
	            WHERE org_id = 4971 AND schedule_id = 11});

	psql($db, 'ALTER EXTENSION otan_enbek UPDATE');
	is(psql($db, q{SELECT extversion FROM pg_extension WHERE extname = 'otan_enbek'}),
		$current, "$version: the update succeeds after the changes");
	is(psql($db, q{SELECT count(*) FROM otan_enbek.work_schedule_rule WHERE schedule_id = 10}),
		'1', "$version: the rule moved to the new schedule id");
	drop_database($db);
}

done_testing();
