# The pull of a generic JSON REST source, against the local fake service
# of test/skud: the field mapping declared in the source's settings (JSON
# paths, a direction map, times as ISO text or as seconds since 1970),
# paging by cursor and by page number with a since parameter, a bearer
# token, and a wrong token that fails one source while the others are
# pulled.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanSkud;
use OtanTest;
use Test::More;

my $db = new_database('otan_t_pull_rest');
my $token = 'rest-token-7f3a';
my $service = start_fake('fake-rest', '--token', $token);

my $org = psql($db, q{
	INSERT INTO otan_enbek.organization (bin, name, time_zone)
	VALUES ('050440000012', 'School No. 7', 'Asia/Almaty') RETURNING org_id});
my $employee = psql($db, qq{
	INSERT INTO otan_enbek.employee (org_id, iin, last_name, first_name)
	VALUES ($org, '810111300012', 'Employee', 'No. 1') RETURNING employee_id});
psql($db, qq{INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
	VALUES ($org, $employee, 'card', '0A1B2C')});
my ($yesterday, $two_days_ago) = split /\|/, psql($db, q{
	SELECT (now() AT TIME ZONE 'Asia/Almaty')::date - 1 || '|'
	       || (now() AT TIME ZONE 'Asia/Almaty')::date - 2});

# Adds a REST source with the given path and settings; returns its id.
sub add_source
{
	my ($name, $path, $settings, $secret) = @_;
	my $source = psql($db, qq{
		INSERT INTO otan_enbek.source (org_id, name) VALUES ($org, '$name')
		RETURNING source_id});
	psql($db, qq{
		INSERT INTO otan_enbek.source_pull (org_id, source_id, protocol, url, settings)
		VALUES ($org, $source, 'rest', 'http://127.0.0.1:$service$path', '$settings');
		SELECT otan_enbek.set_source_credentials($source, NULL, '$secret')});
	return $source;
}

my $feed = add_source('Information system feed', '/api/v1/events', qq{{
	"paging": "cursor", "page_size": 3, "auth": "bearer",
	"items_path": "\$.data.items[*]", "next_cursor_path": "\$.next_cursor",
	"fields": {"id": "\$.uid", "time": "\$.at", "credential": "\$.person.card",
	           "device": "\$.reader.name", "direction": "\$.dir"},
	"credential_kind": "card", "direction_map": {"ENTRY": "in", "EXIT": "out"}}}, $token);
my $passes = add_source('Information system passes', '/api/v2/passes', qq{{
	"paging": "page", "page_size": 4, "auth": "bearer", "start_time": "$two_days_ago",
	"items_path": "\$.results[*]",
	"fields": {"id": "\$.id", "time": "\$.ts", "credential": "\$.card",
	           "device": "\$.door", "direction": "\$.direction"},
	"credential_kind": "card"}}, $token);

# Runs the pull by hand and returns the counts of each source as
# "pages|events|inserted|duplicates|rejected|error", by source id.
sub pull
{
	my %counts = map { split /=/, $_, 2 } split /\n/, psql($db, qq{
		SELECT s->>'source_id' || '=' || format('%s|%s|%s|%s|%s|%s', s->'pages', s->'events',
		              s->'inserted', s->'duplicates', s->'rejected', s->>'error')
		FROM otan_enbek.run_pull($org) r, jsonb_array_elements(r.counts->'per_source') s});
	return \%counts;
}

sub feed_event
{
	my ($n, $time, $dir) = @_;
	return { uid => "e$n", at => "${yesterday}T$time+05:00", dir => $dir,
		person => { card => '0A1B2C', name => 'Employee No. 1' },
		reader => { name => 'Gate "A"' } };
}

my $epoch = psql($db, qq{SELECT extract(epoch FROM timestamptz '$yesterday 09:00:00+05')::bigint});
sub pass_event
{
	my ($n) = @_;
	return { id => "p$n", ts => $epoch + 60 * $n, card => '0A1B2C', door => 'D2',
		direction => $n % 2 ? 'out' : 'in' };
}

fake_post($service, 'events', { events => [
	map({ feed_event($_, sprintf('08:%02d:00', $_), $_ % 2 ? 'ENTRY' : 'EXIT') } 1 .. 7),
	map({ pass_event($_) } 0 .. 8) ] });

# 1. First pull: the feed in pages of 3 until an empty page, the passes in
# pages of 4 until a short page.
my $counts = pull();
is($counts->{$feed}, '4|7|7|0|0|', 'cursor paging: 3 + 3 + 1 events, then an empty page');
is($counts->{$passes}, '3|9|9|0|0|', 'page paging: 4 + 4 + 1 events');
my @requests = @{ fake_get($service, 'requests')->{requests} };
my @feed_requests = grep { m{^/api/v1/} } @requests;
is($feed_requests[0], '/api/v1/events?limit=3', 'first feed request has no cursor');
is($feed_requests[1], '/api/v1/events?cursor=Mw%3D%3D&limit=3',
	'next request carries the URL-encoded cursor of the response');
my $since = psql($db, qq{SELECT to_char(timestamptz '$two_days_ago 00:00:00+05' AT TIME ZONE 'UTC',
	'YYYY-MM-DD"T"HH24:MI:SS"Z"')});
is(join(',', grep { m{^/api/v2/} } @requests),
	join(',', map { "/api/v2/passes?page=$_&per_page=4&since=" . ($since =~ s/:/%3A/gr) } 1 .. 3),
	'page requests: page numbers from 1 with since');

# The field mapping.
is(psql($db, qq{SELECT string_agg(concat_ws('|', external_id, credential_kind, credential, device,
		direction, employee_id = $employee,
		occurred_at = timestamptz '$yesterday 08:01:00+05'), ',' ORDER BY external_id)
		FROM otan_enbek.skud_event WHERE source_id = $feed AND external_id IN ('e1', 'e2')}),
	qq{e1|card|0A1B2C|Gate "A"|in|t|t,e2|card|0A1B2C|Gate "A"|out|t|f},
	'feed events mapped: id, card, device with a quote, direction map, time');
is(psql($db, qq{SELECT (occurred_at = to_timestamp($epoch + 60 * 3))::text || '|' || direction
		FROM otan_enbek.skud_event WHERE source_id = $passes AND external_id = 'p3'}),
	'true|out', 'a time in seconds since 1970 is read as UTC');
is(psql($db, qq{SELECT cursor->>'cursor' FROM otan_enbek.source_pull_state
		WHERE source_id = $feed}), 'Nw==', 'feed cursor stored');
is(psql($db, qq{SELECT (cursor->>'time')::timestamptz = to_timestamp($epoch + 60 * 8)
		FROM otan_enbek.source_pull_state WHERE source_id = $passes}),
	't', 'passes cursor at the newest time');

# 2. Nothing new: one empty feed page; the passes from the cursor's time,
# whose event comes again as a duplicate.
$counts = pull();
is($counts->{$feed}, '1|0|0|0|0|', 'feed: one empty page');
is($counts->{$passes}, '1|1|0|1|0|', 'passes: the newest event again, a duplicate');

# 3. New events, one of them without a time.
fake_post($service, 'events', { events => [
	feed_event(8, '10:00:00', 'ENTRY'), feed_event(9, '17:00:00', 'EXIT'),
	{ uid => 'e10', dir => 'ENTRY', person => { card => '0A1B2C' } },
	pass_event(9), pass_event(10) ] });
$counts = pull();
is($counts->{$feed}, '2|3|2|0|1|', 'feed: two stored, one without a time rejected');
is($counts->{$passes}, '1|3|2|1|0|', 'passes: two new, the newest old one again');
like(psql($db, qq{SELECT r.reason FROM otan_enbek.ingest_reject r
		JOIN otan_enbek.ingest_batch b USING (org_id, batch_id)
		WHERE b.source_id = $feed}),
	qr/occurred_at/i, 'the rejected event has its reason');

# 4. A wrong token fails its source only.
my $stale = add_source('Stale token', '/api/v1/events',
	'{"paging": "cursor", "auth": "bearer", "items_path": "$.data.items[*]"}', 'old-token');
fake_post($service, 'events', { events => [ feed_event(11, '18:00:00', 'EXIT') ] });
$counts = pull();
is($counts->{$stale}, "|||||pull source $stale rejected the credentials: HTTP 401",
	'wrong token: the source fails');
is($counts->{$feed}, '2|1|1|0|0|', 'the other sources are pulled');
is(psql($db, qq{SELECT failures FROM otan_enbek.source_pull_state WHERE source_id = $stale}),
	1, 'the failing source backs off');

# 5. A pull stops after max_pages and leaves the source due at once.
psql($db, qq{UPDATE otan_enbek.source_pull SET settings = settings || '{"max_pages": 1}'
	WHERE source_id = $feed});
fake_post($service, 'events', { events => [
	map { feed_event($_, sprintf('19:%02d:00', $_ - 12), 'ENTRY') } 12 .. 15 ] });
$counts = pull();
is($counts->{$feed}, '1|3|3|0|0|', 'max_pages reached after one page');
is(psql($db, qq{SELECT (last_counts->>'more') || '|' || (next_pull_at <= clock_timestamp())
		FROM otan_enbek.source_pull_state WHERE source_id = $feed}),
	'true|true', 'the source stays due for the rest');
$counts = pull();
is($counts->{$feed}, '1|1|1|0|0|', 'next pull continues after the cursor');

# 6. Invalid settings are reported on the source.
psql($db, qq{UPDATE otan_enbek.source_pull SET settings = settings || '{"paging": "offset"}'
	WHERE source_id = $passes});
like(pull()->{$passes}, qr/invalid paging settings of pull source $passes$/,
	'unknown paging kind named in the error');

is(psql($db, q{SELECT otan_enbek.url_encode('a b/ж=?')}), 'a%20b%2F%D0%B6%3D%3F',
	'URL encoding of query values');

done_testing();
