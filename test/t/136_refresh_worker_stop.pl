# A worker that is in the middle of a long attendance refresh stops when it
# is terminated, so that DROP DATABASE without WITH (FORCE) works while the
# worker refreshes, as it does while the worker is idle.  The refresh is
# rolled back and its days stay marked.
#
# A trigger on attendance_day that sleeps stands for the refresh of a
# month's ingest of a large organization.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use IPC::Run qw(run);
use OtanTest;
use OtanAttendance;
use Test::More;

my $db = new_database('otan_t_refresh_worker_stop');
my $org = add_school($db, name => 'School No. 7', employees => 1,
	first_month => '2025-11-01', last_month => '2025-11-01');
set_config('otan_enbek.refresh_naptime', '3600s');
set_config('otan_enbek.refresh_in_worker', 'on');

psql($db, q{
	CREATE FUNCTION slow_day() RETURNS trigger LANGUAGE plpgsql AS $f$
	BEGIN
		PERFORM pg_sleep(300);
		RETURN NEW;
	END $f$;
	CREATE TRIGGER slow_day BEFORE INSERT OR UPDATE ON otan_enbek.attendance_day
	    FOR EACH ROW EXECUTE FUNCTION slow_day();});
my $pid = psql($db, 'SELECT worker_pid FROM otan_enbek.delivery_worker_info()');
psql($db, qq{SELECT otan_enbek.ingest(1, 'zkteco', E'1\\t2025-11-03 08:55:00\\t1\\t0\\t1\\t0')});
is(wait_for($db, qq{SELECT count(*) FROM pg_stat_activity
		WHERE pid = $pid AND wait_event = 'PgSleep'}, '1'), '1',
	'the worker refreshes the day');

# pg_terminate_backend sends SIGTERM, as DROP DATABASE does.
is(psql($db, "SELECT pg_terminate_backend($pid)"), 't', 'the worker is terminated');
is(wait_for('postgres', "SELECT count(*) FROM pg_stat_activity WHERE pid = $pid", '0'), '0',
	'the worker exits during the refresh');
is(psql($db, "SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = $org"), '1',
	'the day stays marked');

# A new worker starts the same refresh; DROP DATABASE stops it.
is(wait_for($db, q{SELECT count(*) FROM pg_stat_activity
		WHERE backend_type LIKE 'otan_enbek%' AND wait_event = 'PgSleep'}, '1'), '1',
	'the new worker refreshes the day again');
my ($out, $err) = ('', '');
run [ 'psql', '-X', '-q', '-A', '-t', '-d', 'postgres', '-c',
	'DROP DATABASE otan_t_refresh_worker_stop' ], \undef, \$out, \$err;
is($err, '', 'DROP DATABASE works while the worker refreshes');

reset_config('otan_enbek.refresh_in_worker');
reset_config('otan_enbek.refresh_naptime');
drop_database($db);
done_testing();
