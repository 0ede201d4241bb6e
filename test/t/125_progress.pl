# The progress of an ingest is visible from another session while the
# ingest's transaction is open, and the ingest sends a NOTICE for each
# tenth of each phase.  A second session holds a lock on ingest_batch, so
# that the ingest stops right after its first phase, checking, at a point
# the test can observe without depending on speed.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use IPC::Run qw(start pump finish timeout);
use OtanTest;
use Test::More;

my $db = new_database('otan_t_progress');
my $records = 200_000;

# A CSV export of events in November 2025, one per line.
my $path = "$ENV{OTAN_WORK}/progress-events.csv";
open my $fh, '>', $path or die "cannot write $path: $!";
print $fh "event_id,card_no,device_id,direction,occurred_at\n";
for my $i (1 .. $records)
{
	printf $fh "%d,%08d,%d,%s,2025-11-%02d %02d:%02d:%02d+05:00\n", $i, $i % 5000,
	  $i % 7, $i % 2 ? 'in' : 'out', 1 + $i % 28, 7 + $i % 12, $i % 60, $i % 59;
}
close $fh;
my $size = -s $path;

psql($db, q{INSERT INTO otan_enbek.organization (org_id, bin, name)
	OVERRIDING SYSTEM VALUE VALUES (1, '050440000012', 'School No. 7')});
my $source = psql($db, q{INSERT INTO otan_enbek.source (org_id, name, default_format)
	VALUES (1, 'vendor export', 'csv') RETURNING source_id});

# The lock holder.
my ($lock_in, $lock_out, $lock_err) = (
	"BEGIN;\nLOCK TABLE otan_enbek.ingest_batch IN EXCLUSIVE MODE;\nSELECT 'locked';\n",
	'', '');
my $holder = start [ 'psql', '-X', '-q', '-A', '-t', '-d', $db ],
  \$lock_in, \$lock_out, \$lock_err, timeout($OtanTest::WAIT_SECONDS);
pump $holder until $lock_out =~ /locked/;

# The ingest, in a session of its own.
my ($in, $out, $err) = (
	"SELECT status || '|' || (counts->>'read') FROM otan_enbek.run_ingest($source, '$path');\n",
	'', '');
my $ingest = start [ 'psql', '-X', '-q', '-A', '-t', '-d', $db ],
  \$in, \$out, \$err, timeout($OtanTest::WAIT_SECONDS);
pump $ingest while length $in;

is(wait_for($db, q{SELECT phase || '|' || done || '|' || total || '|' || unit
		FROM otan_enbek.progress WHERE command = 'ingest'}, "checking|$size|$size|bytes"),
	"checking|$size|$size|bytes", 'another session sees the first phase done');
is(psql($db, q{SELECT a.wait_event_type || '|' || a.state
		FROM otan_enbek.progress p JOIN pg_stat_activity a ON a.pid = p.pid
		WHERE p.command = 'ingest'}),
	'Lock|active', 'while the ingest waits, inside its transaction');
is(psql($db, q{SELECT count(*) FROM otan_enbek.progress
		WHERE command = 'ingest' AND org_id = 1 AND run_id IS NOT NULL}),
	1, 'the progress names the organization and the run');

$lock_in .= "COMMIT;\n\\q\n";
finish $holder;
$in .= "\\q\n";
finish $ingest;

is($out, "succeeded|$records\n", 'the ingest succeeds with every record read');
foreach my $phase ('checking', 'parsing')
{
	my @tenths = $err =~ /NOTICE:  ingest, $phase: (\d+)% done \(\d+ of $size bytes\)/g;
	is_deeply(\@tenths, [ map { $_ * 10 } 1 .. 10 ],
		"one NOTICE for each tenth of phase $phase");
}
is(psql($db, 'SELECT count(*) FROM otan_enbek.progress'), 0,
	'a finished ingest leaves no progress');

# A re-import reads the same file again and finds every event stored.
my $batch = psql($db, 'SELECT max(batch_id) FROM otan_enbek.ingest_batch');
is(psql($db, qq{SELECT status || '|' || (counts->>'read') || '|' || (counts->>'duplicates')
		|| '|' || (target->>'reimport_of') FROM otan_enbek.reimport_batch(1, $batch)}),
	"succeeded|$records|$records|$batch", 'a re-import counts every event as a duplicate');
unlink $path;

done_testing();
