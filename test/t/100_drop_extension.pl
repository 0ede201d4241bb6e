# The worker of a database gets out of the way of the commands that need
# the database alone: DROP EXTENSION makes it exit, and DROP DATABASE,
# CREATE DATABASE ... TEMPLATE, ALTER DATABASE ... RENAME TO and ... SET
# TABLESPACE stop it first, so that DROP DATABASE needs no WITH (FORCE).
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use IPC::Run qw(start pump finish timeout);
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

# A psql session that stays connected; ask() runs SQL in it and returns the
# output, so that the test can look around while new connections block.
sub session
{
	my ($db) = @_;
	my %s = (in => '', out => '', err => '');
	$s{handle} = start [ 'psql', '-X', '-q', '-A', '-t', '-d', $db ],
	  \$s{in}, \$s{out}, \$s{err}, timeout(120);
	return \%s;
}

sub ask
{
	my ($s, $sql) = @_;
	$s->{out} = '';
	$s->{in} .= "$sql;\nSELECT 'end of answer';\n";
	pump $s->{handle} until $s->{out} =~ /end of answer\n/ || length $s->{err};
	die "psql failed: $s->{err}" if length $s->{err};
	(my $answer = $s->{out}) =~ s/end of answer\n//;
	chomp $answer;
	return $answer;
}

# Polls a query in a session until it returns the expected text.
sub ask_until
{
	my ($s, $sql, $expected) = @_;
	my $result;
	for (1 .. 600)
	{
		$result = ask($s, $sql);
		last if $result eq $expected;
		select(undef, undef, undef, 0.1);
	}
	return $result;
}

# DROP DATABASE while the worker is starting.  A worker that has connected
# but is not yet in the registry has no pid there to terminate.  Holding
# pg_db_role_setting keeps a new worker inside its connection start, where
# it reads the database's settings, holding its database lock.  The
# sessions that the test needs connect before, and the running worker is
# terminated, so that the launcher starts a new one after its restart
# delay.
$db = new_database('otan_t_starting');
my $dboid = psql('postgres', q{SELECT oid FROM pg_database WHERE datname = 'otan_t_starting'});
my $log_start = length server_log();
$pid = running_worker($db);
my $in_db = session($db);
my $watch = session('postgres');
my $dropper = session('postgres');
ask($in_db, 'SELECT 1');
my $dropper_pid = ask($dropper, 'SELECT pg_backend_pid()');
ask($watch, 'BEGIN; LOCK pg_db_role_setting IN ACCESS EXCLUSIVE MODE');
ask($watch, "SELECT pg_terminate_backend($pid)");

# Tells whether a delivery worker of the database waits for the lock.  It
# is not yet in pg_stat_activity, so its process title tells what it is.
sub worker_waits
{
	my $pids = ask($watch, q{SELECT string_agg(pid::text, ' ') FROM pg_locks
		WHERE relation = 'pg_db_role_setting'::regclass AND NOT granted});
	foreach my $waiting (split / /, $pids)
	{
		open my $fh, '<', "/proc/$waiting/cmdline" or next;
		my $title = <$fh> // '';
		return 1 if $title =~ /otan_enbek delivery worker for database $dboid\b/;
	}
	return 0;
}
my $waits = 0;
for (1 .. 300)
{
	last if ($waits = worker_waits());
	select(undef, undef, undef, 0.1);
}
ok($waits, 'a new worker waits in its connection start');
is(ask($in_db, 'SELECT worker_state FROM otan_enbek.delivery_status()'), 'starting',
	'the new worker is starting');
$in_db->{in} .= "\\q\n";
finish $in_db->{handle};

# The drop waits for the worker's database lock; then the worker goes on.
$dropper->{in} .= "DROP DATABASE otan_t_starting;\nSELECT 'dropped';\n";
# pump would wait for output, which comes when the drop ends.
while (length $dropper->{in})
{
	$dropper->{handle}->pump_nb;
	select(undef, undef, undef, 0.05);
}
is(ask_until($watch, qq{SELECT count(*) FROM pg_locks
		WHERE pid = $dropper_pid AND locktype = 'object'
		  AND classid = 'pg_database'::regclass AND NOT granted}, '1'),
	'1', 'DROP DATABASE waits for the starting worker');
ask($watch, 'COMMIT');
pump $dropper->{handle} until $dropper->{out} =~ /dropped/ || length $dropper->{err};
is($dropper->{err}, '', 'database with a starting worker dropped');
is(ask($watch, q{SELECT count(*) FROM pg_database WHERE datname = 'otan_t_starting'}),
	'0', 'the database is gone');
like(substr(server_log(), $log_start), qr/exits: another worker serves the database, no registry slot is free, or a command needs the database alone/,
	'the starting worker exits when it attaches');
foreach my $s ($watch, $dropper)
{
	$s->{in} .= "\\q\n";
	finish $s->{handle};
}
drop_database('otan_t_starting');

# ALTER DATABASE ... RENAME TO and ... SET TABLESPACE fail too while another
# process is connected, so the worker of the database is stopped first and
# comes back when the launcher restarts it.
drop_database('otan_t_renamed');
$db = new_database('otan_t_rename');
$pid = running_worker($db);
psql('postgres', 'ALTER DATABASE otan_t_rename RENAME TO otan_t_renamed');
is(psql('postgres', q{SELECT count(*) FROM pg_database WHERE datname = 'otan_t_renamed'}),
	1, 'database with a running worker renamed');
$db = 'otan_t_renamed';
is(wait_for($db, "SELECT worker_state = 'running' AND worker_pid <> $pid FROM otan_enbek.delivery_status()",
		't'),
	't', 'the renamed database gets a new worker');

my $tablespace_dir = tempdir('tablespace.XXXXXX', DIR => $ENV{OTAN_WORK}, CLEANUP => 1);
psql('postgres', 'DROP TABLESPACE IF EXISTS otan_t_space');
psql('postgres', "CREATE TABLESPACE otan_t_space LOCATION '$tablespace_dir'");
$pid = running_worker($db);
psql('postgres', 'ALTER DATABASE otan_t_renamed SET TABLESPACE otan_t_space');
is(psql('postgres', q{SELECT spcname FROM pg_database d JOIN pg_tablespace t
		ON t.oid = d.dattablespace WHERE datname = 'otan_t_renamed'}),
	'otan_t_space', 'database with a running worker moved to a tablespace');
is(wait_for($db, "SELECT worker_state = 'running' AND worker_pid <> $pid FROM otan_enbek.delivery_status()",
		't'),
	't', 'the moved database gets a new worker');
drop_database('otan_t_renamed');
psql('postgres', 'DROP TABLESPACE otan_t_space');

done_testing();
