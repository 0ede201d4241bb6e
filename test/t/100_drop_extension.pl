# The worker of a database gets out of the way of the commands that need
# the database alone: DROP EXTENSION makes it exit, and DROP DATABASE and
# CREATE DATABASE ... TEMPLATE stop it first, so that neither needs
# WITH (FORCE).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

# Waits until the database's worker runs and returns its pid.
sub running_worker
{
	my ($db) = @_;
	is(wait_for($db, 'SELECT worker_state FROM otan_enbek.delivery_status()', 'running'),
		'running', "worker of $db runs");
	return psql($db, 'SELECT worker_pid FROM otan_enbek.delivery_status()');
}

# DROP EXTENSION: the worker exits, and stays away.
my $db = new_database('otan_t_drop');
my $pid = running_worker($db);
psql($db, 'DROP EXTENSION otan_enbek');
is(wait_for('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid", '0'),
	'0', 'worker exits after DROP EXTENSION');
like(server_log(),
	qr/\[$pid\] LOG:  otan_enbek delivery worker stopped: the extension is not installed in database "otan_t_drop"/,
	'worker logs why it stopped');
psql('postgres', 'DROP DATABASE otan_t_drop');
is(psql('postgres', q{SELECT count(*) FROM pg_database WHERE datname = 'otan_t_drop'}),
	0, 'database without the extension dropped');
drop_database('otan_t_drop');

# CREATE DATABASE ... TEMPLATE: the template's worker is stopped, then
# started again, and the copy gets a worker of its own.
$db = new_database('otan_t_template');
$pid = running_worker($db);
psql('postgres', 'CREATE DATABASE otan_t_copy TEMPLATE otan_t_template');
is(psql('postgres', q{SELECT count(*) FROM pg_database WHERE datname = 'otan_t_copy'}),
	1, 'database copied from a template with a running worker');
psql('otan_t_copy', 'BEGIN; SELECT otan_enbek.wake_delivery(); COMMIT;');
is(wait_for('otan_t_copy', 'SELECT worker_state FROM otan_enbek.delivery_status()', 'running'),
	'running', 'the copy gets its worker when woken');
is(wait_for($db, "SELECT worker_state = 'running' AND worker_pid <> $pid FROM otan_enbek.delivery_status()",
		't'),
	't', 'the template gets a new worker');
psql('postgres', 'DROP DATABASE otan_t_copy');

# DROP DATABASE with a running worker, without WITH (FORCE).
$pid = running_worker($db);
psql('postgres', 'DROP DATABASE otan_t_template');
is(psql('postgres', q{SELECT count(*) FROM pg_database WHERE datname = 'otan_t_template'}),
	0, 'database with a running worker dropped');
is(psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid"),
	0, 'its worker is gone');
drop_database('otan_t_template');

done_testing();
