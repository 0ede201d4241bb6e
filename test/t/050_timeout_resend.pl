# A request that times out is recorded with an explicit timeout, retried,
# recognised by Enbek as a re-send (SCSE196) and resolved by a status query:
# Enbek received the message twice and processed it once.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

my $db = new_database('otan_t_timeout');
reset_service();
add_contracts('050440000012', '810111300012');
my $setup = setup_organization($db, iins => ['810111300012']);

# The response comes after otan_enbek.request_timeout (3 s in the test cluster).
my $timeout_ms = psql($db, q{SELECT setting FROM pg_settings WHERE name = 'otan_enbek.request_timeout'});
control_post('fault', { mode => 'delay', delay => $timeout_ms / 1000 + 3 });
my $sub = add_submission($db, $setup, iins => ['810111300012']);
my $id = $sub->{submission_id};

is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $id",
		'accepted'),
	'accepted', 'accepted after a timeout');
is(submission_row($db, $id), 'accepted|2|SCSS001', 'two send attempts');
like(event_kinds($db, $id),
	qr/^attempt,error,retry_scheduled,attempt,answer,(status_query,answer,)+accepted$/,
	'timeout, retry, re-send, status query');

my $events = events($db, $id);
is($events->[1]{kind}, 'error', 'the timeout is an error event');
ok($events->[1]{detail}{timed_out}, 'the error is marked as a timeout');
like($events->[1]{message}, qr/timed out/i, 'the message says it timed out');
ok($events->[1]{duration_ms} >= $timeout_ms, 'the attempt lasted the whole timeout');
is($events->[4]{code}, 'SCSE196', 'the re-send is recognised');
isnt($events->[5]{detail}{request_message_id}, $sub->{message_id},
	'the status query has its own message id');

my $message = service_message($sub->{message_id});
is($message->{sendCount}, 2, 'Enbek received the message twice');
is(scalar @{ $message->{bodySha256} }, 1,
	'the re-send repeated the signed request byte for byte');
is($message->{state}, 'ACCEPTED', 'Enbek processed it once and accepted it');
is(psql($db, "SELECT count(*) FROM otan_enbek.notification WHERE submission_id = $id"),
	1, 'one notification');

done_testing();
