# The background worker connects as the bootstrap superuser, and its
# attendance refresh writes attendance_day and attendance_pending.  An
# administrator (otan_enbek_admin) is not a superuser: the key file, the
# passwords and the endpoint stay out of reach.  So an administrator must
# not be able to put a trigger on the tables that the worker writes, which
# the worker would run as a superuser.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use OtanAttendance;
use Test::More;

my $db = new_database('otan_t_worker_admin_trigger');
my $org = add_school($db, name => 'School No. 7', employees => 1,
	first_month => '2025-11-01', last_month => '2025-11-01');

# An administrator with a schema of its own, where it may create functions.
psql($db, q{
	DROP ROLE IF EXISTS t_admin;
	CREATE ROLE t_admin;
	GRANT otan_enbek_admin TO t_admin;
	CREATE SCHEMA t_admin_space AUTHORIZATION t_admin;});

foreach my $table (qw(attendance_day attendance_pending submission))
{
	is(psql($db, "SELECT has_table_privilege('t_admin', 'otan_enbek.$table', 'TRIGGER')"),
		'f', "an administrator may not add triggers to $table");
}

# The trigger that an administrator would add, and whether it runs as a
# superuser in the worker.
psql($db, q{
	CREATE TABLE t_admin_space.seen (role_name name, superuser boolean);
	ALTER TABLE t_admin_space.seen OWNER TO t_admin;
	SET ROLE t_admin;
	CREATE FUNCTION t_admin_space.note_role() RETURNS trigger LANGUAGE plpgsql AS $f$
	BEGIN
		INSERT INTO t_admin_space.seen
		SELECT current_user, r.rolsuper FROM pg_roles r WHERE r.rolname = current_user;
		RETURN NEW;
	END $f$;
	DO $d$
	BEGIN
		CREATE TRIGGER note_role BEFORE INSERT OR UPDATE ON otan_enbek.attendance_day
		    FOR EACH ROW EXECUTE FUNCTION t_admin_space.note_role();
	EXCEPTION WHEN insufficient_privilege THEN
		NULL;
	END $d$;
	RESET ROLE;});

set_config('otan_enbek.refresh_naptime', '3600s');
set_config('otan_enbek.refresh_in_worker', 'on');
psql($db, qq{SELECT otan_enbek.ingest(1, 'zkteco', E'1\\t2025-11-03 08:55:00\\t1\\t0\\t1\\t0')});
is(wait_for($db, "SELECT count(*) FROM otan_enbek.attendance_pending WHERE org_id = $org", '0'),
	'0', 'the worker refreshes the day');
is(psql($db, 'SELECT count(*) FROM t_admin_space.seen WHERE superuser'), '0',
	'no code of an administrator runs as a superuser in the worker');

reset_config('otan_enbek.refresh_in_worker');
reset_config('otan_enbek.refresh_naptime');
drop_database($db);
psql('postgres', 'DROP ROLE IF EXISTS t_admin');
done_testing();
