# pg_dump and pg_restore of a database with data, in the way README.md
# describes: a custom-format dump, restored in one transaction from a list
# without the entries that rebuild the indexes of skud_event's partitions.
# The restored database holds the same rows and sequence values, has the
# same objects, and the functions give the same results on it (attendance,
# timesheet totals, submissions).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use IPC::Run qw(run);
use OtanTest;
use OtanUpgrade;
use Test::More;

my @released = released_versions();
my $fill = fill_script($released[-1]);

reset_service();
my $db = new_database('otan_t_dump');
psql_file($db, $fill);
wait_for_deliveries($db);

# The administrator corrected a shipped calendar day: the restore must
# bring back the correction, not the shipped row.
psql($db, q{
	UPDATE otan_enbek.calendar_day
	SET kind = 'working', name = 'Working day by a later decree'
	WHERE day = '2026-05-11'});

my $dump = "$ENV{OTAN_WORK}/otan_t_dump.dump";
my ($out, $err) = ('', '');
ok(run([ 'pg_dump', '-Fc', '-f', $dump, '-d', $db ], '>', \$out, '2>', \$err),
	'pg_dump writes a custom-format dump')
  or diag($err);

# The restore list: every entry except the indexes and constraints of
# skud_event's partitions, which ATTACH PARTITION builds from the parent's.
my $toc = '';
ok(run([ 'pg_restore', '-l', $dump ], '>', \$toc, '2>', \$err),
	'pg_restore lists the dump')
  or diag($err);
my @entries = split /\n/, $toc;
my @kept = grep {
	!/^\d+; \d+ \d+ (?:CONSTRAINT|INDEX|INDEX ATTACH) otan_enbek skud_event_p\d{6}/
} @entries;
ok(scalar @entries - scalar @kept >= 4,
	'the list leaves out the index entries of the partitions');
like($toc, qr/TABLE DATA otan_enbek organization /,
	'the dump holds the rows of the configuration tables');
like($toc, qr/TABLE DATA otan_enbek skud_event_p202511 /,
	'the dump holds the rows of the event partitions');
my $list = "$ENV{OTAN_WORK}/otan_t_dump.list";
open my $fh, '>', $list or die "cannot write $list: $!";
print $fh join("\n", @kept), "\n";
close $fh;

# The rows are restored with triggers off (session_replication_role =
# replica), so that the triggers that mark days for recompute do not add
# marks that the dumped database did not have.
my $restored = new_database('otan_t_dump_restored', extension => 0);
{
	local $ENV{PGOPTIONS} = '-c session_replication_role=replica';
	ok( run([ 'pg_restore', '--single-transaction', '-L', $list, '-d', $restored, $dump ],
			'>', \$out, '2>', \$err),
		'pg_restore restores the dump in one transaction')
	  or diag($err);
}
is($err, '', 'pg_restore reports no error');

compare_text('the restored database holds the same rows',
	psql($restored, contents_query($restored)), psql($db, contents_query($db)),
	expected => 'dumped database', got => 'restored database');
like(psql($restored, q{SELECT count(*) FROM otan_enbek.calendar_day WHERE NOT built_in}),
	qr/^[1-9]/, 'the calendar rows entered by the administrator are restored');
is(psql($restored, q{SELECT kind || ' ' || built_in FROM otan_enbek.calendar_day
                     WHERE day = '2026-05-11'}),
	'working false', 'a corrected shipped calendar day is restored as corrected');
compare_text('the restored database has the same objects',
	describe_catalog($restored), describe_catalog($db),
	expected => 'dumped database', got => 'restored database');

my $results = "$ENV{OTAN_TOP}/test/upgrade/results.sql";
compare_text('the functions give the same results after the restore',
	psql_file($restored, $results), psql_file($db, $results),
	expected => 'dumped database', got => 'restored database');

# New rows continue the restored sequences.
is( psql($restored, q{
		INSERT INTO otan_enbek.department (org_id, name)
		SELECT org_id, 'Kitchen' FROM otan_enbek.organization
		RETURNING department_id}),
	psql($db, q{SELECT max(department_id) + 1 FROM otan_enbek.department}),
	'a new row of the restored database takes the next id');

unlink $dump, $list;
done_testing();
