# An INSERT into skud_event by another session that commits an event of a
# file while the file's ingest runs makes that ingest fail with
# unique_violation and store nothing.  A second ingest of the file counts
# the event as a duplicate, so the event is stored once.
#
# The other session inserts the event and keeps its transaction open.  The
# ingest then misses the event when it looks for stored events, and its
# INSERT waits on the open transaction at the unique key.  Only when the
# ingest is seen waiting on that lock does the other session commit.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use IPC::Run qw(start pump finish);
use OtanTest;
use Test::More;

my $db = new_database('otan_t_ingest_insert_race');

my $org = psql($db, q{
	INSERT INTO otan_enbek.organization (bin, name, time_zone)
	VALUES ('050440000012', 'School No. 7', 'Asia/Almaty') RETURNING org_id});
my $source = psql($db, qq{
	INSERT INTO otan_enbek.source (org_id, name) VALUES ($org, 'gate')
	RETURNING source_id});
psql($db, q{SELECT otan_enbek.ensure_event_partitions('2025-11-01', '2025-11-30')});

my $content = join '', "event_id,card_no,direction,occurred_at\n",
  "r-1,C1,in,2025-11-03 08:00:00\n",
  "r-2,C1,out,2025-11-03 17:00:00\n",
  "r-3,C2,in,2025-11-03 08:05:00\n";
my $content_sql = "\$csv\$$content\$csv\$";

# The other session stores record 2 as the ingest would, with its external
# id and time read by parse_events, and keeps the transaction open.
my %other = (in => qq{BEGIN;
INSERT INTO otan_enbek.skud_event (org_id, occurred_at, source_id, external_id,
        credential_kind, credential, direction)
SELECT $org, p.local_time AT TIME ZONE 'Asia/Almaty', $source, p.external_id,
       p.credential_kind, p.credential, p.direction
FROM otan_enbek.parse_events('csv', $content_sql) AS p
WHERE p.record_no = 3;
SELECT 'inserted';
}, out => '', err => '');
$other{handle} = start [ 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', $db ],
  \$other{in}, \$other{out}, \$other{err};
pump $other{handle} until $other{out} =~ /inserted/ || length $other{err};
is($other{err}, '', 'other session inserts record 2 without error');

my %ingest = (in => "SELECT inserted_count FROM otan_enbek.ingest($source, 'csv', $content_sql);\n",
	out => '', err => '');
$ingest{handle} = start [ 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-d', $db ],
  \$ingest{in}, \$ingest{out}, \$ingest{err};
pump $ingest{handle} while length $ingest{in};

is(wait_for($db, q{
		SELECT count(*) FROM pg_stat_activity
		WHERE wait_event_type = 'Lock' AND strpos(query, 'otan_enbek.ingest(') > 0},
		'1'),
	'1', 'ingest waits on the uncommitted insert');

$other{in} .= "COMMIT;\n";
$other{in} .= "\\q\n";
finish $other{handle};
is($other{err}, '', 'other session commits');

finish $ingest{handle};
like($ingest{err}, qr/duplicate key value violates unique constraint/,
	'ingest fails with unique_violation');
is(psql($db, "SELECT count(*) FROM otan_enbek.ingest_batch WHERE source_id = $source"),
	'0', 'failed ingest leaves no batch');
is(psql($db, "SELECT string_agg(external_id, ',' ORDER BY external_id)
		FROM otan_enbek.skud_event WHERE source_id = $source"),
	'r-2', 'only the other session\'s event is stored');

is(psql($db, "SELECT read_count || '|' || inserted_count || '|' || duplicate_count
		|| '|' || rejected_count
		FROM otan_enbek.ingest($source, 'csv', $content_sql)"),
	'3|2|1|0', 'second ingest counts record 2 as a duplicate');
is(psql($db, "SELECT string_agg(external_id, ',' ORDER BY external_id)
		FROM otan_enbek.skud_event WHERE source_id = $source"),
	'r-1,r-2,r-3', 'every event is stored once');

done_testing();
