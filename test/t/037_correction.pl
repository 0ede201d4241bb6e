# Resubmission after Enbek answered.  October 2025 is returned because an
# employee names a contract Enbek does not know; after the contract id is
# fixed, resubmit_timesheet sends the month in full again.  November 2025
# is accepted, then one day of one employee is edited and the month built
# again: otan_enbek.resubmit sends a correction with only that employee,
# Enbek accepts it, and its merged copy equals the new version.  A version
# without changes is not sent.  timesheet_history shows every version.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use IPC::Run qw(run);
use OtanTest;
use JSON::PP;
use Test::More;

my $db = new_database('otan_t_correction');
reset_service();

# The seeded contracts of test/enbek/contracts.json: C-2024-0001 to
# C-2024-0003 for these IINs, in force from 2024-01-01.
my $org = psql($db, q{
	INSERT INTO otan_enbek.organization (bin, name, time_zone)
	VALUES ('050440000012', 'School No. 7', 'Asia/Almaty') RETURNING org_id});
psql($db, qq{
	INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name)
	VALUES ($org, 1, 'Day 09-18');
	INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
	        end_time, break_start, break_end)
	SELECT $org, 1, d, '09:00', '18:00', '13:00', '14:00' FROM generate_series(1, 5) d;
	UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = $org;
	INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
	        contract_id, contract_start)
	VALUES ($org, 1, '810111300012', 'Abenova', 'Aigul', 'C-2024-0001', '2024-01-01'),
	       ($org, 2, '820212300023', 'Bekov', 'Daniyar', 'C-2024-0002', '2024-01-01'),
	       ($org, 3, '830313300034', 'Serikova', 'Zhanna', 'C-2024-9999', '2024-01-01')});

# Waits until no submission of the month is in delivery and returns the
# status of the newest version.
sub settled_status
{
	my ($month) = @_;
	wait_for($db, qq{
		SELECT count(*) FROM otan_enbek.submission s
		JOIN otan_enbek.timesheet t USING (org_id, timesheet_id)
		WHERE t.month = '$month' AND s.status IN ('queued', 'sending', 'sent')}, '0');
	return psql($db, qq{
		SELECT status FROM otan_enbek.timesheet
		WHERE month = '$month' ORDER BY version DESC LIMIT 1});
}

# Validates a document against src/delivery/timesheet-v1.xsd with lxml,
# which the local Enbek service uses too; returns the first error or ''.
sub schema_error
{
	my ($document) = @_;
	my ($out, $err) = ('', '');
	run [ '/usr/bin/python3', '-c', q{
import sys
from lxml import etree
schema = etree.XMLSchema(etree.parse(sys.argv[1]))
document = etree.fromstring(sys.stdin.buffer.read())
if not schema.validate(document):
    print(schema.error_log[0].message)
}, "$ENV{OTAN_TOP}/src/delivery/timesheet-v1.xsd" ], \$document, \$out, \$err
	  or die "the schema check failed: $err";
	chomp $out;
	return $out;
}

# October: returned, fixed, sent in full again.
my $october_v1 = psql($db, "SELECT otan_enbek.build_timesheet($org, '2025-10-01')");
is(psql($db, "SELECT kind || '|' || employee_count FROM otan_enbek.resubmit($october_v1)"),
	'full|3', 'a month without an accepted version is sent in full');
is(settled_status('2025-10-01'), 'returned', 'October version 1 is returned');
is(psql($db, qq{
	SELECT code || '|' || employee_id FROM otan_enbek.submission_reason r
	JOIN otan_enbek.submission s USING (org_id, submission_id)
	WHERE s.timesheet_id = $october_v1}),
	'SCSE012|3', 'the reason names the employee with the unknown contract');

psql($db, "UPDATE otan_enbek.employee SET contract_id = 'C-2024-0003' WHERE employee_id = 3");
my $run = psql($db, qq{
	SELECT status || '|' || coalesce(error_message, '') || '|' || (counts->>'kind') || '|'
	       || (counts->>'version')
	FROM otan_enbek.resubmit_timesheet($org, '2025-10-01')});
is($run, 'succeeded||full|2', 'resubmit_timesheet sends the returned month in full');
is(settled_status('2025-10-01'), 'accepted', 'October version 2 is accepted');
like(psql($db, qq{
	SELECT s.document FROM otan_enbek.submission s
	JOIN otan_enbek.timesheet t USING (org_id, timesheet_id)
	WHERE t.month = '2025-10-01' AND t.version = 2}),
	qr/^<ts:timesheetRequest .*<ts:employees count="3">/,
	'the resent document is a whole timesheet');
is(schema_error(psql($db, qq{
	SELECT s.document FROM otan_enbek.submission s
	JOIN otan_enbek.timesheet t USING (org_id, timesheet_id)
	WHERE t.month = '2025-10-01' AND t.version = 2})),
	'', 'a whole timesheet is valid against the extended schema');

# November: accepted, one day edited, corrected.
my $v1 = psql($db, "SELECT otan_enbek.build_timesheet($org, '2025-11-01')");
is(psql($db, "SELECT kind FROM otan_enbek.resubmit($v1)"), 'full', 'November version 1 is sent in full');
is(settled_status('2025-11-01'), 'accepted', 'November version 1 is accepted');
my $v1_message = psql($db, "SELECT message_id FROM otan_enbek.submission WHERE timesheet_id = $v1");

psql($db, qq{SELECT otan_enbek.edit_day($org, 2, '2025-11-03', 'Я', 8,
                                        'Forgot the card; the director confirms 09:00-18:00')});
my $v2 = psql($db, "SELECT otan_enbek.build_timesheet($org, '2025-11-01')");
isnt($v2, $v1, 'the build after acceptance makes a new version');
is(psql($db, "SELECT kind || '|' || corrects_message_id || '|' || employee_count FROM otan_enbek.resubmit($v2)"),
	"correction|$v1_message|1", 'version 2 is sent as a correction of version 1 with one employee');

my $document = psql($db, "SELECT document FROM otan_enbek.submission WHERE timesheet_id = $v2");
like($document, qr/^<ts:timesheetCorrection [^>]*schemaVersion="1\.1"/, 'the document is a correction');
like($document, qr/<ts:corrects messageId="$v1_message" timesheetId="$v1" version="1"\/>/,
	'it names the accepted document');
like($document, qr/<ts:changes count="1"><ts:employee change="changed"><ts:iin>820212300023</,
	'it carries the edited employee as changed');
unlike($document, qr/810111300012|830313300034/, 'it leaves out the unchanged employees');
is(psql($db, "SELECT valid FROM otan_enbek.verify_document((SELECT document FROM otan_enbek.submission WHERE timesheet_id = $v2))"),
	't', 'the correction is signed');
is(schema_error($document), '', 'the correction is valid against the schema');

is(settled_status('2025-11-01'), 'accepted', 'the correction is accepted');
my $v2_message = psql($db, "SELECT message_id FROM otan_enbek.submission WHERE timesheet_id = $v2");
my $service = service_message($v2_message);
is($service->{kind}, 'correction', 'the service received a correction');
is($service->{corrects}, $v1_message, 'the service saw the reference');

# The service's merged copy equals version 2, line by line.
my $copy = control_get('timesheet?bin=050440000012&period=2025-11');
is_deeply($copy->{head}, [$v2_message], 'the correction is the latest accepted document');
my $expected = JSON::PP->new->decode(psql($db, qq{
	SELECT json_agg(json_build_object(
	           'iin', l.iin, 'contractId', l.contract_id,
	           'days', (SELECT json_agg(json_build_array(d, l.day_codes[d],
	                                        coalesce(l.day_hours[d], 0)::numeric(5,2)::text)
	                                    ORDER BY d)
	                    FROM generate_subscripts(l.day_codes, 1) d WHERE l.day_codes[d] <> ''),
	           'totals', json_build_object(
	               'daysWorked', l.days_worked::text,
	               'hoursWorked', l.hours_worked::numeric(9,2)::text,
	               'overtimeHours', l.overtime_hours::numeric(9,2)::text,
	               'nightHours', l.night_hours::numeric(9,2)::text,
	               'holidayHours', l.holiday_hours::numeric(9,2)::text,
	               'daysOff', l.days_off::text))
	       ORDER BY l.iin)
	FROM otan_enbek.timesheet_line l WHERE l.timesheet_id = $v2}));
is_deeply($copy->{employees}, $expected, "the service's copy equals version 2");
is($copy->{employees}[1]{days}[2][1], 'Я', 'the copy has the edited day');

# Nothing changed: the build is kept, nothing is sent.
my $v3 = psql($db, "SELECT otan_enbek.build_timesheet($org, '2025-11-01')");
like(psql_error($db, "SELECT * FROM otan_enbek.resubmit($v3)"),
	qr/timesheet $v3 has no changes since the accepted version 2.*DETAIL:  Every line of version 3 of 2025-11 is the same/s,
	'a version without changes is not sent');
is(psql($db, "SELECT count(*) FROM otan_enbek.submission WHERE timesheet_id = $v3"), 0,
	'no submission for the unchanged version');
is(psql($db, "SELECT error_message FROM otan_enbek.resubmit_timesheet($org, '2025-11-01')"),
	"timesheet $v3 has no changes since the accepted version 2",
	'resubmit_timesheet records the same error');
like(psql_error($db, "SELECT * FROM otan_enbek.resubmit($v2)"),
	qr/timesheet $v2 has already been submitted/, 'a submitted version is not resubmitted');

# The history lists every version and submission.
is(psql($db, qq{
	SELECT string_agg(concat_ws(':', to_char(month, 'MM'), version, timesheet_status,
	                            coalesce(kind, '-'), coalesce(corrects_version::text, '-'),
	                            coalesce(submission_status, '-'),
	                            coalesce(changed_employee_count::text, '-'),
	                            coalesce(reasons->0->>'code', '-')),
	                  ' ' ORDER BY month, version)
	FROM otan_enbek.timesheet_history}),
	'10:1:returned:full:-:returned:-:SCSE012 10:2:accepted:full:-:accepted:-:- '
	  . '11:1:accepted:full:-:accepted:-:- 11:2:accepted:correction:1:accepted:1:- '
	  . '11:3:built:-:-:-:-:-',
	'the history shows each version with its submission');
is(psql($db, qq{
	SELECT reasons->0->>'iin' FROM otan_enbek.timesheet_history
	WHERE month = '2025-10-01' AND version = 1}),
	'830313300034', 'operators see the IIN of a reason');
is(psql($db, qq{
	SELECT concat_ws('|', reasons->0->>'iin_masked', reasons->0->>'message')
	FROM otan_enbek.reader_timesheet_history
	WHERE month = '2025-10-01' AND version = 1}),
	'******300034', 'readers see it masked and without the message');

done_testing();
