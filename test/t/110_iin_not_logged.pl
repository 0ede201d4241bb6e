# Failing statements about employees leave no full IIN in the server log:
# the constraint errors of PostgreSQL show the IIN masked in DETAIL and
# CONTEXT, the errors of the IIN domain mask the rejected value, and no
# STATEMENT line repeats a statement that contains an IIN.  The client
# receives the same masked text.  Runs against the cluster of run-suites,
# whose log_min_error_statement is the default (error), before
# 990_server_log.pl reads the whole log.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

# Valid IINs made by test/harness/kzid.py for this test alone, and invalid
# values close to them, which are personal data as much.  The strings are
# UTF-8 bytes, as psql sends and prints them.
my %iin = (
	stored => '870717300078',
	not_null => '790321400410',
	check => '900909300911',
	copy_row => '681201400051',
	dynamic => '920430300129',
	bad_date => '850505400335',
	check_digit => '870717300079',
	fullwidth => '８７０７１７３０００７８',
	spaced => ' 681201400051',
	fullwidth_birth_date => '８７０７１７');

my $db = new_database('otan_iin_log');
psql($db, qq{
	INSERT INTO otan_enbek.organization (org_id, bin, name)
	VALUES (9201, '050440000012', 'School No. 9');
	INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
	VALUES (9201, 1, '$iin{stored}', 'Privacy', 'Stored');});

# Each case: a failing statement, the error text the client must receive
# (masked), and the server log line that must show the same masked text.
my @cases = (
	{
		name => 'duplicate IIN',
		sql => qq{INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
			VALUES (9201, 2, '$iin{stored}', 'Privacy', 'Duplicate');},
		client => qr/DETAIL:  Key \(org_id, iin\)=\(9201, \*{6}300078\) already exists\./,
		log => qr/\@otan_iin_log DETAIL:  Key \(org_id, iin\)=\(9201, \*{6}300078\) already exists\./,
	},
	{
		name => 'missing last name',
		sql => qq{INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
			VALUES (9201, 3, '$iin{not_null}', NULL, 'NotNull');},
		client => qr/DETAIL:  Failing row contains \(9201, 3, \*{6}400410, null, NotNull,/,
		log => qr/\@otan_iin_log DETAIL:  Failing row contains \(9201, 3, \*{6}400410, null, NotNull,/,
	},
	{
		name => 'contract that ends before it starts',
		sql => qq{INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
			    contract_start, contract_end)
			VALUES (9201, 4, '$iin{check}', 'Privacy', 'Check', '2025-02-01', '2025-01-31');},
		client => qr/DETAIL:  Failing row contains \(9201, 4, \*{6}300911, Privacy, Check,/,
		log => qr/\@otan_iin_log DETAIL:  Failing row contains \(9201, 4, \*{6}300911, Privacy, Check,/,
	},
	{
		name => 'update that leaves the IIN alone',
		sql => q{UPDATE otan_enbek.employee SET first_name = NULL WHERE employee_id = 1;},
		client => qr/DETAIL:  Failing row contains \(9201, 1, \*{6}300078, Privacy, null,/,
		log => qr/\@otan_iin_log DETAIL:  Failing row contains \(9201, 1, \*{6}300078, Privacy, null,/,
	},
	{
		name => 'wrong check digit',
		sql => qq{INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
			VALUES (9201, 5, '$iin{check_digit}', 'Privacy', 'CheckDigit');},
		client => qr/ERROR:  invalid IIN "\*{6}300079"/,
		log => qr/\@otan_iin_log ERROR:  invalid IIN "\*{6}300079"/,
	},
	{
		name => 'fullwidth digits',
		sql => qq{INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
			VALUES (9201, 6, '$iin{fullwidth}', 'Privacy', 'Fullwidth');},
		client => qr/ERROR:  invalid IIN "\*{6}３０００７８"/,
		log => qr/\@otan_iin_log ERROR:  invalid IIN "\*{6}３０００７８"/,
	},
	{
		name => 'COPY of a value with a space',
		sql => qq{COPY otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
			FROM stdin WITH (FORMAT csv);
9201,7,$iin{spaced},Privacy,Spaced
\\.
},
		client => qr/CONTEXT:  COPY employee, line 1, column iin: "\*{7}400051"/,
		log => qr/\@otan_iin_log CONTEXT:  COPY employee, line 1, column iin: "\*{7}400051"/,
	},
	{
		name => 'COPY of a row without a last name',
		sql => qq{COPY otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)
			FROM stdin WITH (FORMAT csv);
9201,8,$iin{copy_row},,CopyRow
\\.
},
		client => qr/CONTEXT:  COPY employee, line 1: "9201,8,\*{6}400051,,CopyRow"/,
		log => qr/\@otan_iin_log CONTEXT:  COPY employee, line 1: "9201,8,\*{6}400051,,CopyRow"/,
	},
	{
		name => 'dynamic SQL',
		sql => qq{DO \$\$
			BEGIN
			    EXECUTE format('INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name)'
			                   ' VALUES (9201, 9, %L, %L, NULL)', '$iin{dynamic}', 'Dynamic');
			END
			\$\$;},
		client => qr/CONTEXT:  SQL statement "INSERT INTO .* VALUES \(9201, 9, '\*{6}300129', 'Dynamic', NULL\)"/,
		log => qr/\@otan_iin_log CONTEXT:  SQL statement "INSERT INTO .* VALUES \(9201, 9, '\*{6}300129', 'Dynamic', NULL\)"/,
	},
	{
		name => 'invalid date beside an IIN',
		sql => qq{INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
			    contract_start)
			VALUES (9201, 10, '$iin{bad_date}', 'Privacy', 'BadDate', '2025-13-01');},
		client => qr/ERROR:  date\/time field value out of range: "2025-13-01"/,
		log => qr/\@otan_iin_log ERROR:  date\/time field value out of range: "2025-13-01"/,

		# psql quotes the client's own statement around the error position
		client_sees_statement => 1,
	});

foreach my $case (@cases)
{
	my $error = psql_error($db, $case->{sql});
	like($error, $case->{client}, "$case->{name}: the client receives the masked text");
	next if $case->{client_sees_statement};
	foreach my $label (sort keys %iin)
	{
		ok(index($error, $iin{$label}) < 0,
			"$case->{name}: the client error has no $label value");
	}
}

# A failing statement without an IIN is still logged with its statement,
# so the checks below do not pass because no statement is logged at all.
psql_error($db, 'SELECT 1 / 0 AS otan_iin_log_control;');

my $log = server_log();
foreach my $case (@cases)
{
	like($log, $case->{log}, "$case->{name}: the log has the masked text");
}
like($log, qr/\@otan_iin_log STATEMENT:  SELECT 1 \/ 0 AS otan_iin_log_control;/,
	'the statement of an error without an IIN is logged');

my @statements = $log =~ /\@otan_iin_log STATEMENT:  (.*)/g;
is_deeply([ grep { $_ ne 'SELECT 1 / 0 AS otan_iin_log_control;' } @statements ], [],
	'no other statement of this test is logged');

foreach my $label (sort keys %iin)
{
	ok(index($log, $iin{$label}) < 0, "the log has no $label value");
}

done_testing();
