# otan_enbek.delivery_enabled switched off and on again brings the worker
# back even when the launcher reads the configuration only once, after both
# changes: the worker saw "off" and exited, and the launcher never saw
# delivery disabled.  Stopping the launcher with SIGSTOP makes it read the
# configuration late.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

my $db = new_database('otan_t_off_on');
is(wait_for($db, 'SELECT worker_state FROM otan_enbek.delivery_status()', 'running'),
	'running', 'the worker runs');

my $launcher = psql('postgres', q{SELECT pid FROM pg_stat_activity
	WHERE backend_type = 'otan_enbek delivery launcher'});
like($launcher, qr/^\d+$/, 'the launcher runs');
ok(kill('STOP', $launcher), 'the launcher is stopped');
END { kill('CONT', $launcher) if $launcher; eval { reset_config('otan_enbek.delivery_enabled') }; }

set_config('otan_enbek.delivery_enabled', 'off');
is(wait_for($db, 'SELECT worker_state FROM otan_enbek.delivery_status()', 'stopped'),
	'stopped', 'the worker exits when delivery is off');
reset_config('otan_enbek.delivery_enabled');
is(wait_for($db, q{SELECT setting FROM pg_settings WHERE name = 'otan_enbek.delivery_enabled'},
		'on'),
	'on', 'delivery is on again');

ok(kill('CONT', $launcher), 'the launcher goes on');
is(wait_for($db, 'SELECT worker_state FROM otan_enbek.delivery_status()', 'running'),
	'running', 'the worker runs again');
drop_database($db);

done_testing();
