# The pull job imports the complete files of a source's drop folder, one
# batch per file, and moves each to done/ or failed/ once its events are
# committed.  Files still being written (.part, .tmp, modified in the last
# 60 seconds) wait for a later run; a rolled-back pull moves nothing; a
# file put back counts duplicates only.  Only a superuser or a member of
# pg_read_server_files sets the folder, and an operator schedules the pull
# with set_schedule, whose pg_cron job runs it as the extension owner.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use OtanTest;
use Test::More;

my $db = new_database('otan_t_drop_folder');
my $work = tempdir('drop-folder.XXXXXX', DIR => $ENV{OTAN_WORK}, CLEANUP => 1);
chmod 0755, $work;
my $drop = "$work/drop";
mkdir $drop or die "cannot create $drop: $!";
chmod 0777, $drop;

my $good = "external_id,occurred_at,credential\n"
  . "g1,2025-11-03 08:00:00,1\ng2,2025-11-03 17:00:00,1\n";
my $bad = "external_id,occurred_at,credential\n"
  . "b1,2025-11-03 25:00:00,1\nb2,not a time,1\n";

# Writes a file into the drop folder, modified an hour ago unless fresh.
sub write_file
{
	my ($name, $content, %opt) = @_;
	my $path = "$drop/$name";
	open my $fh, '>:raw', $path or die "cannot write $path: $!";
	print $fh $content;
	close $fh;
	chmod 0666, $path;
	utime(time - 3600, time - 3600, $path) unless $opt{fresh};
	return $path;
}

my $org = psql($db, q{
	INSERT INTO otan_enbek.organization (bin, name, time_zone)
	VALUES ('050440000012', 'School No. 7', 'Asia/Almaty') RETURNING org_id});
my $source = psql($db, qq{
	INSERT INTO otan_enbek.source (org_id, name, drop_dir, drop_format)
	VALUES ($org, 'Main entrance', '$drop', 'csv') RETURNING source_id});

# Runs a pull by hand and returns its counts as
# "files|done|failed|skipped|inserted|duplicates|rejected".
sub pull
{
	return psql($db, qq{
		SELECT concat_ws('|', counts->'files', counts->'done', counts->'failed',
		                 counts->'skipped', counts->'inserted', counts->'duplicates',
		                 counts->'rejected')
		FROM otan_enbek.run_pull($org)});
}

write_file('a-good.csv', $good);
write_file('b-bad.csv', $bad);
write_file('c-partial.csv.part', $good);
write_file('d-fresh.csv', $good, fresh => 1);

is(pull(), '2|1|1|2|2|0|2', 'first pull: one file done, one failed, two skipped');
ok(-e "$drop/done/a-good.csv", 'good file moved to done/');
ok(!-e "$drop/a-good.csv", 'good file left the folder');
ok(-e "$drop/failed/b-bad.csv", 'bad file moved to failed/');
ok(-e "$drop/c-partial.csv.part", '.part file stays');
ok(-e "$drop/d-fresh.csv", 'freshly modified file stays');
is(psql($db, qq{SELECT count(*) FROM otan_enbek.ingest_batch WHERE org_id = $org}),
	2, 'one batch per imported file');
is(psql($db, qq{SELECT string_agg(f->>'file' || ':' || (f->>'moved_to'), ',')
		FROM otan_enbek.job_run r, jsonb_array_elements(r.counts->'per_file') f
		WHERE r.org_id = $org AND r.kind = 'pull'}),
	'a-good.csv:done,b-bad.csv:failed', 'run log lists each file and where it went');

# A file that ingest refuses whole goes to failed/ with the error.
write_file('e-cp1251.csv', "external_id,occurred_at,credential\n\xcf\xf0,2025-11-03 08:00:00,1\n");
is(pull(), '1|0|1|2|0|0|0', 'file that is not UTF-8 fails whole');
ok(-e "$drop/failed/e-cp1251.csv", 'it is moved to failed/');
like(psql($db, qq{SELECT r.counts->'per_file'->0->>'error' FROM otan_enbek.job_run r
		WHERE r.org_id = $org AND r.kind = 'pull' ORDER BY r.run_id DESC LIMIT 1}),
	qr/not valid UTF-8/, 'run log keeps the error of the refused file');

# The half-written files are imported once renamed and settled.
rename "$drop/c-partial.csv.part", "$drop/c-partial.csv" or die $!;
utime(time - 3600, time - 3600, "$drop/d-fresh.csv");
is(pull(), '2|2|0|0|0|4|0', 'settled files imported later, all duplicates of a-good.csv');
ok(-e "$drop/done/c-partial.csv", 'renamed .part file moved to done/');
ok(-e "$drop/done/d-fresh.csv", 'settled file moved to done/');

# A rolled-back pull stores nothing and moves nothing; a committed one
# moves its file only at the commit.
write_file('f-good.csv', "external_id,occurred_at,credential\nf1,2025-11-04 08:00:00,1\n");
is(psql($db, qq{BEGIN;
		SELECT counts->'done' FROM otan_enbek.run_pull($org);
		\\! test -e '$drop/f-good.csv' && echo in-folder
		ROLLBACK;}),
	"1\nin-folder", 'before the end of the transaction the file stays');
ok(-e "$drop/f-good.csv", 'rolled-back pull leaves the file');
is(psql($db, qq{SELECT count(*) FROM otan_enbek.skud_event
		WHERE org_id = $org AND external_id = 'f1'}),
	0, 'rolled-back pull stores no event');
is(pull(), '1|1|0|0|1|0|0', 'next pull imports the file');
ok(-e "$drop/done/f-good.csv", 'and moves it to done/');

# A file put back counts duplicates only, and done/ keeps both copies.
write_file('a-good.csv', $good);
is(pull(), '1|1|0|0|0|2|0', 'file put back counts duplicates only');
ok(-e "$drop/done/a-good.csv.1", 'second copy moved to done/ with a suffix');
ok(-e "$drop/done/a-good.csv", 'first copy kept');

# Only a superuser or a member of pg_read_server_files sets drop_dir.
my $admin = 'otan_t_drop_admin';
psql($db, qq{DROP ROLE IF EXISTS $admin; CREATE ROLE $admin;
	GRANT otan_enbek_admin TO $admin});
like(psql_error($db, qq{SET ROLE $admin;
		UPDATE otan_enbek.source SET drop_dir = '/etc' WHERE source_id = $source}),
	qr/permission denied to set the drop folder of source $source/,
	'administrator cannot set drop_dir');
is(psql($db, qq{SET ROLE $admin;
		UPDATE otan_enbek.source SET drop_format = 'csv' WHERE source_id = $source
		RETURNING drop_dir}),
	$drop, 'administrator may change the other columns');
psql($db, qq{GRANT pg_read_server_files TO $admin});
is(psql($db, qq{SET ROLE $admin;
		UPDATE otan_enbek.source SET drop_dir = '$drop/../drop' WHERE source_id = $source
		RETURNING drop_dir}),
	"$drop/../drop", 'member of pg_read_server_files may set drop_dir');
psql($db, qq{UPDATE otan_enbek.source SET drop_dir = '$drop' WHERE source_id = $source});
psql($db, qq{DROP OWNED BY $admin; DROP ROLE $admin});

# The pg_cron path: an operator schedules the pull of its organization,
# and the job's command runs it as the owner of the extension.
my $cron_db = $ENV{OTAN_CRON_DATABASE} // 'otan_tap';
my $cron_org = 9602;
my $operator = 'otan_t_drop_operator';
my $cron_drop = "$work/cron-drop";
mkdir $cron_drop or die "cannot create $cron_drop: $!";
chmod 0777, $cron_drop;

sub clean_up_cron
{
	psql($cron_db, qq{
		SELECT cron.unschedule(jobid) FROM cron.job
		WHERE jobname LIKE 'otan_enbek:$cron_org:%';
		DELETE FROM otan_enbek.job_run WHERE target->>'org_id' = '$cron_org';
		DELETE FROM otan_enbek.org_access WHERE org_id = $cron_org;
		DELETE FROM otan_enbek.skud_event WHERE org_id = $cron_org;
		DELETE FROM otan_enbek.ingest_reject WHERE org_id = $cron_org;
		DELETE FROM otan_enbek.ingest_batch WHERE org_id = $cron_org;
		DELETE FROM otan_enbek.source WHERE org_id = $cron_org;
		DELETE FROM otan_enbek.organization WHERE org_id = $cron_org;
		DO \$\$BEGIN
			IF EXISTS (SELECT FROM pg_roles WHERE rolname = '$operator') THEN
				DROP OWNED BY $operator;
			END IF;
		END\$\$;
		DROP ROLE IF EXISTS $operator;});
}

END
{
	my $status = $?;
	eval { clean_up_cron() };
	$? = $status;
}

psql($cron_db, 'CREATE EXTENSION IF NOT EXISTS pg_cron');
psql($cron_db, 'CREATE EXTENSION IF NOT EXISTS otan_enbek');
clean_up_cron();
psql($cron_db, qq{CREATE ROLE $operator; GRANT otan_enbek_operator TO $operator;
	INSERT INTO otan_enbek.organization (org_id, bin, name)
	OVERRIDING SYSTEM VALUE VALUES ($cron_org, '050440000012', 'School No. 7');
	INSERT INTO otan_enbek.source (org_id, name, drop_dir, drop_format)
	VALUES ($cron_org, 'Main entrance', '$cron_drop', 'csv');
	SELECT otan_enbek.grant_org_access('$operator', $cron_org)});
$drop = $cron_drop;
write_file('a-good.csv', $good);

my $job = psql($cron_db, qq{SET ROLE $operator;
	SELECT otan_enbek.set_schedule($cron_org, 'pull', '* * * * *')});
like($job, qr/^\d+$/, 'operator schedules the pull');
is(psql($cron_db, qq{SELECT command || '|' || username FROM cron.job WHERE jobid = $job}),
	"CALL otan_enbek.run_scheduled($cron_org, 'pull')|"
	  . psql($cron_db, q{SELECT r.rolname FROM pg_extension e
		JOIN pg_roles r ON r.oid = e.extowner WHERE e.extname = 'otan_enbek'}),
	'the job runs the pull as the extension owner');
is(psql($cron_db, qq{SET ROLE $operator;
	SELECT kind || '|' || schedule FROM otan_enbek.show_schedules($cron_org)}),
	'pull|* * * * *', 'show_schedules lists the pull');
# The job's command, called directly as pg_cron calls it.
psql($cron_db, qq{CALL otan_enbek.run_scheduled($cron_org, 'pull')});
is(psql($cron_db, qq{SELECT concat_ws('|', status, trigger, counts->'done', counts->'inserted')
		FROM otan_enbek.job_run WHERE org_id = $cron_org AND kind = 'pull'}),
	'succeeded|schedule|1|2', 'scheduled pull records its counts');
ok(-e "$cron_drop/done/a-good.csv", 'scheduled pull moved the file to done/');
psql($cron_db, qq{SET ROLE $operator;
	SELECT otan_enbek.remove_schedule($cron_org, 'pull')});
is(psql($cron_db, qq{SELECT count(*) FROM cron.job WHERE jobname = 'otan_enbek:$cron_org:pull'}),
	0, 'operator removes the schedule');

done_testing();
