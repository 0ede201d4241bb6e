/*-------------------------------------------------------------------------
 *
 * parallel.c
 *	  A parallel worker that computes the days of the upper part of the
 *	  employees for att_scan_days.
 *
 * att_scan_days splits the employees by id: the leader computes the lower
 * ids and one parallel worker the upper ones.  Each process reads the
 * period's events of its own employees, so the appending and the engine
 * run on two cores, while each process still reads every event of the
 * period (the filter by employee id drops the other part).  The worker
 * sends each day to the leader through a shared memory queue, as the
 * employee id, the day's figures and its kept event ids.
 *
 * The leader alone hands the days to the sink, which may write a table
 * (parallel workers may not).  While it computes its own part, it drains
 * the queue into local memory after each employee, so that the worker does
 * not wait on a full queue.  When its own days are done, it hands on the
 * worker's days, buffered and then still arriving.  The sink thus sees the
 * days in employee id order, as without a worker.
 *
 * A worker is used only for a scan of every employee in an id range (not a
 * list of employee ids), of at least otan_enbek.attendance_parallel_min_
 * employees employees, while max_parallel_workers_per_gather is above zero
 * and the backend is not in parallel mode already.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "optimizer/cost.h"
#include "storage/shm_mq.h"
#include "storage/shm_toc.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "attendance/attendance.h"
#include "attendance/scan.h"
#include "otan_enbek.h"
#include "progress.h"

/* Keys of the shared memory table of contents */
#define KEY_ARGS		UINT64CONST(0x0A7E000000000001)
#define KEY_QUEUE		UINT64CONST(0x0A7E000000000002)

/*
 * Size of the queue.  It holds a few thousand days, and the leader drains
 * it after each of its own employees.
 */
#define QUEUE_SIZE		(4 * 1024 * 1024)

/* Size of the blocks that hold the days received ahead of their turn */
#define BUFFER_BLOCK_SIZE	(8 * 1024 * 1024)

/* Replayed days between two resets of the sink's memory */
#define REPLAY_RESET_EVERY	1000

/* Arguments that the worker gets, without the list of employee ids */
typedef struct SharedArgs
{
	int32		org;
	DateADT		first_day;
	DateADT		last_day;
	TimestampTz fetch_from;
	TimestampTz fetch_to;
	bool		has_hi;
	int32		lo;
	int32		hi;
} SharedArgs;

/* Header of a day message; the day's event ids follow it */
typedef struct DayMessage
{
	int32		employee_id;
	int32		nids;
	AttDayResult day;			/* first_event is 0 */
} DayMessage;

/* A block of days received ahead of their turn */
typedef struct BufferBlock
{
	struct BufferBlock *next;
	Size		used;
	char		data[FLEXIBLE_ARRAY_MEMBER];
} BufferBlock;

struct AttParallel
{
	ParallelContext *pcxt;
	shm_mq_handle *mqh;
	bool		detached;		/* the worker has sent its last day */
	int32		nemployees;		/* employees the worker computes */
	MemoryContext cxt;			/* holds the blocks */
	BufferBlock *head;
	BufferBlock *tail;
};

int			otan_enbek_attendance_parallel_min_employees = 2000;

PGDLLEXPORT void otan_enbek_attendance_scan_worker(dsm_segment *seg,
												   shm_toc *toc);

/* Defines the setting that decides when a worker is worth starting. */
void
att_parallel_define_settings(void)
{
	DefineCustomIntVariable("otan_enbek.attendance_parallel_min_employees",
							"Minimum number of employees for which the attendance of a period is computed with a parallel worker.",
							"The worker also needs max_parallel_workers_per_gather above 0 and a free background worker.",
							&otan_enbek_attendance_parallel_min_employees,
							2000, 1, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
}

/*
 * Starts a worker for the employees from the id split on, when one may be
 * used for a scan of nemployees employees.  Returns NULL when the leader
 * must compute every employee itself.  The caller must have read its
 * plans already, and leaves parallel mode with att_parallel_finish.
 */
AttParallel *
att_parallel_begin(const AttScanArgs *args, int32 nemployees, int32 split,
				   int32 worker_employees)
{
	ParallelContext *pcxt;
	SharedArgs *shared;
	shm_mq	   *mq;
	AttParallel *par;

	if (args->employee_ids != NULL ||
		nemployees < otan_enbek_attendance_parallel_min_employees ||
		worker_employees <= 0 ||
		max_parallel_workers_per_gather <= 0 ||
		IsInParallelMode() || !IsUnderPostmaster)
		return NULL;

	/*
	 * Parallel mode forbids assigning a transaction id, and the caller's
	 * sink may write.
	 */
	(void) GetCurrentTransactionId();

	EnterParallelMode();
	pcxt = CreateParallelContext("otan_enbek",
								 "otan_enbek_attendance_scan_worker", 1);
	shm_toc_estimate_chunk(&pcxt->estimator, sizeof(SharedArgs));
	shm_toc_estimate_chunk(&pcxt->estimator, QUEUE_SIZE);
	shm_toc_estimate_keys(&pcxt->estimator, 2);
	InitializeParallelDSM(pcxt);
	if (pcxt->seg == NULL)
	{
		/* no dynamic shared memory to be had */
		DestroyParallelContext(pcxt);
		ExitParallelMode();
		return NULL;
	}

	shared = shm_toc_allocate(pcxt->toc, sizeof(SharedArgs));
	shared->org = args->org;
	shared->first_day = args->first_day;
	shared->last_day = args->last_day;
	shared->fetch_from = args->fetch_from;
	shared->fetch_to = args->fetch_to;
	shared->lo = split;
	shared->has_hi = args->has_hi;
	shared->hi = args->hi;
	shm_toc_insert(pcxt->toc, KEY_ARGS, shared);

	mq = shm_mq_create(shm_toc_allocate(pcxt->toc, QUEUE_SIZE), QUEUE_SIZE);
	shm_toc_insert(pcxt->toc, KEY_QUEUE, mq);
	shm_mq_set_receiver(mq, MyProc);

	LaunchParallelWorkers(pcxt);
	if (pcxt->nworkers_launched == 0)
	{
		DestroyParallelContext(pcxt);
		ExitParallelMode();
		return NULL;
	}

	par = palloc0(sizeof(AttParallel));
	par->pcxt = pcxt;
	par->mqh = shm_mq_attach(mq, pcxt->seg, pcxt->worker[0].bgwhandle);
	par->nemployees = worker_employees;
	par->cxt = AllocSetContextCreate(CurrentMemoryContext,
									 "attendance days of the parallel worker",
									 ALLOCSET_DEFAULT_SIZES);
	return par;
}

/* Copies one received day into the blocks. */
static void
buffer_message(AttParallel *par, const void *data, Size nbytes)
{
	Size		need = MAXALIGN(sizeof(Size)) + MAXALIGN(nbytes);
	BufferBlock *block = par->tail;

	if (block == NULL || block->used + need > BUFFER_BLOCK_SIZE)
	{
		Size		size = Max(BUFFER_BLOCK_SIZE, need);

		block = MemoryContextAllocHuge(par->cxt,
									   offsetof(BufferBlock, data) + size);
		block->next = NULL;
		block->used = 0;
		if (par->tail != NULL)
			par->tail->next = block;
		else
			par->head = block;
		par->tail = block;
	}
	*(Size *) (block->data + block->used) = nbytes;
	memcpy(block->data + block->used + MAXALIGN(sizeof(Size)), data, nbytes);
	block->used += need;
}

/*
 * Moves the days that the worker has sent so far into local memory,
 * without waiting.
 */
void
att_parallel_drain(AttParallel *par)
{
	while (!par->detached)
	{
		Size		nbytes;
		void	   *data;
		shm_mq_result res = shm_mq_receive(par->mqh, &nbytes, &data, true);

		if (res == SHM_MQ_WOULD_BLOCK)
			break;
		if (res == SHM_MQ_DETACHED)
			par->detached = true;
		else
			buffer_message(par, data, nbytes);
	}
}

/* Hands one day that the worker sent to the sink. */
static void
deliver(const char *data, Size nbytes, AttDaySink sink, void *arg)
{
	DayMessage	msg;
	int64	   *ids;

	if (nbytes < sizeof(DayMessage))
		elog(ERROR, "attendance day message of %zu bytes is too short",
			 nbytes);
	memcpy(&msg, data, sizeof(DayMessage));
	if (msg.nids < 0 ||
		nbytes != sizeof(DayMessage) + (Size) msg.nids * sizeof(int64))
		elog(ERROR, "attendance day message of %zu bytes is malformed",
			 nbytes);
	ids = palloc(Max(msg.nids, 1) * sizeof(int64));
	memcpy(ids, data + sizeof(DayMessage), msg.nids * sizeof(int64));
	sink(arg, msg.employee_id, &msg.day, ids);
}

/*
 * Hands the worker's days to the sink, the buffered ones first, waits for
 * the worker to end and leaves parallel mode.  An error of the worker is
 * raised here.
 */
void
att_parallel_finish(AttParallel *par, AttDaySink sink, void *arg)
{
	MemoryContext per_day;
	MemoryContext old;
	BufferBlock *block;
	int64		n = 0;

	per_day = AllocSetContextCreate(CurrentMemoryContext,
									"attendance days of the worker to sink",
									ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(per_day);
	for (block = par->head; block != NULL; block = block->next)
	{
		Size		pos = 0;

		while (pos < block->used)
		{
			Size		nbytes = *(Size *) (block->data + pos);

			deliver(block->data + pos + MAXALIGN(sizeof(Size)), nbytes,
					sink, arg);
			pos += MAXALIGN(sizeof(Size)) + MAXALIGN(nbytes);
			if (++n % REPLAY_RESET_EVERY == 0)
			{
				CHECK_FOR_INTERRUPTS();
				MemoryContextReset(per_day);
			}
		}
	}
	MemoryContextReset(par->cxt);

	while (!par->detached)
	{
		Size		nbytes;
		void	   *data;

		if (shm_mq_receive(par->mqh, &nbytes, &data, false) ==
			SHM_MQ_DETACHED)
		{
			par->detached = true;
			break;
		}
		deliver(data, nbytes, sink, arg);
		if (++n % REPLAY_RESET_EVERY == 0)
			MemoryContextReset(per_day);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(per_day);

	WaitForParallelWorkersToFinish(par->pcxt);
	progress_add_done(par->nemployees);
	DestroyParallelContext(par->pcxt);
	ExitParallelMode();
	MemoryContextDelete(par->cxt);
	pfree(par);
}

/* Sends one day of the worker's employees to the leader. */
static void
send_day(void *arg, int32 employee_id, const AttDayResult *r,
		 const int64 *ids)
{
	shm_mq_handle *mqh = (shm_mq_handle *) arg;
	DayMessage	msg;
	shm_mq_iovec iov[2];

	memset(&msg, 0, sizeof(msg));
	msg.employee_id = employee_id;
	msg.nids = r->punch_count;
	msg.day = *r;
	msg.day.first_event = 0;
	iov[0].data = (const char *) &msg;
	iov[0].len = sizeof(msg);
	iov[1].data = (const char *) (ids + r->first_event);
	iov[1].len = (Size) r->punch_count * sizeof(int64);
	if (shm_mq_sendv(mqh, iov, 2, false, false) != SHM_MQ_SUCCESS)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("the leader of the attendance computation detached from its queue")));
}

/*
 * Entry point of the parallel worker: computes the days of the employees
 * from the leader's split on and sends them to the leader.
 */
void
otan_enbek_attendance_scan_worker(dsm_segment *seg, shm_toc *toc)
{
	SharedArgs *shared = shm_toc_lookup(toc, KEY_ARGS, false);
	shm_mq	   *mq = shm_toc_lookup(toc, KEY_QUEUE, false);
	shm_mq_handle *mqh;
	AttScanArgs args;

	shm_mq_set_sender(mq, MyProc);
	mqh = shm_mq_attach(mq, seg, NULL);

	memset(&args, 0, sizeof(args));
	args.org = shared->org;
	args.first_day = shared->first_day;
	args.last_day = shared->last_day;
	args.fetch_from = shared->fetch_from;
	args.fetch_to = shared->fetch_to;
	args.employee_ids = NULL;
	args.has_lo = true;
	args.lo = shared->lo;
	args.has_hi = shared->has_hi;
	args.hi = shared->hi;
	att_scan_days(&args, send_day, mqh);

	/* sends what is still pending and tells the leader that this is all */
	shm_mq_detach(mqh);
}
