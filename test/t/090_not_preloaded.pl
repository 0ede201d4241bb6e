# Without otan_enbek in shared_preload_libraries the extension installs,
# reports that no worker can run, and rejects queueing work for delivery
# with a hint to preload it.  Runs its own cluster.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use IPC::Run qw(run);
use OtanTest;
use Test::More;

my $dir = tempdir('otan-nopreload-XXXXXX', DIR => $ENV{OTAN_WORK}, CLEANUP => 1);
my $out = '';
run [ 'initdb', '-D', "$dir/data", '-U', 'postgres', '-A', 'trust', '-E', 'UTF8',
	'--locale=C.UTF-8' ], '>', \$out, '2>&1'
  or die "initdb failed: $out";
open my $conf, '>>', "$dir/data/postgresql.conf" or die $!;
print $conf "listen_addresses = ''\nunix_socket_directories = '$dir'\nport = $ENV{PGPORT}\n";
print $conf "shared_preload_libraries = ''\n";
close $conf;
run [ 'pg_ctl', '-D', "$dir/data", '-l', "$dir/server.log", '-w', 'start' ],
  '>', \$out, '2>&1'
  or die "cannot start the cluster: $out";
END
{
	my $status = $?;
	run [ 'pg_ctl', '-D', "$dir/data", '-m', 'fast', '-w', 'stop' ], '>', \my $ignored, '2>&1';
	$? = $status;
}

local $ENV{PGHOST} = $dir;
psql('postgres', 'CREATE EXTENSION otan_enbek');
ok(1, 'the extension installs without the preload');
is(psql('postgres', 'SELECT preloaded, worker_state FROM otan_enbek.delivery_status()'),
	'f|not loaded', 'delivery_status reports the missing preload');

my $error = psql_error('postgres', 'SELECT otan_enbek.wake_delivery()');
like($error, qr/ERROR:  otan_enbek is not loaded through shared_preload_libraries/,
	'wake_delivery raises an error');
like($error, qr/HINT:  Add otan_enbek to shared_preload_libraries in postgresql.conf and restart the server\./,
	'with a hint to preload it');
is(psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'otan_enbek%'}),
	0, 'no otan_enbek process runs');

# A statement that stores an IIN checks it with the library's iin_check,
# which loads the library, and with it the log hook that masks IINs, in a
# new session before a constraint of the table can fail.
psql('postgres', q{INSERT INTO otan_enbek.organization (org_id, bin, name)
	VALUES (1, '050440000012', 'School No. 7')});
$error = psql_error('postgres', q{
	INSERT INTO otan_enbek.employee (org_id, iin, last_name, first_name)
	VALUES (1, '810111300012', 'Abenova', 'Aigul'), (1, '810111300012', 'Abenova', 'Aigul');});
like($error, qr/DETAIL:  Key \(org_id, iin\)=\(1, \*{6}300012\) already exists\./,
	'a duplicate IIN is masked without the preload');

done_testing();
