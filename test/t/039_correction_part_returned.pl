#!/usr/bin/perl
# A correction sent in parts, of which Enbek returns one part and accepts
# the others, leaves Enbek holding the accepted parts applied over the
# version before.  No version describes that state, so the next version
# goes in full, which replaces it, and is accepted.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanCorrection;
use OtanTest;
use Test::More;

my $db = new_database('otan_t_correction_part_returned');
reset_service();

# 150 valid IINs with contracts, and one IIN without a contract, which
# the local service returns with SCSE012.
my $no_contract = '860616300067';
my @iins = (test_iins(150), $no_contract);
add_contracts('050440000012', @iins[0 .. 149]);

my $org = psql($db, q{
	INSERT INTO otan_enbek.organization (bin, name)
	VALUES ('050440000012', 'School No. 7') RETURNING org_id});

# Employee 151 is the one without a contract.
sub build_version { return build_october_version($db, $org, \@iins, @_); }

my $v1 = build_version(1, [ 1 .. 150 ], []);
psql($db, "SELECT count(*) FROM otan_enbek.resubmit($v1)");
like(wait_for_parts($db, $v1), qr/^accepted(,accepted)+$/, 'version 1: every part is accepted');

# Version 2 changes employees 1-140 and adds the one without a contract,
# who comes last in the document, so only the last part is returned.
my $v2 = build_version(2, [ 1 .. 150, 151 ], [ 1 .. 140 ]);
psql($db, "SELECT count(*) FROM otan_enbek.resubmit($v2)");
like(wait_for_parts($db, $v2), qr/^accepted(,accepted)+,returned$/,
	'version 2: the last part is returned, the others are accepted');

# Version 3 fixes it: the employee without a contract is gone.
my $v3 = build_version(3, [ 1 .. 150 ], [ 1 .. 140 ]);
psql($db, "SELECT count(*) FROM otan_enbek.resubmit($v3)");
like(wait_for_parts($db, $v3), qr/^accepted(,accepted)*$/, 'version 3: every part is accepted');
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
