# The delivery worker sends a claimed batch over one libcurl multi handle,
# at most otan_enbek.max_in_flight requests at a time.  The local Enbek
# service holds each answer back for a second, so requests sent together
# overlap there, and it reports the most it served at once.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

my $db = new_database('otan_t_in_flight');
add_contracts('050440000012', '810111300012');
my $version = 0;

# Queues $count submissions while delivery is off, then turns it on and
# wakes the worker once, so that one claim takes them all; returns them
# once all are accepted.
sub deliver_batch
{
	my ($count) = @_;
	my @subs;
	set_config('otan_enbek.delivery_enabled', 'off');
	foreach (1 .. $count)
	{
		my $setup = setup_organization($db, iins => ['810111300012'], version => ++$version);
		push @subs, add_submission($db, $setup, iins => ['810111300012'], wake => 0);
	}
	control_post('fault', { mode => 'delay', delay => 1, count => $count,
		service => 'timesheet' });
	reset_config('otan_enbek.delivery_enabled');
	psql($db, 'SELECT otan_enbek.wake_delivery()');
	my $ids = join ',', map { $_->{submission_id} } @subs;
	is(wait_for($db, "SELECT count(*) FILTER (WHERE status = 'accepted') FROM otan_enbek.submission WHERE submission_id IN ($ids)",
			$count),
		$count, "$count submissions accepted");
	return @subs;
}

# Four submissions, three at a time.
reset_service();
set_config('otan_enbek.max_in_flight', '3');
my @subs = deliver_batch(4);
is(control_get('in-flight')->{maximum}, 3, 'three requests in flight at once');
is(scalar(grep { service_message($_->{message_id})->{sendCount} == 1 } @subs), 4,
	'each submission received once');
like(server_log(), qr/database "otan_t_in_flight": batch of 4, /, 'one claim took the four');

# One at a time: the requests never overlap.
reset_service();
set_config('otan_enbek.max_in_flight', '1');
deliver_batch(3);
is(control_get('in-flight')->{maximum}, 1, 'one request in flight at a time');

reset_config('otan_enbek.max_in_flight');
drop_database($db);
done_testing();
