# Helpers for the integration tests of otan_enbek.
#
# The tests run against the cluster and the local Enbek service that
# test/harness/run-suites starts; its environment names them: PGHOST, PGPORT,
# PGUSER, OTAN_PKI (test keys), OTAN_ENBEK_CONTROL (fault injection and
# inspection), OTAN_WORK (a scratch directory).  Each test makes its own
# database, so that the launcher starts a delivery worker for it, and drops
# it at the end.
#
# Documents are signed with the xmlsec1 command-line tool from a template in
# the shape of a ts:timesheetRequest, with the key and the certificate taken
# out of a PKCS#12 file of $OTAN_PKI, so that KeyInfo holds the signing
# certificate alone.
package OtanTest;

use strict;
use warnings;

use Exporter 'import';
use File::Temp qw(tempdir);
use IPC::Run qw(run start pump finish timeout);
use JSON::PP;
use Test::More;

our @EXPORT = qw(
  psql psql_error new_database drop_database
  control_post control_get service_message reset_service add_contracts
  setup_organization add_submission sign_document
  wait_for submission_row event_kinds events
  set_config reset_config reload_config server_log
  listen_start listen_collect listen_notifications
  wait_for_server kill_process stop_immediate start_server
  start_uncommitted finish_sessions
);

# Longest wait for an asynchronous change before a test gives up.  It only
# guards against a hang: no test measures how fast delivery is.
our $WAIT_SECONDS = 120;

my $json = JSON::PP->new->canonical;
my @databases;

# Runs SQL in a database and returns the output (unaligned, tuples only,
# fields separated by |), without the final newline.  Dies on an error.
sub psql
{
	my ($db, $sql) = @_;
	my ($out, $err) = ('', '');
	my $ok = run [ 'psql', '-X', '-q', '-A', '-t', '-F', '|',
		'-v', 'ON_ERROR_STOP=1', '-d', $db, '-f', '-' ],
	  \$sql, \$out, \$err;
	die "psql failed in database $db: $err\nSQL: $sql\n" unless $ok;
	chomp $out;
	return $out;
}

# Runs SQL that must fail and returns psql's error output.
sub psql_error
{
	my ($db, $sql) = @_;
	my ($out, $err) = ('', '');
	my $ok = run [ 'psql', '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1',
		'-d', $db, '-f', '-' ],
	  \$sql, \$out, \$err;
	die "SQL succeeded but was expected to fail: $sql\n" if $ok;
	return $err;
}

# Creates a database with the extension, the worker logging at DEBUG1 (so
# that the log test also checks the details), and drops it at the end.
# Options: version (default: the control file's default_version), and
# extension => 0 for a database without the extension, such as the target
# of a restore.
sub new_database
{
	my ($name, %opt) = @_;
	psql('postgres', qq{DROP DATABASE IF EXISTS "$name" WITH (FORCE)});
	psql('postgres', qq{CREATE DATABASE "$name"});
	psql('postgres', qq{ALTER DATABASE "$name" SET log_min_messages = debug1});
	push @databases, $name;
	return $name if defined $opt{extension} && !$opt{extension};
	my $version = defined $opt{version} ? " VERSION '$opt{version}'" : '';
	psql($name, "CREATE EXTENSION otan_enbek$version");
	return $name;
}

# Drops a test database; its delivery worker is terminated with it.
sub drop_database
{
	my ($name) = @_;
	psql('postgres', qq{DROP DATABASE IF EXISTS "$name" WITH (FORCE)});
	@databases = grep { $_ ne $name } @databases;
}

END
{
	my $status = $?;
	foreach my $db (@databases)
	{
		eval { drop_database($db) };
	}
	$? = $status;
}

# Calls the service's control endpoint with curl, verifying the service's
# certificate with the test CA, and returns the decoded JSON answer.
sub control_request
{
	my ($method, $path, $body) = @_;
	my @cmd = ('curl', '-sS', '--fail-with-body', '--max-time', '30',
		'--cacert', "$ENV{OTAN_PKI}/ca.crt", '-X', $method);
	push @cmd, '-H', 'Content-Type: application/json', '--data-binary', '@-'
	  if defined $body;
	push @cmd, "$ENV{OTAN_ENBEK_CONTROL}/$path";
	my ($in, $out, $err) = (defined $body ? $json->encode($body) : '', '', '');
	run \@cmd, \$in, \$out, \$err
	  or die "control request $method $path failed: $err $out\n";
	return length $out ? $json->decode($out) : undef;
}

sub control_post { return control_request('POST', $_[0], $_[1]); }
sub control_get { return control_request('GET', $_[0]); }

# Forgets the service's messages and faults.
sub reset_service { control_post('reset', {}); }

# Registers labour contracts with the service for the test BIN.
sub add_contracts
{
	my ($bin, @iins) = @_;
	control_post('contracts',
		[ map { { bin => $bin, iin => $_, contractId => "C-$_",
				start => '2020-01-01', end => '2030-12-31' } } @iins ]);
}

# The service's record of one timesheet message, or undef.
sub service_message
{
	my ($message_id) = @_;
	my ($found) = grep { lc($_->{messageId}) eq lc($message_id) }
	  @{ control_get('messages')->{messages} };
	return $found;
}

# Creates the test organization, its employees and a timesheet for
# November 2025 with one line per employee.  Returns a hash with org_id,
# timesheet_id, and employee_id by IIN.
sub setup_organization
{
	my ($db, %opt) = @_;
	my @iins = @{ $opt{iins} };
	my $version = $opt{version} // 1;
	my %result;

	$result{org_id} = psql($db, q{
		INSERT INTO otan_enbek.organization (bin, name)
		VALUES ('050440000012', 'School No. 7')
		ON CONFLICT (bin) DO UPDATE SET name = excluded.name
		RETURNING org_id});
	my $org = $result{org_id};
	$result{timesheet_id} = psql($db, qq{
		INSERT INTO otan_enbek.timesheet
		    (org_id, month, version, status, working_days, norm_hours, employee_count)
		VALUES ($org, '2025-11-01', $version, 'submitted', 20, 160, ${\ scalar @iins})
		RETURNING timesheet_id});
	my $line = 0;
	foreach my $iin (@iins)
	{
		$line++;
		my $employee = psql($db, qq{
			INSERT INTO otan_enbek.employee (org_id, iin, last_name, first_name)
			VALUES ($org, '$iin', 'Employee', 'No. $line')
			ON CONFLICT (org_id, iin) DO UPDATE SET last_name = excluded.last_name
			RETURNING employee_id});
		$result{employee_id}{$iin} = $employee;
		psql($db, qq{
			INSERT INTO otan_enbek.timesheet_line
			    (org_id, timesheet_id, employee_id, line_no, iin, full_name,
			     day_codes, day_hours, days_worked, hours_worked)
			VALUES ($org, $result{timesheet_id}, $employee, $line, '$iin',
			        'Employee No. $line', ARRAY['Я'], ARRAY[8.00], 1, 8.00)});
	}
	return \%result;
}

my $scratch;

# Extracts the key and the certificate of a PKCS#12 file of $OTAN_PKI into
# PEM files and returns their paths, with the certificate's facts.
sub key_files
{
	my ($key_name) = @_;
	$scratch //= tempdir('otan-keys-XXXXXX', DIR => $ENV{OTAN_WORK} // '/tmp',
		CLEANUP => 1);
	my $key = "$scratch/$key_name.key";
	my $cert = "$scratch/$key_name.crt";
	my $p12 = "$ENV{OTAN_PKI}/$key_name.p12";
	my $pass = "file:$ENV{OTAN_PKI}/p12.pass";
	unless (-e $cert)
	{
		my $err = '';
		run [ 'openssl', 'pkcs12', '-in', $p12, '-passin', $pass, '-nocerts',
			'-nodes', '-out', $key ], '2>', \$err
		  or die "cannot read the key of $p12: $err";
		chmod 0600, $key;
		run [ 'openssl', 'pkcs12', '-in', $p12, '-passin', $pass, '-clcerts',
			'-nokeys', '-out', $cert ], '2>', \$err
		  or die "cannot read the certificate of $p12: $err";
	}
	my $facts = '';
	run [ 'openssl', 'x509', '-in', $cert, '-noout', '-serial', '-enddate',
		'-fingerprint', '-sha256' ], '>', \$facts
	  or die "cannot read $cert";
	my ($serial) = $facts =~ /serial=(\S+)/;
	my ($not_after) = $facts =~ /notAfter=(.+)/;
	my ($fingerprint) = $facts =~ /Fingerprint=(\S+)/;
	$fingerprint =~ s/://g;
	return { key => $key, cert => $cert, serial => $serial,
		not_after => $not_after, fingerprint => lc $fingerprint };
}

# Builds a ts:timesheetRequest for the test organization and signs it with
# the named key of $OTAN_PKI ("sign" or "auth").  Returns the signed XML.
sub sign_document
{
	my (%opt) = @_;
	my $files = key_files($opt{key} // 'sign');
	my @iins = @{ $opt{iins} };
	my $employees = join '', map {
		qq{<ts:employee><ts:iin>$_</ts:iin><ts:days><ts:day n="1" code="Я" hours="8.00"/></ts:days>}
		  . qq{<ts:totals daysWorked="1" hoursWorked="8.00" overtimeHours="0.00" nightHours="0.00" holidayHours="0.00" daysOff="0"/></ts:employee>}
	} @iins;
	my $template = <<"XML";
<?xml version="1.0" encoding="UTF-8"?>
<ts:timesheetRequest xmlns:ts="urn:otan-enbek:timesheet:v1" schemaVersion="1.0"><ts:messageId>$opt{message_id}</ts:messageId><ts:employer><ts:bin>050440000012</ts:bin><ts:name>School No. 7</ts:name></ts:employer><ts:period>2025-11</ts:period><ts:timesheet id="$opt{timesheet_id}" version="1" builtAt="2025-12-01T09:00:00+05:00"/><ts:workingDays>20</ts:workingDays><ts:normHours>160.00</ts:normHours><ts:employees count="${\ scalar @iins}">$employees</ts:employees><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate/></ds:X509Data></ds:KeyInfo></ds:Signature></ts:timesheetRequest>
XML
	my ($signed, $err) = ('', '');
	run [ 'xmlsec1', '--sign', '--privkey-pem', "$files->{key},$files->{cert}",
		'--output', '-', '-' ], \$template, \$signed, \$err
	  or die "xmlsec1 could not sign the document: $err";

	# A submission stores the document as it goes inside requestData/data,
	# without an XML declaration; the signature does not cover it.
	$signed =~ s/^<\?xml[^>]*\?>\s*//;
	$signed =~ s/\s+$//;
	return ($signed, $files);
}

# Inserts a submission of a signed document for a timesheet.  Options:
# iins, key ("sign" or "auth"), service_id, status (default queued), and
# wake (default 1: otan_enbek.wake_delivery() in the same transaction).
# Returns { submission_id, message_id }.
sub add_submission
{
	my ($db, $setup, %opt) = @_;
	my $message_id = psql($db, 'SELECT gen_random_uuid()');
	my ($document, $files) = sign_document(
		message_id => $message_id,
		timesheet_id => $setup->{timesheet_id},
		iins => $opt{iins},
		key => $opt{key});
	my ($signature) = $document =~ m{<ds:SignatureValue>\s*([^<]+?)\s*</ds:SignatureValue>};
	my $service_id = $opt{service_id} // 'OTAN_TIMESHEET_V1';
	my $status = $opt{status} // 'queued';
	my $wake = ($opt{wake} // 1) ? 'SELECT otan_enbek.wake_delivery();' : '';
	my $id = psql($db, qq{
		BEGIN;
		INSERT INTO otan_enbek.submission
		    (org_id, timesheet_id, message_id, service_id, document,
		     document_sha256, signature_value, key_fingerprint,
		     certificate_serial, certificate_not_after, status)
		VALUES ($setup->{org_id}, $setup->{timesheet_id}, '$message_id',
		        '$service_id', \$doc\$$document\$doc\$,
		        sha256(convert_to(\$doc\$$document\$doc\$, 'UTF8')),
		        '$signature', '$files->{fingerprint}', '$files->{serial}',
		        '$files->{not_after}', '$status')
		RETURNING submission_id;
		$wake
		COMMIT;});
	($id) = split /\n/, $id;
	return { submission_id => $id, message_id => $message_id };
}

# Polls a query until it returns the expected text; returns the last
# result.  Gives up after $WAIT_SECONDS, which only guards against a hang.
sub wait_for
{
	my ($db, $sql, $expected) = @_;
	my $result;
	my $deadline = time + $WAIT_SECONDS;
	while (1)
	{
		$result = psql($db, $sql);
		return $result if $result eq $expected || time > $deadline;
		select(undef, undef, undef, 0.2);
	}
}

# One submission's delivery state: status|attempts|response_code.
sub submission_row
{
	my ($db, $id) = @_;
	return psql($db, qq{
		SELECT status || '|' || attempts || '|' || coalesce(response_code, '')
		FROM otan_enbek.submission WHERE submission_id = $id});
}

# The kinds of a submission's events, in order, as one comma-separated text.
sub event_kinds
{
	my ($db, $id) = @_;
	return psql($db, qq{
		SELECT string_agg(kind, ',' ORDER BY event_no)
		FROM otan_enbek.submission_event WHERE submission_id = $id});
}

# A submission's events as a list of hashes.
sub events
{
	my ($db, $id) = @_;
	my $rows = psql($db, qq{
		SELECT json_agg(json_build_object('kind', kind, 'attempt', attempt,
		    'http_status', http_status, 'code', code, 'message', message,
		    'duration_ms', duration_ms, 'detail', detail, 'at', at)
		    ORDER BY event_no)
		FROM otan_enbek.submission_event WHERE submission_id = $id});
	return $json->decode($rows);
}

# Sets a server setting with ALTER SYSTEM and reloads the configuration.
sub set_config
{
	my ($name, $value) = @_;
	psql('postgres', "ALTER SYSTEM SET $name = '$value'");
	reload_config();
}

# Resets a setting set with set_config.
sub reset_config
{
	my ($name) = @_;
	psql('postgres', "ALTER SYSTEM RESET $name");
	reload_config();
}

sub reload_config { psql('postgres', 'SELECT pg_reload_conf()'); }

# The server log written so far.
sub server_log
{
	my $path = "$ENV{PGHOST}/server.log";
	open my $fh, '<', $path or die "cannot read $path: $!";
	local $/;
	return <$fh>;
}

# Waits until the server accepts connections again, after a crash of one of
# its processes or a restart.  Returns true when it does.
sub wait_for_server
{
	my $deadline = time + $WAIT_SECONDS;
	while (time <= $deadline)
	{
		my ($out, $err) = ('', '');
		return 1
		  if run [ 'psql', '-X', '-q', '-A', '-t', '-d', 'postgres', '-c',
			'SELECT 1' ], \undef, \$out, \$err;
		select(undef, undef, undef, 0.2);
	}
	return 0;
}

# Sends SIGKILL to a server process of the test cluster.  The postmaster
# then ends every session and recovers the cluster from its WAL.
sub kill_process
{
	my ($pid) = @_;
	die "invalid process id \"$pid\"\n" unless $pid =~ /^[1-9][0-9]*$/;
	return kill 'KILL', $pid;
}

# Stops the test cluster with pg_ctl's immediate mode, which ends every
# process without a checkpoint, as a power failure would.
sub stop_immediate
{
	my $out = '';
	return run [ 'pg_ctl', '-D', "$ENV{PGHOST}/data", '-m', 'immediate',
		'-w', 'stop' ], '>', \$out, '2>&1';
}

# Starts the test cluster again after stop_immediate; it recovers from its
# WAL before it accepts connections.
sub start_server
{
	my $out = '';
	return run [ 'pg_ctl', '-D', "$ENV{PGHOST}/data", '-l',
		"$ENV{PGHOST}/server.log", '-w', 'start' ], '>', \$out, '2>&1';
}

# Advisory lock key that start_uncommitted holds to keep a transaction open.
my $hold_lock = 7007;

# Starts a statement in a transaction of its own that cannot commit before
# a crash: after the statement the transaction waits for an advisory lock
# that a second session holds.  Waits until the statement, named by a part
# of its text, or the wait for the lock is running, and returns its
# backend's pid (0 when it never ran) and both psql sessions.
sub start_uncommitted
{
	my ($db, $sql, $marker) = @_;
	my %holder = (in => "SELECT pg_advisory_lock($hold_lock);\n", out => '', err => '');
	$holder{handle} = start [ 'psql', '-X', '-q', '-A', '-t', '-d', $db ],
	  \$holder{in}, \$holder{out}, \$holder{err};
	pump $holder{handle} while length $holder{in};

	my %session = (in => "BEGIN;\n$sql;\nSELECT pg_advisory_xact_lock($hold_lock);\nCOMMIT;\n",
		out => '', err => '');
	$session{handle} = start [ 'psql', '-X', '-q', '-A', '-t', '-d', $db ],
	  \$session{in}, \$session{out}, \$session{err};
	pump $session{handle} while length $session{in};

	$marker =~ s/'/''/g;
	my $pid = 0;
	my $deadline = time + $WAIT_SECONDS;
	while (!$pid && time <= $deadline)
	{
		$pid = psql($db, qq{
			SELECT coalesce(min(pid), 0) FROM pg_stat_activity
			WHERE state = 'active' AND pid <> pg_backend_pid()
			  AND (strpos(query, '$marker') > 0
			       OR strpos(query, 'pg_advisory_xact_lock($hold_lock)') > 0)});
		select(undef, undef, undef, 0.05) unless $pid;
	}
	return ($pid, $session{handle}, $holder{handle});
}

# Waits for the end of psql sessions that a crash has ended.
sub finish_sessions
{
	foreach my $handle (@_)
	{
		eval { finish $handle };
	}
}

# Starts a psql session that listens on channel otan_enbek, as the given
# login role or else as the default user.  Returns once the server has run
# the LISTEN, so that no later NOTIFY is missed.
sub listen_start
{
	my ($db, $role) = @_;
	my %session = (in => "LISTEN otan_enbek;\nSELECT 'listen-started';\n",
		out => '', err => '');
	my @user = defined $role ? ('-U', $role) : ();
	$session{timer} = timeout($WAIT_SECONDS);
	$session{handle} = start [ 'psql', '-X', '-q', @user, '-d', $db ],
	  \$session{in}, \$session{out}, \$session{err}, $session{timer};
	pump $session{handle} until $session{out} =~ /listen-started/;
	return \%session;
}

# Returns the payloads received so far by a listening session, decoded,
# after asking the server for pending notifications with a query.  Stops
# the session.
sub listen_collect
{
	my ($session) = @_;
	$session->{in} .= "SELECT 'listen-done';\n";
	pump $session->{handle} until $session->{out} =~ /listen-done/;
	$session->{in} .= "\\q\n";
	finish $session->{handle};
	my @payloads;
	while ($session->{out} =~ /Asynchronous notification "otan_enbek" with payload "(.*?)" received/g)
	{
		push @payloads, $json->decode($1);
	}
	return \@payloads;
}

# Returns the notifications whose ids a listening session received, in the
# order received, read by the default user: hashes of notification_id,
# org_id, kind and payload.  Dies when a NOTIFY payload has any key besides
# notification_id.  Stops the session.
sub listen_notifications
{
	my ($db, $session) = @_;
	my @notifications;
	foreach my $payload (@{ listen_collect($session) })
	{
		my @keys = sort keys %$payload;
		die "NOTIFY payload has keys @keys instead of notification_id only\n"
		  unless "@keys" eq 'notification_id';
		my $id = $payload->{notification_id} + 0;
		my $row = psql($db, qq{
			SELECT row_to_json(n)::text
			FROM (SELECT notification_id, org_id, kind, payload
			      FROM otan_enbek.notification WHERE notification_id = $id) AS n});
		die "notification $id of a NOTIFY payload not found\n" unless length $row;
		push @notifications, $json->decode($row);
	}
	return \@notifications;
}

1;
