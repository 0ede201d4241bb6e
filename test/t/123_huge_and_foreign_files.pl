# Files that no device should write are read without a crash and without
# a partial commit: a 100 MB file of one line in each format is one record,
# rejected with its reason; a file of 1,000,000 lines is stored whole; a
# CP1251 export is refused with the offset of its first non-UTF-8 byte and
# stores nothing; a UTF-8 byte order mark is skipped.  The files are
# written into the test's work directory and removed at the end.
use strict;
use warnings;
use utf8;

use FindBin;
use lib "$FindBin::Bin/lib";
use Encode qw(encode);
use File::Temp qw(tempdir);
use OtanTest;
use Test::More;

my $db = new_database('otan_t_huge_files');
my $dir = tempdir('huge-files.XXXXXX', DIR => $ENV{OTAN_WORK}, CLEANUP => 1);
chmod 0755, $dir;

sub write_file
{
	my ($name, @chunks) = @_;
	my $path = "$dir/$name";
	open my $fh, '>:raw', $path or die "cannot write $path: $!";
	print $fh @chunks;
	close $fh;
	chmod 0644, $path;
	return $path;
}

my $org = psql($db, q{
	INSERT INTO otan_enbek.organization (bin, name, time_zone)
	VALUES ('050440000012', 'School No. 7', 'Asia/Almaty') RETURNING org_id});
my $source = psql($db, qq{
	INSERT INTO otan_enbek.source (org_id, name) VALUES ($org, 'Main entrance')
	RETURNING source_id});

# Ingests a file and returns "read|inserted|duplicates|rejected".
sub ingest_counts
{
	my ($format, $path) = @_;
	return psql($db, qq{
		SELECT read_count || '|' || inserted_count || '|' || duplicate_count
		       || '|' || rejected_count
		FROM otan_enbek.ingest_file($source, '$format', '$path')});
}

# The reason of the rejected record of the newest batch.
my $last_reason = q{
	SELECT reason FROM otan_enbek.ingest_reject
	WHERE batch_id = (SELECT max(batch_id) FROM otan_enbek.ingest_batch)};

my $mb100 = 100 * 1024 * 1024;

# A 100 MB line in each format.
my $path = write_file('one-line.dat', "1\t", 'A' x $mb100, "\n");
is(ingest_counts('zkteco', $path), '1|0|0|1', 'zkteco: 100 MB line rejected');
like(psql($db, $last_reason), qr/longer than 8192 bytes/, 'zkteco: reason names the limit');

$path = write_file('one-field.csv', "occurred_at,credential\n2025-11-03 08:00:00,\"",
	'x' x $mb100, "\"\n");
is(ingest_counts('csv', $path), '1|0|0|1', 'csv: 100 MB field rejected');
like(psql($db, $last_reason), qr/longer than 8192 bytes/, 'csv: reason names the limit');

$path = write_file('one-event.json',
	'{"AcsEvent":{"InfoList":[{"major":5,"minor":75,"time":"2025-11-03T08:00:00+05:00",',
	'"employeeNoString":"', '9' x $mb100, '","serialNo":1}]}}');
is(ingest_counts('hikvision', $path), '1|0|0|1', 'hikvision: 100 MB event rejected');
like(psql($db, $last_reason), qr/longer than 8192 bytes/,
	'hikvision: reason names the limit');
is(psql($db, 'SELECT count(*) FROM otan_enbek.skud_event'), 0, 'no event stored');

# 1,000,000 lines: 1000 PINs on 28 days with 36 punches, less the rest.
my $lines = 1_000_000;
my @chunks;
foreach my $n (0 .. $lines - 1)
{
	my $pin = $n % 1000 + 1;
	my $day = int($n / 1000) % 28 + 1;
	my $seconds = 6 * 3600 + int($n / 28_000) * 600 + $pin;
	push @chunks, sprintf("%d\t2025-11-%02d %02d:%02d:%02d\t1\t%d\t1\t0\r\n",
		$pin, $day, $seconds / 3600, ($seconds / 60) % 60, $seconds % 60, $n % 2);
}
$path = write_file('million.dat', @chunks);
@chunks = ();
is(ingest_counts('zkteco', $path), "$lines|$lines|0|0", '1,000,000 lines stored');
is(psql($db, 'SELECT count(*) FROM otan_enbek.skud_event'), $lines,
	'one event per line');

# A CP1251 export: an error with the offset of the first byte, no batch.
my $batches = psql($db, 'SELECT count(*) FROM otan_enbek.ingest_batch');
$path = write_file('cp1251.csv',
	encode('cp1251', "occurred_at,credential,device\n2025-11-03 08:00:00,17,Вход\n"));
my $error = psql_error($db, "SELECT otan_enbek.ingest_file($source, 'csv', '$path')");
like($error, qr/is not valid UTF-8/, 'cp1251: rejected as not UTF-8');
like($error, qr/starts with 0xc2 at offset 53/, 'cp1251: the error names the offset');
like($error, qr/iconv -f CP1251 -t UTF-8/, 'cp1251: the hint says how to convert');
is(psql($db, 'SELECT count(*) FROM otan_enbek.ingest_batch'), $batches,
	'cp1251: no batch stored');

# A byte order mark before the first line or the header.
$path = write_file('bom.dat', "\xEF\xBB\xBF",
	"2001\t2025-11-04 08:00:00\t1\t0\t1\t0\r\n2001\t2025-11-04 18:00:00\t1\t1\t1\t0\r\n");
is(ingest_counts('zkteco', $path), '2|2|0|0', 'zkteco: byte order mark skipped');
$path = write_file('bom.csv', "\xEF\xBB\xBF",
	"occurred_at,credential\n2025-11-05 08:00:00,2001\n");
is(ingest_counts('csv', $path), '1|1|0|0', 'csv: byte order mark skipped');

# Overlong fields are rejected records with their own reasons.
$path = write_file('overlong.csv',
	"occurred_at,credential,device,external_id\n",
	"2025-11-06 08:00:00,", '7' x 65, ",1,\n",
	"2025-11-06 08:00:01,17,", 'D' x 65, ",\n",
	"2025-11-06 08:00:02,17,1,", 'E' x 129, "\n");
is(ingest_counts('csv', $path), '3|0|0|3', 'csv: overlong fields rejected');
is(psql($db, qq{
	SELECT count(DISTINCT reason) FROM otan_enbek.ingest_reject
	WHERE batch_id = (SELECT max(batch_id) FROM otan_enbek.ingest_batch)}),
	3, 'csv: one reason per field');

done_testing();
