# An immediate shutdown of the server while submissions are in state
# sending loses nothing and sends nothing twice as new: at restart the
# worker puts them back in the queue; the one whose request was on the
# network is re-sent, recognised by Enbek (SCSE196) and resolved by a
# status query; the one that was claimed but never sent is sent once.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use IPC::Run qw(run);
use OtanTest;
use Test::More;

my $data = "$ENV{PGHOST}/data";
my $db = new_database('otan_t_restart');
reset_service();
add_contracts('050440000012', '810111300012');
my $setup = setup_organization($db, iins => ['810111300012']);

# A long request timeout, so that the request is still waiting for its
# response when the server stops.
set_config('otan_enbek.request_timeout', '120s');
END { eval { reset_config('otan_enbek.request_timeout') }; }
is(wait_for($db, q{SELECT setting FROM pg_settings WHERE name = 'otan_enbek.request_timeout'},
		'120000'),
	'120000', 'request_timeout raised');

control_post('fault', { mode => 'delay', delay => 60 });
my $on_wire = add_submission($db, $setup, iins => ['810111300012']);
my $on_wire_id = $on_wire->{submission_id};
my $received = 0;
for (1 .. 600)
{
	my $message = service_message($on_wire->{message_id});
	$received = $message ? $message->{sendCount} : 0;
	last if $received;
	select(undef, undef, undef, 0.2);
}
is($received, 1, 'Enbek received the first request');
is(submission_row($db, $on_wire_id), 'sending|1|', 'the submission is being sent');

# A submission that a worker claimed and never sent.
my $setup2 = setup_organization($db, iins => ['810111300012'], version => 2);
my $claimed = add_submission($db, $setup2, iins => ['810111300012'],
	status => 'sending', wake => 0);
my $claimed_id = $claimed->{submission_id};
psql($db, qq{
	UPDATE otan_enbek.submission SET attempts = 1 WHERE submission_id = $claimed_id;
	SELECT otan_enbek.submission_add_event($setup->{org_id}, $claimed_id, 'attempt', 1,
	    p_detail => '{"request": "send"}');});

my $out = '';
ok(run([ 'pg_ctl', '-D', $data, '-m', 'immediate', '-w', 'stop' ], '>', \$out, '2>&1'),
	'immediate shutdown');
ok(run([ 'pg_ctl', '-D', $data, '-l', "$ENV{PGHOST}/server.log", '-w', 'start' ],
		'>', \$out, '2>&1'),
	'server started again');

is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $on_wire_id",
		'accepted'),
	'accepted', 'the submission on the wire is accepted');
like(event_kinds($db, $on_wire_id),
	qr/^attempt,requeued,attempt,answer,(status_query,answer,)+accepted$/,
	'requeued, re-sent, then resolved by status queries');
my $events = events($db, $on_wire_id);
is($events->[1]{detail}{status}, 'queued', 'requeued as queued');
is($events->[3]{code}, 'SCSE196', 'Enbek recognised the re-send');
my $message = service_message($on_wire->{message_id});
is($message->{sendCount}, 2, 'Enbek received it twice');
is($message->{state}, 'ACCEPTED', 'and processed it once');
is(psql($db, "SELECT count(*) FROM otan_enbek.notification WHERE submission_id = $on_wire_id"),
	1, 'one notification');

is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $claimed_id",
		'accepted'),
	'accepted', 'the claimed submission is accepted');
like(event_kinds($db, $claimed_id),
	qr/^attempt,requeued,attempt,answer,(status_query,answer,)+accepted$/,
	'requeued, then sent');
is(service_message($claimed->{message_id})->{sendCount}, 1,
	'Enbek received the claimed submission exactly once');

like(server_log(), qr/otan_enbek put back in the queue 2 submissions that a stopped worker had claimed/,
	'the worker logged the requeue');

done_testing();
