# Timesheets that Enbek returns: one with an employee who has no contract
# (SCSE012, found by the asynchronous checks and reported by a status
# query), and one signed with the authentication key instead of the signing
# key (SCSE001, rejected at once).  Each reason is stored with the employee
# it names, and HR is notified.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

my $db = new_database('otan_t_returned');
reset_service();

# 860616300067 has no contract in any test.
add_contracts('050440000012', '810111300012');
my $setup = setup_organization($db, iins => [ '810111300012', '860616300067' ]);
my $listener = listen_start($db);

my $sub = add_submission($db, $setup, iins => [ '810111300012', '860616300067' ]);
my $id = $sub->{submission_id};
is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $id",
		'returned'),
	'returned', 'submission with an unknown IIN is returned');
is(submission_row($db, $id), 'returned|1|SCSE012', 'returned after one send with SCSE012');
like(event_kinds($db, $id), qr/^attempt,answer,(status_query,answer,)+returned$/,
	'received, then rejected by a status query');

my $events = events($db, $id);
is($events->[1]{detail}{state}, 'RECEIVED', 'the send was received');
is($events->[-2]{detail}{state}, 'REJECTED', 'the status query found it rejected');

is(psql($db, "SELECT count(*) FROM otan_enbek.submission_reason WHERE submission_id = $id"),
	1, 'one reason');
is(psql($db, "SELECT code || '|' || iin || '|' || employee_id FROM otan_enbek.submission_reason WHERE submission_id = $id"),
	"SCSE012|860616300067|$setup->{employee_id}{860616300067}",
	'the reason names the IIN and the employee');
is(psql($db, "SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = $setup->{timesheet_id}"),
	'returned', 'timesheet is returned');
is(psql($db, "SELECT subject FROM otan_enbek.notification WHERE submission_id = $id"),
	'Табель за ноябрь 2025 г. возвращён Enbek на доработку', 'notification of the return');
like(psql($db, "SELECT body FROM otan_enbek.notification WHERE submission_id = $id"),
	qr/SCSE012 \(1\)/, 'notification counts the reasons by code');
is(psql($db, "SELECT reasons FROM otan_enbek.submission_overview WHERE submission_id = $id"),
	1, 'overview counts the reason');

# The authentication key is rejected at once, without a status query.
my $setup2 = setup_organization($db, iins => ['810111300012'], version => 2);
my $auth = add_submission($db, $setup2, iins => ['810111300012'], key => 'auth');
my $auth_id = $auth->{submission_id};
is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $auth_id",
		'returned'),
	'returned', 'document signed with the authentication key is returned');
is(submission_row($db, $auth_id), 'returned|1|SCSE001', 'returned with SCSE001');
is(event_kinds($db, $auth_id), 'attempt,answer,returned', 'rejected by the first answer');
is(psql($db, "SELECT code || '|' || coalesce(iin, '-') || '|' || coalesce(employee_id::text, '-') FROM otan_enbek.submission_reason WHERE submission_id = $auth_id"),
	'SCSE001|-|-', 'the reason is about the document, not an employee');
is(service_message($auth->{message_id})->{sendCount}, 1, 'sent once');

my @kinds = map { $_->{kind} } @{ listen_notifications($db, $listener) };
is_deeply(\@kinds, [ 'submission_returned', 'submission_returned' ],
	'a NOTIFY for each return');

done_testing();
