# The contract sync fetches the employer's labour contracts from the local
# Enbek service with a signed request, stores them, and compares them with
# the access-control system: an employee with a card but no contract, a
# contract without a card, a dismissed employee still passing the
# turnstile, and a schedule whose working-hours code differs from the
# contract's.  The push sends the departments and schedules, which the
# service validates.  Both run by hand and from pg_cron, and each run is
# logged in job_run with its counts, as is a directory import.  Other tests register contracts of the
# same BIN, so the checks look at this test's IINs only.
use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/lib";
use File::Temp qw(tempdir);
use OtanTest;
use Test::More;

my $db = new_database('otan_t_contract_sync');
reset_service();
# An IIN with a contract but no employee in the database.
add_contracts('050440000012', '870717300078');

my $org = psql($db, q{
	INSERT INTO otan_enbek.organization (bin, name, time_zone)
	VALUES ('050440000012', 'School No. 7', 'Asia/Almaty') RETURNING org_id});
psql($db, qq{
	INSERT INTO otan_enbek.source (org_id, source_id, name)
	    OVERRIDING SYSTEM VALUE VALUES ($org, 1, 'Turnstile');
	INSERT INTO otan_enbek.department (org_id, department_id, name, code)
	    OVERRIDING SYSTEM VALUE VALUES ($org, 1, 'School', 'SCH'), ($org, 2, 'Kitchen', NULL);
	UPDATE otan_enbek.department SET parent_id = 1 WHERE department_id = 2;
	INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, kind, week_hours, daily_norm_min)
	    OVERRIDING SYSTEM VALUE VALUES
	    ($org, 1, 'Five days', 'weekly', 40, NULL),
	    ($org, 2, 'Flexible', 'flexible', 40, 480);
	INSERT INTO otan_enbek.employee
	    (org_id, employee_id, iin, last_name, first_name, schedule_id, department_id)
	    OVERRIDING SYSTEM VALUE VALUES
	    ($org, 1, '810111300012', 'Abenova', 'Aigul', 1, 1),
	    ($org, 2, '820212300023', 'Bekov', 'Daniyar', 1, 1),
	    ($org, 3, '830313300034', 'Serikova', 'Asel', 1, 2),
	    ($org, 4, '840414300045', 'Omarov', 'Timur', 2, 1),
	    ($org, 5, '850515300056', 'Nurova', 'Dana', 1, 2),
	    ($org, 6, '860616300067', 'Zhanova', 'Madina', 1, 2);
	INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value) VALUES
	    ($org, 1, 'card', '1001'), ($org, 2, 'card', '1002'), ($org, 4, 'card', '1004'),
	    ($org, 5, 'card', '1005'), ($org, 6, 'card', '1006');
	SELECT otan_enbek.ensure_event_partitions('2025-03-01', '2025-03-31');
	INSERT INTO otan_enbek.skud_event
	    (org_id, occurred_at, source_id, external_id, credential_kind, credential, employee_id)
	VALUES ($org, '2025-03-03 08:00:00+05', 1, 'e1', 'card', '1005', 5);
	-- A contract that ESUTD no longer lists, and one whose position changed.
	INSERT INTO otan_enbek.enbek_contract
	    (org_id, contract_id, iin, position, working_hours_code, start_date, synced_at)
	VALUES ($org, 'C-OLD', '870717300078', 'Driver', 1, '2020-01-01', now()),
	       ($org, 'C-2024-0003', '830313300034', 'Baker', 1, '2024-01-01', now());});

# Runs a step by hand and returns status|sqlstate|message of its job_run row.
sub run_step
{
	my ($function) = @_;
	return psql($db, qq{
		SET client_min_messages = error;
		SELECT concat_ws('|', status, error_sqlstate, error_message)
		FROM otan_enbek.$function($org)});
}

# The counts of the newest run of a kind, as a JSON object.
sub last_counts
{
	my ($kind) = @_;
	return psql($db, qq{
		SELECT counts FROM otan_enbek.job_run
		WHERE org_id = $org AND kind = '$kind' ORDER BY run_id DESC LIMIT 1});
}

is(run_step('run_contract_sync'), 'succeeded', 'the contract sync succeeds');
is(psql($db, qq{
	SELECT string_agg(concat_ws(':', contract_id, position, working_hours_code, end_date), ','
	                  ORDER BY contract_id)
	FROM otan_enbek.enbek_contract
	WHERE org_id = $org AND contract_id LIKE 'C-2024-%'}),
	'C-2024-0001:Teacher:1,C-2024-0002:Teacher:3,C-2024-0003:Cook:1,'
	  . 'C-2024-0004:Guard:5,C-2024-0005:Cleaner:1:2024-12-31',
	'the seeded contracts are stored with position, code and end');
is(psql($db, qq{SELECT count(*) FROM otan_enbek.enbek_contract
		WHERE org_id = $org AND contract_id = 'C-OLD'}),
	0, 'a contract that ESUTD no longer lists is removed');
is(psql($db, qq{SELECT position FROM otan_enbek.enbek_contract
		WHERE org_id = $org AND contract_id = 'C-2024-0003'}),
	'Cook', 'a changed contract is updated');

my $counts = last_counts('contract_sync');
like($counts, qr/"removed": 1\b/, 'the run counts the removed contract');
like($counts, qr/"changed": 1\b/, 'the run counts the changed contract');
is(psql($db, qq{SELECT (counts->>'fetched')::bigint
		= (SELECT count(*) FROM otan_enbek.enbek_contract c WHERE c.org_id = $org)
		FROM otan_enbek.job_run WHERE org_id = $org AND kind = 'contract_sync'}),
	't', 'every fetched contract is stored');

# The mismatches of this test's employees, by employee and kind.
is(psql($db, qq{
	SELECT string_agg(employee_id || ':' || kind, ',' ORDER BY employee_id, kind)
	FROM otan_enbek.contract_mismatch WHERE org_id = $org AND employee_id IS NOT NULL}),
	'2:schedule_mismatch,3:no_card,5:dismissed_but_passing,5:no_contract,6:no_contract',
	'every mismatch kind is found, for the right employees');
is(psql($db, qq{SELECT concat_ws('|', contract_id, contract_code, schedule_code)
		FROM otan_enbek.contract_mismatch
		WHERE org_id = $org AND kind = 'schedule_mismatch'}),
	'C-2024-0002|3|1', 'schedule mismatch: part-time contract, normal schedule');
is(psql($db, qq{SELECT concat_ws('|', masked_iin, contract_id, dismissed_on, passed_after_dismissal)
		FROM otan_enbek.contract_mismatch
		WHERE org_id = $org AND kind = 'dismissed_but_passing'}),
	'******300056|C-2024-0005|2024-12-31|2025-03-03 03:00:00+00',
	'dismissed but passing: the pass after the contract ended');
is(psql($db, qq{SELECT has_card::text || '|' || contract_in_force::text
		FROM otan_enbek.contract_comparison WHERE org_id = $org AND employee_id = 3}),
	'false|true', 'no card: the contract is in force');
is(psql($db, qq{SELECT contract_id IS NULL FROM otan_enbek.contract_comparison
		WHERE org_id = $org AND employee_id = 6}),
	't', 'no contract: the employee with a card has none');
is(psql($db, qq{SELECT mismatches FROM otan_enbek.contract_comparison
		WHERE org_id = $org AND employee_id IN (1, 4) ORDER BY employee_id}),
	"{}\n{}", 'matching employees, flexible one included, have no mismatch');
is(psql($db, qq{SELECT count(*) > 0 FROM otan_enbek.contract_mismatch
		WHERE org_id = $org AND employee_id IS NULL AND kind = 'no_card'}),
	't', 'a contract of an IIN without employee counts as without a card');

# The run's counts agree with the report.
foreach my $kind (qw(no_contract no_card dismissed_but_passing schedule_mismatch))
{
	is(psql($db, qq{SELECT (SELECT counts->>'$kind' FROM otan_enbek.job_run
		                    WHERE org_id = $org AND kind = 'contract_sync')::bigint
		             = (SELECT count(*) FROM otan_enbek.contract_mismatch
		                WHERE org_id = $org AND kind = '$kind')}),
		't', "the run counts the $kind mismatches");
}

# A schedule with its own code clears the mismatch.
psql($db, qq{
	INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name, week_hours, working_hours_code)
	    OVERRIDING SYSTEM VALUE VALUES ($org, 3, 'Half days', 20, 3);
	UPDATE otan_enbek.employee SET schedule_id = 3 WHERE org_id = $org AND employee_id = 2;});
is(psql($db, qq{SELECT count(*) FROM otan_enbek.contract_mismatch
		WHERE org_id = $org AND kind = 'schedule_mismatch'}),
	0, 'a part-time schedule matches the part-time contract');

# Failures keep the stored contracts and log the error.
control_post('fault', { mode => 'http503', service => 'any' });
like(run_step('run_contract_sync'),
	qr/^failed\|08006\|Enbek rejected request [0-9a-f-]+: the service is temporarily unavailable$/,
	'a 503 fails the run with the fault string');
control_post('fault', { mode => 'malformed', service => 'any' });
like(run_step('run_contract_sync'), qr/^failed\|08P01\|the response of Enbek to request [0-9a-f-]+ is not XML$/,
	'a malformed response fails the run');
is(psql($db, qq{SELECT count(*) FROM otan_enbek.enbek_contract
		WHERE org_id = $org AND contract_id LIKE 'C-2024-%'}),
	5, 'failed runs keep the stored contracts');

set_config('otan_enbek.signing_key_file', "$ENV{OTAN_PKI}/otherbin.p12");
like(run_step('run_contract_sync'), qr/^failed\|\w+\|signing key file ".*otherbin\.p12" belongs to BIN 110340000072/,
	'a key of another BIN is refused before sending');
reset_config('otan_enbek.signing_key_file');

# The push of departments and schedules.
is(run_step('run_directory_push'), 'succeeded', 'the directory push succeeds');
like(last_counts('directory_push'), qr/"state": "ACCEPTED"/, 'the run logs the state');
like(last_counts('directory_push'), qr/"schedules": 3\b/, 'the run logs the schedules sent');
my $pushed = control_get('directory')->{directories}{'050440000012'};
is(join(',', map { $_->{code} . ':' . ($_->{parentCode} // '') } @{ $pushed->{departments} }),
	'SCH:,2:SCH', 'the service stored the departments with their parents');
is(join(',', map { "$_->{name}:$_->{workingHours}" } @{ $pushed->{schedules} }),
	'Five days:1,Flexible:5,Half days:3', 'the service stored the schedules with their codes');

# The service rejects a normal schedule that is not 40 hours a week.
psql($db, qq{UPDATE otan_enbek.work_schedule SET working_hours_code = 1, week_hours = 36
	WHERE org_id = $org AND schedule_id = 3});
like(run_step('run_directory_push'),
	qr/^failed\|22023\|Enbek rejected the directory of organization $org: schedule 'Half days' has working-hours code 1 \(normal\) but 36 hours/,
	'a push that the service rejects fails with its reason');
like(psql($db, qq{SELECT error_detail FROM otan_enbek.job_run
		WHERE org_id = $org AND kind = 'directory_push' ORDER BY run_id DESC LIMIT 1}),
	qr/Status code SCSE404, request [0-9a-f-]+\. Reasons: SCSE404: /, 'the detail lists the reasons');

# A schedule under 40 hours without a code cannot be pushed.
psql($db, qq{UPDATE otan_enbek.work_schedule SET working_hours_code = NULL
	WHERE org_id = $org AND schedule_id = 3});
like(run_step('run_directory_push'),
	qr/^failed\|55000\|the working-hours code of some schedules of organization $org is unknown$/,
	'a schedule without a code is not sent');

# An operator syncs and pushes for its own organizations only, and a
# reader sees no contract.
psql($db, qq{UPDATE otan_enbek.work_schedule SET working_hours_code = 3
	WHERE org_id = $org AND schedule_id = 3});
my $operator = 'otan_t_contract_operator';
my $reader = 'otan_t_contract_reader';
psql($db, qq{DROP ROLE IF EXISTS $operator; CREATE ROLE $operator;
	GRANT otan_enbek_operator TO $operator;
	DROP ROLE IF EXISTS $reader; CREATE ROLE $reader; GRANT otan_enbek_reader TO $reader});

END
{
	my $status = $?;
	eval { psql('postgres', qq{DROP ROLE IF EXISTS $operator; DROP ROLE IF EXISTS $reader}) };
	$? = $status;
}

# Runs a step as the operator and returns status|message of its row.
sub run_as_operator
{
	my ($function) = @_;
	return psql($db, qq{SET ROLE $operator; SET client_min_messages = error;
		SELECT concat_ws('|', status, error_message) FROM otan_enbek.$function($org)});
}

like(psql_error($db, qq{SET ROLE $operator; SELECT * FROM otan_enbek.run_contract_sync($org)}),
	qr/ERROR:  role "$operator" has no access to organization $org$/m,
	'an operator without the organization cannot sync');
is(psql($db, qq{SELECT count(*) FROM otan_enbek.job_run WHERE run_by = '$operator'}), 0,
	'the refused sync records no run');
psql($db, qq{SELECT otan_enbek.grant_org_access('$operator', $org)});
is(run_as_operator('run_contract_sync'), 'succeeded', 'an operator of the organization syncs');
is(run_as_operator('run_directory_push'), 'succeeded', 'an operator of the organization pushes');
is(psql($db, qq{SET ROLE $operator;
		SELECT count(*) FROM otan_enbek.contract_mismatch WHERE employee_id = 3}),
	1, 'an operator reads the mismatches');
like(psql_error($db, qq{SET ROLE $reader; SELECT * FROM otan_enbek.contract_comparison}),
	qr/permission denied for view contract_comparison/, 'a reader cannot read the comparison');
like(psql_error($db, qq{SET ROLE $operator;
		SELECT * FROM otan_enbek.enbek_exchange('050440000012', 'X', 'Y', '<a/>')}),
	qr/permission denied for function enbek_exchange/, 'an operator cannot sign a document of its own');

# A directory import gives employee 3 a card, which ends its no_card
# mismatch, and the run is logged with its counts.
my $files = tempdir('contract-sync.XXXXXX', DIR => $ENV{OTAN_WORK}, CLEANUP => 1);
chmod 0755, $files;
open my $users, '>', "$files/users.csv" or die "cannot write $files/users.csv: $!";
print $users "iin;personnel_no;card\n830313300034;T-3;1003\n;T-404;1999\n";
close $users;
chmod 0644, "$files/users.csv";
is(psql($db, qq{SET client_min_messages = error;
		SELECT concat_ws('|', status, counts->'lines', counts->'matched', counts->'credentials',
		                 counts->'conflicts')
		FROM otan_enbek.run_directory_import($org, '$files/users.csv', 1)}),
	'succeeded|2|1|1|2', 'the directory import runs and logs its counts');
is(psql($db, qq{SELECT count(*) FROM otan_enbek.contract_mismatch
		WHERE org_id = $org AND employee_id = 3}),
	0, 'the imported card ends the no_card mismatch');

# pg_cron runs the sync in its database and the run is logged with counts.
my $cron_db = $ENV{OTAN_CRON_DATABASE} // 'otan_tap';
my $cron_org = 9602;
psql($cron_db, 'CREATE EXTENSION IF NOT EXISTS pg_cron');
psql($cron_db, 'CREATE EXTENSION IF NOT EXISTS otan_enbek');

sub clean_up_cron
{
	psql($cron_db, qq{
		SELECT cron.unschedule(jobid) FROM cron.job WHERE jobname LIKE 'otan_enbek:$cron_org:%';
		DELETE FROM otan_enbek.job_run WHERE target->>'org_id' = '$cron_org';
		DELETE FROM otan_enbek.enbek_contract WHERE org_id = $cron_org;
		DELETE FROM otan_enbek.organization WHERE org_id = $cron_org;});
}

END
{
	my $status = $?;
	eval { clean_up_cron() };
	$? = $status;
}

clean_up_cron();
psql($cron_db, qq{INSERT INTO otan_enbek.organization (org_id, bin, name)
	OVERRIDING SYSTEM VALUE VALUES ($cron_org, '050440000012', 'School No. 7')});
like(psql($cron_db, qq{SELECT otan_enbek.set_schedule($cron_org, 'contract_sync', '* * * * *')}),
	qr/^\d+$/, 'the contract sync is scheduled');
is(wait_for($cron_db, qq{SELECT count(*) > 0 FROM otan_enbek.job_run
		WHERE org_id = $cron_org AND kind = 'contract_sync' AND status <> 'running'}, 't'),
	't', 'pg_cron ran the contract sync');
is(psql($cron_db, qq{SELECT concat_ws('|', status, trigger, first_day IS NULL, (counts->>'fetched')::integer >= 5)
		FROM otan_enbek.job_run
		WHERE org_id = $cron_org AND kind = 'contract_sync' ORDER BY run_id LIMIT 1}),
	'succeeded|schedule|t|t', 'the scheduled run has no period and logs its counts');
is(psql($cron_db, qq{SELECT count(*) FROM otan_enbek.enbek_contract
		WHERE org_id = $cron_org AND contract_id LIKE 'C-2024-%'}),
	5, 'the scheduled run stored the contracts');

done_testing();
