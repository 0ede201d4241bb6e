# Helpers for the integration tests of corrections sent in parts: valid
# test IINs, versions of October 2025 with one line per employee, and
# waiting for the parts of a version to leave delivery.
package OtanCorrection;

use strict;
use warnings;

use Exporter 'import';
use IPC::Run qw(run);
use OtanTest;

our @EXPORT = qw(test_iins build_october_version wait_for_parts);

# Returns $count distinct valid IINs of men born on 14 March 1979, made by
# test/harness/kzid.py, the same list for the same count.
sub test_iins
{
	my ($count) = @_;
	my ($out, $err) = ('', '');
	run [ 'python3', '-c', q{
import sys
sys.path.insert(0, sys.argv[1])
import kzid
count = int(sys.argv[2])
iins = []
serial = 1
while len(iins) < count:
    iin = kzid.iin("1979-03-14", "m", serial)
    if iin not in iins:
        iins.append(iin)
    serial += 1
print(" ".join(iins))
}, "$ENV{OTAN_TOP}/test/harness", $count ], \undef, \$out, \$err
	  or die "kzid.py failed: $err";
	return split ' ', $out;
}

# Builds version $version of October 2025 (31 days) for organization $org
# in database $db, with one line per employee number of @$employees, in
# that order, and returns its id.  Employee n has the IIN $iins->[n - 1]
# and works in Primary (1-60), Secondary (61-120) or Office.  The employees
# in @$sick have day 1 as sick leave, the others a working day or a day
# off.
sub build_october_version
{
	my ($db, $org, $iins, $version, $employees, $sick) = @_;
	my $numbers = join ',', @$employees;
	my $sick_numbers = join ',', (@$sick, 0);
	my $iin_array = join ',', map { "'$_'" } @$iins;
	my $id = psql($db, qq{
		INSERT INTO otan_enbek.timesheet
		    (org_id, month, version, status, working_days, norm_hours)
		VALUES ($org, '2025-10-01', $version, 'built', 23, 184)
		RETURNING timesheet_id});
	psql($db, qq{
		WITH october AS (
		    SELECT array_agg(CASE WHEN extract(isodow FROM d) >= 6 THEN 'В' ELSE 'Я' END
		                     ORDER BY d) AS codes,
		           array_agg(CASE WHEN extract(isodow FROM d) >= 6 THEN 0 ELSE 8 END
		                     ORDER BY d) AS hours
		    FROM generate_series('2025-10-01'::date, '2025-10-31', '1 day') AS d)
		INSERT INTO otan_enbek.timesheet_line
		    (org_id, timesheet_id, employee_id, line_no, iin, full_name, department,
		     day_codes, day_hours, days_worked, hours_worked, days_off)
		SELECT $org, $id, e.n, e.line_no, (ARRAY[$iin_array]::text[])[e.n],
		       'Employee No. ' || e.n,
		       CASE WHEN e.n <= 60 THEN 'Primary' WHEN e.n <= 120 THEN 'Secondary'
		            ELSE 'Office' END,
		       CASE WHEN e.n = ANY (ARRAY[$sick_numbers]) THEN ARRAY['Б'] || o.codes[2:31]
		            ELSE o.codes END,
		       o.hours, 23, 184, 8
		FROM unnest(ARRAY[$numbers]) WITH ORDINALITY AS e (n, line_no), october AS o});
	return $id;
}

# Waits until no part of timesheet version $id is in delivery any more;
# returns the statuses of its parts in part order, joined by commas.
sub wait_for_parts
{
	my ($db, $id) = @_;
	wait_for($db, qq{SELECT count(*) FROM otan_enbek.submission
		WHERE timesheet_id = $id AND status IN ('queued', 'sending', 'sent')}, '0');
	return psql($db, qq{SELECT string_agg(status, ',' ORDER BY part_no)
		FROM otan_enbek.submission WHERE timesheet_id = $id});
}

1;
