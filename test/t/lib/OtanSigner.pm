# Helpers for the integration tests that use the fake external signing
# service of test/signer: start and stop it on 127.0.0.1, inject its
# faults, and change a server setting and wait until it is in force.
#
# The service signs with $OTAN_PKI/sign.p12, returns the certificate of
# $OTAN_PKI/otherbin.p12 for the fault wrong_certificate, and expects the
# bearer token of $OTAN_PKI/signer.token unless told another token file.
# Every service started here is stopped by its process id when the test
# ends.
package OtanSigner;

use strict;
use warnings;

use Exporter 'import';
use IPC::Run qw(run);
use OtanTest;
use Test::More;

our @EXPORT = qw(
  slurp free_port start_signer stop_signer signer_control
  set_setting reset_setting
);

my @signers;

sub slurp
{
	my ($path) = @_;
	open(my $fh, '<', $path) or die "cannot read $path: $!";
	local $/;
	my $text = <$fh>;
	close($fh);
	return $text;
}

sub free_port
{
	my $port = `$ENV{OTAN_TOP}/test/harness/free-port`;
	chomp $port;
	die "no free port" unless $port =~ /^\d+$/;
	return $port;
}

# Starts the fake signing service and waits until it listens.  Options:
# port (default a free one), token_file, tls.  Returns its process id and
# base URL.
sub start_signer
{
	my (%opt) = @_;
	my $pki = $ENV{OTAN_PKI};
	my $port = $opt{port} // free_port();
	my $log = "$ENV{OTAN_WORK}/fake-signer-$port.log";
	my $token_file = $opt{token_file} // "$pki/signer.token";
	unlink $log;
	my $pid = fork();
	die "fork failed: $!" unless defined $pid;
	if ($pid == 0)
	{
		open(STDOUT, '>', $log) or die "cannot write $log: $!";
		open(STDERR, '>&', \*STDOUT) or die "cannot redirect stderr: $!";
		my @tls = $opt{tls}
		  ? ('--tls-cert', "$pki/server.crt", '--tls-key', "$pki/server.key")
		  : ();
		exec("$ENV{OTAN_TOP}/test/signer/fake-signer", '--port', $port,
			'--key', "$pki/sign.p12", '--password-file', "$pki/p12.pass",
			'--other-key', "$pki/otherbin.p12", '--token-file', $token_file, @tls)
		  or die "cannot run fake-signer: $!";
	}
	push @signers, $pid;
	for (1 .. 300)
	{
		last if -s $log && slurp($log) =~ /listening on/;
		select(undef, undef, undef, 0.1);
	}
	like(slurp($log), qr/listening on/, "fake signer listens on port $port");
	return ($pid, ($opt{tls} ? 'https' : 'http') . "://127.0.0.1:$port/");
}

sub stop_signer
{
	my ($pid) = @_;
	kill 'TERM', $pid;
	waitpid($pid, 0);
	@signers = grep { $_ != $pid } @signers;
}

END
{
	my $status = $?;
	stop_signer($_) for @signers;
	$? = $status;
}

# Posts to the fake service's control endpoint and returns its answer.
sub signer_control
{
	my ($url, $body) = @_;
	my ($out, $err) = ('', '');
	run [ 'curl', '-sS', '--fail-with-body', '--max-time', '30', '-X', 'POST',
		'-H', 'Content-Type: application/json', '--data-binary', $body,
		"${url}_control" ], \undef, \$out, \$err
	  or die "control request failed: $err $out";
	return $out;
}

# Sets a server setting with ALTER SYSTEM and waits until SHOW returns it.
sub set_setting
{
	my ($name, $value) = @_;
	set_config($name, $value);
	wait_for('postgres', "SHOW $name", $value);
}

# Resets a setting and waits until SHOW returns its default, $value.
sub reset_setting
{
	my ($name, $value) = @_;
	reset_config($name);
	wait_for('postgres', "SHOW $name", $value);
}

1;
