/*-------------------------------------------------------------------------
 *
 * refresh_worker.c
 *	  Attendance refreshes run by the background worker of a database.
 *
 * With otan_enbek.refresh_in_worker on, a statement that marks days in
 * attendance_pending wakes the database's worker when its transaction
 * commits (the statement trigger attendance_pending_wake), and the worker
 * runs refresh_attendance for each organization with pending days, in a
 * transaction of its own.  The worker also looks for pending days every
 * otan_enbek.refresh_naptime, which finds the days marked while the setting
 * was off and those of a refresh that failed.
 *
 * The worker lives as long as the server, so its session keeps the catalogs
 * and plans of one refresh for the next.  A new connection (a pg_cron job,
 * a psql call) loads them again for each refresh, which costs several
 * times the refresh of one late punch.
 *
 * A refresh waits at most REFRESH_LOCK_TIMEOUT for the lock of its
 * organization, which compute_attendance holds while it computes: the
 * worker does not stop delivering for the length of a computation, and the
 * days stay pending until its next look.  Any other error is logged and
 * rolled back, and the other organizations are refreshed.  The failed
 * organization is held: a wake-up skips it while it has a day marked before
 * the failed refresh started, and the next look by naptime tries it again.
 * Once a call of refresh_attendance or compute_attendance has refreshed
 * those days, the wake-up after the commit of a later mark refreshes the
 * organization again.  The worker
 * connects as the bootstrap superuser, so row-level security does not
 * apply to its refreshes.
 *
 * A SIGTERM during a refresh ends the worker at the next interrupt check,
 * as it ends a backend, because DROP DATABASE and a fast shutdown wait for
 * the worker, and the refresh of a month's ingest can be long.  The refresh
 * is rolled back and its days stay pending.
 *
 * A refresh commits without waiting for its WAL to reach the disk
 * (synchronous_commit off), which would take longer than the refresh of a
 * late punch.  Its rows are computed from stored events, and the same
 * transaction deletes the days from attendance_pending: a crash that loses
 * the commit loses the deletion too, and the days are refreshed again
 * after the restart.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/interrupt.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "attendance/refresh_worker.h"
#include "delivery/delivery.h"

/* Maximum wait of a refresh for the lock of its organization */
#define REFRESH_LOCK_TIMEOUT "1s"

PG_FUNCTION_INFO_V1(otan_enbek_attendance_pending_wake);
PG_FUNCTION_INFO_V1(otan_enbek_refresh_worker_info);

volatile sig_atomic_t refresh_in_progress = false;
bool		otan_enbek_refresh_in_worker = false;
int			otan_enbek_refresh_naptime_s = 60;

/* The refreshes of this worker, published in its registry slot */
static WorkerRefreshStats refresh_stats;

/* An organization with pending days, and the time of its oldest mark */
typedef struct PendingOrg
{
	int			org;
	TimestampTz oldest_mark;
} PendingOrg;

/* An organization whose last refresh failed (see hold_org) */
typedef struct HeldOrg
{
	int			org;
	TimestampTz failed_at;		/* start of the failed refresh */
	int			sqlerrcode;		/* its error, logged in full once */
	char	   *message;
} HeldOrg;

/* HeldOrg entries, in TopMemoryContext */
static List *held_orgs = NIL;

static bool held_with_error(int org, ErrorData *error);
static void hold_org(int org, TimestampTz started_at, ErrorData *error);

/* Defines otan_enbek.refresh_in_worker and otan_enbek.refresh_naptime. */
void
refresh_worker_define_settings(void)
{
	DefineCustomBoolVariable("otan_enbek.refresh_in_worker",
							 "Lets the background worker of each database refresh the attendance days that ingest marks, as soon as they are committed.",
							 "Without it, refresh_attendance runs from pg_cron jobs or by hand only.",
							 &otan_enbek_refresh_in_worker, false,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("otan_enbek.refresh_naptime",
							"Maximum time the worker waits before it looks for pending attendance days again.",
							"Days marked while refresh_in_worker was off, and days whose refresh failed, are refreshed after at most this time.",
							&otan_enbek_refresh_naptime_s, 60, 1, 3600,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
}

/*
 * Lists, in the given memory context, the organizations that have pending
 * days, as PendingOrg entries.  NIL when the installed version has no
 * refresh_attendance, or when the extension is being dropped.
 */
static List *
list_pending_orgs(MemoryContext context)
{
	MemoryContext caller;
	List	   *orgs = NIL;

	caller = queue_begin("otan_enbek refresh: looking for pending days");

	if (queue_lock_extension() &&
		queue_function_exists("refresh_attendance"))
	{
		if (SPI_execute("SELECT p.org_id, min(p.marked_at)"
						" FROM otan_enbek.attendance_pending p"
						" GROUP BY p.org_id ORDER BY p.org_id",
						true, 0) != SPI_OK_SELECT)
			elog(ERROR, "could not list the pending attendance days");
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			HeapTuple	tuple = SPI_tuptable->vals[i];
			TupleDesc	tupdesc = SPI_tuptable->tupdesc;
			MemoryContext old = MemoryContextSwitchTo(context);
			PendingOrg *pending = palloc(sizeof(PendingOrg));

			pending->org = DatumGetInt32(SPI_getbinval(tuple, tupdesc, 1,
													   &isnull));
			pending->oldest_mark =
				DatumGetTimestampTz(SPI_getbinval(tuple, tupdesc, 2, &isnull));
			orgs = lappend(orgs, pending);
			MemoryContextSwitchTo(old);
		}
	}
	queue_commit(caller);
	return orgs;
}

/* Refreshes one organization; returns the rows written or deleted. */
static int
refresh_org(int org)
{
	Oid			argtypes[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(org)};
	int			rows = 0;
	MemoryContext caller = queue_begin("otan_enbek refresh: refreshing");

	(void) set_config_option("lock_timeout", REFRESH_LOCK_TIMEOUT,
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
							 true, 0, false);
	(void) set_config_option("synchronous_commit", "off",
							 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
							 true, 0, false);
	if (queue_lock_extension())
	{
		bool		isnull;
		Datum		written;

		if (SPI_execute_with_args("SELECT otan_enbek.refresh_attendance($1)",
								  1, argtypes, values, NULL, false,
								  0) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "could not run refresh_attendance");
		written = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
								1, &isnull);
		if (!isnull)
			rows = DatumGetInt32(written);
	}
	queue_commit(caller);
	return rows;
}

/*
 * Ends a transaction that raised an error.  A refresh that waited too long for its organization's
 * lock is logged at DEBUG1 only: a computation of the organization was
 * running, and the days stay pending.  Any other error of an
 * organization's refresh, started at started_at, keeps the organization out
 * of the refreshes at wake-ups (see hold_org).  It is logged in full unless
 * the organization's previous refresh failed with the same error, which is
 * then named in one line.
 */
static void
abort_after_error(MemoryContext context, int org, TimestampTz started_at)
{
	ErrorData  *error;
	bool		lock_timeout;

	MemoryContextSwitchTo(context);
	error = CopyErrorData();
	lock_timeout = (error->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE);
	if (lock_timeout)
		ereport(DEBUG1,
				(errmsg_internal("otan_enbek refresh of organization %d postponed: its attendance is being computed",
								 org)));
	else if (org != 0 && held_with_error(org, error))
		ereport(LOG,
				(errmsg("otan_enbek refresh of organization %d failed again; the worker tries again in %d s",
						org, otan_enbek_refresh_naptime_s),
				 errdetail("The error, logged in full at the first failure, was: %s",
						   error->message)));
	else
		EmitErrorReport();
	FlushErrorState();
	AbortCurrentTransaction();
	pgstat_report_activity(STATE_IDLE, NULL);
	if (org != 0 && !lock_timeout)
		hold_org(org, started_at, error);
	FreeErrorData(error);
}

/* Returns the hold of an organization, or NULL. */
static HeldOrg *
find_held_org(int org)
{
	ListCell   *lc;

	foreach(lc, held_orgs)
	{
		HeldOrg    *held = lfirst(lc);

		if (held->org == org)
			return held;
	}
	return NULL;
}

/* Frees a hold taken off held_orgs. */
static void
free_held_org(HeldOrg *held)
{
	if (held->message != NULL)
		pfree(held->message);
	pfree(held);
}

/* Ends the hold of an organization, if it has one. */
static void
release_org(int org)
{
	HeldOrg    *held = find_held_org(org);

	if (held == NULL)
		return;
	held_orgs = list_delete_ptr(held_orgs, held);
	free_held_org(held);
}

/* Returns whether an organization is held after failing with this error. */
static bool
held_with_error(int org, ErrorData *error)
{
	HeldOrg    *held = find_held_org(org);

	return held != NULL && held->message != NULL &&
		held->sqlerrcode == error->sqlerrcode &&
		strcmp(held->message, error->message ? error->message : "") == 0;
}

/*
 * Remembers an organization whose refresh, started at started_at, failed
 * with an error other than a lock timeout, so that a wake-up does not try
 * it again while the days of that refresh are pending.  Such an error, a
 * broken schedule for example, would otherwise be raised and logged again
 * at each wake-up, which each ingest causes.  The error is kept to shorten
 * the log of the next failure if it is the same.
 */
static void
hold_org(int org, TimestampTz started_at, ErrorData *error)
{
	HeldOrg    *held = find_held_org(org);
	bool		first = (held == NULL);
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

	if (first)
	{
		held = palloc0(sizeof(HeldOrg));
		held->org = org;
		held_orgs = lappend(held_orgs, held);
	}
	held->failed_at = started_at;
	held->sqlerrcode = error->sqlerrcode;
	if (held->message != NULL)
		pfree(held->message);
	held->message = pstrdup(error->message ? error->message : "");
	MemoryContextSwitchTo(old);
	if (first)
		ereport(LOG,
				(errmsg("otan_enbek refresh of organization %d failed; the worker tries again in %d s",
						org, otan_enbek_refresh_naptime_s)));
}

/*
 * Returns whether a wake-up skips a pending organization: it is held and it
 * still has a day marked before its failed refresh started.  A mark's time
 * is the start of the transaction that made it.  So a mark whose transaction
 * started before the failed refresh and committed after it counts as one of
 * the failed refresh's days, and it waits for the look by naptime too.
 */
static bool
skip_held_org(PendingOrg *pending)
{
	HeldOrg    *held = find_held_org(pending->org);

	return held != NULL && pending->oldest_mark <= held->failed_at;
}

/* Releases the held organizations that have no pending days. */
static void
release_orgs_not_pending(List *pending_orgs)
{
	ListCell   *lc;

	foreach(lc, held_orgs)
	{
		HeldOrg    *held = lfirst(lc);
		bool		pending = false;
		ListCell   *pc;

		foreach(pc, pending_orgs)
		{
			if (((PendingOrg *) lfirst(pc))->org == held->org)
				pending = true;
		}
		if (!pending)
		{
			held_orgs = foreach_delete_current(held_orgs, lc);
			free_held_org(held);
		}
	}
}

/*
 * Refreshes the pending days of every organization, except, unless
 * retry_held, those whose last refresh failed; updates the stats.
 */
static void
refresh_pending(MemoryContext context, bool retry_held)
{
	TimestampTz start = GetCurrentTimestamp();
	List	   *volatile orgs = NIL;
	int			rows = 0;
	ListCell   *lc;

	PG_TRY();
	{
		orgs = list_pending_orgs(context);
		release_orgs_not_pending(orgs);
	}
	PG_CATCH();
	{
		abort_after_error(context, 0, 0);
	}
	PG_END_TRY();
	if (orgs == NIL)
		return;

	foreach(lc, orgs)
	{
		PendingOrg *pending = lfirst(lc);
		int			org = pending->org;
		TimestampTz started_at;

		CHECK_FOR_INTERRUPTS();
		if (ShutdownRequestPending)
			break;
		if (!retry_held && skip_held_org(pending))
			continue;
		started_at = GetCurrentTimestamp();
		PG_TRY();
		{
			refresh_in_progress = true;
			rows += refresh_org(org);
			refresh_in_progress = false;
			refresh_stats.refreshes++;
			release_org(org);
		}
		PG_CATCH();
		{
			refresh_in_progress = false;
			abort_after_error(context, org, started_at);
			refresh_stats.failures++;
		}
		PG_END_TRY();
	}
	list_free_deep(orgs);

	refresh_stats.looks++;
	refresh_stats.rows += rows;
	refresh_stats.last_rows = rows;
	refresh_stats.last_at = GetCurrentTimestamp();
	refresh_stats.last_us = refresh_stats.last_at - start;
	delivery_registry_set_refresh_stats(MyDatabaseId, &refresh_stats);
}

long
refresh_run_pending(bool woken)
{
	static TimestampTz last_by_naptime = 0;
	long		naptime_ms = otan_enbek_refresh_naptime_s * 1000L;
	TimestampTz due;
	bool		by_naptime;

	if (!otan_enbek_refresh_in_worker)
		return -1;

	/*
	 * A look by naptime is due a naptime after the last one, with the
	 * naptime of the moment, which a reload may change.  Looks on a wake-up
	 * come in between and do not move it.
	 */
	due = TimestampTzPlusMilliseconds(last_by_naptime, naptime_ms);
	by_naptime = (GetCurrentTimestamp() >= due);
	if (!woken && !by_naptime)
		return Max(TimestampDifferenceMilliseconds(GetCurrentTimestamp(), due),
				   1);
	refresh_pending(CurrentMemoryContext, by_naptime);
	if (by_naptime)
	{
		last_by_naptime = GetCurrentTimestamp();
		due = TimestampTzPlusMilliseconds(last_by_naptime, naptime_ms);
	}
	return Max(TimestampDifferenceMilliseconds(GetCurrentTimestamp(), due), 1);
}

/*
 * Trigger function otan_enbek.attendance_pending_wake(): after a statement
 * that inserted into attendance_pending, wakes the database's worker when
 * the transaction commits, if it refreshes attendance.
 */
Datum
otan_enbek_attendance_pending_wake(PG_FUNCTION_ARGS)
{
	if (!CALLED_AS_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("attendance_pending_wake() was not called by a trigger")));
	if (otan_enbek_refresh_in_worker && delivery_registry_available())
		delivery_wake_at_commit();
	return PointerGetDatum(NULL);
}

/*
 * SQL function otan_enbek.refresh_worker_info(): the attendance refreshes of
 * this database's worker since it started.
 */
Datum
otan_enbek_refresh_worker_info(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	WorkerRefreshStats stats;
	Datum		values[9];
	bool		nulls[9] = {false};
	bool		running = false;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	if (delivery_registry_available())
		running = delivery_registry_refresh_stats(MyDatabaseId, &stats);
	else
		memset(&stats, 0, sizeof(stats));

	values[0] = BoolGetDatum(otan_enbek_refresh_in_worker);
	values[1] = BoolGetDatum(running);
	values[2] = Int64GetDatum((int64) stats.looks);
	values[3] = Int64GetDatum((int64) stats.refreshes);
	values[4] = Int64GetDatum((int64) stats.failures);
	values[5] = Int64GetDatum((int64) stats.rows);
	if (stats.looks > 0)
	{
		values[6] = TimestampTzGetDatum(stats.last_at);
		values[7] = Float8GetDatum(stats.last_us / 1000.0);
		values[8] = Int32GetDatum(stats.last_rows);
	}
	else
		nulls[6] = nulls[7] = nulls[8] = true;

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
