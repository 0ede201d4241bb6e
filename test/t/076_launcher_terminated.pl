# The delivery launcher comes back after pg_terminate_backend, as after an
# error, so that databases keep getting their workers.  The postmaster
# never restarts a background worker that exits with status 0.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

my $launcher_sql = q{SELECT pid FROM pg_stat_activity
	WHERE backend_type = 'otan_enbek delivery launcher'};

is(wait_for('postgres', "SELECT count(*) FROM ($launcher_sql) AS l", '1'), '1',
	'the launcher runs');
my $old_pid = psql('postgres', $launcher_sql);
is(psql('postgres', "SELECT pg_terminate_backend($old_pid)"), 't',
	'the launcher is terminated');
is(wait_for('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $old_pid", '0'),
	'0', 'the old launcher exits');
is(wait_for('postgres', "SELECT count(*) FROM ($launcher_sql) AS l WHERE pid <> $old_pid",
		'1'),
	'1', 'the postmaster starts a new launcher');
like(server_log(),
	qr/background worker "otan_enbek delivery launcher" \(PID $old_pid\) exited with exit code 1/,
	'the terminated launcher exits with status 1');

# A database created afterwards gets its worker from the new launcher.
my $db = new_database('otan_t_launcher');
is(wait_for($db, 'SELECT worker_state FROM otan_enbek.delivery_status()', 'running'),
	'running', 'a new database gets a worker');
drop_database($db);

done_testing();
