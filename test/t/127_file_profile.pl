# The delivery profile file: an organization whose org_delivery row says
# file gets each submission written to its directory as the signed document
# and a manifest, atomically and once, in status written, without any
# request to Enbek.  Writing again (a worker that stopped before recording)
# keeps the files as they are, a file of the same name with other content
# fails the submission, and a missing directory is retried.  The operator
# records the cabinet's answer with record_cabinet_answer.  Without a usable
# enbek_url the file profile is still delivered while SOAP waits.
use strict;
use warnings;

use Digest::SHA qw(sha256_hex);
use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use JSON::PP;
use OtanTest;
use Test::More;

my $db = new_database('otan_t_file_profile');
reset_service();
add_contracts('050440000012', '810111300012', '820212300023');

my $work = tempdir('file-profile.XXXXXX', DIR => $ENV{OTAN_WORK}, CLEANUP => 1);
chmod 0755, $work;
my $dir = "$work/upload";
mkdir $dir or die "cannot create $dir: $!";
chmod 0777, $dir;

my @iins = ('810111300012', '820212300023');
my $setup = setup_organization($db, iins => \@iins);
my $org = $setup->{org_id};
psql($db, qq{INSERT INTO otan_enbek.org_delivery (org_id, profile, file_dir)
             VALUES ($org, 'file', '$dir')});

# The files of the directory, hidden temporary files included.
sub files_in
{
	my ($path) = @_;
	opendir my $dh, $path or die "cannot read $path: $!";
	my @names = sort grep { $_ ne '.' && $_ ne '..' } readdir $dh;
	closedir $dh;
	return @names;
}

sub read_file
{
	my ($path) = @_;
	open my $fh, '<:raw', $path or die "cannot read $path: $!";
	local $/;
	my $content = <$fh>;
	close $fh;
	return $content;
}

my $status_sql = 'SELECT status FROM otan_enbek.submission WHERE submission_id = ';

# 1. Written once, with the document and its manifest.
my $first = add_submission($db, $setup, iins => \@iins);
my $id = $first->{submission_id};
is(wait_for($db, "$status_sql$id", 'written'), 'written', 'submission is written');
is(psql($db, "SELECT profile FROM otan_enbek.submission WHERE submission_id = $id"),
	'file', 'the submission has the organization\'s profile');
is(submission_row($db, $id), 'written|1|WRITTEN', 'one attempt, code WRITTEN');
is(event_kinds($db, $id), 'attempt,written', 'history: attempt, written');
is(psql($db, "SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = $setup->{timesheet_id}"),
	'submitted', 'the timesheet stays submitted');
is(service_message($first->{message_id}), undef, 'Enbek never received the message');

my $stem = "050440000012_2025-11_ts$setup->{timesheet_id}_part1of1_$first->{message_id}";
is_deeply([ files_in($dir) ], [ "$stem.manifest.json", "$stem.xml" ],
	'the directory has the document and its manifest, no temporary file');
my $document = read_file("$dir/$stem.xml");
is($document, psql($db, "SELECT convert_to(document, 'UTF8') FROM otan_enbek.submission WHERE submission_id = $id")
	=~ s/^\\x//r =~ s/(..)/chr hex $1/ger,
	'the file is the signed document byte for byte');
is(sha256_hex($document),
	psql($db, "SELECT encode(document_sha256, 'hex') FROM otan_enbek.submission WHERE submission_id = $id"),
	'its SHA-256 is the document_sha256 of the ledger');
my $manifest = decode_json(read_file("$dir/$stem.manifest.json"));
is($manifest->{file}, "$stem.xml", 'manifest names the file');
is($manifest->{message_id}, $first->{message_id}, 'manifest names the message id');
is($manifest->{sha256}, sha256_hex($document), 'manifest has the SHA-256');
is($manifest->{period}, '2025-11', 'manifest has the period');
is($manifest->{org_bin}, '050440000012', 'manifest has the BIN');
is($manifest->{part_no}, 1, 'manifest has the part number');
is($manifest->{part_count}, 1, 'manifest has the part count');
is($manifest->{submission_id}, $id, 'manifest names the submission');
my $written = events($db, $id)->[-1];
is($written->{detail}{file}, "$dir/$stem.xml", 'the written event names the file');
ok(!$written->{detail}{already_present}, 'the first write created the files');

# 2. Delivered again, as after a worker that stopped before recording: the
# files stay as they are, and the directory still has one copy.
my @before = (stat "$dir/$stem.xml")[1, 9];
psql($db, "UPDATE otan_enbek.submission SET status = 'queued', next_attempt_at = now() WHERE submission_id = $id");
psql($db, 'SELECT otan_enbek.wake_delivery()');
is(wait_for($db, "SELECT attempts FROM otan_enbek.submission WHERE submission_id = $id AND status = 'written'", '2'),
	'2', 'the second delivery is recorded as written');
ok(events($db, $id)->[-1]{detail}{already_present}, 'the second delivery found the files');
is_deeply([ (stat "$dir/$stem.xml")[1, 9] ], \@before, 'the document file was not written again');
is_deeply([ files_in($dir) ], [ "$stem.manifest.json", "$stem.xml" ],
	'still one document and one manifest');

# 3. The operator records the cabinet's answer.
like(psql_error($db, "SELECT otan_enbek.record_cabinet_answer($org, $id, 'lost')"),
	qr/invalid cabinet answer "lost"/, 'an unknown answer is rejected');
like(psql_error($db, "SELECT otan_enbek.record_cabinet_answer($org, $id, 'returned')"),
	qr/a returned document needs its reasons/, 'a return without reasons is rejected');
is(psql($db, "SELECT otan_enbek.record_cabinet_answer($org, $id, 'accepted', 'Принят в кабинете')"),
	'accepted', 'record_cabinet_answer returns the outcome');
is(submission_row($db, $id), 'accepted|2|CABINET_ACCEPTED', 'the submission is accepted');
like(event_kinds($db, $id), qr/,written,answer,accepted$/, 'history ends with the answer and accepted');
is(psql($db, "SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = $setup->{timesheet_id}"),
	'accepted', 'the timesheet is accepted');
is(psql($db, "SELECT kind FROM otan_enbek.notification WHERE submission_id = $id"),
	'submission_accepted', 'HR is notified');
like(psql_error($db, "SELECT otan_enbek.record_cabinet_answer($org, $id, 'accepted')"),
	qr/is not waiting for the cabinet's answer/, 'an answer is recorded once');

# 4. A return with reasons, linked to the employee by IIN.
my $setup2 = setup_organization($db, iins => \@iins, version => 2);
my $second = add_submission($db, $setup2, iins => \@iins);
my $id2 = $second->{submission_id};
is(wait_for($db, "$status_sql$id2", 'written'), 'written', 'second submission is written');
is(psql($db, qq{SELECT otan_enbek.record_cabinet_answer($org, $id2, 'returned', 'Возвращён',
    '[{"code": "SCSE012", "message": "no contract", "iin": "820212300023"}]')}),
	'returned', 'a return is recorded');
is(psql($db, "SELECT code || '|' || iin || '|' || employee_id FROM otan_enbek.submission_reason WHERE submission_id = $id2"),
	"SCSE012|820212300023|$setup2->{employee_id}{'820212300023'}",
	'the reason names the employee');
is(psql($db, "SELECT status FROM otan_enbek.timesheet WHERE timesheet_id = $setup2->{timesheet_id}"),
	'returned', 'the timesheet is returned');

# 5. A file of the same name with other content is kept, and the
# submission fails.
my $setup3 = setup_organization($db, iins => \@iins, version => 3);
my $third = add_submission($db, $setup3, iins => \@iins);
my $id3 = $third->{submission_id};
is(wait_for($db, "$status_sql$id3", 'written'), 'written', 'third submission is written');
my $stem3 = "050440000012_2025-11_ts$setup3->{timesheet_id}_part1of1_$third->{message_id}";
open my $fh, '>:raw', "$dir/$stem3.xml" or die "cannot write: $!";
print $fh 'edited by hand';
close $fh;
psql($db, "UPDATE otan_enbek.submission SET status = 'queued', next_attempt_at = now() WHERE submission_id = $id3");
psql($db, 'SELECT otan_enbek.wake_delivery()');
is(wait_for($db, "$status_sql$id3", 'failed'), 'failed', 'the submission fails');
like(psql($db, "SELECT response_message FROM otan_enbek.submission WHERE submission_id = $id3"),
	qr/already exists with other content/, 'the message says why');
is(read_file("$dir/$stem3.xml"), 'edited by hand', 'the other file is kept');

# 6. A missing directory is retried until it exists.
my $missing = "$work/later";
psql($db, "UPDATE otan_enbek.org_delivery SET file_dir = '$missing' WHERE org_id = $org");
my $setup4 = setup_organization($db, iins => \@iins, version => 4);
my $fourth = add_submission($db, $setup4, iins => \@iins);
my $id4 = $fourth->{submission_id};
is(wait_for($db, "SELECT count(*) > 0 FROM otan_enbek.submission_event WHERE submission_id = $id4 AND kind = 'retry_scheduled'", 't'),
	't', 'a missing directory schedules a retry');
like(psql($db, "SELECT message FROM otan_enbek.submission_event WHERE submission_id = $id4 AND kind = 'error' ORDER BY event_no LIMIT 1"),
	qr/could not create file .*No such file or directory/, 'the error names the file');
mkdir $missing or die "cannot create $missing: $!";
chmod 0777, $missing;
is(wait_for($db, "$status_sql$id4", 'written'), 'written', 'written once the directory exists');

# 7. Without a usable endpoint the file profile is delivered and SOAP waits.
set_config('otan_enbek.enbek_url', '');
my $soap_setup = setup_organization($db, iins => \@iins, version => 5);
psql($db, "UPDATE otan_enbek.org_delivery SET profile = 'soap' WHERE org_id = $org");
my $soap = add_submission($db, $soap_setup, iins => \@iins);
psql($db, "UPDATE otan_enbek.org_delivery SET profile = 'file' WHERE org_id = $org");
my $file_setup = setup_organization($db, iins => \@iins, version => 6);
my $file = add_submission($db, $file_setup, iins => \@iins);
is(wait_for($db, "$status_sql$file->{submission_id}", 'written'), 'written',
	'the file profile is delivered without an endpoint');
is(psql($db, "SELECT status || '|' || attempts FROM otan_enbek.submission WHERE submission_id = $soap->{submission_id}"),
	'queued|0', 'the SOAP submission stays queued');
reset_config('otan_enbek.enbek_url');
is(wait_for($db, "SELECT status <> 'queued' FROM otan_enbek.submission WHERE submission_id = $soap->{submission_id}", 't'),
	't', 'the SOAP submission leaves the queue once the endpoint is back');

# 8. Only a superuser or a member of pg_write_server_files sets file_dir.
psql($db, 'CREATE ROLE file_profile_admin');
psql($db, 'GRANT otan_enbek_admin TO file_profile_admin');
like(psql_error($db, "SET ROLE file_profile_admin; UPDATE otan_enbek.org_delivery SET file_dir = '/tmp' WHERE org_id = $org"),
	qr/permission denied to set the file directory of organization $org/,
	'an administrator cannot set file_dir');
psql($db, 'DROP ROLE file_profile_admin');

# 9. A worker that stops after writing and before recording: an error in
# the transaction that records written ends the worker process.  The next
# worker puts the submission back, delivers it again and finds the files.
psql($db, q{
	CREATE SEQUENCE public.fail_once;
	CREATE FUNCTION public.fail_first_written() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF NEW.kind = 'written' AND nextval('public.fail_once') = 1 THEN
			RAISE EXCEPTION 'simulated stop before recording written';
		END IF;
		RETURN NEW;
	END $$;
	CREATE TRIGGER fail_first_written BEFORE INSERT ON otan_enbek.submission_event
	    FOR EACH ROW EXECUTE FUNCTION public.fail_first_written();});
my $stop_setup = setup_organization($db, iins => \@iins, version => 7);
my $stopped = add_submission($db, $stop_setup, iins => \@iins);
my $stopped_id = $stopped->{submission_id};
is(wait_for($db, "$status_sql$stopped_id", 'written'), 'written',
	'written after the worker was started again');
is(event_kinds($db, $stopped_id), 'attempt,requeued,attempt,written',
	'the first attempt was put back and delivered again');
ok(events($db, $stopped_id)->[-1]{detail}{already_present},
	'the second attempt found the files of the first');
my $stop_stem = "050440000012_2025-11_ts$stop_setup->{timesheet_id}_part1of1_$stopped->{message_id}";
is_deeply([ grep { /\Q$stopped->{message_id}\E/ } files_in($missing) ],
	[ "$stop_stem.manifest.json", "$stop_stem.xml" ],
	'one document and one manifest of the submission, no temporary file');
like(server_log(), qr/simulated stop before recording written/, 'the worker stopped on the error');
psql($db, 'DROP TRIGGER fail_first_written ON otan_enbek.submission_event');

done_testing();
