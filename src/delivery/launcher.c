/*-------------------------------------------------------------------------
 *
 * launcher.c
 *	  Launcher of the delivery workers, one per database with the extension.
 *
 * The launcher is a static background worker connected to no database: it
 * reads the shared catalog pg_database only.  It cannot see which databases
 * have the extension, so at start it requests a worker for every database
 * that accepts connections.  A worker that finds no extension exits at once
 * and is not started again until a transaction in its database requests
 * it.  After that the launcher sleeps until it is woken:
 *
 * - by CREATE EXTENSION otan_enbek (the install script calls
 *	 otan_enbek.wake_delivery()) or by any committed call of wake_delivery()
 *	 in a database without a running worker;
 * - by a worker that stops; one that stopped on an error or was terminated
 *	 is started again after DELIVERY_RESTART_DELAY_MS;
 * - by a reload of the configuration (delivery_enabled switched on).
 *
 * Workers are registered with BGW_NEVER_RESTART and restarted by the
 * launcher, which checks first that their database still exists: the
 * postmaster would restart a worker of a dropped database forever.  The
 * launcher itself is restarted by the postmaster when it fails or is
 * terminated.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_database.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "otan_enbek.h"
#include "delivery/delivery.h"

/* Seconds before the postmaster restarts a failed launcher */
#define LAUNCHER_RESTART_SECONDS 10

/* A worker registered by this launcher and not yet seen stopped */
typedef struct StartedWorker
{
	Oid			dboid;
	BackgroundWorkerHandle *handle;
} StartedWorker;

static List *started_workers = NIL;

/* Databases found by a scan for which no registry slot was free */
static List *pending_databases = NIL;

/*
 * Registers the launcher and installs the shared memory hooks.  Called from
 * _PG_init when the library is loaded from shared_preload_libraries.
 */
void
otan_enbek_register_launcher(void)
{
	BackgroundWorker worker;

	delivery_registry_install_hooks();

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS |
		BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = LAUNCHER_RESTART_SECONDS;
	strlcpy(worker.bgw_library_name, DELIVERY_EXTENSION_NAME, BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "otan_enbek_launcher_main", BGW_MAXLEN);
	strlcpy(worker.bgw_name, "otan_enbek delivery launcher", BGW_MAXLEN);
	strlcpy(worker.bgw_type, "otan_enbek delivery launcher", BGW_MAXLEN);
	RegisterBackgroundWorker(&worker);
}

/*
 * Lists the databases that could have the extension: those that accept
 * connections and are not templates.  The list is allocated in the caller's
 * memory context.
 */
static List *
list_databases(void)
{
	MemoryContext caller = CurrentMemoryContext;
	List	   *dboids = NIL;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tuple;

	StartTransactionCommand();
	(void) GetTransactionSnapshot();

	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tuple);
		MemoryContext old;

		if (!db->datallowconn || db->datistemplate)
			continue;
		old = MemoryContextSwitchTo(caller);
		dboids = lappend_oid(dboids, db->oid);
		MemoryContextSwitchTo(old);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);

	CommitTransactionCommand();
	MemoryContextSwitchTo(caller);
	return dboids;
}

/* Scans pg_database and requests a worker for each database found. */
static void
scan_databases(void)
{
	List	   *dboids = list_databases();

	delivery_registry_drop_missing(dboids);
	list_free(pending_databases);
	pending_databases = delivery_registry_request(dboids);
	ereport(DEBUG1,
			(errmsg_internal("otan_enbek launcher found %d databases, %d waiting for a free slot",
							 list_length(dboids),
							 list_length(pending_databases))));
	list_free(dboids);
}

/*
 * Registers a dynamic worker for a database.  Returns false when the
 * postmaster has no free background worker slot.
 */
static bool
start_worker(Oid dboid)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;
	StartedWorker *started;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS |
		BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(worker.bgw_library_name, DELIVERY_EXTENSION_NAME, BGW_MAXLEN);
	strlcpy(worker.bgw_function_name, "otan_enbek_delivery_worker_main",
			BGW_MAXLEN);
	snprintf(worker.bgw_name, BGW_MAXLEN,
			 "otan_enbek delivery worker for database %u", dboid);
	strlcpy(worker.bgw_type, "otan_enbek delivery worker", BGW_MAXLEN);
	worker.bgw_main_arg = ObjectIdGetDatum(dboid);
	worker.bgw_notify_pid = MyProcPid;

	if (!RegisterDynamicBackgroundWorker(&worker, &handle))
		return false;

	started = palloc(sizeof(StartedWorker));
	started->dboid = dboid;
	started->handle = handle;
	started_workers = lappend(started_workers, started);
	ereport(DEBUG1,
			(errmsg_internal("otan_enbek launcher started a worker for database %u",
							 dboid)));
	return true;
}

/*
 * Starts the workers that are due.  Returns the time in milliseconds until
 * the next one is due, or -1 when none is waiting.
 */
static long
start_due_workers(void)
{
	static bool warned_no_slot = false;
	long		wait_ms = -1;
	Oid			dboid;

	/* Databases that found no registry slot get one as slots free up. */
	if (pending_databases != NIL)
	{
		List	   *pending = pending_databases;

		pending_databases = delivery_registry_request(pending);
		list_free(pending);
	}

	/*
	 * A worker terminated by DROP DATABASE requests a restart, so check
	 * first that its database still exists.
	 */
	if (delivery_registry_any_due(GetCurrentTimestamp()))
	{
		List	   *dboids = list_databases();

		delivery_registry_drop_missing(dboids);
		list_free(dboids);
	}

	for (;;)
	{
		dboid = delivery_registry_next_to_start(GetCurrentTimestamp(),
												&wait_ms);
		if (!OidIsValid(dboid))
			break;
		if (start_worker(dboid))
		{
			warned_no_slot = false;
			continue;
		}

		delivery_registry_mark_start_failed(dboid);
		if (!warned_no_slot)
			ereport(WARNING,
					(errmsg("could not start an otan_enbek delivery worker for database %u: no free background worker slot",
							dboid),
					 errhint("Increase max_worker_processes; the launcher tries again in %d seconds.",
							 DELIVERY_RESTART_DELAY_MS / 1000)));
		warned_no_slot = true;
		break;
	}
	if (pending_databases != NIL &&
		(wait_ms < 0 || wait_ms > DELIVERY_RESTART_DELAY_MS))
		wait_ms = DELIVERY_RESTART_DELAY_MS;
	return wait_ms;
}

/*
 * Forgets the workers that stopped.  One that stopped before attaching to
 * its slot (its database was dropped, or it could not connect) is tried
 * again after a delay.
 */
static void
reap_stopped_workers(void)
{
	ListCell   *lc;

	foreach(lc, started_workers)
	{
		StartedWorker *started = lfirst(lc);
		pid_t		pid;
		BgwHandleStatus status = GetBackgroundWorkerPid(started->handle, &pid);

		if (status == BGWH_POSTMASTER_DIED)
			proc_exit(1);
		if (status != BGWH_STOPPED)
			continue;

		delivery_registry_mark_start_failed(started->dboid);
		pfree(started->handle);
		pfree(started);
		started_workers = foreach_delete_current(started_workers, lc);
	}
}

/* Clears the launcher's entry in the registry when it exits. */
static void
launcher_detach(int code pg_attribute_unused(),
				Datum arg pg_attribute_unused())
{
	delivery_registry_set_launcher(false);
}

/* Entry point of the launcher background worker. */
void
otan_enbek_launcher_main(Datum main_arg pg_attribute_unused())
{
	bool		rescan = true;
	bool		was_enabled;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(NULL, NULL, 0);

	delivery_registry_set_launcher(true);
	before_shmem_exit(launcher_detach, 0);
	delivery_registry_forget_starting();
	was_enabled = otan_enbek_delivery_enabled;

	ereport(LOG, (errmsg("otan_enbek delivery launcher started")));

	while (!ShutdownRequestPending)
	{
		long		wait_ms = -1;

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
			if (otan_enbek_delivery_enabled && !was_enabled)
				rescan = true;
			was_enabled = otan_enbek_delivery_enabled;
		}

		if (delivery_registry_take_rescan())
			rescan = true;

		reap_stopped_workers();
		if (otan_enbek_delivery_enabled)
		{
			if (rescan)
			{
				scan_databases();
				rescan = false;
			}
			wait_ms = start_due_workers();
		}

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_EXIT_ON_PM_DEATH |
						 (wait_ms >= 0 ? WL_TIMEOUT : 0),
						 wait_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
	}

	/*
	 * The postmaster of PostgreSQL 15 unregisters a background worker that
	 * exits with status 0, so a launcher terminated by
	 * pg_terminate_backend() would leave every database without new
	 * workers until the server restarts.  With status 1 it comes back after
	 * LAUNCHER_RESTART_SECONDS.  At shutdown the postmaster restarts no
	 * worker, whatever the status.
	 */
	ereport(LOG, (errmsg("otan_enbek delivery launcher stopped")));
	proc_exit(1);
}
