#!/usr/bin/perl
# A configuration reload logs each changed setting with its new value.  The
# URLs of the webhook, the SMTP server and the external signer may carry a
# user name, password or token, so the server log names those settings
# without their values.  Other settings keep theirs.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

my %secret_urls = (
	'otan_enbek.webhook_url' => 'https://hook-user:HookPw31@127.0.0.1:9/hook?token=HookTok31',
	'otan_enbek.smtp_url' => 'smtp://mail-user:MailPw31@127.0.0.1:9',
	'otan_enbek.external_signer_url' => 'http://sign-user:SignPw31@127.0.0.1:9/sign',
);
my $log_start = length(server_log());

# Waits up to 30 seconds for the server log written since the start of the
# test to contain $text; returns whether it did.
sub log_contains
{
	my ($text) = @_;
	for (1 .. 300)
	{
		return 1 if index(substr(server_log(), $log_start), $text) >= 0;
		select(undef, undef, undef, 0.1);
	}
	return 0;
}

foreach my $name (sort keys %secret_urls)
{
	set_config($name, $secret_urls{$name});
	is(wait_for('postgres', "SHOW $name", $secret_urls{$name}), $secret_urls{$name},
		"$name: the reload took effect");
	ok(log_contains(qq{parameter "$name" changed; its value is not logged}),
		"$name: the reload is logged without the value");
}
# A setting without a secret is logged with its value, which shows that the
# reload lines above are the ones PostgreSQL writes.
set_config('otan_enbek.batch_size', '7');
ok(log_contains('parameter "otan_enbek.batch_size" changed to "7"'),
	'batch_size: the reload is logged with the value');

my $log = substr(server_log(), $log_start);
foreach my $secret (qw(HookPw31 HookTok31 MailPw31 SignPw31 hook-user mail-user sign-user))
{
	unlike($log, qr/\Q$secret\E/, "the server log does not contain $secret");
}

reset_config($_) foreach (sort keys %secret_urls), 'otan_enbek.batch_size';
done_testing();
