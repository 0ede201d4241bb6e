/*-------------------------------------------------------------------------
 *
 * progress.c
 *	  Progress of long operations in a shared-memory slot per backend.
 *
 * PostgreSQL's own progress reporting (pgstat_progress_update_param) only
 * serves the commands that the server defines, so an extension cannot add a
 * command of its own there.  A slot per backend, indexed by MyBackendId and
 * guarded by a spinlock, is written outside any transaction, so another
 * session reads each update at once, while the writing transaction is still
 * open.  A slot is cleared by progress_end, at the end of the transaction
 * that started it, and when the backend exits.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/backendid.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "progress.h"

PG_FUNCTION_INFO_V1(otan_enbek_progress_start);
PG_FUNCTION_INFO_V1(otan_enbek_progress_phase);
PG_FUNCTION_INFO_V1(otan_enbek_progress_end);
PG_FUNCTION_INFO_V1(otan_enbek_progress_slots);

#define PROGRESS_NAME_SIZE 32
#define PROGRESS_SLOTS_COLUMNS 13

typedef struct ProgressSlot
{
	slock_t		mutex;
	int			pid;			/* 0 when the slot is free */
	Oid			database_id;
	Oid			user_id;
	int32		org_id;			/* 0 when the command has no organization */
	int64		run_id;			/* job_run row, 0 when none */
	char		command[PROGRESS_NAME_SIZE];
	char		phase[PROGRESS_NAME_SIZE];
	char		unit[PROGRESS_NAME_SIZE];
	int64		done;
	int64		total;
	TimestampTz started_at;
	TimestampTz phase_started_at;
	TimestampTz updated_at;
} ProgressSlot;

static ProgressSlot *slots = NULL;
static int	slot_count = 0;

/* The backend's own slot while it runs a command, else NULL */
static ProgressSlot *own_slot = NULL;

/* Tenths of the current phase already reported by a NOTICE */
static int	reported_tenths = 0;
static bool callbacks_registered = false;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static Size
slots_size(void)
{
	return mul_size(sizeof(ProgressSlot), MaxBackends);
}

static void
progress_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(slots_size());
}

static void
progress_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	slots = ShmemInitStruct("otan_enbek progress", slots_size(), &found);
	slot_count = MaxBackends;
	if (!found)
	{
		int			i;

		memset(slots, 0, slots_size());
		for (i = 0; i < slot_count; i++)
			SpinLockInit(&slots[i].mutex);
	}
	LWLockRelease(AddinShmemInitLock);
}

void
progress_install_hooks(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = progress_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = progress_shmem_startup;
}

/* Frees the backend's slot, if it has one. */
static void
release_own_slot(void)
{
	if (own_slot == NULL)
		return;
	SpinLockAcquire(&own_slot->mutex);
	own_slot->pid = 0;
	SpinLockRelease(&own_slot->mutex);
	own_slot = NULL;
}

static void
progress_xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT ||
		event == XACT_EVENT_PARALLEL_COMMIT ||
		event == XACT_EVENT_PARALLEL_ABORT || event == XACT_EVENT_PREPARE)
		release_own_slot();
}

static void
progress_exit_callback(int code pg_attribute_unused(),
					   Datum arg pg_attribute_unused())
{
	release_own_slot();
}

/* Copies a text argument into a fixed-size name, cut at a character end. */
static void
copy_name(char *dest, const char *src)
{
	int			len = strlen(src);

	if (len >= PROGRESS_NAME_SIZE)
		len = pg_mbcliplen(src, len, PROGRESS_NAME_SIZE - 1);
	memcpy(dest, src, len);
	dest[len] = '\0';
}

static void
begin_phase(const char *phase, const char *unit, int64 total)
{
	TimestampTz now = GetCurrentTimestamp();

	if (own_slot == NULL)
		return;
	SpinLockAcquire(&own_slot->mutex);
	copy_name(own_slot->phase, phase);
	copy_name(own_slot->unit, unit);
	own_slot->done = 0;
	own_slot->total = total;
	own_slot->phase_started_at = now;
	own_slot->updated_at = now;
	SpinLockRelease(&own_slot->mutex);
	reported_tenths = 0;
}

void
progress_begin_phase(const char *phase, const char *unit, int64_t total)
{
	begin_phase(phase, unit, total);
}

void
progress_set_done(int64_t done)
{
	int64		total;
	int			tenths;
	char		command[PROGRESS_NAME_SIZE];
	char		phase[PROGRESS_NAME_SIZE];
	char		unit[PROGRESS_NAME_SIZE];

	if (own_slot == NULL)
		return;
	SpinLockAcquire(&own_slot->mutex);
	own_slot->done = done;
	own_slot->updated_at = GetCurrentTimestamp();
	total = own_slot->total;
	memcpy(command, own_slot->command, PROGRESS_NAME_SIZE);
	memcpy(phase, own_slot->phase, PROGRESS_NAME_SIZE);
	memcpy(unit, own_slot->unit, PROGRESS_NAME_SIZE);
	SpinLockRelease(&own_slot->mutex);

	if (total <= 0)
		return;
	tenths = (int) (Min(done, total) * 10 / total);
	if (tenths <= reported_tenths)
		return;
	reported_tenths = tenths;
	ereport(NOTICE,
			(errmsg("%s, %s: %d%% done (" INT64_FORMAT " of " INT64_FORMAT " %s)",
					command, phase, tenths * 10, (int64) done, total, unit)));
}

void
progress_add_done(int64_t count)
{
	int64		done;

	if (own_slot == NULL)
		return;
	SpinLockAcquire(&own_slot->mutex);
	done = own_slot->done + count;
	SpinLockRelease(&own_slot->mutex);
	progress_set_done(done);
}

/*
 * progress_start(command text, org_id integer, run_id bigint) returns boolean
 *
 * Starts a command in the backend's slot, replacing the one it held.
 * Returns false when the slots do not exist because the library was not
 * preloaded.
 */
Datum
otan_enbek_progress_start(PG_FUNCTION_ARGS)
{
	TimestampTz now = GetCurrentTimestamp();
	ProgressSlot *slot;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("command is NULL"),
				 errhint("Name the command that starts, such as ingest.")));
	if (slots == NULL || MyBackendId < 1 || MyBackendId > slot_count)
		PG_RETURN_BOOL(false);

	if (!callbacks_registered)
	{
		RegisterXactCallback(progress_xact_callback, NULL);
		before_shmem_exit(progress_exit_callback, (Datum) 0);
		callbacks_registered = true;
	}

	slot = &slots[MyBackendId - 1];
	SpinLockAcquire(&slot->mutex);
	slot->pid = MyProcPid;
	slot->database_id = MyDatabaseId;
	slot->user_id = GetUserId();
	slot->org_id = PG_ARGISNULL(1) ? 0 : PG_GETARG_INT32(1);
	slot->run_id = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2);
	copy_name(slot->command, text_to_cstring(PG_GETARG_TEXT_PP(0)));
	slot->phase[0] = '\0';
	slot->unit[0] = '\0';
	slot->done = 0;
	slot->total = 0;
	slot->started_at = now;
	slot->phase_started_at = now;
	slot->updated_at = now;
	SpinLockRelease(&slot->mutex);
	own_slot = slot;
	reported_tenths = 0;
	PG_RETURN_BOOL(true);
}

/*
 * progress_phase(phase text, unit text, total bigint) returns void
 *
 * Starts a phase of the backend's command.  Does nothing without one.
 */
Datum
otan_enbek_progress_phase(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("phase is NULL"),
				 errhint("Name the phase that starts, such as storing.")));
	begin_phase(text_to_cstring(PG_GETARG_TEXT_PP(0)),
				PG_ARGISNULL(1) ? "" : text_to_cstring(PG_GETARG_TEXT_PP(1)),
				PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2));
	PG_RETURN_VOID();
}

/* progress_end() returns void: frees the backend's slot. */
Datum
otan_enbek_progress_end(PG_FUNCTION_ARGS)
{
	release_own_slot();
	PG_RETURN_VOID();
}

/* Appends one busy slot, copied under its lock, to the result. */
static void
put_slot(ReturnSetInfo *rsinfo, ProgressSlot *slot)
{
	ProgressSlot copy;
	Datum		values[PROGRESS_SLOTS_COLUMNS];
	bool		nulls[PROGRESS_SLOTS_COLUMNS];

	SpinLockAcquire(&slot->mutex);
	memcpy(&copy, slot, sizeof(copy));
	SpinLockRelease(&slot->mutex);
	if (copy.pid == 0)
		return;

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int32GetDatum(copy.pid);
	values[1] = ObjectIdGetDatum(copy.database_id);
	values[2] = ObjectIdGetDatum(copy.user_id);
	values[3] = CStringGetTextDatum(copy.command);
	values[4] = Int32GetDatum(copy.org_id);
	nulls[4] = copy.org_id == 0;
	values[5] = Int64GetDatum(copy.run_id);
	nulls[5] = copy.run_id == 0;
	values[6] = CStringGetTextDatum(copy.phase);
	nulls[6] = copy.phase[0] == '\0';
	values[7] = Int64GetDatum(copy.done);
	values[8] = Int64GetDatum(copy.total);
	nulls[8] = copy.total <= 0;
	values[9] = CStringGetTextDatum(copy.unit);
	nulls[9] = copy.unit[0] == '\0';
	values[10] = TimestampTzGetDatum(copy.started_at);
	values[11] = TimestampTzGetDatum(copy.phase_started_at);
	values[12] = TimestampTzGetDatum(copy.updated_at);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * progress_slots() returns setof record
 *
 * Returns every busy slot of the cluster.  The view otan_enbek.progress
 * keeps those of the current database.
 */
Datum
otan_enbek_progress_slots(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; slots != NULL && i < slot_count; i++)
		put_slot(rsinfo, &slots[i]);
	return (Datum) 0;
}
