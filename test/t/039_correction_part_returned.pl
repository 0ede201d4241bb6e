#!/usr/bin/perl
# A correction sent in parts, of which Enbek returns one part and accepts
# the others, leaves Enbek holding the accepted parts applied over the
# version before.  No version describes that state, so the next version
# goes in full, which replaces it, and is accepted.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use IPC::Run qw(run);
use OtanTest;
use Test::More;

my $db = new_database('otan_t_correction_part_returned');
reset_service();

# 150 valid IINs with contracts, and one IIN without a contract, which
# the local service returns with SCSE012.
my $no_contract = '860616300067';
my ($out, $err) = ('', '');
run [ 'python3', '-c', q{
import sys
sys.path.insert(0, sys.argv[1])
import kzid
iins = []
serial = 1
while len(iins) < 150:
    iin = kzid.iin("1979-03-14", "m", serial)
    if iin not in iins:
        iins.append(iin)
    serial += 1
print(" ".join(iins))
}, "$ENV{OTAN_TOP}/test/harness" ], \undef, \$out, \$err
  or die "kzid.py failed: $err";
my @iins = (split(' ', $out), $no_contract);
add_contracts('050440000012', @iins[0 .. 149]);

my $org = psql($db, q{
	INSERT INTO otan_enbek.organization (bin, name)
	VALUES ('050440000012', 'School No. 7') RETURNING org_id});

# Builds a version of October 2025 with one line per employee number (151
# is the employee without a contract) and returns its id.  The employees
# in @$sick have day 1 as sick leave.
sub build_version
{
	my ($version, $employees, $sick) = @_;
	my $numbers = join ',', @$employees;
	my $sick_numbers = join ',', (@$sick, 0);
	my $iin_array = join ',', map { "'$_'" } @iins;
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

# Waits until no part of a version is in delivery; returns the statuses of
# its parts in part order.
sub wait_for_parts
{
	my ($id) = @_;
	wait_for($db, qq{SELECT count(*) FROM otan_enbek.submission
		WHERE timesheet_id = $id AND status IN ('queued', 'sending', 'sent')}, '0');
	return psql($db, qq{SELECT string_agg(status, ',' ORDER BY part_no)
		FROM otan_enbek.submission WHERE timesheet_id = $id});
}

my $v1 = build_version(1, [ 1 .. 150 ], []);
psql($db, "SELECT count(*) FROM otan_enbek.resubmit($v1)");
like(wait_for_parts($v1), qr/^accepted(,accepted)+$/, 'version 1: every part is accepted');

# Version 2 changes employees 1-140 and adds the one without a contract,
# who comes last in the document, so only the last part is returned.
my $v2 = build_version(2, [ 1 .. 150, 151 ], [ 1 .. 140 ]);
psql($db, "SELECT count(*) FROM otan_enbek.resubmit($v2)");
like(wait_for_parts($v2), qr/^accepted(,accepted)+,returned$/,
	'version 2: the last part is returned, the others are accepted');

# Version 3 fixes it: the employee without a contract is gone.
my $v3 = build_version(3, [ 1 .. 150 ], [ 1 .. 140 ]);
psql($db, "SELECT count(*) FROM otan_enbek.resubmit($v3)");
like(wait_for_parts($v3), qr/^accepted(,accepted)*$/, 'version 3: every part is accepted');
is(psql($db, qq{SELECT count(*) FROM otan_enbek.submission_reason r
	JOIN otan_enbek.submission s USING (org_id, submission_id)
	WHERE s.timesheet_id = $v3 AND r.code = 'SCSE312'}),
	'0', 'version 3: no part names an outdated document');
is(psql($db, "SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = $v3"),
	'accepted', 'version 3: the month is accepted');
is(psql($db, qq{SELECT string_agg(DISTINCT document_kind, ',')
	FROM otan_enbek.submission WHERE timesheet_id = $v3}),
	'full', 'version 3: is sent in full, not as a correction');

done_testing();
