# The worker is woken by the commit of a transaction that called
# otan_enbek.wake_delivery(), not by a timer: a submission committed without
# a wake-up stays queued while the worker sleeps, an aborted wake-up wakes
# nobody, and a committed one gets the queue delivered.  A terminated worker
# is started again by the launcher.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use IPC::Run qw(start pump finish timeout);
use OtanTest;
use Test::More;

my $db = new_database('otan_t_wake');
reset_service();
add_contracts('050440000012', '810111300012');
my $setup = setup_organization($db, iins => ['810111300012']);

# Wait until the worker sleeps on its latch with nothing due.  A wake-up of
# the set-up may be pending while the worker still shows the wait event (on a
# loaded machine it may not have run since its latch was set), so wait, let
# it run, and wait again.
my $idle_query = q{SELECT a.state || '|' || a.wait_event
		FROM otan_enbek.delivery_status() AS d
		JOIN pg_stat_activity AS a ON a.pid = d.worker_pid};
is(wait_for($db, $idle_query, 'idle|Extension'), 'idle|Extension',
	'worker is idle');
psql($db, 'SELECT pg_sleep(1)');
is(wait_for($db, $idle_query, 'idle|Extension'), 'idle|Extension',
	'worker is still idle after the set-up');

my $first = add_submission($db, $setup, iins => ['810111300012'], wake => 0);
my $first_id = $first->{submission_id};
psql($db, 'SELECT pg_sleep(2)');
is(submission_row($db, $first_id), 'queued|0|',
	'submission committed without a wake-up stays queued');
is(event_kinds($db, $first_id), '', 'and has no event');

# A wake-up in a transaction that is still open, then rolled back.
my ($in, $out, $err) = ("BEGIN;\nSELECT otan_enbek.wake_delivery();\n", '', '');
my $session = start [ 'psql', '-X', '-q', '-A', '-t', '-d', $db ],
  \$in, \$out, \$err, timeout(60);
pump $session while length $in;
psql($db, 'SELECT pg_sleep(1)');
is(submission_row($db, $first_id), 'queued|0|',
	'an uncommitted wake-up does not wake the worker');
$in .= "ROLLBACK;\nSELECT 'rolled back';\n";
pump $session until $out =~ /rolled back/;
psql($db, 'SELECT pg_sleep(2)');
is(submission_row($db, $first_id), 'queued|0|',
	'a rolled back wake-up does not wake the worker');

# The commit of a transaction that called wake_delivery() wakes it.
$in .= "BEGIN;\nSELECT otan_enbek.wake_delivery();\nCOMMIT;\n\\q\n";
finish $session;
is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $first_id",
		'accepted'),
	'accepted', 'committed wake-up gets the queue delivered');
like(event_kinds($db, $first_id), qr/^attempt,answer,(status_query,answer,)+accepted$/,
	'history of the woken delivery');

# A submission inserted with its wake-up in the same transaction.  Each
# submission has a timesheet version of its own, as submit_timesheet does.
my $setup2 = setup_organization($db, iins => ['810111300012'], version => 2);
my $second = add_submission($db, $setup2, iins => ['810111300012']);
is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $second->{submission_id}",
		'accepted'),
	'accepted', 'submission committed with wake_delivery() is delivered');

# A terminated worker is started again by the launcher and keeps working.
my $old_pid = psql($db, 'SELECT worker_pid FROM otan_enbek.delivery_status()');
is(psql($db, "SELECT pg_terminate_backend($old_pid)"), 't', 'worker terminated');
is(wait_for($db, "SELECT worker_state = 'running' AND worker_pid <> $old_pid FROM otan_enbek.delivery_status()",
		't'),
	't', 'launcher starts a new worker');
my $setup3 = setup_organization($db, iins => ['810111300012'], version => 3);
my $third = add_submission($db, $setup3, iins => ['810111300012']);
is(wait_for($db, "SELECT status FROM otan_enbek.submission WHERE submission_id = $third->{submission_id}",
		'accepted'),
	'accepted', 'new worker delivers');

like(server_log(), qr/\[$old_pid\] LOG:  otan_enbek delivery worker stopped/,
	'terminated worker logged its stop');

done_testing();
