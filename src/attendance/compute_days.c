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

#include "executor/tuptable.h"
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
 * Share of the employees that a parallel worker computes.  The worker forms
 * the rows of its days.  The leader copies every row into the tuplestore
 * and reads them all again after the function returns, when the worker has
 * finished.  With this share, both finished computing at about the same
 * time on the benchmark's month.
 */
#define COMPUTE_WORKER_PERCENT	55

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
	args->rows = NULL;
}

/* Where attendance_compute_days puts its rows */
typedef struct DaysOut
{
	ReturnSetInfo *rsinfo;
	TupleTableSlot *slot;		/* holds a row that the worker formed */
} DaysOut;

/* Puts one day row into the tuplestore of attendance_compute_days. */
static void
store_day(void *arg, int32 employee_id, const AttDayResult *r,
		  const int64 *ids)
{
	ReturnSetInfo *rsinfo = ((DaysOut *) arg)->rsinfo;
	Datum		values[1 + ATT_FIGURES_NATTS];
	bool		nulls[1 + ATT_FIGURES_NATTS];

	values[0] = Int32GetDatum(employee_id);
	nulls[0] = false;
	att_day_values(r, ids, values + 1, nulls + 1);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * Puts one row that the parallel worker formed into the tuplestore, which
 * copies it.  The worker forms the rows so that the leader, which also
 * reads the tuplestore once the function returns, only copies them.
 */
static void
store_row(void *arg, MinimalTuple row)
{
	DaysOut    *out = (DaysOut *) arg;

	ExecStoreMinimalTuple(row, out->slot, false);
	tuplestore_puttupleslot(out->rsinfo->setResult, out->slot);
	ExecClearTuple(out->slot);
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
	AttRowForm	rows;
	DaysOut		out;

	att_scan_args(fcinfo, &args);
	InitMaterializedSRF(fcinfo, 0);
	if (rsinfo->setDesc->natts != 1 + ATT_FIGURES_NATTS)
		elog(ERROR, "attendance_compute_days must return %d columns",
			 1 + ATT_FIGURES_NATTS);
	out.rsinfo = rsinfo;
	out.slot = MakeSingleTupleTableSlot(rsinfo->setDesc, &TTSOpsMinimalTuple);
	rows.desc = rsinfo->setDesc;
	rows.store = store_row;
	args.worker_percent = COMPUTE_WORKER_PERCENT;
	args.rows = &rows;
	att_scan_days(&args, store_day, &out);
	ExecDropSingleTupleTableSlot(out.slot);
	return (Datum) 0;
}
