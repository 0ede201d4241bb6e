# verify_document trusts only the CA certificates of otan_enbek.ca_file,
# not OpenSSL's default CA file and directory, which xmlsec1 also reads.
# Runs its own cluster whose SSL_CERT_FILE is the untrusted CA of the test
# PKI, as the fuzzing harness of the verifier does.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use IPC::Run qw(run);
use OtanTest;
use Test::More;

my $pki = $ENV{OTAN_PKI} or BAIL_OUT('OTAN_PKI is not set');
my $dir = tempdir('otan-verify-trust-XXXXXX', DIR => $ENV{OTAN_WORK}, CLEANUP => 1);
my $out = '';

# The CA that issued untrusted.p12, which ca.crt does not contain.
run [ 'openssl', 'pkcs12', '-in', "$pki/untrusted.p12", '-passin', "file:$pki/p12.pass",
	'-cacerts', '-nokeys', '-out', "$dir/untrusted-ca.crt" ], '>', \$out, '2>&1'
  or die "cannot read the CA certificate of untrusted.p12: $out";
mkdir "$dir/empty" or die "cannot create $dir/empty: $!";

run [ 'initdb', '-D', "$dir/data", '-U', 'postgres', '-A', 'trust', '-E', 'UTF8',
	'--locale=C.UTF-8' ], '>', \$out, '2>&1'
  or die "initdb failed: $out";
open my $conf, '>>', "$dir/data/postgresql.conf" or die $!;
print $conf "listen_addresses = ''\nunix_socket_directories = '$dir'\nport = $ENV{PGPORT}\n";
print $conf "shared_preload_libraries = ''\notan_enbek.ca_file = '$pki/ca.crt'\n";
close $conf;
{
	local $ENV{SSL_CERT_FILE} = "$dir/untrusted-ca.crt";
	local $ENV{SSL_CERT_DIR} = "$dir/empty";
	run [ 'pg_ctl', '-D', "$dir/data", '-l', "$dir/server.log", '-w', 'start' ],
	  '>', \$out, '2>&1'
	  or die "cannot start the cluster: $out";
}
END
{
	my $status = $?;
	run [ 'pg_ctl', '-D', "$dir/data", '-m', 'fast', '-w', 'stop' ], '>', \my $ignored, '2>&1';
	$? = $status;
}

local $ENV{PGHOST} = $dir;
psql('postgres', 'CREATE EXTENSION otan_enbek');

# Returns "valid|reason" of verify_document for a document signed with a
# key of the test PKI.
sub verify
{
	my ($key) = @_;
	my ($document) = sign_document(key => $key, iins => ['810111300012'],
		message_id => '33333333-3333-4333-8333-333333333333', timesheet_id => 1);
	$document =~ s/'/''/g;
	return psql('postgres',
		"SELECT valid || '|' || coalesce(reason, '') FROM otan_enbek.verify_document('$document')");
}

is(verify('sign'), 'true|', 'a signature of the trusted CA verifies');

# xmlsec1 accepts the untrusted CA from SSL_CERT_FILE, so the reason is
# the check against ca_file and not xmlsec1's certificate verification.
is(verify('untrusted'),
	'false|the signing certificate does not chain to a trusted CA certificate (otan_enbek.signing_ca_file, or otan_enbek.ca_file when that is empty)',
	'a signature of a CA in SSL_CERT_FILE only is rejected');

done_testing();
