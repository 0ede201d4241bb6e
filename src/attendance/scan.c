/*-------------------------------------------------------------------------
 *
 * scan.c
 *	  Attendance of many employees in one pass over their events.
 *
 * att_scan_days computes the days of an organization's employees for a
 * period, as the attendance_days aggregate grouped by employee computes
 * them, without the aggregate.  The plans come first, sorted by employee id
 * (scan_plans.c), then the array or hash table from employee id to place
 * (scan_index.c) and the access points of the organization (scan_points.c).
 * Then the events of the period are read, and each punch is appended to its
 * employee's array.  For every employee of an id range, heap_events.c reads
 * them from the heap of the partitions, shared with a parallel worker when
 * there are many employees (parallel.c).  Otherwise one query reads them and
 * hands each row to a receiver (scan_events.c).  The engine then runs once
 * per employee, in employee id order, and each day goes to the caller's
 * sink: a tuplestore for attendance_compute_days (compute_days.c), the table
 * for attendance_write_days (write.c).
 *
 * With employee_ids the events are found through the credential index, as
 * refresh_attendance reads the few employees it recomputes.  lo and hi
 * limit the employees by id, so that a caller can take the employees in
 * chunks and bound the punches held in memory.  The queries of a list of
 * employees without lo and hi, which refresh_attendance runs, keep their
 * plans for the session (saved_plan.c).  The others are planned on every
 * call, with their parameters as constants (att_make_params).  The
 * receiver set-up that the queries of the scan share is here too.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "tcop/dest.h"
#include "utils/memutils.h"

#include "attendance/attendance.h"
#include "attendance/saved_plan.h"
#include "attendance/scan.h"
#include "attendance/scan_state.h"
#include "progress.h"


/*
 * Builds the parameters that the plan and event queries share: $1 the
 * organization, $2 and $3 the bounds of the period, of type bound_type, $4
 * the employee ids, $5 and $6 the lowest and highest employee id.  Fills
 * types with the types of the six.
 */
ParamListInfo
att_scan_query_params(const AttScanArgs *args, Oid bound_type,
					  Datum from, Datum to, Oid *types)
{
	Datum		values[ATT_SCAN_QUERY_NPARAMS];
	bool		nulls[ATT_SCAN_QUERY_NPARAMS];

	types[0] = INT4OID;
	types[1] = types[2] = bound_type;
	types[3] = INT4ARRAYOID;
	types[4] = types[5] = INT4OID;
	values[0] = Int32GetDatum(args->org);
	values[1] = from;
	values[2] = to;
	values[3] = PointerGetDatum(args->employee_ids);
	values[4] = Int32GetDatum(args->lo);
	values[5] = Int32GetDatum(args->hi);
	nulls[0] = nulls[1] = nulls[2] = false;
	nulls[3] = args->employee_ids == NULL;
	nulls[4] = !args->has_lo;
	nulls[5] = !args->has_hi;
	return att_make_params(ATT_SCAN_QUERY_NPARAMS, types, values, nulls);
}

static void
scan_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	(void) self;
	(void) operation;
	(void) typeinfo;
}

static void
scan_shutdown(DestReceiver *self)
{
	(void) self;
}

static void
scan_destroy(DestReceiver *self)
{
	(void) self;
}

/* Sets up a receiver that hands each row to receive. */
void
att_scan_init_receiver(DestReceiver *pub,
					   bool (*receive) (TupleTableSlot *slot,
										DestReceiver *self))
{
	pub->receiveSlot = receive;
	pub->rStartup = scan_startup;
	pub->rShutdown = scan_shutdown;
	pub->rDestroy = scan_destroy;
	/* any destination but DestNone, which SPI reports as a utility command */
	pub->mydest = DestTuplestore;
}

/*
 * Runs the engine for the employees from place from up to place to and
 * hands each day to the sink.  The engine's memory of one employee is freed
 * before the next.  With par, the days that the parallel worker has sent
 * are drained after each employee.  With stop, the run ends early once
 * *stop is true after an employee.
 */
void
att_scan_emit(AttScan *scan, int32 from, int32 to, AttDaySink sink,
			  void *arg, AttParallel *par, const bool *stop)
{
	MemoryContext per_employee;
	MemoryContext old;
	int32		i;
	int32		k;

	per_employee = AllocSetContextCreate(CurrentMemoryContext,
										 "attendance of one employee",
										 ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(per_employee);
	for (i = from; i < to; i++)
	{
		ScanEmployee *emp = &scan->employees[i];
		AttResult	result;

		CHECK_FOR_INTERRUPTS();
		att_compute(emp->state.plan, emp->state.emit_from,
					emp->state.emit_to, emp->state.base, emp->state.punches,
					emp->state.npunches, &result, NULL);
		for (k = 0; k < result.ndays; k++)
			sink(arg, emp->employee_id, &result.days[k], result.event_ids);
		/* the punches are no longer needed */
		if (scan->placed == NULL)
			pfree(emp->state.punches);
		emp->state.punches = NULL;
		MemoryContextReset(per_employee);
		if (par != NULL)
			att_parallel_drain(par);
		progress_add_done(1);
		if (stop != NULL && *stop)
			break;
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(per_employee);
}

/* Creates an empty scan in a memory context of its own. */
AttScan *
att_scan_create(void)
{
	MemoryContext cxt;
	AttScan    *scan;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "attendance scan",
								ALLOCSET_DEFAULT_SIZES);
	scan = MemoryContextAllocZero(cxt, sizeof(AttScan));
	scan->cxt = cxt;
	att_plan_set_init(&scan->plans, cxt);
	return scan;
}

/*
 * Reads the plans of the employees that args selects and the access
 * points of the organization, in a memory context of the scan's own.
 */
AttScan *
att_scan_begin(const AttScanArgs *args)
{
	AttScan    *scan = att_scan_create();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	att_scan_read_plans(scan, args);
	if (scan->nemployees > 0)
		att_scan_read_points(scan, Int32GetDatum(args->org));
	SPI_finish();
	return scan;
}

void
att_scan_end(AttScan *scan)
{
	MemoryContextDelete(scan->cxt);
}

/*
 * Reads the events of the scan's employees: from the heap when the caller
 * may, with a parallel worker for the upper part of the employees when one
 * is worth it, else through the event query.  Returns the worker, or NULL.
 * The worker's employees start at place *split.
 */
static AttParallel *
read_all_events(AttScan *scan, const AttScanArgs *args, int32 *split)
{
	AttParallel *par = NULL;
	MemoryContext old;
	List	   *parts = NIL;
	bool		direct;
	ListCell   *lc;
	int			i;

	*split = scan->nemployees;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	direct = args->employee_ids == NULL &&
		att_event_partitions(args->fetch_from, args->fetch_to, scan->cxt,
							 &parts);
	if (!direct)
		att_scan_read_events(scan, args);
	SPI_finish();
	if (!direct)
		return NULL;

	if (args->worker_percent > 0)
	{
		int32		nworker = (int32) ((int64) scan->nemployees *
									   args->worker_percent / 100);

		if (nworker > 0 && nworker < scan->nemployees)
		{
			/* the worker's state lives as long as the scan */
			old = MemoryContextSwitchTo(scan->cxt);
			par = att_parallel_begin(scan, args, parts,
									 scan->nemployees - nworker);
			MemoryContextSwitchTo(old);
			if (par != NULL)
				*split = scan->nemployees - nworker;
		}
	}

	scan->staging = true;
	i = 0;
	foreach(lc, parts)
		att_read_heap_events(scan, args, lfirst_oid(lc),
							 par != NULL ? att_parallel_scan_desc(par, i++) :
							 NULL);
	if (par != NULL)
		att_parallel_exchange(par, scan);
	att_stage_place(scan, 0, *split);
	list_free(parts);
	return par;
}

/*
 * Computes the days of the employees that args selects and hands each to
 * sink, in employee id and date order.  The sink is called in a short-lived
 * memory context, outside SPI.
 */
void
att_scan_days(const AttScanArgs *args, AttDaySink sink, void *arg)
{
	AttScan    *scan = att_scan_begin(args);
	AttParallel *par = NULL;
	int32		split = 0;

	if (scan->nemployees > 0)
		par = read_all_events(scan, args, &split);
	att_scan_emit(scan, 0, par != NULL ? split : scan->nemployees, sink, arg,
				  par, NULL);
	if (par != NULL)
		att_parallel_finish(par, sink, arg);
	att_scan_end(scan);
}
