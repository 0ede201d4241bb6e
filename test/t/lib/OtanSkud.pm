# Helpers for the tests of the pull sources: start the local fake
# Hikvision device and the fake REST service of test/skud on a free port of
# 127.0.0.1, steer them over their /_control endpoints, and stop them when
# the test ends.
package OtanSkud;

use strict;
use warnings;

use Exporter 'import';
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(sleep);

our @EXPORT = qw(start_fake fake_post fake_get);

my $json = JSON::PP->new->canonical;
my $http = HTTP::Tiny->new(timeout => 30);
my @started;

# Starts test/skud/NAME with the given arguments on a free port and waits
# until it answers.  Returns the port.  A fake started with --tls-cert is
# reached over HTTPS with the test CA of $OTAN_PKI.
sub start_fake
{
	my ($name, @args) = @_;
	my $tls = grep { $_ eq '--tls-cert' } @args;
	my $port = `$ENV{OTAN_TOP}/test/harness/free-port`;
	chomp $port;
	die "no free port\n" unless $port =~ /^\d+$/;
	my $pid = fork // die "cannot fork: $!";
	if ($pid == 0)
	{
		exec("$ENV{OTAN_TOP}/test/skud/$name", '--port', $port, @args)
		  or die "cannot run $name: $!";
	}
	push @started, $pid;
	for (1 .. 300)
	{
		if ($tls)
		{
			return $port
			  if system('curl', '-sf', '-o', '/dev/null', '--cacert',
				"$ENV{OTAN_PKI}/ca.crt",
				"https://127.0.0.1:$port/_control/requests") == 0;
		}
		else
		{
			my $response = $http->get("http://127.0.0.1:$port/_control/requests");
			return $port if $response->{status} == 200;
		}
		sleep 0.1;
	}
	die "$name did not start on port $port\n";
}

# Sends a control request with a JSON body and returns the decoded answer.
sub fake_post
{
	my ($port, $action, $body) = @_;
	my $response = $http->post("http://127.0.0.1:$port/_control/$action",
		{ content => $json->encode($body // {}),
		  headers => { 'Content-Type' => 'application/json' } });
	die "control $action failed: $response->{status} $response->{content}\n"
	  unless $response->{success};
	return $json->decode($response->{content});
}

# Reads a control endpoint and returns the decoded answer.
sub fake_get
{
	my ($port, $action) = @_;
	my $response = $http->get("http://127.0.0.1:$port/_control/$action");
	die "control $action failed: $response->{status}\n" unless $response->{success};
	return $json->decode($response->{content});
}

END
{
	my $status = $?;
	foreach my $pid (@started)
	{
		kill 'TERM', $pid;
		waitpid $pid, 0;
	}
	$? = $status;
}

1;
