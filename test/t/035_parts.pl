# A timesheet too large for one request is submitted in parts, each its own
# submission and message: all parts accepted make the timesheet accepted,
# and one part returned (an employee without a contract) makes it returned
# while the other parts are accepted.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use IPC::Run qw(run);
use OtanTest;
use Test::More;

my $db = new_database('otan_t_parts');
reset_service();

# 150 valid IINs from test/harness/kzid.py, with contracts registered for
# each.  860616300067 has no contract in any test.
my $kzid_dir = "$ENV{OTAN_TOP}/test/harness";
my ($out, $err) = ('', '');
run [ 'python3', '-c', q{
import sys
sys.path.insert(0, sys.argv[1])
import kzid
iins = []
serial = 1
while len(iins) < 150:
    iin = kzid.iin("1978-06-21", "f", serial)
    if iin not in iins:
        iins.append(iin)
    serial += 1
print(" ".join(iins))
}, $kzid_dir ], \undef, \$out, \$err
  or die "kzid.py failed: $err";
my @iins = split ' ', $out;
is(scalar @iins, 150, '150 IINs generated');
add_contracts('050440000012', @iins);
my $no_contract = '860616300067';

my $org = psql($db, q{
	INSERT INTO otan_enbek.organization (bin, name)
	VALUES ('050440000012', 'School No. 7') RETURNING org_id});

# Builds a timesheet for October 2025 (31 days) with one line per IIN, in
# departments of 60, 60 and 30 lines, and returns its id.
sub build_timesheet
{
	my ($version, @line_iins) = @_;
	my $array = join ',', map { "'$_'" } @line_iins;
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
		SELECT $org, $id, n, n, i.iin, 'Employee No. ' || n,
		       CASE WHEN n <= 60 THEN 'Primary' WHEN n <= 120 THEN 'Secondary'
		            ELSE 'Office' END,
		       o.codes, o.hours, 23, 184, 8
		FROM unnest(ARRAY[$array]::text[]) WITH ORDINALITY AS i (iin, n), october AS o});
	return $id;
}

# Submits a timesheet and returns its submission ids, in part order.
sub submit
{
	my ($id) = @_;
	return split /\n/, psql($db, "SELECT otan_enbek.submit_timesheet($id)");
}

# Waits until no part of a timesheet is in delivery any more; returns the
# statuses of its parts in part order.
sub wait_for_parts
{
	my ($id) = @_;
	wait_for($db, qq{SELECT count(*) FROM otan_enbek.submission
		WHERE timesheet_id = $id AND status IN ('queued', 'sending', 'sent')}, '0');
	return psql($db, qq{SELECT string_agg(status, ',' ORDER BY part_no)
		FROM otan_enbek.submission WHERE timesheet_id = $id});
}

# Every part accepted.
my $accepted_id = build_timesheet(1, @iins);
my @parts = submit($accepted_id);
is(scalar @parts, 3, 'the timesheet is submitted in three parts');
is(psql($db, "SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = $accepted_id"),
	'submitted', 'the timesheet is submitted');
is(wait_for_parts($accepted_id), 'accepted,accepted,accepted', 'every part is accepted');
is(psql($db, "SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = $accepted_id"),
	'accepted', 'the timesheet is accepted');

my $total = 0;
foreach my $part_no (1 .. 3)
{
	my $id = $parts[ $part_no - 1 ];
	my ($message_id, $first, $last) = split /\|/, psql($db, qq{
		SELECT s.message_id, e.detail->>'first_line_no', e.detail->>'last_line_no'
		FROM otan_enbek.submission AS s
		JOIN otan_enbek.submission_event AS e USING (org_id, submission_id)
		WHERE s.submission_id = $id AND e.kind = 'created'});
	my $message = service_message($message_id);
	is($message->{state}, 'ACCEPTED', "part $part_no: the service accepted its message");
	is($message->{part}, $part_no, "part $part_no: the service saw its part number");
	is($message->{parts}, 3, "part $part_no: the service saw three parts");
	is($message->{timesheetId}, $accepted_id, "part $part_no: the service saw the timesheet id");
	is($message->{employeeCount}, $last - $first + 1,
		"part $part_no: the service saw the employees of its lines");
	is($message->{sendCount}, 1, "part $part_no: sent once");
	like(event_kinds($db, $id), qr/^created,attempt,answer,(status_query,answer,)+accepted$/,
		"part $part_no: history from creation to acceptance");
	is(psql($db, "SELECT subject FROM otan_enbek.notification WHERE submission_id = $id"),
		"Часть $part_no из 3 табеля за октябрь 2025 г. принята Enbek",
		"part $part_no: the notification names the part");
	$total += $message->{employeeCount};
}
is($total, 150, 'the service received every employee once');
is(psql($db, qq{SELECT string_agg(first_line_no || '-' || last_line_no, ',' ORDER BY part_no)
	FROM (SELECT s.part_no, e.detail->>'first_line_no' AS first_line_no,
	             e.detail->>'last_line_no' AS last_line_no
	      FROM otan_enbek.submission AS s
	      JOIN otan_enbek.submission_event AS e USING (org_id, submission_id)
	      WHERE s.timesheet_id = $accepted_id AND e.kind = 'created') AS p}),
	'1-60,61-120,121-150', 'the parts are the departments');
is(psql($db, qq{SELECT payload->>'timesheet_status' FROM otan_enbek.notification
	WHERE timesheet_id = $accepted_id ORDER BY notification_id DESC LIMIT 1}),
	'accepted', 'the last notification reports the timesheet accepted');

# One employee without a contract: only the part with that line is returned.
my @returned_iins = @iins;
$returned_iins[99] = $no_contract;
my $returned_id = build_timesheet(2, @returned_iins);
my @returned_parts = submit($returned_id);
is(scalar @returned_parts, 3, 'the second timesheet has three parts too');
my $returned_part = psql($db, qq{SELECT s.part_no FROM otan_enbek.submission AS s
	JOIN otan_enbek.submission_event AS e USING (org_id, submission_id)
	WHERE s.timesheet_id = $returned_id AND e.kind = 'created'
	  AND 100 BETWEEN (e.detail->>'first_line_no')::integer
	              AND (e.detail->>'last_line_no')::integer});
is($returned_part, 2, 'line 100 is in part 2');
is(wait_for_parts($returned_id), 'accepted,returned,accepted',
	'the part with the employee is returned, the others are accepted');
is(psql($db, "SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = $returned_id"),
	'returned', 'the timesheet is returned');

my $returned_sub = $returned_parts[1];
is(submission_row($db, $returned_sub), 'returned|1|SCSE012', 'the part is returned with SCSE012');
is(psql($db, qq{SELECT code || '|' || iin || '|' || employee_id
	FROM otan_enbek.submission_reason WHERE submission_id = $returned_sub}),
	"SCSE012|$no_contract|100", 'the reason names the employee of line 100');
is(psql($db, qq{SELECT count(*) FROM otan_enbek.submission_reason AS r
	JOIN otan_enbek.submission AS s USING (org_id, submission_id)
	WHERE s.timesheet_id = $returned_id AND s.part_no <> 2}),
	0, 'the accepted parts have no reasons');
is(psql($db, "SELECT subject FROM otan_enbek.notification WHERE submission_id = $returned_sub"),
	'Часть 2 из 3 табеля за октябрь 2025 г. возвращена Enbek на доработку',
	'the notification names the returned part');
is(psql($db, qq{SELECT payload->>'timesheet_status' FROM otan_enbek.notification
	WHERE timesheet_id = $returned_id ORDER BY notification_id DESC LIMIT 1}),
	'returned', 'the last notification reports the timesheet returned');
is(psql($db, qq{SELECT string_agg(part_no || ':' || status, ',' ORDER BY part_no)
	FROM otan_enbek.submission_overview WHERE timesheet_id = $returned_id}),
	'1:accepted,2:returned,3:accepted', 'the overview shows each part');

done_testing();
