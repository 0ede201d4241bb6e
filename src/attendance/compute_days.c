/*-------------------------------------------------------------------------
 *
 * compute_days.c
 *	  The SQL function attendance_compute_days and the arguments it shares
 *	  with attendance_write_days.
 *
 * attendance_compute_days returns the rows that att_scan_days computes as
 * a set: one row per employee and day, the employee id followed by the
 * fields of attendance_day_figures.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "attendance/attendance.h"
#include "attendance/scan.h"

PG_FUNCTION_INFO_V1(otan_enbek_attendance_compute_days);

/*
 * Share of the employees that a parallel worker computes.  The leader puts
 * every row into the tuplestore, which costs about as much per employee as
 * the worker's computing and sending.  With this share, leader and worker
 * finished at about the same time on the benchmark's month.
 */
#define COMPUTE_WORKER_PERCENT	85

static char *
date_text(DateADT day)
{
	return DatumGetCString(DirectFunctionCall1(date_out,
											   DateADTGetDatum(day)));
}

/* Reads the arguments of the SQL functions that share att_scan_days. */
void
att_scan_args(FunctionCallInfo fcinfo, AttScanArgs *args)
{
	int			i;

	for (i = 0; i <= 4; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("organization, period and fetch window must not be null")));
	args->org = PG_GETARG_INT32(0);
	args->first_day = PG_GETARG_DATEADT(1);
	args->last_day = PG_GETARG_DATEADT(2);

	/*
	 * Without these checks attendance_plans fails with errors about array
	 * sizes or plan days, and the overtime limits of attendance_write_days
	 * convert an infinite first_day to a calendar date.
	 */
	if (DATE_NOT_FINITE(args->first_day) || DATE_NOT_FINITE(args->last_day))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("attendance period must have finite dates")));
	if (args->last_day < args->first_day)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid attendance period: last_day %s is before first_day %s",
						date_text(args->last_day), date_text(args->first_day)),
				 errhint("Give the first and the last day of the period, in that order.")));
	args->fetch_from = PG_GETARG_TIMESTAMPTZ(3);
	args->fetch_to = PG_GETARG_TIMESTAMPTZ(4);
	args->employee_ids = PG_ARGISNULL(5) ? NULL : PG_GETARG_ARRAYTYPE_P(5);
	args->has_lo = !PG_ARGISNULL(6);
	args->lo = args->has_lo ? PG_GETARG_INT32(6) : 0;
	args->has_hi = !PG_ARGISNULL(7);
	args->hi = args->has_hi ? PG_GETARG_INT32(7) : 0;
	args->worker_percent = 0;
}

/* Puts one day row into the tuplestore of attendance_compute_days. */
static void
store_day(void *arg, int32 employee_id, const AttDayResult *r,
		  const int64 *ids)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;
	Datum		values[1 + ATT_FIGURES_NATTS];
	bool		nulls[1 + ATT_FIGURES_NATTS];

	values[0] = Int32GetDatum(employee_id);
	nulls[0] = false;
	att_day_values(r, ids, values + 1, nulls + 1);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * attendance_compute_days(org, first_day, last_day, fetch_from, fetch_to,
 * employee_ids, lo, hi): the day rows of the employees' plans, computed
 * from the events that occurred in [fetch_from, fetch_to).
 */
Datum
otan_enbek_attendance_compute_days(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	AttScanArgs args;

	att_scan_args(fcinfo, &args);
	args.worker_percent = COMPUTE_WORKER_PERCENT;
	InitMaterializedSRF(fcinfo, 0);
	if (rsinfo->setDesc->natts != 1 + ATT_FIGURES_NATTS)
		elog(ERROR, "attendance_compute_days must return %d columns",
			 1 + ATT_FIGURES_NATTS);
	att_scan_days(&args, store_day, rsinfo);
	return (Datum) 0;
}
