# A correction too large for one request is sent in parts.  October 2025
# is accepted in full with 150 employees, then version 2 changes 140 of
# them, removes 5 and adds 3.  otan_enbek.resubmit sends the correction in
# as many parts as the split computes, each its own submission below
# 100 KB that names the accepted document, and the month is accepted only
# when every part is.  The first part sent times out, and its re-send
# repeats the request byte for byte.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanCorrection;
use JSON::PP;
use OtanTest;
use Test::More;

my $db = new_database('otan_t_correction_parts');
reset_service();

# 153 valid IINs with contracts: employees 1 to 150 are in version 1, and
# 151 to 153 are added in version 2.
my @iins = test_iins(153);
is(scalar @iins, 153, '153 IINs generated');
add_contracts('050440000012', @iins);

my $org = psql($db, q{
	INSERT INTO otan_enbek.organization (bin, name)
	VALUES ('050440000012', 'School No. 7') RETURNING org_id});

sub build_version { return build_october_version($db, $org, \@iins, @_); }

# Version 1: accepted in full.
my $v1 = build_version(1, [ 1 .. 150 ], []);
my $v1_parts = psql($db, "SELECT count(*) FROM otan_enbek.resubmit($v1) WHERE kind = 'full'");
cmp_ok($v1_parts, '>', 1, 'version 1 is sent in full, in parts');
like(wait_for_parts($db, $v1), qr/^accepted(,accepted)+$/, 'every part of version 1 is accepted');
is(psql($db, "SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = $v1"),
	'accepted', 'version 1 is accepted');
my $v1_message = psql($db,
	"SELECT message_id FROM otan_enbek.submission WHERE timesheet_id = $v1 AND part_no = 1");

# Version 2: employees 1-140 changed, 141-145 removed, 151-153 added.
my @changed = (1 .. 140);
my @removed = (141 .. 145);
my @added = (151 .. 153);
my $v2 = build_version(2, [ 1 .. 140, 146 .. 153 ], \@changed);
cmp_ok(psql($db, qq{SELECT octet_length(otan_enbek.timesheet_correction_document(
	$v2, gen_random_uuid())::text)}), '>', 102400,
	'the unsigned correction alone exceeds 100 KB');
my ($expected_parts, $planned_part_count) = split /\|/, psql($db, qq{
	SELECT count(*) || '|' || max(part_count)
	FROM otan_enbek.sign_timesheet_correction($v2)});
cmp_ok($expected_parts, '>', 1, 'the split of the correction has more than one part');
is($planned_part_count, $expected_parts, 'each planned part knows the number of parts');

# The response to the first request comes after otan_enbek.request_timeout.
my $timeout_ms = psql($db,
	q{SELECT setting FROM pg_settings WHERE name = 'otan_enbek.request_timeout'});
control_post('fault', { mode => 'delay', delay => $timeout_ms / 1000 + 3 });

my @sent = map { [ split /\|/ ] } split /\n/, psql($db, qq{
	SELECT submission_id || '|' || kind || '|' || corrects_message_id || '|' || employee_count
	FROM otan_enbek.resubmit($v2)});
is(scalar @sent, $expected_parts, 'resubmit sends as many parts as the split computes');
is(scalar(grep { $_->[1] eq 'correction' } @sent), $expected_parts,
	'every part is a correction');
is(scalar(grep { $_->[2] eq $v1_message } @sent), $expected_parts,
	'every part names part 1 of version 1');
my $row_total = 0;
$row_total += $_->[3] foreach @sent;
is($row_total, 148, 'the rows count 148 changed employees');
is(psql($db, "SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = $v2"),
	'submitted', 'version 2 is submitted');

like(wait_for_parts($db, $v2), qr/^accepted(,accepted)+$/, 'every part of version 2 is accepted');
is(psql($db, "SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = $v2"),
	'accepted', 'version 2 is accepted');
is(psql($db, qq{SELECT string_agg(n.payload->>'timesheet_status', ',' ORDER BY n.notification_id)
	FROM otan_enbek.notification AS n
	WHERE n.timesheet_id = $v2 AND n.kind = 'submission_accepted'}),
	join(',', ('submitted') x ($expected_parts - 1), 'accepted'),
	'the month is accepted only with the last part');

# Each part: its own message, below the limit, accepted by the service.
my (@part_employees, @message_ids);
foreach my $part (@sent)
{
	my $id = $part->[0];
	my $row = JSON::PP->new->decode(psql($db, qq{
		SELECT json_build_object('part_no', s.part_no, 'part_count', s.part_count,
		                         'message_id', s.message_id,
		                         'document_bytes', octet_length(s.document),
		                         'detail', e.detail)
		FROM otan_enbek.submission AS s
		JOIN otan_enbek.submission_event AS e USING (org_id, submission_id)
		WHERE s.submission_id = $id AND e.kind = 'created'}));
	my $part_no = $row->{part_no};
	push @message_ids, $row->{message_id};
	is($row->{part_count}, $expected_parts, "part $part_no: the number of parts");
	cmp_ok($row->{detail}{request_bytes}, '<=', 102400, "part $part_no: its request fits");
	cmp_ok($row->{document_bytes}, '<', 102400, "part $part_no: its document fits");
	push @part_employees, @{ $row->{detail}{$_} } foreach qw(added changed removed);

	my $message = service_message($row->{message_id});
	is($message->{state}, 'ACCEPTED', "part $part_no: the service accepted it");
	is($message->{kind}, 'correction', "part $part_no: the service saw a correction");
	is($message->{corrects}, $v1_message, "part $part_no: the service saw the reference");
	is($message->{part}, $part_no, "part $part_no: the service saw its part number");
	is($message->{parts}, $expected_parts, "part $part_no: the service saw the parts");
	is(scalar(@{ $message->{bodySha256} }), 1,
		"part $part_no: every sending repeated the same request");
}
is(scalar(keys %{ { map { $_ => 1 } @message_ids } }), $expected_parts,
	'each part has its own message id');
is_deeply([ sort { $a <=> $b } @part_employees ], [ sort { $a <=> $b } @changed, @removed, @added ],
	'the parts carry each changed employee once');

# The re-send after the timeout.
my @resent = grep { service_message($_)->{sendCount} == 2 } @message_ids;
is(scalar @resent, 1, 'one part was sent twice');
like(psql($db, qq{SELECT string_agg(kind, ',' ORDER BY event_no) FROM otan_enbek.submission_event
	WHERE submission_id = (SELECT submission_id FROM otan_enbek.submission
	                       WHERE message_id = '$resent[0]')}),
	qr/^created,attempt,error,retry_scheduled,attempt,answer,/,
	'its history shows the timeout and the re-send');

# The service's copy is version 2, and its head is every part.
my $copy = control_get('timesheet?bin=050440000012&period=2025-10');
is_deeply([ sort @{ $copy->{head} } ], [ sort @message_ids ],
	'the latest accepted document is every part');
is_deeply([ map { $_->{iin} } @{ $copy->{employees} } ],
	[ sort map { $iins[ $_ - 1 ] } 1 .. 140, 146 .. 153 ],
	"the service's copy has the employees of version 2");

# The history shows each part.
is(psql($db, qq{
	SELECT string_agg(concat_ws(':', part_no, part_count, kind, corrects_version,
	                            submission_status, timesheet_status),
	                  ' ' ORDER BY part_no)
	FROM otan_enbek.timesheet_history WHERE timesheet_id = $v2}),
	join(' ', map { "$_:$expected_parts:correction:1:accepted:accepted" } 1 .. $expected_parts),
	'the history has a row per part');
is(psql($db, qq{SELECT sum(changed_employee_count) FROM otan_enbek.timesheet_history
	WHERE timesheet_id = $v2}),
	148, 'the history counts the employees of each part');
is(psql($db, qq{SELECT count(*) FROM otan_enbek.reader_timesheet_history
	WHERE timesheet_id = $v2}),
	$expected_parts, 'the reader history has a row per part');

done_testing();
