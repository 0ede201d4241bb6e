# The worker's claims alternate between sends and status queries, so a
# backlog of queued timesheets does not hold back the status query of one
# already sent.  Each send waits half a second at the local Enbek service
# and goes out alone, so the backlog takes seconds to clear, while the sent
# timesheet's status query is due one second after its send.  The backlog
# is older than that status query.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

my $db = new_database('otan_t_claim_turns');
reset_service();
add_contracts('050440000012', '810111300012');
set_config('otan_enbek.max_in_flight', '1');
set_config('otan_enbek.batch_size', '2');

my $version = 0;
my $setup = setup_organization($db, iins => ['810111300012'], version => ++$version);
my $first = add_submission($db, $setup, iins => ['810111300012']);
my $first_id = $first->{submission_id};
is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $first_id",
		'sent'),
	'sent', 'the first timesheet is sent and awaits its status');

# With delivery stopped, a backlog builds up behind the sent timesheet.
set_config('otan_enbek.delivery_enabled', 'off');
my @backlog;
foreach (1 .. 12)
{
	$setup = setup_organization($db, iins => ['810111300012'], version => ++$version);
	push @backlog, add_submission($db, $setup, iins => ['810111300012'], wake => 0);
}
my $ids = join ',', map { $_->{submission_id} } @backlog;

# The backlog waited an hour, as after an outage: older than the status
# query, which comes first by time alone.
psql($db, "UPDATE otan_enbek.submission SET next_attempt_at = now() - interval '1 hour'
	WHERE submission_id IN ($ids)");
control_post('fault', { mode => 'delay', delay => 0.5, count => 12, service => 'timesheet' });
reset_config('otan_enbek.delivery_enabled');
psql($db, 'SELECT otan_enbek.wake_delivery()');

is(wait_for($db, "SELECT count(*) FILTER (WHERE status = 'accepted') FROM otan_enbek.submission WHERE submission_id IN ($first_id, $ids)",
		13),
	13, 'all thirteen accepted');

my $first_query = psql($db, "SELECT min(at) FROM otan_enbek.submission_event
	WHERE submission_id = $first_id AND kind = 'status_query'");
my $later_sends = psql($db, "SELECT count(*) FROM otan_enbek.submission_event
	WHERE submission_id IN ($ids) AND kind = 'attempt' AND at > '$first_query'");
cmp_ok($later_sends, '>', 0, 'the status query came before the backlog was sent');
is(psql($db, "SELECT count(*) FROM otan_enbek.submission_event
	WHERE submission_id IN ($ids) AND kind = 'attempt'"), 12, 'each queued timesheet sent once');

reset_config('otan_enbek.max_in_flight');
reset_config('otan_enbek.batch_size');
drop_database($db);
done_testing();
