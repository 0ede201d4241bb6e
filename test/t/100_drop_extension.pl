# DROP EXTENSION wakes the worker, which sees the extension gone and exits,
# so that the database can then be dropped without WITH (FORCE).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

my $db = new_database('otan_t_drop');
is(wait_for($db, 'SELECT worker_state FROM otan_enbek.delivery_status()', 'running'),
	'running', 'worker runs');
my $pid = psql($db, 'SELECT worker_pid FROM otan_enbek.delivery_status()');

psql($db, 'DROP EXTENSION otan_enbek');
is(wait_for('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid", '0'),
	'0', 'worker exits after DROP EXTENSION');
like(server_log(),
	qr/\[$pid\] LOG:  otan_enbek delivery worker stopped: the extension is not installed in database "otan_t_drop"/,
	'worker logs why it stopped');

psql('postgres', 'DROP DATABASE otan_t_drop');
is(psql('postgres', q{SELECT count(*) FROM pg_database WHERE datname = 'otan_t_drop'}),
	0, 'database dropped without FORCE');

done_testing();
