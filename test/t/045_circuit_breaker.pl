# The circuit breaker of the Enbek endpoint: a burst of HTTP 503 opens it
# after breaker_failure_threshold failures in a row, the worker then sends
# only one probe per cool-down, and once Enbek recovers the probe closes it
# and every submission is delivered exactly once.  While it is open no
# submission is charged an attempt: every attempt after the opening is a
# probe.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

my $threshold = 3;
my $db = new_database('otan_t_breaker');
reset_service();
add_contracts('050440000012', '810111300012');
set_config('otan_enbek.breaker_failure_threshold', $threshold);
set_config('otan_enbek.breaker_cooldown', '2s');
my $endpoint = $ENV{OTAN_ENBEK_URL};
my $listener = listen_start($db);

# Enbek answers every request with HTTP 503 until the faults are cleared.
control_post('fault', { mode => 'http503', count => 1000, service => 'any' });
my @subs;
foreach my $version (1 .. 3)
{
	my $setup = setup_organization($db, iins => ['810111300012'], version => $version);
	push @subs, add_submission($db, $setup, iins => ['810111300012'], wake => 0);
}
psql($db, 'SELECT otan_enbek.wake_delivery()');
my $ids = join ',', map { $_->{submission_id} } @subs;

# The breaker opens, and two probes fail before Enbek recovers.
is(wait_for($db, q{SELECT count(*) >= 3 FROM otan_enbek.delivery_breaker_event WHERE state = 'open'}, 't'),
	't', 'the breaker opened and two probes failed');
is(psql($db, q{SELECT failures >= 3 AND open_count = 1 AND last_error LIKE 'HTTP 503: %'
               FROM otan_enbek.delivery_breaker}),
	't', 'the breaker row shows the failures');
my $cleared = control_post('clear-faults', {})->{cleared};
my $failed_requests = 1000 - $cleared->[0]{count};

# Once Enbek answers, the next probe closes the breaker.
is(wait_for($db, "SELECT count(*) FROM otan_enbek.submission WHERE submission_id IN ($ids) AND status = 'accepted'", '3'),
	'3', 'every submission is accepted after the recovery');
is(psql($db, 'SELECT state || \'|\' || failures FROM otan_enbek.delivery_breaker'),
	'closed|0', 'the breaker is closed');
is(psql($db, q{SELECT string_agg(state, ',' ORDER BY event_id) ~ '^open(,half_open,open)+,half_open,closed$'
               FROM otan_enbek.delivery_breaker_event}),
	't', 'open, probes, then closed');
like(psql($db, q{SELECT error FROM otan_enbek.delivery_breaker_event ORDER BY event_id LIMIT 1}),
	qr/^HTTP 503: /, 'the opening event keeps the failure');

# Every request after the opening was a probe: threshold failures opened
# it, each failed probe was one more request, and the last probe
# succeeded.
my $probes = psql($db, q{SELECT count(*) FROM otan_enbek.delivery_breaker_event WHERE state = 'half_open'});
is($probes, $failed_requests - $threshold + 1, 'Enbek got one request per probe while the breaker was open');
is(psql($db, "SELECT sum(attempts) FROM otan_enbek.submission WHERE submission_id IN ($ids)"),
	$threshold + $probes + 2,
	'attempts: the failures that opened it, one per probe, one per other submission');
is(psql($db, qq{
	SELECT count(*) FROM otan_enbek.submission_event AS e
	JOIN otan_enbek.delivery_breaker_event AS o ON o.state = 'open'
	WHERE e.submission_id IN ($ids) AND e.kind = 'attempt' AND e.at > o.at
	  AND e.at < (SELECT min(h.at) FROM otan_enbek.delivery_breaker_event AS h
	              WHERE h.event_id > o.event_id AND h.state = 'half_open')}),
	'0', 'no attempt during a cool-down');

# Exactly once at Enbek.
foreach my $sub (@subs)
{
	my $message = service_message($sub->{message_id});
	is($message->{sendCount}, 1, "submission $sub->{submission_id}: Enbek received it once");
	is($message->{state}, 'ACCEPTED', "submission $sub->{submission_id}: accepted once");
}

# The administrator is told when delivery stops and when it resumes.
is(psql($db, q{SELECT string_agg(kind, ',' ORDER BY notification_id) FROM otan_enbek.notification
               WHERE kind LIKE 'endpoint_%'}),
	'endpoint_unavailable,endpoint_available', 'notifications of the outage');
my @notified = grep { $_->{kind} =~ /^endpoint_/ } @{ listen_notifications($db, $listener) };
is(scalar @notified, 2, 'a NOTIFY for each notification about the endpoint');
is($notified[0]{kind}, 'endpoint_unavailable', 'first notification: unavailable');
is($notified[0]{payload}{endpoint}, $endpoint, 'the payload names the endpoint');
is($notified[0]{payload}{failures}, $threshold, 'the payload counts the failures');
is($notified[1]{kind}, 'endpoint_available', 'second notification: available');

my $log = server_log();
like($log, qr/otan_enbek circuit breaker opened for endpoint "\Q$endpoint\E" after $threshold transient failures in a row/,
	'the opening is logged');
like($log, qr/otan_enbek circuit breaker half open for endpoint/, 'the probe is logged');
like($log, qr/otan_enbek circuit breaker closed for endpoint "\Q$endpoint\E": delivery resumes/,
	'the closing is logged');

reset_config('otan_enbek.breaker_failure_threshold');
reset_config('otan_enbek.breaker_cooldown');
done_testing();
