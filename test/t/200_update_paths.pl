# Every update path, from each version kept in sql/released to the current
# one, compared with a fresh install of the current version:
#
# - an empty database updated with ALTER EXTENSION UPDATE has the same
#   objects (test/upgrade/catalog.sql) and the same shipped rows;
# - a database filled through the old version's interface
#   (test/upgrade/fill-VERSION.sql) keeps every row through the update,
#   ends with the same objects, and the current functions give the same
#   results on it (test/upgrade/results.sql) as on a fresh install that
#   holds a copy of the same rows.
#
# A released version without a fill script fails the test, so that every
# new release adds its path.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use OtanUpgrade;
use Test::More;

my $current = default_version();
my @released = grep { $_ ne $current } released_versions();
ok(scalar @released >= 1, 'at least one released version to update from')
  or diag('sql/released has no otan_enbek--VERSION.sql other than the current version');

my $fresh = new_database('otan_t_update_fresh');
my $fresh_catalog = describe_catalog($fresh);
my $fresh_contents = psql($fresh, contents_query($fresh));
like($fresh_catalog, qr/^table otan_enbek\.organization \| member \| yes$/m,
	'the catalogue description lists the tables of a fresh install');

foreach my $version (@released)
{
	# An empty database: the objects and the shipped rows.
	my $empty = new_database("otan_t_update_empty_$version", version => $version);
	is(psql($empty, q{SELECT extversion FROM pg_extension WHERE extname = 'otan_enbek'}),
		$version, "$version: installed at version $version");
	psql($empty, 'ALTER EXTENSION otan_enbek UPDATE');
	is(psql($empty, q{SELECT extversion FROM pg_extension WHERE extname = 'otan_enbek'}),
		$current, "$version: ALTER EXTENSION UPDATE reaches $current");
	compare_text("$version: objects after the update of an empty database",
		describe_catalog($empty), $fresh_catalog,
		expected => "fresh install of $current", got => "updated from $version");
	compare_text("$version: shipped rows after the update",
		psql($empty, contents_query($empty)), $fresh_contents,
		expected => "fresh install of $current", got => "updated from $version");
	drop_database($empty);

	# A database with data.
	my $fill = fill_script($version);
	ok(-f $fill, "$version: fill script test/upgrade/fill-$version.sql exists")
	  or next;
	reset_service();
	my $db = new_database("otan_t_update_from_$version", version => $version);
	psql_file($db, $fill);
	wait_for_deliveries($db);

	my $rows_query = contents_query($db);
	my $rows_before = psql($db, $rows_query);
	like($rows_before, qr/^otan_enbek\.timesheet_line: /m,
		"$version: the fill script stored timesheet lines");
	like($rows_before, qr/^otan_enbek\.submission: /m,
		"$version: the fill script stored a submission");

	psql($db, 'ALTER EXTENSION otan_enbek UPDATE');
	is(psql($db, q{SELECT extversion FROM pg_extension WHERE extname = 'otan_enbek'}),
		$current, "$version: the database with data is at $current");
	compare_text("$version: every row is kept by the update",
		psql($db, $rows_query), $rows_before,
		expected => "before the update", got => "after the update");
	compare_text("$version: objects after the update of a database with data",
		describe_catalog($db), $fresh_catalog,
		expected => "fresh install of $current", got => "updated from $version");

	# The same rows in a fresh install give the same results.
	my $copy = new_database("otan_t_update_copy_$version");
	copy_data($db, $copy);
	compare_text("$version: the copy holds the same rows",
		psql($copy, contents_query($copy)), psql($db, contents_query($db)),
		expected => "updated from $version", got => "fresh install with a copy");
	my $updated_results = psql_file($db, "$ENV{OTAN_TOP}/test/upgrade/results.sql");
	my $fresh_results = psql_file($copy, "$ENV{OTAN_TOP}/test/upgrade/results.sql");
	like($updated_results, qr/^== timesheet built again\n(?:.*\n){2}/m,
		"$version: the results include the rebuilt timesheet");
	compare_text("$version: current functions give the same results",
		$updated_results, $fresh_results,
		expected => "fresh install of $current with a copy of the rows",
		got => "updated from $version");

	drop_database($copy);
	drop_database($db);
}

done_testing();
