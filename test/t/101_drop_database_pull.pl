# DROP DATABASE while the database's worker waits for a pull source that
# does not answer.  The worker must abort the request when it is
# terminated, or the command fails with "database is being accessed by
# other users" long before the request times out.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use IO::Select;
use IO::Socket::INET;
use OtanTest;
use Test::More;

# A source that accepts connections and never answers.
my $listener = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
	Listen => 5, ReuseAddr => 1) or die "cannot listen: $!";
my $port = $listener->sockport;

my $db = new_database('otan_t_pull_drop');
my $org = psql($db, q{
	INSERT INTO otan_enbek.organization (bin, name, time_zone)
	VALUES ('050440000012', 'School No. 3', 'Asia/Almaty') RETURNING org_id});
my $source = psql($db, qq{
	INSERT INTO otan_enbek.source (org_id, name) VALUES ($org, 'Silent feed')
	RETURNING source_id});
psql($db, qq{
	INSERT INTO otan_enbek.source_pull (org_id, source_id, protocol, url, settings,
	                                    pull_interval)
	VALUES ($org, $source, 'rest', 'http://127.0.0.1:$port/events', '{
		"paging": "cursor", "items_path": "\$.items[*]", "request_timeout_ms": 600000,
		"fields": {"id": "\$.id", "time": "\$.at", "credential": "\$.card"},
		"credential_kind": "card"}', '1 hour')});
is(wait_for($db, 'SELECT worker_state FROM otan_enbek.delivery_status()', 'running'),
	'running', 'the worker runs');
my $pid = psql($db, 'SELECT worker_pid FROM otan_enbek.delivery_status()');
psql($db, 'BEGIN; SELECT otan_enbek.wake_delivery(); COMMIT;');

# The worker's request has arrived once the source accepts its connection.
my @ready = IO::Select->new($listener)->can_read($OtanTest::WAIT_SECONDS);
ok(@ready, 'the worker connects to the source');
my $connection = $listener->accept;
is(psql('postgres', "SELECT query FROM pg_stat_activity WHERE pid = $pid"),
	q{otan_enbek pull: running run_job('pull')}, 'the worker waits in the pull');

my $dropped = eval { psql('postgres', 'DROP DATABASE otan_t_pull_drop'); 1 };
ok($dropped, 'database with a worker inside a pull dropped') or diag($@);
is(psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid"),
	'0', 'the worker is gone');
drop_database($db);

done_testing();
