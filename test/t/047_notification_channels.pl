# Notifications delivered to a webhook and by e-mail, against the fake
# receivers of test/notify/receivers: each channel retries on its own, the
# webhook gets only the listed fields, the mail goes over STARTTLS only,
# and a receiver that is down does not hold up the timesheets.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use IPC::Run qw(start pump finish timeout);
use JSON::PP;
use MIME::Base64 qw(decode_base64);
use Test::More;

my $json = JSON::PP->new->canonical;
my $top = "$FindBin::Bin/../..";

# Starts the receivers and returns their handle, the webhook URL and the
# SMTP address.
sub start_receivers
{
	my ($in, $out, $err) = ('', '', '');
	my $handle = start [ "$top/test/notify/receivers", '--pki', $ENV{OTAN_PKI},
		'--smtp-user', 'otan-test', '--smtp-password-file', "$ENV{OTAN_PKI}/smtp.pass" ],
	  \$in, \$out, \$err, timeout($OtanTest::WAIT_SECONDS);
	pump $handle until $out =~ /^listening webhook (\S+) smtp (\S+)$/m;
	return ($handle, $1, $2);
}

my ($receivers, $webhook_url, $smtp_address) = start_receivers();
my ($control) = $webhook_url =~ m{^(https://[^/]+)/};
END { local $?; $receivers->kill_kill if $receivers; }

# Calls a control endpoint of the receivers and returns the decoded JSON.
sub receiver_request
{
	my ($method, $path, $body) = @_;
	my @cmd = ('curl', '-sS', '--fail-with-body', '--max-time', '30',
		'--cacert', "$ENV{OTAN_PKI}/ca.crt", '-X', $method);
	push @cmd, '-H', 'Content-Type: application/json', '--data-binary', $json->encode($body)
	  if defined $body;
	push @cmd, "$control/_control/$path";
	my ($out, $err) = ('', '');
	IPC::Run::run(\@cmd, \undef, \$out, \$err)
	  or die "receiver request $method $path failed: $err $out\n";
	return length $out ? $json->decode($out) : undef;
}

# The delivery rows of a notification as "channel:status:attempts".
sub deliveries
{
	my ($db, $notification_id) = @_;
	return psql($db, qq{
		SELECT string_agg(channel || ':' || status || ':' || attempts, ',' ORDER BY channel)
		FROM otan_enbek.notification_delivery WHERE notification_id = $notification_id});
}

# Decodes the RFC 2047 encoded words of a folded Subject header.
sub decode_subject
{
	my ($data) = @_;
	my ($folded) = $data =~ /^Subject:((?:.*\r\n[ \t].*)*.*)\r\n/m;
	my $subject = '';
	$subject .= decode_base64($1) while $folded =~ /=\?UTF-8\?B\?([^?]*)\?=/g;
	utf8::decode($subject);
	return $subject;
}

my $db = new_database('otan_t_notify_channels');
reset_service();
add_contracts('050440000012', '810111300012');
set_config('otan_enbek.notification_max_attempts', 3);
set_config('otan_enbek.webhook_url', $webhook_url);
set_config('otan_enbek.webhook_ca_file', "$ENV{OTAN_PKI}/ca.crt");
set_config('otan_enbek.smtp_url', "smtp://$smtp_address");
set_config('otan_enbek.smtp_ca_file', "$ENV{OTAN_PKI}/ca.crt");
set_config('otan_enbek.smtp_from', 'otan@school7.test');
set_config('otan_enbek.smtp_to', 'hr@school7.test, director@school7.test');
END
{
	local $?;
	eval {
		reset_config("otan_enbek.$_") foreach qw(notification_max_attempts webhook_url
		  webhook_ca_file smtp_url smtp_ca_file smtp_from smtp_to);
	};
}

# Two failures of the webhook and one of the SMTP server, then success.
receiver_request('POST', 'fail', { channel => 'webhook', count => 2 });
receiver_request('POST', 'fail', { channel => 'smtp', count => 1 });
my $setup = setup_organization($db, iins => ['810111300012'], version => 1);
my $sub = add_submission($db, $setup, iins => ['810111300012']);
is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $sub->{submission_id}",
		'accepted'),
	'accepted', 'the timesheet is accepted');
my $notification = psql($db, "SELECT notification_id FROM otan_enbek.notification
                              WHERE submission_id = $sub->{submission_id}");
is(wait_for($db, "SELECT count(*) FROM otan_enbek.notification_delivery
                  WHERE notification_id = $notification AND status = 'delivered'", '2'),
	'2', 'delivered on both channels');
is(deliveries($db, $notification), 'email:delivered:2,webhook:delivered:3',
	'each channel retried on its own');
like(psql($db, "SELECT last_error FROM otan_enbek.notification_delivery
                WHERE notification_id = $notification AND channel = 'webhook'"),
	qr/^HTTP 503$/, 'webhook: the failure is recorded');
like(psql($db, "SELECT last_error FROM otan_enbek.notification_delivery
                WHERE notification_id = $notification AND channel = 'email'"),
	qr/\(last SMTP reply code 451\)$/, 'e-mail: the SMTP failure is recorded');

# The webhook's body: the listed fields and nothing that names a person.
my $requests = receiver_request('GET', 'webhooks')->{requests};
is(scalar @$requests, 1, 'webhook: one request received');
my $body = $requests->[0]{body};
is_deeply([ sort keys %$body ],
	[ qw(created_at kind notification_id org_id part_count part_no status submission_id
		  timesheet_id timesheet_status) ],
	'webhook: only the listed fields');
is($body->{kind}, 'submission_accepted', 'webhook: kind');
is($body->{notification_id}, $notification, 'webhook: notification id');
is($body->{submission_id}, $sub->{submission_id}, 'webhook: submission id');
my $encoded = $json->encode($body);
unlike($encoded, qr/810111300012/, 'webhook: no IIN');
unlike($encoded, qr/School|Employee/, 'webhook: no name');
like($requests->[0]{headers}{'Content-Type'}, qr{^application/json}, 'webhook: JSON content type');

# The mail: over TLS, to both recipients, with the notification's text.
my $mails = receiver_request('GET', 'mails');
is(scalar @{ $mails->{mails} }, 1, 'e-mail: one mail received');
my $mail = $mails->{mails}[0];
ok($mail->{tls}, 'e-mail: sent after STARTTLS');
is_deeply([ map { $_->{auth} // 'none' } grep { grep { $_ eq 'DATA' } @{ $_->{commands} } } @{ $mails->{sessions} } ],
	[ 'accepted', 'accepted' ], 'e-mail: logged in with the configured password');
is($mail->{from}, '<otan@school7.test>', 'e-mail: envelope sender');
is_deeply($mail->{to}, [ '<hr@school7.test>', '<director@school7.test>' ], 'e-mail: recipients');
my ($subject_sql, $body_sql) = split /\|/, psql($db,
	"SELECT subject, replace(body, '|', '/') FROM otan_enbek.notification WHERE notification_id = $notification");
utf8::decode($subject_sql);
utf8::decode($body_sql);
is(decode_subject($mail->{data}), $subject_sql, 'e-mail: the subject');
my ($mail_body) = $mail->{data} =~ /\r\n\r\n(.*)\z/s;
my $decoded = decode_base64($mail_body);
utf8::decode($decoded);
is($decoded =~ s{\|}{/}gr, $body_sql, 'e-mail: the body');
like($mail->{data}, qr/^Message-ID: <notification-\d+-$notification\@school7\.test>\r$/m,
	'e-mail: a Message-ID per notification');
unlike($mail->{data}, qr/810111300012/, 'e-mail: no IIN');

# A server that does not offer STARTTLS gets no mail: the sender gives up
# before MAIL FROM, and the attempts run out.
receiver_request('POST', 'smtp', { starttls => JSON::PP::false });
my $sessions_before = scalar @{ receiver_request('GET', 'mails')->{sessions} };
$setup = setup_organization($db, iins => ['810111300012'], version => 2);
$sub = add_submission($db, $setup, iins => ['810111300012']);
is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $sub->{submission_id}",
		'accepted'),
	'accepted', 'second timesheet accepted');
$notification = psql($db, "SELECT notification_id FROM otan_enbek.notification
                           WHERE submission_id = $sub->{submission_id}");
is(wait_for($db, "SELECT status FROM otan_enbek.notification_delivery
                  WHERE notification_id = $notification AND channel = 'email'", 'failed'),
	'failed', 'no STARTTLS: the mail fails');
is(deliveries($db, $notification), 'email:failed:3,webhook:delivered:1',
	'no STARTTLS: three attempts, the webhook is not affected');
like(psql($db, "SELECT last_error FROM otan_enbek.notification_delivery
                WHERE notification_id = $notification AND channel = 'email'"),
	qr/STARTTLS|SSL|TLS/i, 'no STARTTLS: the error names it');
$mails = receiver_request('GET', 'mails');
is(scalar @{ $mails->{mails} }, 1, 'no STARTTLS: no new mail');
my @plain = @{ $mails->{sessions} }[ $sessions_before .. $#{ $mails->{sessions} } ];
is(scalar @plain, 3, 'no STARTTLS: one session per attempt');
is(scalar(grep { grep { /^(MAIL|RCPT|DATA|AUTH)$/ } @{ $_->{commands} } } @plain), 0,
	'no STARTTLS: nothing sent in plain text');
like(server_log(), qr/otan_enbek could not deliver notification $notification of organization \d+ by email, attempt 3: .*\n.*DETAIL:  No further attempt is made/,
	'no STARTTLS: the last failure is logged');

# A webhook that does not listen holds up no timesheet.
my $closed_port = `$top/test/harness/free-port`;
chomp $closed_port;
set_config('otan_enbek.webhook_url', "https://127.0.0.1:$closed_port/hook");
$setup = setup_organization($db, iins => ['810111300012'], version => 3);
$sub = add_submission($db, $setup, iins => ['810111300012']);
is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $sub->{submission_id}",
		'accepted'),
	'accepted', 'webhook down: the timesheet is accepted');
$notification = psql($db, "SELECT notification_id FROM otan_enbek.notification
                           WHERE submission_id = $sub->{submission_id}");
is(wait_for($db, "SELECT attempts >= 1 AND status IN ('pending', 'failed')
                  FROM otan_enbek.notification_delivery
                  WHERE notification_id = $notification AND channel = 'webhook'", 't'),
	't', 'webhook down: the notification waits for a retry');
like(psql($db, "SELECT last_error FROM otan_enbek.notification_delivery
                WHERE notification_id = $notification AND channel = 'webhook'"),
	qr/connect/i, 'webhook down: the connection error is recorded');

done_testing();
