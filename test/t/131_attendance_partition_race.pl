# A partition of skud_event that another transaction detaches or drops
# while a computation of every employee waits for its lock is not read:
# the computation waits on skud_event, as the event query does, and then
# reads the partitions that skud_event has.  Its snapshot still lists the
# partition in pg_inherits, so reading the partitions of the snapshot read
# a detached table's events, or failed on the dropped table's oid.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use IPC::Run qw(start pump finish);
use OtanTest;
use Test::More;

my $db = new_database('otan_t_attendance_partition_race');

my $org = psql($db, q{
	INSERT INTO otan_enbek.organization (bin, name, time_zone)
	VALUES ('050440000012', 'School No. 7', 'Asia/Almaty') RETURNING org_id});
psql($db, qq{
	INSERT INTO otan_enbek.source (org_id, source_id, name) VALUES ($org, 1, 'gate');
	INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name) VALUES ($org, 1, 'Day');
	INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
	        end_time)
	SELECT $org, 1, d, '09:00', '18:00' FROM generate_series(1, 7) d;
	INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
	        schedule_id)
	SELECT $org, 1, p || d, 'Guard', 'Night', 1
	FROM (SELECT '85010130001' AS p) s, generate_series(0, 9) d
	WHERE otan_enbek.is_valid_iin(p || d)
	LIMIT 1});

# Returns the punches of 31 December 2025 and 1 January 2026 that a
# computation of every employee reads.
my $punches_sql = qq{SELECT coalesce(sum(punch_count), 0)
	FROM otan_enbek.attendance_compute_days($org, '2025-12-31', '2026-01-01',
	                                        '2025-12-30', '2026-01-02')};

# Creates the partitions of December and January with one event of each
# month, the one of January at 10:00 local time on 1 January.
sub add_events
{
	psql($db, qq{
		SELECT otan_enbek.ensure_event_partitions('2025-12-01', '2026-01-31');
		INSERT INTO otan_enbek.skud_event (org_id, occurred_at, source_id, external_id,
		        credential_kind, credential, employee_id, direction)
		VALUES ($org, '2025-12-31 04:00+00', 1, 'dec', 'person', '1', 1, 'in'),
		       ($org, '2026-01-01 05:00+00', 1, 'jan', 'person', '1', 1, 'in')
		ON CONFLICT DO NOTHING});
}

# Holds the change of the partition of January in an open transaction,
# starts the computation, and commits the change once the computation
# waits on a lock.  Returns the computation's output and errors.
sub compute_during
{
	my ($change, $name) = @_;
	my %other = (in => "BEGIN;\n$change;\nSELECT 'changed';\n", out => '', err => '');
	$other{handle} = start [ 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
		'-d', $db ], \$other{in}, \$other{out}, \$other{err};
	pump $other{handle} until $other{out} =~ /changed/ || length $other{err};
	is($other{err}, '', "$name: the other session holds the change");

	my %compute = (in => "$punches_sql;\n", out => '', err => '');
	$compute{handle} = start [ 'psql', '-X', '-q', '-A', '-t', '-d', $db ],
	  \$compute{in}, \$compute{out}, \$compute{err};
	pump $compute{handle} while length $compute{in};
	is(wait_for($db, q{
			SELECT count(*) FROM pg_stat_activity
			WHERE wait_event_type = 'Lock'
			  AND strpos(query, 'attendance_compute_days') > 0}, '1'),
		'1', "$name: the computation waits on a lock");

	$other{in} .= "COMMIT;\n\\q\n";
	finish $other{handle};
	finish $compute{handle};
	return ($compute{out}, $compute{err});
}

add_events();
is(psql($db, $punches_sql), '2', 'both events count before a change');

my ($out, $err) = compute_during(
	'ALTER TABLE otan_enbek.skud_event DETACH PARTITION otan_enbek.skud_event_p202601',
	'detach');
is($err, '', 'detach: the computation raises no error');
is($out, "1\n", 'detach: the detached partition is not read');
psql($db, 'DROP TABLE otan_enbek.skud_event_p202601');

add_events();
($out, $err) = compute_during('DROP TABLE otan_enbek.skud_event_p202601', 'drop');
is($err, '', 'drop: the computation raises no error');
is($out, "1\n", 'drop: the events of December still count');

done_testing();
