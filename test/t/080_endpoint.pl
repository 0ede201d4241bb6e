# The endpoint settings: an empty otan_enbek.enbek_url keeps submissions
# queued, an http:// URL is rejected with a warning and keeps them queued, a
# CA file that does not sign the service's certificate makes the TLS check
# fail (and the attempt is retried), and each fix resumes delivery.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use IPC::Run qw(run);
use OtanTest;
use Test::More;

my $db = new_database('otan_t_endpoint');
reset_service();
add_contracts('050440000012', '810111300012');
my $setup = setup_organization($db, iins => ['810111300012']);
END { eval { reset_config('otan_enbek.enbek_url'); reset_config('otan_enbek.ca_file') }; }

# Empty URL: delivery is off and the submission stays queued.
set_config('otan_enbek.enbek_url', '');
is(wait_for($db, 'SELECT endpoint_problem FROM otan_enbek.delivery_status()',
		'otan_enbek.enbek_url is empty'),
	'otan_enbek.enbek_url is empty', 'delivery_status reports the empty URL');
my $sub = add_submission($db, $setup, iins => ['810111300012']);
my $id = $sub->{submission_id};
psql($db, 'SELECT pg_sleep(2)');
is(submission_row($db, $id), 'queued|0|', 'stays queued while the URL is empty');
is(event_kinds($db, $id), '', 'no attempt');

# An http:// URL is rejected: no request is made.
set_config('otan_enbek.enbek_url', 'http://127.0.0.1:9/bip-sync/');
is(wait_for($db, 'SELECT endpoint_problem FROM otan_enbek.delivery_status()',
		'otan_enbek.enbek_url is not an https:// URL'),
	'otan_enbek.enbek_url is not an https:// URL', 'delivery_status reports the http URL');
psql($db, 'BEGIN; SELECT otan_enbek.wake_delivery(); COMMIT;');
psql($db, 'SELECT pg_sleep(2)');
is(submission_row($db, $id), 'queued|0|', 'stays queued with an http URL');
like(server_log(), qr/WARNING:  otan_enbek delivery is paused: otan_enbek.enbek_url is not an https:\/\/ URL/,
	'the worker warns about the http URL');

# A CA file of another CA: the service's certificate is not trusted.
my $dir = tempdir('otan-ca-XXXXXX', DIR => $ENV{OTAN_WORK}, CLEANUP => 1);
my $err = '';
run [ 'openssl', 'pkcs12', '-in', "$ENV{OTAN_PKI}/untrusted.p12",
	'-passin', "file:$ENV{OTAN_PKI}/p12.pass", '-cacerts', '-nokeys',
	'-out', "$dir/other-ca.crt" ], '2>', \$err
  or die "cannot extract the other CA: $err";
psql('postgres', "ALTER SYSTEM RESET otan_enbek.enbek_url");
set_config('otan_enbek.ca_file', "$dir/other-ca.crt");
is(wait_for($db, 'SELECT endpoint_problem IS NULL FROM otan_enbek.delivery_status()', 't'),
	't', 'URL restored');
psql($db, 'BEGIN; SELECT otan_enbek.wake_delivery(); COMMIT;');
is(wait_for($db, "SELECT count(*) > 0 FROM otan_enbek.submission_event WHERE submission_id = $id AND kind = 'error'",
		't'),
	't', 'the attempt fails');
my $events = events($db, $id);
is($events->[0]{kind}, 'attempt', 'an attempt was made');
is($events->[1]{kind}, 'error', 'it ended in an error');
like($events->[1]{message}, qr/certificate/i, 'the error is about the certificate');
is($events->[2]{kind}, 'retry_scheduled', 'and is retried');

# The right CA file again: delivered.
reset_config('otan_enbek.ca_file');
is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $id",
		'accepted'),
	'accepted', 'accepted once the CA file is right');
is(service_message($sub->{message_id})->{sendCount}, 1,
	'the service received only the request over verified TLS');

done_testing();
