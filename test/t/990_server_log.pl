# Runs after the other delivery tests, which its name sorts it after: the
# server log written so far contains no password and no full IIN of the
# test employees.  The workers logged at DEBUG1 in the test
# databases, so their details are checked too.  The lines that repeat a
# failing statement (STATEMENT:) are checked as well: the extension's log
# hook leaves out every statement that contains a valid IIN.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use OtanTest;
use Test::More;

# Reads a one-line secret file of $OTAN_PKI.
sub secret
{
	my ($name) = @_;
	open my $fh, '<', "$ENV{OTAN_PKI}/$name" or die "cannot read $name: $!";
	my $value = <$fh>;
	chomp $value;
	return $value;
}

my $log = server_log();

like($log, qr/LOG:  otan_enbek delivery worker started for database/,
	'the log has the workers\' lines');
like($log, qr/DEBUG:  otan_enbek submission \d+ \(send, attempt 1\)/,
	'the log has the workers\' details');

my $sender = secret('sender.pass');
my $p12 = secret('p12.pass');
ok(length $sender >= 8, 'sender password read');
ok(index($log, $sender) < 0, 'no sender password in the log');
ok(index($log, $p12) < 0, 'no key password in the log');
my $smtp = secret('smtp.pass');
ok(length $smtp >= 8, 'SMTP password read');
ok(index($log, $smtp) < 0, 'no SMTP password in the log');

foreach my $iin (qw(810111300012 820212300023 830313300034 840414300045
	850515300056 860616300067 751201400423))
{
	ok(index($log, $iin) < 0, "IIN ******" . substr($iin, 6) . ' is not in the log');
}

done_testing();
