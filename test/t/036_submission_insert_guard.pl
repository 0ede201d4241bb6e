# The insert guard of otan_enbek.submission across transactions: an
# operator may insert a row with a document that sign_timesheet signed in
# an earlier statement of the same transaction, but not one that it signed
# in a transaction that has already committed.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP;
use OtanTest;
use Test::More;

my $db = new_database('otan_t_insert_guard');
my $setup = setup_organization($db, iins => ['810111300012']);
my $org = $setup->{org_id};
my $sheet = $setup->{timesheet_id};
my $operator = 'otan_t_insert_guard_operator';

psql('postgres', qq{DROP ROLE IF EXISTS $operator});
psql('postgres', qq{CREATE ROLE $operator IN ROLE otan_enbek_operator});
psql($db, qq{SELECT otan_enbek.grant_org_access('$operator', $org)});

# Returns an INSERT of the signed document as a new queued submission.
sub insert_signed
{
	my ($signed) = @_;
	return qq{INSERT INTO otan_enbek.submission
	    (org_id, timesheet_id, part_no, part_count, message_id, service_id,
	     document, document_sha256, signature_value, key_fingerprint,
	     certificate_serial, certificate_not_after)
	VALUES ($signed->{org_id}, $sheet, $signed->{part_no},
	        $signed->{part_count}, '$signed->{message_id}',
	        'OTAN_TIMESHEET_V1', \$document\$$signed->{document}\$document\$,
	        sha256(convert_to(\$document\$$signed->{document}\$document\$, 'UTF8')),
	        '$signed->{signature_value}', '$signed->{key_fingerprint}',
	        '$signed->{certificate_serial}', '$signed->{certificate_not_after}')};
}

my $sign_query = qq{SELECT row_to_json(g) FROM otan_enbek.sign_timesheet($sheet) AS g};

# Signed and committed in one transaction, inserted in the next.
my $signed = decode_json(psql($db, "SET ROLE $operator;\n$sign_query"));
is($signed->{part_count}, 1, 'the timesheet is signed as one document');
my $error = psql_error($db, "SET ROLE $operator;\n" . insert_signed($signed));
like($error,
	qr/permission denied to insert a submission of timesheet $sheet by hand/,
	'a document signed in a committed transaction is rejected');
like($error, qr/was not signed by otan_enbek.sign_timesheet/,
	'the detail says the document was not signed in this transaction');
is(psql($db, "SELECT count(*) FROM otan_enbek.submission"), '0',
	'no submission is stored');

# Signed and inserted in two statements of one transaction.  The output
# of the signing statement is read back from a temporary table.
psql($db, qq{BEGIN;
SET LOCAL ROLE $operator;
CREATE TEMP TABLE signed ON COMMIT DROP AS $sign_query;
DO \$\$
DECLARE
    signed json := (SELECT row_to_json FROM signed);
BEGIN
    EXECUTE format(\$insert\$
        INSERT INTO otan_enbek.submission
            (org_id, timesheet_id, part_no, part_count, message_id, service_id,
             document, document_sha256, signature_value, key_fingerprint,
             certificate_serial, certificate_not_after)
        VALUES (%s, $sheet, %s, %s, %L, 'OTAN_TIMESHEET_V1', %L,
                sha256(convert_to(%L, 'UTF8')), %L, %L, %L, %L)\$insert\$,
        signed->>'org_id', signed->>'part_no', signed->>'part_count',
        signed->>'message_id', signed->>'document', signed->>'document',
        signed->>'signature_value', signed->>'key_fingerprint',
        signed->>'certificate_serial', signed->>'certificate_not_after');
END
\$\$;
COMMIT;});
is(psql($db, "SELECT count(*) FROM otan_enbek.submission WHERE timesheet_id = $sheet"),
	'1', 'a document signed earlier in the same transaction is stored');

drop_database($db);
psql('postgres', qq{DROP ROLE $operator});

done_testing();
