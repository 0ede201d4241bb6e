/*-------------------------------------------------------------------------
 *
 * registry.c
 *	  Shared memory that maps each database to its delivery worker.
 *
 * The registry has one slot per database that has, or is about to get, a
 * delivery worker.  A slot is REQUESTED when a worker should be started (by
 * the launcher's scan of pg_database, by a committed wake-up or after a
 * worker stopped), STARTING once the launcher registered the worker, and
 * RUNNING once the worker attached to it.  The launcher is the only process
 * that starts workers; it is woken through its latch whenever a slot needs
 * it.  Slots hold process numbers (pgprocno), never pointers into a
 * process's private memory.
 *
 * There are max_worker_processes slots, because no more workers can run.
 * When they are all taken, a request sets rescan_requested instead, and the
 * launcher finds the database again when it scans pg_database.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "utils/timestamp.h"

#include "delivery/delivery.h"

/* Workers in STARTING state at a time: a scan may find many databases */
#define DELIVERY_MAX_STARTING 4

#define DELIVERY_LWLOCK_TRANCHE "otan_enbek delivery"

typedef enum DeliverySlotState
{
	SLOT_FREE = 0,
	SLOT_REQUESTED,
	SLOT_STARTING,
	SLOT_RUNNING
} DeliverySlotState;

typedef struct DeliverySlot
{
	Oid			dboid;
	DeliverySlotState state;
	pid_t		pid;			/* worker's pid when RUNNING */
	bool		stop_on_attach; /* exit request for a STARTING worker */
	int			pgprocno;		/* worker's PGPROC number when RUNNING */
	uint64		wake_count;		/* wake-ups requested for this database */
	TimestampTz not_before;		/* earliest start of a REQUESTED worker */
	WorkerRefreshStats refresh; /* the running worker's refreshes */
} DeliverySlot;

typedef struct DeliveryRegistry
{
	LWLock	   *lock;			/* protects everything below */
	int			launcher_pgprocno;	/* -1 when the launcher is not running */
	bool		rescan_requested;
	int			nslots;
	DeliverySlot slots[FLEXIBLE_ARRAY_MEMBER];
} DeliveryRegistry;

static DeliveryRegistry *registry = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* Size of the registry for the current max_worker_processes. */
static Size
registry_size(void)
{
	return add_size(offsetof(DeliveryRegistry, slots),
					mul_size(sizeof(DeliverySlot), max_worker_processes));
}

/* Requests the shared memory and the lock; runs in the postmaster. */
static void
registry_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();

	RequestAddinShmemSpace(registry_size());
	RequestNamedLWLockTranche(DELIVERY_LWLOCK_TRANCHE, 1);
}

/* Attaches to the registry, creating it in the first process to get here. */
static void
registry_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	registry = ShmemInitStruct("otan_enbek delivery registry",
							   registry_size(), &found);
	if (!found)
	{
		int			i;

		registry->lock = &(GetNamedLWLockTranche(DELIVERY_LWLOCK_TRANCHE))->lock;
		registry->launcher_pgprocno = -1;
		registry->rescan_requested = false;
		registry->nslots = max_worker_processes;
		for (i = 0; i < registry->nslots; i++)
		{
			memset(&registry->slots[i], 0, sizeof(DeliverySlot));
			registry->slots[i].state = SLOT_FREE;
			registry->slots[i].pgprocno = -1;
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * Installs the shared memory hooks, the hook that notices DROP EXTENSION and
 * the one that stops a worker before DROP DATABASE.  Called from _PG_init,
 * only when loading from shared_preload_libraries.
 */
void
delivery_registry_install_hooks(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = registry_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = registry_shmem_startup;
	delivery_install_drop_hook();
	delivery_install_utility_hook();
}

/* Tells whether the library was preloaded, so that the registry exists. */
bool
delivery_registry_available(void)
{
	return registry != NULL;
}

/* Raises an error when delivery cannot work because of a missing preload. */
void
delivery_require_preloaded(void)
{
	if (registry == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("otan_enbek is not loaded through shared_preload_libraries"),
				 errdetail("Timesheets are delivered by a background worker, which the server starts only for libraries in shared_preload_libraries."),
				 errhint("Add otan_enbek to shared_preload_libraries in postgresql.conf and restart the server.")));
}

/* Finds the slot of a database; the caller holds the lock. */
static DeliverySlot *
find_slot(Oid dboid)
{
	int			i;

	for (i = 0; i < registry->nslots; i++)
		if (registry->slots[i].state != SLOT_FREE &&
			registry->slots[i].dboid == dboid)
			return &registry->slots[i];
	return NULL;
}

/* Takes a free slot for a database; the caller holds the lock exclusively. */
static DeliverySlot *
allocate_slot(Oid dboid)
{
	int			i;

	for (i = 0; i < registry->nslots; i++)
	{
		DeliverySlot *slot = &registry->slots[i];

		if (slot->state == SLOT_FREE)
		{
			slot->dboid = dboid;
			slot->state = SLOT_REQUESTED;
			slot->pid = 0;
			slot->pgprocno = -1;
			slot->wake_count = 0;
			slot->not_before = 0;
			slot->stop_on_attach = false;
			memset(&slot->refresh, 0, sizeof(slot->refresh));
			return slot;
		}
	}
	return NULL;
}

/* Latch of the process with this PGPROC number, or NULL for -1. */
static Latch *
latch_of(int pgprocno)
{
	if (pgprocno < 0)
		return NULL;
	return &ProcGlobal->allProcs[pgprocno].procLatch;
}

/*
 * Wakes the worker of a database, or requests one from the launcher.  Runs
 * at commit of a transaction that queued work, so it must not fail: it only
 * takes the lock and sets latches.
 */
void
delivery_registry_wake(Oid dboid)
{
	DeliverySlot *slot;
	Latch	   *worker_latch = NULL;
	Latch	   *launcher_latch;

	LWLockAcquire(registry->lock, LW_EXCLUSIVE);
	slot = find_slot(dboid);
	if (slot == NULL)
		slot = allocate_slot(dboid);
	if (slot == NULL)
		registry->rescan_requested = true;
	else
	{
		slot->wake_count++;
		if (slot->state == SLOT_RUNNING)
			worker_latch = latch_of(slot->pgprocno);
	}
	launcher_latch = latch_of(registry->launcher_pgprocno);
	LWLockRelease(registry->lock);

	if (worker_latch != NULL)
		SetLatch(worker_latch);
	else if (launcher_latch != NULL)
		SetLatch(launcher_latch);
}

/*
 * Attaches the calling worker to the slot of its database.  Returns false
 * when another worker already serves the database (possible after the
 * launcher restarted and started a worker the old launcher had started
 * too), when no slot is free, or when delivery_registry_stop requested its
 * exit.  *wake_count receives the slot's count, to be passed back to
 * delivery_registry_detach.
 */
bool
delivery_registry_attach(Oid dboid, uint64 *wake_count)
{
	DeliverySlot *slot;

	LWLockAcquire(registry->lock, LW_EXCLUSIVE);
	slot = find_slot(dboid);
	if (slot != NULL && slot->state == SLOT_RUNNING && slot->pid != MyProcPid)
	{
		LWLockRelease(registry->lock);
		return false;
	}
	if (slot != NULL && slot->stop_on_attach)
	{
		/* The launcher reaps the exited worker and requests a new one later. */
		slot->stop_on_attach = false;
		LWLockRelease(registry->lock);
		return false;
	}
	if (slot == NULL)
		slot = allocate_slot(dboid);
	if (slot == NULL)
	{
		LWLockRelease(registry->lock);
		return false;
	}
	slot->state = SLOT_RUNNING;
	slot->pid = MyProcPid;
	slot->pgprocno = MyProc->pgprocno;
	memset(&slot->refresh, 0, sizeof(slot->refresh));
	*wake_count = slot->wake_count;
	LWLockRelease(registry->lock);
	return true;
}

/*
 * Releases the calling worker's slot.  With restart, the launcher starts a
 * new worker after DELIVERY_RESTART_DELAY_MS.  Without it, the slot is
 * freed, unless a wake-up arrived since the worker read wake_count: then a
 * new worker starts at once, so that the wake-up is not lost.
 */
void
delivery_registry_detach(Oid dboid, bool restart, uint64 wake_count)
{
	DeliverySlot *slot;
	Latch	   *launcher_latch;

	LWLockAcquire(registry->lock, LW_EXCLUSIVE);
	slot = find_slot(dboid);
	if (slot != NULL && slot->state == SLOT_RUNNING && slot->pid == MyProcPid)
	{
		slot->pid = 0;
		slot->pgprocno = -1;
		if (restart)
		{
			slot->state = SLOT_REQUESTED;
			slot->not_before =
				TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
											DELIVERY_RESTART_DELAY_MS);
		}
		else if (slot->wake_count != wake_count)
		{
			slot->state = SLOT_REQUESTED;
			slot->not_before = 0;
		}
		else
			slot->state = SLOT_FREE;
	}
	launcher_latch = latch_of(registry->launcher_pgprocno);
	LWLockRelease(registry->lock);

	if (launcher_latch != NULL)
		SetLatch(launcher_latch);
}

/*
 * Returns the count of wake-ups of a database, which a worker reads before
 * it checks that the extension exists.
 */
uint64
delivery_registry_wake_count(Oid dboid)
{
	DeliverySlot *slot;
	uint64		count = 0;

	LWLockAcquire(registry->lock, LW_SHARED);
	slot = find_slot(dboid);
	if (slot != NULL)
		count = slot->wake_count;
	LWLockRelease(registry->lock);
	return count;
}

/* Publishes the attendance refreshes of the calling worker. */
void
delivery_registry_set_refresh_stats(Oid dboid, const WorkerRefreshStats *stats)
{
	DeliverySlot *slot;

	LWLockAcquire(registry->lock, LW_EXCLUSIVE);
	slot = find_slot(dboid);
	if (slot != NULL && slot->state == SLOT_RUNNING &&
		slot->pid == MyProcPid)
		slot->refresh = *stats;
	LWLockRelease(registry->lock);
}

/*
 * Copies the attendance refreshes of a database's running worker into
 * *stats.  Returns false, with *stats zeroed, when no worker runs.
 */
bool
delivery_registry_refresh_stats(Oid dboid, WorkerRefreshStats *stats)
{
	DeliverySlot *slot;
	bool		running = false;

	memset(stats, 0, sizeof(*stats));
	LWLockAcquire(registry->lock, LW_SHARED);
	slot = find_slot(dboid);
	if (slot != NULL && slot->state == SLOT_RUNNING)
	{
		*stats = slot->refresh;
		running = true;
	}
	LWLockRelease(registry->lock);
	return running;
}

/* Records whether the calling process is the running launcher. */
void
delivery_registry_set_launcher(bool running)
{
	LWLockAcquire(registry->lock, LW_EXCLUSIVE);
	registry->launcher_pgprocno = running ? MyProc->pgprocno : -1;
	LWLockRelease(registry->lock);
}

/*
 * Requests a new scan of pg_database, which the launcher makes once
 * delivery is enabled.
 */
void
delivery_registry_request_rescan(void)
{
	LWLockAcquire(registry->lock, LW_EXCLUSIVE);
	registry->rescan_requested = true;
	LWLockRelease(registry->lock);
}

/* Returns and clears the request for a new scan of pg_database. */
bool
delivery_registry_take_rescan(void)
{
	bool		rescan;

	LWLockAcquire(registry->lock, LW_EXCLUSIVE);
	rescan = registry->rescan_requested;
	registry->rescan_requested = false;
	LWLockRelease(registry->lock);
	return rescan;
}

/*
 * Turns STARTING slots back into requests.  A launcher that replaces a
 * crashed one does not have the handles of the workers that one started.
 * If such a worker is started twice, the second one exits in
 * delivery_registry_attach.
 */
void
delivery_registry_forget_starting(void)
{
	int			i;

	LWLockAcquire(registry->lock, LW_EXCLUSIVE);
	for (i = 0; i < registry->nslots; i++)
		if (registry->slots[i].state == SLOT_STARTING)
			registry->slots[i].state = SLOT_REQUESTED;
	LWLockRelease(registry->lock);
}

/*
 * Requests a worker for each database of the list that has no slot yet.
 * Returns the databases for which no slot was free, for a later try.
 */
List *
delivery_registry_request(List *dboids)
{
	List	   *left = NIL;
	ListCell   *lc;

	LWLockAcquire(registry->lock, LW_EXCLUSIVE);
	foreach(lc, dboids)
	{
		Oid			dboid = lfirst_oid(lc);

		if (find_slot(dboid) == NULL && allocate_slot(dboid) == NULL)
			left = lappend_oid(left, dboid);
	}
	LWLockRelease(registry->lock);
	return left;
}

/*
 * Frees the requests for databases that are not in the list of existing
 * ones, so that a dropped database is not tried again.
 */
void
delivery_registry_drop_missing(List *dboids)
{
	int			i;

	LWLockAcquire(registry->lock, LW_EXCLUSIVE);
	for (i = 0; i < registry->nslots; i++)
	{
		DeliverySlot *slot = &registry->slots[i];

		if (slot->state == SLOT_REQUESTED &&
			!list_member_oid(dboids, slot->dboid))
			slot->state = SLOT_FREE;
	}
	LWLockRelease(registry->lock);
}

/* Tells whether a requested worker may start now. */
bool
delivery_registry_any_due(TimestampTz now)
{
	bool		due = false;
	int			i;

	LWLockAcquire(registry->lock, LW_SHARED);
	for (i = 0; i < registry->nslots; i++)
		if (registry->slots[i].state == SLOT_REQUESTED &&
			registry->slots[i].not_before <= now)
			due = true;
	LWLockRelease(registry->lock);
	return due;
}

/*
 * Picks a requested database whose worker may start now and marks it
 * STARTING.  Returns InvalidOid when there is none; then *wait_ms is the
 * time until the next request becomes due, or -1 when none is waiting.
 */
Oid
delivery_registry_next_to_start(TimestampTz now, long *wait_ms)
{
	DeliverySlot *pick = NULL;
	TimestampTz next = 0;
	int			starting = 0;
	int			i;
	Oid			dboid = InvalidOid;

	*wait_ms = -1;
	LWLockAcquire(registry->lock, LW_EXCLUSIVE);
	for (i = 0; i < registry->nslots; i++)
	{
		DeliverySlot *slot = &registry->slots[i];

		if (slot->state == SLOT_STARTING)
			starting++;
		else if (slot->state == SLOT_REQUESTED)
		{
			if (slot->not_before <= now)
			{
				if (pick == NULL)
					pick = slot;
			}
			else if (next == 0 || slot->not_before < next)
				next = slot->not_before;
		}
	}
	if (pick != NULL && starting < DELIVERY_MAX_STARTING)
	{
		pick->state = SLOT_STARTING;
		pick->stop_on_attach = false;
		dboid = pick->dboid;
	}
	LWLockRelease(registry->lock);

	/* The launcher is woken when a STARTING worker attaches or stops. */
	if (!OidIsValid(dboid) && next != 0)
		*wait_ms = Max(1, TimestampDifferenceMilliseconds(now, next));
	return dboid;
}

/*
 * Handles a worker that stopped before attaching, for example because its
 * database was dropped: it is tried again after a delay, and the launcher
 * checks which databases still exist.
 */
void
delivery_registry_mark_start_failed(Oid dboid)
{
	DeliverySlot *slot;

	LWLockAcquire(registry->lock, LW_EXCLUSIVE);
	slot = find_slot(dboid);
	if (slot != NULL && slot->state == SLOT_STARTING)
	{
		slot->state = SLOT_REQUESTED;
		slot->stop_on_attach = false;
		slot->not_before =
			TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
										DELIVERY_RESTART_DELAY_MS);
		registry->rescan_requested = true;
	}
	LWLockRelease(registry->lock);
}

/*
 * Requests the exit of a database's worker, for a command that needs the
 * database without other connections.  Returns the pid of a running
 * worker, which the caller terminates, or 0.  A starting worker may be
 * connected before it is RUNNING, so its slot is marked and the worker
 * exits when it attaches.  A requested worker is started
 * DELIVERY_RESTART_DELAY_MS later, after the command.
 */
pid_t
delivery_registry_stop(Oid dboid)
{
	DeliverySlot *slot;
	pid_t		pid = 0;

	LWLockAcquire(registry->lock, LW_EXCLUSIVE);
	slot = find_slot(dboid);
	if (slot != NULL)
	{
		switch (slot->state)
		{
			case SLOT_RUNNING:
				pid = slot->pid;
				break;
			case SLOT_STARTING:
				slot->stop_on_attach = true;
				break;
			case SLOT_REQUESTED:
				slot->not_before =
					Max(slot->not_before,
						TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													DELIVERY_RESTART_DELAY_MS));
				break;
			case SLOT_FREE:
				break;
		}
	}
	LWLockRelease(registry->lock);
	return pid;
}

/*
 * Describes the worker of a database for delivery_status(): "running",
 * "starting", "requested" or "stopped".  *pid is 0 unless it runs.
 */
const char *
delivery_registry_state(Oid dboid, int *pid)
{
	DeliverySlot *slot;
	const char *state = "stopped";

	*pid = 0;
	LWLockAcquire(registry->lock, LW_SHARED);
	slot = find_slot(dboid);
	if (slot != NULL)
	{
		switch (slot->state)
		{
			case SLOT_RUNNING:
				state = "running";
				*pid = slot->pid;
				break;
			case SLOT_STARTING:
				state = "starting";
				break;
			case SLOT_REQUESTED:
				state = "requested";
				break;
			case SLOT_FREE:
				break;
		}
	}
	LWLockRelease(registry->lock);
	return state;
}
