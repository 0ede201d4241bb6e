# doc/reference.md is the reference of every setting, function, view and
# table, generated from the catalogue by doc/reference.sql.  The committed
# file must match what the installed extension says of itself, and every
# object that one of the extension's roles may use must have a description.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use OtanUpgrade;
use Test::More;

sub slurp
{
	my ($path) = @_;
	open my $fh, '<', $path or die "cannot read $path: $!";
	local $/;
	my $text = <$fh>;
	close $fh;
	$text =~ s/\n\z//;
	return $text;
}

my $db = new_database('otan_t_reference');

is(psql($db, q{
	SELECT coalesce(string_agg(p.oid::regprocedure::text, ', '), '')
	FROM pg_proc AS p
	WHERE p.pronamespace = 'otan_enbek'::regnamespace
	  AND obj_description(p.oid, 'pg_proc') IS NULL
	  AND (has_function_privilege('otan_enbek_admin', p.oid, 'EXECUTE')
	       OR has_function_privilege('otan_enbek_operator', p.oid, 'EXECUTE')
	       OR has_function_privilege('otan_enbek_reader', p.oid, 'EXECUTE'))}),
	'', 'every function that a role of the extension may run has a comment');
is(psql($db, q{
	SELECT coalesce(string_agg(c.relname, ', '), '')
	FROM pg_class AS c
	WHERE c.relnamespace = 'otan_enbek'::regnamespace
	  AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
	  AND obj_description(c.oid, 'pg_class') IS NULL}),
	'', 'every table and view has a comment');
is(psql($db, q{
	SELECT coalesce(string_agg(name, ', '), '')
	FROM pg_settings
	WHERE name LIKE 'otan\_enbek.%' AND coalesce(short_desc, '') = ''}),
	'', 'every setting has a description');
like(psql($db, q{SELECT count(*) FROM pg_settings WHERE name LIKE 'otan\_enbek.%'}),
	qr/^[1-9][0-9]/, 'the settings are defined (otan_enbek is preloaded)');

my $generated = psql($db, slurp("$ENV{OTAN_TOP}/doc/reference.sql"));
my $copy = "$ENV{OTAN_WORK}/reference.md";
open my $fh, '>', $copy or die "cannot write $copy: $!";
print $fh $generated, "\n";
close $fh;
compare_text('doc/reference.md matches the installed extension',
	$generated, slurp("$ENV{OTAN_TOP}/doc/reference.md"),
	expected => 'doc/reference.md', got => 'the installed extension')
  or diag("The generated reference is in $copy; copy it to doc/reference.md.");

done_testing();
