# PostgreSQL has no privilege for LISTEN, so any role may listen on channel
# otan_enbek.  An operator who sees organization A only listens while
# notifications of A and of B are written: each NOTIFY payload carries only
# the notification's id, and reading that id through the notification
# table's row-level security returns the row of A and no row of B.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

my $db = new_database('otan_t_listen_org');
my $operator = 'otan_t_listen_operator';
psql($db, qq{DROP ROLE IF EXISTS $operator;
	CREATE ROLE $operator LOGIN IN ROLE otan_enbek_operator});
END { local $?; eval { psql('postgres', "DROP ROLE IF EXISTS $operator") }; }

my $org_a = setup_organization($db, iins => ['810111300012']);
my $org_b = { org_id => psql($db, q{
	INSERT INTO otan_enbek.organization (bin, name)
	VALUES ('090440004210', 'School No. 9') RETURNING org_id}) };
$org_b->{timesheet_id} = psql($db, qq{
	INSERT INTO otan_enbek.timesheet
	    (org_id, month, version, status, working_days, norm_hours, employee_count)
	VALUES ($org_b->{org_id}, '2025-11-01', 1, 'submitted', 20, 160, 0)
	RETURNING timesheet_id});
psql($db, "SELECT otan_enbek.grant_org_access('$operator', $org_a->{org_id})");

# Submissions that the worker leaves alone, so that only the calls below
# write notifications.
my $sub_a = add_submission($db, $org_a, iins => ['810111300012'],
	status => 'accepted', wake => 0)->{submission_id};
my $sub_b = add_submission($db, $org_b, iins => ['810111300012'],
	status => 'accepted', wake => 0)->{submission_id};

my $listener = listen_start($db, $operator);
psql($db, "SELECT otan_enbek.delivery_notify($org_b->{org_id}, $sub_b, 'submission_returned')");
psql($db, qq{
	SELECT otan_enbek.delivery_breaker_notify(
	    $org_b->{org_id}, 'endpoint_unavailable',
	    jsonb_populate_record(NULL::otan_enbek.delivery_breaker,
	        '{"endpoint": "https://127.0.0.1:9/bip-sync/", "state": "open", "failures": 5}'))});
psql($db, "SELECT otan_enbek.delivery_notify($org_a->{org_id}, $sub_a, 'submission_accepted')");
my $payloads = listen_collect($listener);

my %id_of = map { my ($kind, $id) = split /\|/; ($kind => $id) } split /\n/, psql($db, q{
	SELECT kind, notification_id FROM otan_enbek.notification});
is(scalar @$payloads, 3, 'the operator received a NOTIFY for each notification');
is_deeply($payloads,
	[ { notification_id => $id_of{submission_returned} + 0 },
	  { notification_id => $id_of{endpoint_unavailable} + 0 },
	  { notification_id => $id_of{submission_accepted} + 0 } ],
	'each payload is the notification id and nothing else');

# The operator reads each notification by its id, as a listener does.
sub read_as_operator
{
	my ($id) = @_;
	return psql($db, qq{
		SET ROLE $operator;
		SELECT count(*) || '|' || coalesce(string_agg(org_id::text, ','), '-')
		FROM otan_enbek.notification WHERE notification_id = $id});
}
is(read_as_operator($id_of{submission_returned}), '0|-',
	'the return of organization B is not readable by its id');
is(read_as_operator($id_of{endpoint_unavailable}), '0|-',
	'the outage notification of organization B is not readable by its id');
is(read_as_operator($id_of{submission_accepted}), "1|$org_a->{org_id}",
	'the acceptance of organization A is readable by its id');

done_testing();
