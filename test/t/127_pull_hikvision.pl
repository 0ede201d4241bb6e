# The pull of a Hikvision terminal over ISAPI, against the local fake
# device of test/skud: digest authentication, paging with
# searchResultPosition and maxResults, the cursor by time and serialNo,
# pages that the device sends twice, a backlog of old events replayed late
# (their days are marked for recompute), a source with a wrong password or
# a missing drop folder that backs off while the others are pulled, the
# background worker's pull, and the saved response of a real terminal.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use JSON::PP;
use OtanSkud;
use OtanTest;
use Test::More;

my $db = new_database('otan_t_pull_hikvision');
my $work = tempdir('pull-hikvision.XXXXXX', DIR => $ENV{OTAN_WORK}, CLEANUP => 1);
my $password = 'Kv7-device-secret';
my $device = start_fake('fake-hikvision', '--user', 'admin', '--password', $password);

my $org = psql($db, q{
	INSERT INTO otan_enbek.organization (bin, name, time_zone)
	VALUES ('050440000012', 'School No. 7', 'Asia/Almaty') RETURNING org_id});
my $employee = psql($db, qq{
	INSERT INTO otan_enbek.employee (org_id, iin, last_name, first_name)
	VALUES ($org, '810111300012', 'Employee', 'No. 1') RETURNING employee_id});
psql($db, qq{INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
	VALUES ($org, $employee, 'person', '1001')});

# Local dates of the organization, so that no event lies in the future.
my ($yesterday, $two_days_ago) = split /\|/, psql($db, q{
	SELECT (now() AT TIME ZONE 'Asia/Almaty')::date - 1 || '|'
	       || (now() AT TIME ZONE 'Asia/Almaty')::date - 2});

# A valid face pass of employee 1001 at a local time of a date.
sub pass_event
{
	my ($date, $time, %extra) = @_;
	return { major => 5, minor => 75, time => "${date}T$time+05:00",
		employeeNoString => '1001', doorNo => 1, cardReaderNo => 1,
		attendanceStatus => 'checkIn', %extra };
}

# Adds a pull source for the fake device and returns its id.
sub add_source
{
	my ($name, $secret, %opt) = @_;
	my $settings = $opt{settings} // qq{{"max_results": 5, "start_time": "$two_days_ago"}};
	my $port = $opt{port} // $device;
	my $source = psql($db, qq{
		INSERT INTO otan_enbek.source (org_id, name) VALUES ($org, '$name')
		RETURNING source_id});
	psql($db, qq{
		INSERT INTO otan_enbek.source_pull (org_id, source_id, protocol, url, settings)
		VALUES ($org, $source, 'hikvision_isapi', 'http://127.0.0.1:$port', '$settings');
		SELECT otan_enbek.set_source_credentials($source, 'admin', '$secret')});
	return $source;
}

# Runs the pull by hand and returns the counts of one source as
# "pages|events|inserted|duplicates|rejected|error".
sub pull_source
{
	my ($source) = @_;
	return psql($db, qq{
		SELECT format('%s|%s|%s|%s|%s|%s', s->'pages', s->'events', s->'inserted',
		              s->'duplicates', s->'rejected', s->>'error')
		FROM otan_enbek.run_pull($org) r, jsonb_array_elements(r.counts->'per_source') s
		WHERE (s->>'source_id')::integer = $source});
}

sub cursor_of
{
	my ($source) = @_;
	return psql($db, qq{
		SELECT (cursor->>'time')::timestamptz AT TIME ZONE 'Asia/Almaty' || '|'
		       || (cursor->>'serial_no')
		FROM otan_enbek.source_pull_state WHERE source_id = $source});
}

sub event_count
{
	my ($source) = @_;
	return psql($db, qq{SELECT count(*) FROM otan_enbek.skud_event WHERE source_id = $source});
}

my $turnstile = add_source('Turnstile', $password);

# 1. Paging: 12 events in pages of 5.
fake_post($device, 'events', { events => [
	map { pass_event($yesterday, sprintf('08:%02d:00', $_)) } 0 .. 11 ] });
is(pull_source($turnstile), '3|12|12|0|0|', 'first pull: three pages, 12 events stored');
my @searches = grep { $_->{authorized} } @{ fake_get($device, 'requests')->{requests} };
is(join(',', map { $_->{position} } @searches), '0,5,10',
	'searchResultPosition advances by the events of each page');
is(join(',', map { $_->{max_results} } @searches), '5,5,5', 'maxResults of the settings');
is($searches[0]{start_time}, "${two_days_ago}T00:00:00+05:00",
	'first search starts at start_time, in local time with the offset');
is(cursor_of($turnstile), "$yesterday 08:11:00|12", 'cursor: time and serialNo of the newest');
is(event_count($turnstile), 12, 'each event stored once');
is(psql($db, qq{SELECT count(*) FROM otan_enbek.ingest_batch WHERE source_id = $turnstile}),
	3, 'one ingest batch per page');

# 2. The next search starts replay_hours (24) before the cursor, and the
# events found again count as duplicates.
fake_post($device, 'reset');
fake_post($device, 'events', { events => [
	map { pass_event($yesterday, sprintf('08:%02d:00', $_)) } 0 .. 11 ] });
is(pull_source($turnstile), '3|12|0|12|0|', 'second pull: the window again, all duplicates');
@searches = grep { $_->{authorized} } @{ fake_get($device, 'requests')->{requests} };
is($searches[0]{start_time},
	psql($db, qq{SELECT otan_enbek.isapi_time(timestamptz '$yesterday 08:11:00+05'
	                                          - interval '24 hours', 'Asia/Almaty')}),
	'search starts 24 hours before the cursor');

# 3. A device that sends every page twice: the copies are duplicates.
fake_post($device, 'events', { events => [
	map { pass_event($yesterday, sprintf('09:%02d:00', $_)) } 0 .. 2 ] });
fake_post($device, 'settings', { duplicate_pages => JSON::PP::true });
is(pull_source($turnstile), '6|30|3|27|0|', 'pages sent twice: 3 new events, 27 duplicates');
is(event_count($turnstile), 15, 'no event stored twice');
fake_post($device, 'settings', { duplicate_pages => JSON::PP::false });
is(cursor_of($turnstile), "$yesterday 09:02:00|15", 'cursor at the newest event');

# 4. Backlog replay: the controller uploads two passes of the day before,
# with new serial numbers, hours after they happened.
psql($db, qq{DELETE FROM otan_enbek.attendance_pending WHERE org_id = $org});
fake_post($device, 'events', { events => [
	pass_event($two_days_ago, '17:30:00'),
	pass_event($two_days_ago, '18:05:00', attendanceStatus => 'checkOut') ] });
is(pull_source($turnstile), '4|17|2|15|0|', 'replayed events stored');
is(psql($db, qq{SELECT string_agg(work_day::text, ',' ORDER BY work_day)
		FROM otan_enbek.attendance_pending WHERE org_id = $org AND employee_id = $employee}),
	$two_days_ago, 'the day of the replayed events is marked for recompute');
is(cursor_of($turnstile), "$yesterday 09:02:00|17",
	'old events move serialNo of the cursor, not its time');

# 5. A wrong password: the source backs off with its error, the other
# sources of the organization are pulled.
my $wrong_password = 'Wrong-pw-39c1';
my $back_door = add_source('Back door', $wrong_password);
my $missing_folder = psql($db, qq{
	INSERT INTO otan_enbek.source (org_id, name, drop_dir, drop_format)
	VALUES ($org, 'Export folder', '$work/missing', 'csv') RETURNING source_id});
fake_post($device, 'events', { events => [ pass_event($yesterday, '12:00:00') ] });
my $run = psql($db, qq{
	SELECT concat_ws('|', status, counts->'sources', counts->'sources_failed',
	                 counts->'inserted')
	FROM otan_enbek.run_pull($org)});
is($run, 'succeeded|3|2|1', 'run succeeds: one source pulled, two failed');
is(event_count($turnstile), 18, 'the working source stored its new event');
like(psql($db, qq{SELECT last_error FROM otan_enbek.source_pull_status
		WHERE source_id = $back_door}),
	qr/^pull source $back_door rejected the credentials: HTTP 401$/,
	'digest failure recorded with a clear error');
like(psql($db, qq{SELECT last_error FROM otan_enbek.source_pull_status
		WHERE source_id = $missing_folder}),
	qr/could not open directory ".*missing"/, 'missing drop folder fails its source only');
is(psql($db, qq{SELECT failures || '|' || (next_pull_at > now())
		FROM otan_enbek.source_pull_state WHERE source_id = $back_door}),
	'1|true', 'failing source backs off');
is(event_count($back_door), 0, 'nothing stored for the failing source');

my $rejected_before = grep { $_->{rejected} } @{ fake_get($device, 'requests')->{requests} };
is(psql($db, qq{SELECT counts->'sources_not_due' FROM otan_enbek.run_pull($org)}),
	2, 'during the backoff the failing sources are not pulled');
my $rejected_after = grep { $_->{rejected} } @{ fake_get($device, 'requests')->{requests} };
ok($rejected_before > 0, 'the device saw the wrong password');
is($rejected_after, $rejected_before, 'no request with the wrong password meanwhile');

psql($db, qq{UPDATE otan_enbek.source_pull_state SET next_pull_at = now()
	WHERE source_id = $back_door});
is(pull_source($back_door), "|||||pull source $back_door rejected the credentials: HTTP 401",
	'due again: fails again');
is(psql($db, qq{SELECT failures FROM otan_enbek.source_pull_state WHERE source_id = $back_door}),
	2, 'failures counted in a row');
is(psql($db, q{SELECT string_agg(otan_enbek.pull_backoff(NULL, n)::text, ',' ORDER BY n)
		FROM generate_series(1, 8) n}),
	'00:01:00,00:02:00,00:04:00,00:08:00,00:16:00,00:32:00,01:00:00,01:00:00',
	'backoff doubles up to one hour');
is(psql($db, q{SELECT otan_enbek.pull_backoff(interval '2 hours', 3)}), '02:00:00',
	'backoff of a source with a longer interval stops at its interval');

psql($db, qq{SELECT otan_enbek.set_source_credentials($back_door, 'admin', '$password');
	UPDATE otan_enbek.source_pull_state SET next_pull_at = now() WHERE source_id = $back_door});
like(pull_source($back_door), qr/^\d+\|\d+\|\d+\|\d+\|0\|$/, 'right password: pulled');
is(psql($db, qq{SELECT failures || '|' || (last_error IS NULL)
		FROM otan_enbek.source_pull_state WHERE source_id = $back_door}),
	'0|true', 'success clears the failures and the error');

# 6. Credentials are for superusers only, and no password is shown.
my $operator = 'otan_t_pull_operator';
psql($db, qq{DROP ROLE IF EXISTS $operator; CREATE ROLE $operator;
	GRANT otan_enbek_operator TO $operator;
	SELECT otan_enbek.grant_org_access('$operator', $org)});
like(psql_error($db, qq{SET ROLE $operator; SELECT * FROM otan_enbek.source_pull_secret}),
	qr/permission denied for table source_pull_secret/, 'operator cannot read credentials');
like(psql_error($db, qq{SET ROLE $operator;
		SELECT otan_enbek.pull_http_request($turnstile, 'GET', 'http://127.0.0.1:$device/',
		                                    NULL, 'digest', 1000, 1000)}),
	qr/permission denied for function pull_http_request/, 'operator cannot send requests');
is(psql($db, qq{SET ROLE $operator;
		SELECT count(*) FROM otan_enbek.source_pull_status WHERE org_id = $org}),
	3, 'operator reads the status of the sources');
like(psql($db, qq{SET ROLE $operator;
		SELECT status || '|' || error_message FROM otan_enbek.run_pull($org)}),
	qr/^failed\|permission denied to pull the sources of organization $org$/,
	'a pull by an operator fails on its rights and backs off no source');
my $admin = 'otan_t_pull_admin';
psql($db, qq{DROP ROLE IF EXISTS $admin; CREATE ROLE $admin; GRANT otan_enbek_admin TO $admin});
like(psql_error($db, qq{SET ROLE $admin; SELECT count(*) FROM otan_enbek.source_pull_secret}),
	qr/permission denied for table source_pull_secret/, 'administrator cannot read the credentials');
like(psql_error($db, qq{SET ROLE $admin;
		INSERT INTO otan_enbek.source_pull_secret (source_id, password)
		VALUES ($turnstile, 'x')}),
	qr/permission denied for table source_pull_secret/, 'administrator cannot store credentials');
like(psql_error($db, qq{SET ROLE $admin;
		SELECT otan_enbek.set_source_credentials($turnstile, 'admin', 'x')}),
	qr/permission denied for function set_source_credentials/,
	'administrator cannot call set_source_credentials');
psql($db, qq{DROP OWNED BY $operator; DROP ROLE $operator; DROP OWNED BY $admin; DROP ROLE $admin});
is(psql($db, qq{SELECT count(*) FROM otan_enbek.job_run
		WHERE counts::text LIKE '%$password%' OR error_message LIKE '%$password%'}),
	0, 'no password in the run log');
ok(index(server_log(), $password) < 0, 'no password in the server log');
ok(index(server_log(), $wrong_password) < 0, 'no wrong password in the server log');

# 7. The URL of a request must belong to the source.
like(psql_error($db, qq{SELECT otan_enbek.pull_http_request($turnstile, 'GET',
		'http://127.0.0.2:$device/', NULL, 'digest', 1000, 1000)}),
	qr/is not an address of pull source $turnstile/, 'credentials go to the source only');
like(psql_error($db, qq{UPDATE otan_enbek.source_pull SET url = 'http://admin:pw\@127.0.0.1/'
		WHERE source_id = $turnstile}),
	qr/violates check constraint/, 'no credentials in the url');

# 8. The pg_cron command of set_schedule pulls the due sources.
psql($db, qq{DELETE FROM otan_enbek.source WHERE source_id = $missing_folder});
fake_post($device, 'events', { events => [ pass_event($yesterday, '13:00:00') ] });
psql($db, qq{CALL otan_enbek.run_scheduled($org, 'pull')});
is(psql($db, qq{SELECT concat_ws('|', status, counts->'sources', counts->'inserted')
		FROM otan_enbek.job_run WHERE org_id = $org AND trigger = 'schedule'}),
	'succeeded|2|2', 'scheduled run pulls both sources and logs its counts');

# 9. The background worker pulls a source whose interval has passed.
set_config('otan_enbek.pull_naptime', '1');
fake_post($device, 'events', { events => [ pass_event($yesterday, '14:00:00') ] });
psql($db, qq{UPDATE otan_enbek.source_pull SET pull_interval = '1 hour'
	WHERE source_id = $turnstile});
is(wait_for($db, qq{SELECT count(*) FROM otan_enbek.job_run
		WHERE org_id = $org AND trigger = 'worker' AND status = 'succeeded'}, '1'),
	1, 'the worker ran the pull');
is(psql($db, qq{SELECT count(*) FROM otan_enbek.skud_event
		WHERE source_id = $turnstile AND occurred_at = timestamptz '$yesterday 14:00:00+05'}),
	1, 'the worker stored the new event');
is(psql($db, qq{SELECT next_pull_at > now() + interval '50 minutes'
		FROM otan_enbek.source_pull_state WHERE source_id = $turnstile}),
	't', 'next pull after the interval');
like(server_log(), qr/otan_enbek pull in database "otan_t_pull_hikvision", organization $org: run \d+ succeeded/,
	'the worker logs the run');
psql($db, qq{UPDATE otan_enbek.source_pull SET pull_interval = NULL});
reset_config('otan_enbek.pull_naptime');

# 10. HTTPS: the device's certificate is verified, with the system's CA
# store unless the source has a CA file.
my $tls_device = start_fake('fake-hikvision', '--user', 'admin', '--password', $password,
	'--tls-cert', "$ENV{OTAN_PKI}/server.crt", '--tls-key', "$ENV{OTAN_PKI}/server.key");
my $tls_source = add_source('TLS terminal', $password, port => $tls_device);
psql($db, qq{UPDATE otan_enbek.source_pull SET url = 'https://127.0.0.1:$tls_device'
	WHERE source_id = $tls_source});
like(pull_source($tls_source), qr/^\|\|\|\|\|request to pull source $tls_source failed: .*certificate/i,
	'certificate of an unknown CA rejected');
psql($db, qq{
	SELECT otan_enbek.set_source_credentials($tls_source, 'admin', '$password',
	                                         '$ENV{OTAN_PKI}/ca.crt');
	UPDATE otan_enbek.source_pull_state SET next_pull_at = now() WHERE source_id = $tls_source});
is(pull_source($tls_source), '1|0|0|0|0|', 'with the CA file: pulled over HTTPS');
psql($db, qq{UPDATE otan_enbek.source_pull SET enabled = false WHERE source_id = $tls_source});

# 11. The saved search response of a real terminal, served by the fake.
my $fixture = "$ENV{OTAN_SKUD_DATA}/hikvision_acsevent_search.json";
SKIP:
{
	skip "$fixture not found", 3 unless -r $fixture;
	my $saved = decode_json(do { local $/; open my $fh, '<', $fixture or die $!; <$fh> });
	my @info = @{ $saved->{AcsEvent}{InfoList} };
	my ($newest) = sort { $b->{serialNo} <=> $a->{serialNo} } @info;
	my $real = start_fake('fake-hikvision', '--user', 'admin', '--password', $password,
		'--fixture', $fixture);
	my $source = add_source('Saved terminal', $password, port => $real,
		settings => '{"max_results": 4, "start_time": "2001-01-01"}');
	is(pull_source($source), join('|', 2, scalar @info, scalar @info, 0, 0, ''),
		'every event of the saved response stored, in pages of 4');
	is(psql($db, qq{SELECT cursor->>'serial_no' FROM otan_enbek.source_pull_state
			WHERE source_id = $source}),
		$newest->{serialNo}, 'cursor at the largest serialNo');
	is(psql($db, qq{SELECT cursor->>'time' FROM otan_enbek.source_pull_state
			WHERE source_id = $source}),
		psql($db, qq{SELECT to_jsonb(timestamptz '$newest->{time}')->>0}),
		'cursor at the time of the newest event');
}

done_testing();
