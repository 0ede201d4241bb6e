# Helpers for the tests of update paths and of pg_dump and restore: the
# released versions, the scripts of test/upgrade, a description of the
# extension's catalogue entries and of every row of its schema, a copy of
# one database's rows into another, and comparisons that print a unified
# diff when they fail.
package OtanUpgrade;

use strict;
use warnings;

use Exporter 'import';
use File::Temp qw(tempdir);
use IPC::Run qw(run);
use Test::More;

use OtanTest;

our @EXPORT = qw(
  default_version released_versions fill_script psql_file
  describe_catalog contents_query copy_data compare_text wait_for_deliveries
);

my $top = $ENV{OTAN_TOP} // die "OTAN_TOP is not set\n";
my $scratch;

# The control file's default_version: the version CREATE EXTENSION installs.
sub default_version
{
	open my $fh, '<', "$top/otan_enbek.control"
	  or die "cannot read $top/otan_enbek.control: $!";
	while (<$fh>)
	{
		return $1 if /^default_version\s*=\s*'([^']+)'/;
	}
	die "no default_version in $top/otan_enbek.control\n";
}

# The versions whose install scripts are kept in sql/released, oldest first.
sub released_versions
{
	my @versions = map { m{/otan_enbek--([0-9.]+)\.sql$} ? $1 : () }
	  glob("$top/sql/released/otan_enbek--*.sql");
	return sort {
		my @x = split /\./, $a;
		my @y = split /\./, $b;
		($x[0] <=> $y[0]) || (($x[1] // 0) <=> ($y[1] // 0))
	} @versions;
}

# The script that fills a database of the given version with data through
# that version's interface.
sub fill_script { return "$top/test/upgrade/fill-$_[0].sql"; }

# Runs a file of SQL with psql and returns its output; dies on an error.
sub psql_file
{
	my ($db, $file) = @_;
	my ($out, $err) = ('', '');
	run [ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $db, '-f', $file ],
	  '<', '/dev/null', '>', \$out, '2>', \$err
	  or die "psql -f $file failed in database $db: $err\n";
	return $out;
}

# The normalized description of the extension's objects (see
# test/upgrade/catalog.sql).
sub describe_catalog { return psql_file($_[0], "$top/test/upgrade/catalog.sql"); }

# Returns a query that lists every row of every table of the schema
# otan_enbek (partitions through their parent), the bounds of each
# partition and the last value of each sequence, one sorted line each.  The
# columns are those of the database given, so that the same query can read
# the tables again after an update has added columns.
sub contents_query
{
	my ($db) = @_;
	my $parts = psql($db, q{
		SELECT format('SELECT %L || '': '' || r FROM (SELECT ROW(%s)::text AS r FROM %s) AS s',
		              c.oid::regclass::text,
		              string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
		              c.oid::regclass)
		FROM pg_class c
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		WHERE c.relnamespace = 'otan_enbek'::regnamespace
		  AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		GROUP BY c.oid
		UNION ALL
		SELECT format('SELECT %L || coalesce(pg_sequence_last_value(%L)::text, ''not called'')',
		              'sequence ' || c.oid::regclass || ': ', c.oid::regclass)
		FROM pg_class c
		WHERE c.relnamespace = 'otan_enbek'::regnamespace AND c.relkind = 'S'
		UNION ALL
		SELECT format('SELECT %L', 'partition ' || c.oid::regclass || ': '
		                           || pg_get_expr(c.relpartbound, c.oid))
		FROM pg_class c
		WHERE c.relnamespace = 'otan_enbek'::regnamespace
		  AND c.relkind IN ('r', 'p') AND c.relispartition
		ORDER BY 1});
	return "SELECT line FROM (\n"
	  . join("\nUNION ALL\n", split /\n/, $parts)
	  . "\n) AS u(line) ORDER BY line COLLATE \"C\"";
}

# Copies every row of the schema otan_enbek from one database into another
# with the same tables, replacing the rows there: the partitions of
# skud_event first, then the rows of each table with triggers and foreign
# keys off (session_replication_role = replica, so the copy is exact), then
# the sequences.
sub copy_data
{
	my ($from, $to) = @_;
	my $script = "BEGIN;\nSET LOCAL session_replication_role = replica;\n";
	$script .= psql($from, q{
		SELECT format('CREATE TABLE IF NOT EXISTS %s PARTITION OF %s %s;',
		              c.oid::regclass, i.inhparent::regclass,
		              pg_get_expr(c.relpartbound, c.oid))
		FROM pg_class c JOIN pg_inherits i ON i.inhrelid = c.oid
		WHERE c.relnamespace = 'otan_enbek'::regnamespace
		  AND c.relkind IN ('r', 'p') AND c.relispartition
		ORDER BY 1}) . "\n";
	my @tables = split /\n/, psql($from, q{
		SELECT c.oid::regclass || '|'
		       || string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
		FROM pg_class c
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
		                   AND a.attgenerated = ''
		WHERE c.relnamespace = 'otan_enbek'::regnamespace
		  AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		GROUP BY c.oid ORDER BY 1});
	foreach my $table (@tables)
	{
		my ($name) = split /\|/, $table;
		$script .= "DELETE FROM $name;\n";
	}
	foreach my $table (@tables)
	{
		my ($name, $columns) = split /\|/, $table, 2;
		my ($rows, $err) = ('', '');
		run [ 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', $from, '-c',
			"COPY (SELECT $columns FROM $name) TO STDOUT" ],
		  '<', '/dev/null', '>', \$rows, '2>', \$err
		  or die "cannot read the rows of $name in $from: $err\n";
		$script .= "COPY $name ($columns) FROM STDIN;\n$rows\\.\n";
	}
	$script .= psql($from, q{
		SELECT format('SELECT setval(%L, %s, %s);', c.oid::regclass,
		              coalesce(pg_sequence_last_value(c.oid), s.seqstart),
		              (pg_sequence_last_value(c.oid) IS NOT NULL)::text)
		FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid
		WHERE c.relnamespace = 'otan_enbek'::regnamespace
		ORDER BY 1}) . "\nCOMMIT;\n";
	# A file rather than a pipe, because psql stops reading at an error.
	$scratch //= tempdir('otan-upgrade-XXXXXX', DIR => $ENV{OTAN_WORK} // '/tmp',
		CLEANUP => 1);
	my $file = "$scratch/copy-$to.sql";
	open my $fh, '>', $file or die "cannot write $file: $!";
	print $fh $script;
	close $fh;
	eval { psql_file($to, $file); 1 }
	  or die "cannot copy the rows of $from into $to: $@";
}

# Passes when two texts are equal; otherwise fails and prints a unified
# diff from the expected text to the text got.
sub compare_text
{
	my ($name, $got, $expected, %label) = @_;
	if ($got eq $expected)
	{
		pass($name);
		return 1;
	}
	$scratch //= tempdir('otan-upgrade-XXXXXX', DIR => $ENV{OTAN_WORK} // '/tmp',
		CLEANUP => 1);
	my %file = (expected => "$scratch/expected", got => "$scratch/got");
	foreach my $which (keys %file)
	{
		open my $fh, '>', $file{$which} or die "cannot write $file{$which}: $!";
		print $fh ($which eq 'got' ? $got : $expected), "\n";
		close $fh;
	}
	my $diff = '';
	run [ 'diff', '-u', '--label', $label{expected} // 'expected',
		'--label', $label{got} // 'got', $file{expected}, $file{got} ],
	  '>', \$diff;
	fail($name);
	diag($diff);
	return 0;
}

# Waits until no submission of the database is in delivery, so that the
# delivery worker changes no row while the test compares them.
sub wait_for_deliveries
{
	my ($db) = @_;
	is( wait_for($db, q{
				SELECT count(*) FROM otan_enbek.submission
				WHERE status IN ('queued', 'sending', 'sent')}, '0'),
		'0', "$db: every submission has a final status");
}

1;
