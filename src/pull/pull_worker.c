/*-------------------------------------------------------------------------
 *
 * pull_worker.c
 *	  Pulls of network sources run by the delivery worker of a database.
 *
 * The delivery worker of each database calls pull_run_due_sources() in its
 * main loop.  For each organization with an enabled source_pull row whose
 * pull_interval has passed, it runs otan_enbek.run_job('pull', ...) with
 * trigger "worker" in a transaction of its own, so the run is recorded in
 * job_run with its counts like a scheduled one.  An error of one run is
 * logged and rolled back, and the other organizations are pulled.  The
 * worker connects as the bootstrap superuser, which may read the sources'
 * credentials.
 *
 * NOTE: the pulls run between delivery cycles, so a slow source delays
 * delivery by up to its request timeout per page.  The worker stops when
 * otan_enbek.delivery_enabled is off, and pulls then run from pg_cron only.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/interrupt.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pull/pull.h"

bool		otan_enbek_pull_in_worker = true;
int			otan_enbek_pull_naptime_s = 60;
volatile sig_atomic_t pull_in_progress = false;

/* Defines otan_enbek.pull_in_worker and otan_enbek.pull_naptime. */
void
pull_define_settings(void)
{
	DefineCustomBoolVariable("otan_enbek.pull_in_worker",
							 "Lets the background worker of each database pull the sources whose pull_interval has passed.",
							 "Sources without a pull_interval are pulled by pg_cron jobs or by hand only.",
							 &otan_enbek_pull_in_worker, true,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("otan_enbek.pull_naptime",
							"Longest time the worker sleeps before it looks for due pull sources again.",
							"A new source or a changed interval is noticed after at most this time.",
							&otan_enbek_pull_naptime_s, 60, 1, 3600,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
}

/* Starts a transaction with SPI and a snapshot for the queries below. */
static void
begin_transaction(const char *activity)
{
	StartTransactionCommand();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
}

/* Commits the transaction of begin_transaction. */
static void
commit_transaction(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_activity(STATE_IDLE, NULL);
}

/* Runs a query; its rows are in SPI_tuptable. */
static void
run_query(const char *sql, int nargs, Oid *argtypes, Datum *values)
{
	if (SPI_execute_with_args(sql, nargs, argtypes, values, NULL, false,
							  0) < 0)
		elog(ERROR, "could not run \"%s\"", sql);
}

/*
 * Tells whether the installed version of the extension has pull sources.
 * A database still at version 1.0 has none until ALTER EXTENSION UPDATE,
 * and a query of the missing functions would fail at every look.
 */
static bool
pull_functions_installed(void)
{
	bool		isnull;
	Datum		found;

	run_query("SELECT to_regprocedure('otan_enbek.pull_due_orgs()') IS NOT NULL"
			  " AND to_regprocedure('otan_enbek.pull_seconds_to_next()') IS NOT NULL",
			  0, NULL, NULL);
	found = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
						  &isnull);
	return !isnull && DatumGetBool(found);
}

/* Logs and clears an error caught in a transaction, and aborts it. */
static void
report_and_abort(MemoryContext context)
{
	MemoryContextSwitchTo(context);
	EmitErrorReport();
	FlushErrorState();
	AbortCurrentTransaction();
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * Lists the due organizations in the given memory context, or returns NIL
 * when the installed version of the extension has no pull sources.
 */
static List *
list_due_orgs(MemoryContext context)
{
	List	   *orgs = NIL;

	begin_transaction("otan_enbek pull: looking for due sources");
	if (pull_functions_installed())
	{
		run_query("SELECT o FROM otan_enbek.pull_due_orgs() o", 0, NULL, NULL);
		for (uint64 i = 0; i < SPI_processed; i++)
		{
			bool		isnull;
			Datum		org = SPI_getbinval(SPI_tuptable->vals[i],
											SPI_tuptable->tupdesc, 1, &isnull);
			MemoryContext old = MemoryContextSwitchTo(context);

			if (!isnull)
				orgs = lappend_int(orgs, DatumGetInt32(org));
			MemoryContextSwitchTo(old);
		}
	}
	commit_transaction();
	return orgs;
}

/* Runs the pull of one organization and logs its outcome. */
static void
run_org_pull(const char *dbname, int org)
{
	Oid			argtypes[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(org)};

	begin_transaction("otan_enbek pull: running run_job('pull')");
	run_query("SELECT r.run_id, r.status, r.counts->>'sources',"
			  " r.counts->>'sources_failed', r.counts->>'inserted',"
			  " r.counts->>'duplicates', r.counts->>'rejected'"
			  " FROM otan_enbek.run_job('pull', $1, NULL, NULL, '{}', 'worker') r",
			  1, argtypes, values);
	if (SPI_processed == 1)
	{
		HeapTuple	row = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		ereport(LOG,
				(errmsg("otan_enbek pull in database \"%s\", organization %d: run %s %s, %s sources of which %s failed, %s events inserted, %s duplicates, %s rejected",
						dbname, org,
						SPI_getvalue(row, desc, 1), SPI_getvalue(row, desc, 2),
						SPI_getvalue(row, desc, 3), SPI_getvalue(row, desc, 4),
						SPI_getvalue(row, desc, 5), SPI_getvalue(row, desc, 6),
						SPI_getvalue(row, desc, 7))));
	}
	commit_transaction();
}

/* Returns the milliseconds until the next due source, or -1 for none. */
static long
milliseconds_to_next(void)
{
	long		ms = -1;
	bool		isnull;
	Datum		seconds;

	begin_transaction("otan_enbek pull: looking for the next due source");
	if (pull_functions_installed())
	{
		run_query("SELECT otan_enbek.pull_seconds_to_next()", 0, NULL, NULL);
		seconds = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc,
								1, &isnull);
		if (!isnull)
			ms = (long) (DatumGetFloat8(seconds) * 1000.0);
	}
	commit_transaction();
	return ms;
}

/*
 * Runs one step of the worker's pull in its own transaction.  An error is
 * logged and its transaction rolled back, so that it never ends the
 * delivery worker; the step's result is then its default.
 */
static List *
try_list_due_orgs(MemoryContext context)
{
	List	   *volatile orgs = NIL;

	PG_TRY();
	{
		orgs = list_due_orgs(context);
	}
	PG_CATCH();
	{
		report_and_abort(context);
	}
	PG_END_TRY();
	return orgs;
}

/*
 * Runs the pull of one organization with pull_in_progress set, and reports
 * its error.  The flag is set before the check of ShutdownRequestPending,
 * so a SIGTERM in between either prevents the pull or aborts it.
 */
static void
try_run_org_pull(const char *dbname, int org, MemoryContext context)
{
	pull_in_progress = true;
	if (ShutdownRequestPending)
	{
		pull_in_progress = false;
		return;
	}
	PG_TRY();
	{
		run_org_pull(dbname, org);
		pull_in_progress = false;
	}
	PG_CATCH();
	{
		pull_in_progress = false;
		report_and_abort(context);
	}
	PG_END_TRY();
}

static long
try_milliseconds_to_next(MemoryContext context)
{
	volatile long ms = -1;

	PG_TRY();
	{
		ms = milliseconds_to_next();
	}
	PG_CATCH();
	{
		report_and_abort(context);
	}
	PG_END_TRY();
	return ms;
}

long
pull_run_due_sources(const char *dbname)
{
	static TimestampTz next_look = 0;
	MemoryContext context = CurrentMemoryContext;
	long		naptime_ms = otan_enbek_pull_naptime_s * 1000L;
	long		wait_ms;
	long		until_next;
	List	   *orgs;
	ListCell   *lc;

	if (!otan_enbek_pull_in_worker)
		return -1;
	/* a reload may have shortened the naptime since the last look */
	until_next = TimestampDifferenceMilliseconds(GetCurrentTimestamp(),
												 next_look);
	if (until_next > 0 && until_next <= naptime_ms)
		return until_next;

	orgs = try_list_due_orgs(context);
	foreach(lc, orgs)
	{
		CHECK_FOR_INTERRUPTS();
		if (ShutdownRequestPending)
			break;
		try_run_org_pull(dbname, lfirst_int(lc), context);
	}
	list_free(orgs);

	wait_ms = try_milliseconds_to_next(context);
	if (wait_ms < 0 || wait_ms > naptime_ms)
		wait_ms = naptime_ms;
	/* a source locked by a pull in another session stays due: no spin */
	wait_ms = Max(wait_ms, 1000);
	next_look = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), wait_ms);
	return wait_ms;
}
