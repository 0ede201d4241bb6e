# Helpers for the tests of the attendance computation: an organization
# with many employees, made in a few statements.
package OtanAttendance;

use strict;
use warnings;

use Exporter 'import';
use OtanTest;

our @EXPORT = qw(add_school);

# Adds an organization in Asia/Almaty with schedule 1, 09:00-18:00 with a
# 13:00-14:00 break on weekdays, as its default, and source 1.  Then adds
# the given number of employees, numbered from 1, each with a valid IIN, a
# contract from 2020 and a person credential equal to the employee id, and
# the event partitions from first_month to the month after last_month.
# Returns the org_id.
sub add_school
{
	my ($db, %opt) = @_;
	my $name = $opt{name} // 'School';
	my $employees = $opt{employees};
	my $org = psql($db, qq{
		INSERT INTO otan_enbek.organization (bin, name, time_zone)
		VALUES ('050440000012', '$name', 'Asia/Almaty') RETURNING org_id});
	psql($db, qq{
		INSERT INTO otan_enbek.work_schedule (org_id, schedule_id, name)
		VALUES ($org, 1, 'Day 09-18');
		INSERT INTO otan_enbek.work_schedule_rule (org_id, schedule_id, day_no, start_time,
		        end_time, break_start, break_end)
		SELECT $org, 1, d, '09:00', '18:00', '13:00', '14:00' FROM generate_series(1, 5) AS d;
		UPDATE otan_enbek.organization SET default_schedule_id = 1 WHERE org_id = $org;
		INSERT INTO otan_enbek.source (org_id, source_id, name)
		VALUES ($org, 1, 'Main entrance');
		INSERT INTO otan_enbek.employee (org_id, employee_id, iin, last_name, first_name,
		        contract_start)
		SELECT $org, n, iin, 'Employee', 'No. ' || n, '2020-01-01'
		FROM (SELECT row_number() OVER (ORDER BY iin) AS n, iin
		      FROM (SELECT '8101113' || lpad(serial::text, 4, '0') || digit AS iin
		            FROM generate_series(1, 9999) AS serial,
		                 generate_series(0, 9) AS digit) AS candidate
		      WHERE otan_enbek.is_valid_iin(iin)) AS valid
		WHERE n <= $employees;
		INSERT INTO otan_enbek.credential (org_id, employee_id, kind, value)
		SELECT $org, employee_id, 'person', employee_id::text FROM otan_enbek.employee;
		SELECT otan_enbek.ensure_event_partitions('$opt{first_month}',
		        (date '$opt{last_month}' + interval '1 month')::date);});
	return $org;
}

1;
