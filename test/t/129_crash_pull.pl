# A crash in the middle of a pull neither skips nor repeats events: the
# backend that pulls a Hikvision device is killed with SIGKILL while the
# device holds back its second page.  After recovery the cursor and the
# stored events are those of the last committed pull, and the next pull
# stores the rest of the window once.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use JSON::PP;
use OtanSkud;
use OtanTest;
use Test::More;

my $db = new_database('otan_t_crash_pull');
my $password = 'crash-test-secret';
my $device = start_fake('fake-hikvision', '--user', 'admin', '--password', $password);

my $org = psql($db, q{
	INSERT INTO otan_enbek.organization (bin, name, time_zone)
	VALUES ('050440000012', 'School No. 7', 'Asia/Almaty') RETURNING org_id});
my $yesterday = psql($db, q{SELECT (now() AT TIME ZONE 'Asia/Almaty')::date - 1});
my $source = psql($db, qq{
	INSERT INTO otan_enbek.source (org_id, name) VALUES ($org, 'Turnstile')
	RETURNING source_id});
psql($db, qq{
	INSERT INTO otan_enbek.source_pull (org_id, source_id, protocol, url, settings)
	VALUES ($org, $source, 'hikvision_isapi', 'http://127.0.0.1:$device',
	        '{"max_results": 4, "start_time": "$yesterday"}');
	SELECT otan_enbek.set_source_credentials($source, 'admin', '$password')});

sub add_events
{
	my ($hour, $count) = @_;
	fake_post($device, 'events', { events => [ map {
		{ major => 5, minor => 75, time => sprintf('%sT%02d:%02d:00+05:00', $yesterday, $hour, $_),
		  employeeNoString => '1001', doorNo => 1, cardReaderNo => 1 } } 0 .. $count - 1 ] });
}

my $state = qq{SELECT coalesce(cursor->>'serial_no', '') || '|'
	|| (SELECT count(*) FROM otan_enbek.skud_event WHERE source_id = $source)
	FROM otan_enbek.source_pull_state WHERE source_id = $source};

# A committed pull of the first 6 events.
add_events(8, 6);
is(psql($db, qq{SELECT counts->'inserted' FROM otan_enbek.run_pull($org)}), 6,
	'first pull stores 6 events');
is(psql($db, $state), '6|6', 'cursor at serialNo 6 with 6 events');

# 10 more events; the device holds back every page from position 8 on,
# the third page of the next search, long enough for the kill.
add_events(9, 10);
fake_post($device, 'settings', { hang_position => 8, hang_seconds => 600 });
my ($pid, $session, $holder) = start_uncommitted($db,
	"SELECT counts FROM otan_enbek.run_pull($org)", 'run_pull(');
like($pid, qr/^[1-9][0-9]*$/, 'the pull is running');
# Waits until the device holds the request for position 8.
for (1 .. 600)
{
	last if grep { $_->{authorized} && ($_->{position} // -1) == 8 }
	  @{ fake_get($device, 'requests')->{requests} };
	select(undef, undef, undef, 0.1);
}
ok((grep { $_->{authorized} && ($_->{position} // -1) == 8 }
		@{ fake_get($device, 'requests')->{requests} }),
	'the device received the request for the held page');
ok(kill_process($pid), "backend $pid killed during the pull");
finish_sessions($session, $holder);
ok(wait_for_server(), 'the server recovers from the killed backend');
like(server_log(), qr/server process \(PID $pid\) was terminated by signal 9/,
	'the postmaster saw the backend killed');

is(psql($db, $state), '6|6', 'cursor and events as after the last committed pull');
is(psql($db, qq{SELECT count(*) FROM otan_enbek.ingest_batch WHERE source_id = $source}),
	2, 'no batch of the killed pull');

# The next pull stores the rest of the window once.
fake_post($device, 'settings', { hang_position => undef });
is(psql($db, qq{SELECT concat_ws('|', counts->'inserted', counts->'duplicates')
		FROM otan_enbek.run_pull($org)}),
	'10|6', 'next pull: the 10 new events, the 6 old ones as duplicates');
is(psql($db, $state), '16|16', 'cursor at serialNo 16 with 16 events');
is(psql($db, qq{SELECT count(*) FROM (SELECT external_id FROM otan_enbek.skud_event
		WHERE source_id = $source GROUP BY external_id HAVING count(*) > 1) d}),
	0, 'no event stored twice');

done_testing();
