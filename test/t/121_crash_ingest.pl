# A crash during the ingest of a large file commits nothing of it, and a
# re-import afterwards completes the batch without doubles.  The backend
# that runs ingest_file is killed with SIGKILL, and on a second try the
# whole server stops in immediate mode.  The counts balance in every batch
# (records read = inserted + duplicates + rejected) and across batches: the
# stored events are the file's distinct valid records, once each.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use OtanTest;
use Test::More;

my $db = new_database('otan_t_crash_ingest');
my $dir = tempdir('crash-ingest.XXXXXX', DIR => $ENV{OTAN_WORK}, CLEANUP => 1);
chmod 0755, $dir;

# A ZKTeco log of November 2025: 500 PINs with 20 punches on each of 30
# days, then 500 lines repeated from the start and 1000 lines without a
# valid time.
my ($pins, $days, $punches, $repeats, $invalid) = (500, 30, 20, 500, 1000);
my $distinct = $pins * $days * $punches;
my @lines;
foreach my $day (1 .. $days)
{
	foreach my $pin (1 .. $pins)
	{
		foreach my $punch (0 .. $punches - 1)
		{
			my $seconds = 7 * 3600 + $punch * 1800 + $pin;
			push @lines, sprintf("%d\t2025-11-%02d %02d:%02d:%02d\t1\t%d\t1\t0",
				$pin, $day, $seconds / 3600, ($seconds / 60) % 60, $seconds % 60,
				$punch % 2);
		}
	}
}
push @lines, @lines[ 0 .. $repeats - 1 ];
push @lines, map { "$_\tnot a time\t1\t0\t1\t0" } 1 .. $invalid;
my $total = scalar @lines;

sub write_file
{
	my ($path, @content) = @_;
	open my $fh, '>', $path or die "cannot write $path: $!";
	print $fh map { "$_\r\n" } @content;
	close $fh;
	chmod 0644, $path;
}
my $full = "$dir/attlog.dat";
my $half = "$dir/attlog-first-half.dat";
write_file($full, @lines);
write_file($half, @lines[ 0 .. $distinct / 2 - 1 ]);

my $org = psql($db, q{
	INSERT INTO otan_enbek.organization (bin, name, time_zone)
	VALUES ('050440000012', 'School No. 7', 'Asia/Almaty') RETURNING org_id});
my $source = psql($db, qq{
	INSERT INTO otan_enbek.source (org_id, name, default_format)
	VALUES ($org, 'Main entrance', 'zkteco') RETURNING source_id});

# The first half of the month arrives in an earlier, committed batch.
is(psql($db, qq{
	SELECT read_count || '|' || inserted_count || '|' || duplicate_count
	       || '|' || rejected_count
	FROM otan_enbek.ingest_file($source, 'zkteco', '$half')}),
	join('|', $distinct / 2, $distinct / 2, 0, 0), 'first half stored');

my $events = q{SELECT count(*) FROM otan_enbek.skud_event};
my $batches_of_full = qq{
	SELECT count(*) FROM otan_enbek.ingest_batch WHERE file_name = '$full'};

# The ingest of the whole file, in a transaction that cannot commit before
# the crash.
sub start_ingest
{
	return start_uncommitted($db,
		"SELECT inserted_count FROM otan_enbek.ingest_file($source, 'zkteco', '$full')",
		'ingest_file(');
}

# 1. SIGKILL of the ingesting backend.
my ($pid, $session, $holder) = start_ingest();
like($pid, qr/^[1-9][0-9]*$/, 'the ingest is running');
ok(kill_process($pid), "backend $pid killed during the ingest");
finish_sessions($session, $holder);
ok(wait_for_server(), 'the server recovers from the killed backend');
like(server_log(), qr/server process \(PID $pid\) was terminated by signal 9/,
	'the postmaster saw the backend killed');
is(psql($db, $batches_of_full), 0, 'no batch of the killed ingest');
is(psql($db, $events), $distinct / 2, 'no event of the killed ingest');

# 2. Immediate stop of the server during the next try.
($pid, $session, $holder) = start_ingest();
like($pid, qr/^[1-9][0-9]*$/, 'the ingest is running again');
ok(stop_immediate(), 'immediate shutdown during the ingest');
finish_sessions($session, $holder);
ok(start_server(), 'server started again');
ok(wait_for_server(), 'the server accepts connections');
is(psql($db, $batches_of_full), 0, 'no batch of the interrupted ingest');
is(psql($db, $events), $distinct / 2, 'no event of the interrupted ingest');
is(psql($db, q{
	SELECT count(*) FROM otan_enbek.ingest_reject AS r
	WHERE NOT EXISTS (SELECT FROM otan_enbek.ingest_batch AS b
	                  WHERE b.org_id = r.org_id AND b.batch_id = r.batch_id)}),
	0, 'no rejected line without its batch');

# 3. The re-import completes the month without doubles.
is(psql($db, qq{
	SELECT read_count || '|' || inserted_count || '|' || duplicate_count
	       || '|' || rejected_count
	FROM otan_enbek.ingest_file($source, 'zkteco', '$full')}),
	join('|', $total, $distinct / 2, $distinct / 2 + $repeats, $invalid),
	're-import: read, inserted, duplicates, rejected');
is(psql($db, $events), $distinct, 'each distinct record stored once');
is(psql($db, q{
	SELECT count(*) FROM (
	    SELECT FROM otan_enbek.skud_event
	    GROUP BY org_id, source_id, credential, occurred_at
	    HAVING count(*) > 1) AS doubled}),
	0, 'no punch stored twice');
is(psql($db, qq{
	SELECT count(*) FROM otan_enbek.ingest_reject AS r
	JOIN otan_enbek.ingest_batch AS b USING (org_id, batch_id)
	WHERE b.file_name = '$full'}),
	$invalid, 'every invalid line recorded as rejected');
is(psql($db, q{
	SELECT sum(b.read_count) - sum(b.duplicate_count) - sum(b.rejected_count)
	       = (SELECT count(*) FROM otan_enbek.skud_event)
	FROM otan_enbek.ingest_batch AS b}),
	't', 'events read = stored + duplicates + rejected over all batches');

done_testing();
