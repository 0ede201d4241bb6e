/*-------------------------------------------------------------------------
 *
 * refresh_checks.c
 *	  Tests of refresh_attendance on the events near its pending days.
 *
 * refresh_attendance runs resolve_credentials, and the flagging of
 * ambiguous times and clock jumps, only when their result can differ, that
 * is when an event of the fetch window has no employee, or an ambiguous
 * local time or a clock set back.  Partial indexes find such events.  The
 * tests run in C so that their first run in a session plans only the
 * partitions of skud_event within the window (att_execute_saved_pruned).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/timestamp.h"

#include "attendance/saved_plan.h"

PG_FUNCTION_INFO_V1(otan_enbek_attendance_has_events);

/*
 * otan_enbek.attendance_has_events(org, fetch_from, fetch_to, unassigned)
 *
 * Returns whether the organization has an event in [fetch_from, fetch_to)
 * without an employee (unassigned true), or with an ambiguous local time or
 * a clock set back (unassigned false).
 */
Datum
otan_enbek_attendance_has_events(PG_FUNCTION_ARGS)
{
	static const Oid types[] = {INT4OID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Datum		values[3];
	SPIExecuteOptions opts;
	bool		unassigned = PG_GETARG_BOOL(3);
	bool		found;
	int			rc;

	values[0] = PG_GETARG_DATUM(0);
	values[1] = PG_GETARG_DATUM(1);
	values[2] = PG_GETARG_DATUM(2);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	memset(&opts, 0, sizeof(opts));
	opts.params = att_make_params(3, types, values, NULL);
	opts.read_only = true;
	opts.tcount = 1;
	rc = att_execute_saved_pruned(unassigned ?
								  "SELECT FROM otan_enbek.skud_event e"
								  " WHERE e.org_id = $1"
								  "   AND e.employee_id IS NULL"
								  "   AND e.occurred_at >= $2"
								  "   AND e.occurred_at < $3"
								  " LIMIT 1" :
								  "SELECT FROM otan_enbek.skud_event e"
								  " WHERE e.org_id = $1"
								  "   AND (e.local_time_ambiguous"
								  "        OR e.clock_jump_sec IS NOT NULL)"
								  "   AND e.occurred_at >= $2"
								  "   AND e.occurred_at < $3"
								  " LIMIT 1",
								  3, types, &opts);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the events of the refresh failed: %s",
			 SPI_result_code_string(rc));
	found = SPI_processed > 0;
	SPI_finish();
	PG_RETURN_BOOL(found);
}
