/*-------------------------------------------------------------------------
 *
 * parallel.c
 *	  A parallel worker that shares the reading of the events with the
 *	  leader and computes the days of the upper part of the employees.
 *
 * For a period of every employee whose events att_scan_days reads from the
 * heap, the leader and one parallel worker each read part of the blocks of
 * every partition (a parallel table scan) into the punch arrays of all
 * employees.  The worker takes the employees, plans and access points that
 * the leader read from shared memory (scan_share.c).  Then they exchange
 * punches: the worker sends the punches it read of the leader's employees
 * (the lower employee ids), and the leader sends those it read of the
 * worker's.  Each then runs the engine for its own employees.  The worker
 * sends each day to the leader through a shared memory queue
 * (parallel_days.c).
 *
 * The leader alone hands the days to the sink, which may write a table
 * (parallel workers may not).  While it computes its own employees, it
 * drains the queue into local memory after each employee, so that the
 * worker does not wait on a full queue.  When its own days are done, it
 * hands on the worker's days, buffered and then still arriving.  The sink
 * thus receives the days in employee id order, as without a worker.
 *
 * The exchange runs in two phases, worker to leader and then leader to
 * worker, so that neither waits to send while the other waits to send.
 *
 * A worker is used only for a scan of every employee in an id range, not
 * for a list of employee ids.  The range must have at least
 * otan_enbek.attendance_parallel_min_employees employees,
 * max_parallel_workers_per_gather must be above zero, and the backend must
 * not be in parallel mode already.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "optimizer/cost.h"
#include "storage/shm_mq.h"
#include "storage/shm_toc.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"

#include "attendance/attendance.h"
#include "attendance/scan.h"
#include "attendance/scan_state.h"
#include "progress.h"

/* Keys of the shared memory table of contents */
#define KEY_ARGS		UINT64CONST(0x0A7E000000000001)
#define KEY_TO_LEADER	UINT64CONST(0x0A7E000000000002)
#define KEY_TO_WORKER	UINT64CONST(0x0A7E000000000003)
#define KEY_SCAN		UINT64CONST(0x0A7E000000000004)
#define KEY_SCAN_BASE	UINT64CONST(0x0A7E000000001000)

/* Partitions that one parallel computation may read */
#define MAX_PARTS		64

/*
 * Columns of the rows that the worker forms: the employee id and the
 * figures of att_day_values, as att_worker_row_desc requires
 */
#define ROW_NATTS		(1 + ATT_FIGURES_NATTS)

/*
 * Size of each queue.  The worker's queue has room for a few thousand days,
 * and the leader drains it after each of its own employees.
 */
#define QUEUE_SIZE		(4 * 1024 * 1024)

/* Size of the blocks that hold the days received ahead of their turn */
#define BUFFER_BLOCK_SIZE	(8 * 1024 * 1024)

/* Replayed days between two resets of the sink's memory */
#define REPLAY_RESET_EVERY	1000

/* What the worker reads and computes */
typedef struct SharedArgs
{
	int32		org;
	DateADT		first_day;
	DateADT		last_day;
	TimestampTz fetch_from;
	TimestampTz fetch_to;
	bool		has_lo;
	bool		has_hi;
	int32		lo;
	int32		hi;
	int32		split_id;		/* the worker's employees have ids from here */
	int32		nparts;
	Oid			parts[MAX_PARTS];
	Size		scan_len;		/* bytes of the scan at KEY_SCAN */
	int32		row_natts;		/* columns of the rows to form, or 0 */
	Oid			row_types[ROW_NATTS];
	int32		row_typmods[ROW_NATTS];
} SharedArgs;

/*
 * A message of the exchange of punches is an int32 count followed by that
 * many StagedPunch.  A count of -1 ends the punches of the sender.
 */

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
	shm_mq_handle *from_worker;
	shm_mq_handle *to_worker;
	ParallelTableScanDesc pscans[MAX_PARTS];
	bool		detached;		/* the worker has sent its last day */
	int32		nemployees;		/* employees the worker computes */
	const AttRowForm *rows;		/* the worker forms rows, or NULL */
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
 * Starts a worker for the employees from place split on, when one may be
 * used, and sets up the parallel scans of parts.  Returns NULL when the
 * leader must read and compute everything itself.  The caller leaves
 * parallel mode with att_parallel_finish.
 */
AttParallel *
att_parallel_begin(AttScan *scan, const AttScanArgs *args, List *parts,
				   int32 split)
{
	ParallelContext *pcxt;
	SharedArgs *shared;
	shm_mq	   *to_leader;
	shm_mq	   *to_worker;
	AttParallel *par;
	Snapshot	snapshot = GetActiveSnapshot();
	Size		pscan_size[MAX_PARTS];
	char	   *scan_data;
	char	   *scan_copy;
	Size		scan_len;
	ListCell   *lc;
	int			i;

	if (args->employee_ids != NULL ||
		scan->nemployees < otan_enbek_attendance_parallel_min_employees ||
		list_length(parts) > MAX_PARTS || split <= 0 ||
		split >= scan->nemployees ||
		max_parallel_workers_per_gather <= 0 ||
		IsInParallelMode() || !IsUnderPostmaster)
		return NULL;

	scan_data = att_scan_serialize(scan, &scan_len);
	if (scan_data == NULL)
	{
		ereport(DEBUG1,
				(errmsg_internal("the plans of the attendance computation are too large to share with a worker")));
		return NULL;
	}

	/*
	 * Parallel mode forbids assigning a transaction id, so a sink that
	 * writes must have one already (attendance_write_days does).
	 */
	EnterParallelMode();
	pcxt = CreateParallelContext("otan_enbek",
								 "otan_enbek_attendance_scan_worker", 1);
	shm_toc_estimate_chunk(&pcxt->estimator, sizeof(SharedArgs));
	shm_toc_estimate_chunk(&pcxt->estimator, QUEUE_SIZE);
	shm_toc_estimate_chunk(&pcxt->estimator, QUEUE_SIZE);
	shm_toc_estimate_chunk(&pcxt->estimator, scan_len);
	i = 0;
	foreach(lc, parts)
	{
		Relation	rel = table_open(lfirst_oid(lc), AccessShareLock);

		pscan_size[i] = table_parallelscan_estimate(rel, snapshot);
		shm_toc_estimate_chunk(&pcxt->estimator, pscan_size[i]);
		table_close(rel, NoLock);
		i++;
	}
	shm_toc_estimate_keys(&pcxt->estimator, 4 + list_length(parts));
	InitializeParallelDSM(pcxt);
	if (pcxt->seg == NULL)
	{
		/* no dynamic shared memory to be had */
		DestroyParallelContext(pcxt);
		ExitParallelMode();
		pfree(scan_data);
		return NULL;
	}

	par = palloc0(sizeof(AttParallel));
	shared = shm_toc_allocate(pcxt->toc, sizeof(SharedArgs));
	memset(shared, 0, sizeof(SharedArgs));
	shared->org = args->org;
	shared->first_day = args->first_day;
	shared->last_day = args->last_day;
	shared->fetch_from = args->fetch_from;
	shared->fetch_to = args->fetch_to;
	shared->has_lo = args->has_lo;
	shared->has_hi = args->has_hi;
	shared->lo = args->lo;
	shared->hi = args->hi;
	shared->split_id = scan->employees[split].employee_id;
	shared->nparts = list_length(parts);
	i = 0;
	foreach(lc, parts)
	{
		Relation	rel = table_open(lfirst_oid(lc), AccessShareLock);

		shared->parts[i] = lfirst_oid(lc);
		par->pscans[i] = shm_toc_allocate(pcxt->toc, pscan_size[i]);
		table_parallelscan_initialize(rel, par->pscans[i], snapshot);
		shm_toc_insert(pcxt->toc, KEY_SCAN_BASE + i, par->pscans[i]);
		table_close(rel, NoLock);
		i++;
	}
	shared->scan_len = scan_len;
	if (args->rows != NULL && args->rows->desc->natts == ROW_NATTS)
	{
		shared->row_natts = args->rows->desc->natts;
		for (i = 0; i < shared->row_natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(args->rows->desc, i);

			shared->row_types[i] = att->atttypid;
			shared->row_typmods[i] = att->atttypmod;
		}
		par->rows = args->rows;
	}
	shm_toc_insert(pcxt->toc, KEY_ARGS, shared);
	scan_copy = shm_toc_allocate(pcxt->toc, scan_len);
	memcpy(scan_copy, scan_data, scan_len);
	shm_toc_insert(pcxt->toc, KEY_SCAN, scan_copy);
	pfree(scan_data);

	to_leader = shm_mq_create(shm_toc_allocate(pcxt->toc, QUEUE_SIZE),
							  QUEUE_SIZE);
	shm_toc_insert(pcxt->toc, KEY_TO_LEADER, to_leader);
	shm_mq_set_receiver(to_leader, MyProc);
	to_worker = shm_mq_create(shm_toc_allocate(pcxt->toc, QUEUE_SIZE),
							  QUEUE_SIZE);
	shm_toc_insert(pcxt->toc, KEY_TO_WORKER, to_worker);
	shm_mq_set_sender(to_worker, MyProc);

	LaunchParallelWorkers(pcxt);
	if (pcxt->nworkers_launched == 0)
	{
		DestroyParallelContext(pcxt);
		ExitParallelMode();
		pfree(par);
		return NULL;
	}

	ereport(DEBUG1,
			(errmsg_internal("a parallel worker computes the attendance of %d of %d employees",
							 scan->nemployees - split, scan->nemployees)));
	par->pcxt = pcxt;
	par->from_worker = shm_mq_attach(to_leader, pcxt->seg,
									 pcxt->worker[0].bgwhandle);
	par->to_worker = shm_mq_attach(to_worker, pcxt->seg,
								   pcxt->worker[0].bgwhandle);
	par->nemployees = scan->nemployees - split;
	par->cxt = AllocSetContextCreate(CurrentMemoryContext,
									 "attendance days of the parallel worker",
									 ALLOCSET_DEFAULT_SIZES);
	return par;
}

/* Returns the parallel scan of the part-th partition. */
ParallelTableScanDesc
att_parallel_scan_desc(AttParallel *par, int part)
{
	return par->pscans[part];
}

/* Punches in one message of the exchange */
#define EXCHANGE_BATCH	8192

/*
 * Sends a message of n staged punches, or the end when n is -1.  Returns
 * false when the receiver has detached.
 */
static bool
send_staged(shm_mq_handle *mqh, const StagedPunch *punches, int32 n)
{
	shm_mq_iovec iov[2];

	iov[0].data = (const char *) &n;
	iov[0].len = sizeof(int32);
	iov[1].data = (const char *) punches;
	iov[1].len = (Size) Max(n, 0) * sizeof(StagedPunch);
	return shm_mq_sendv(mqh, iov, 2, false, n < 0) == SHM_MQ_SUCCESS;
}

/*
 * Sends the kept punches of the employees from place from up to place to,
 * then the end of the punches.  Returns false when the receiver has
 * detached.
 */
static bool
send_punches(shm_mq_handle *mqh, AttScan *scan, int32 from, int32 to)
{
	StagedPunch *batch = palloc(EXCHANGE_BATCH * sizeof(StagedPunch));
	int32		n = 0;
	StageBlock *block;
	int32		i;

	for (block = scan->stage_head; block != NULL; block = block->next)
		for (i = 0; i < block->n; i++)
		{
			const StagedPunch *p = &block->punches[i];

			if (p->place < from || p->place >= to)
				continue;
			batch[n++] = *p;
			if (n == EXCHANGE_BATCH)
			{
				if (!send_staged(mqh, batch, n))
				{
					pfree(batch);
					return false;
				}
				n = 0;
			}
		}
	if (n > 0 && !send_staged(mqh, batch, n))
	{
		pfree(batch);
		return false;
	}
	pfree(batch);
	return send_staged(mqh, NULL, -1);
}

/*
 * Keeps the punches received on a queue, up to the end of the punches.
 * Returns false when the sender detached before the end.
 */
static bool
receive_punches(shm_mq_handle *mqh, AttScan *scan)
{
	for (;;)
	{
		Size		nbytes;
		void	   *data;
		int32		n;

		if (shm_mq_receive(mqh, &nbytes, &data, false) != SHM_MQ_SUCCESS)
			return false;
		if (nbytes < sizeof(int32))
			elog(ERROR, "punch message of %zu bytes is too short", nbytes);
		memcpy(&n, data, sizeof(int32));
		if (n < 0)
			return true;
		if (nbytes != sizeof(int32) + (Size) n * sizeof(StagedPunch))
			elog(ERROR, "punch message of %zu bytes is malformed", nbytes);
		/* the punches may be unaligned in the queue */
		if (n > 0)
		{
			StagedPunch *copy = palloc((Size) n * sizeof(StagedPunch));

			memcpy(copy, (const char *) data + sizeof(int32),
				   (Size) n * sizeof(StagedPunch));
			att_stage_append(scan, copy, n);
			pfree(copy);
		}
	}
}

/*
 * Exchanges punches with the worker once both have read their blocks: the
 * worker's punches of the leader's employees come first, then the leader
 * sends its punches of the worker's employees.
 */
void
att_parallel_exchange(AttParallel *par, AttScan *scan)
{
	int32		split = scan->nemployees - par->nemployees;

	if (!receive_punches(par->from_worker, scan))
	{
		/* raises the worker's error, if it had one */
		WaitForParallelWorkersToFinish(par->pcxt);
		elog(ERROR, "the parallel worker of the attendance computation ended before sending its punches");
	}
	if (!send_punches(par->to_worker, scan, split, scan->nemployees))
	{
		WaitForParallelWorkersToFinish(par->pcxt);
		elog(ERROR, "the parallel worker of the attendance computation ended before receiving its punches");
	}
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
		shm_mq_result res;

		res = shm_mq_receive(par->from_worker, &nbytes, &data, true);

		if (res == SHM_MQ_WOULD_BLOCK)
			break;
		if (res == SHM_MQ_DETACHED)
			par->detached = true;
		else
			buffer_message(par, data, nbytes);
	}
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

			att_leader_deliver(par->rows,
							   block->data + pos + MAXALIGN(sizeof(Size)),
							   nbytes, sink, arg);
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

		if (shm_mq_receive(par->from_worker, &nbytes, &data, false) ==
			SHM_MQ_DETACHED)
		{
			par->detached = true;
			break;
		}
		att_leader_deliver(par->rows, data, nbytes, sink, arg);
		if (++n % REPLAY_RESET_EVERY == 0)
		{
			CHECK_FOR_INTERRUPTS();
			MemoryContextReset(per_day);
		}
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

/*
 * Entry point of the parallel worker: reads its blocks of the events,
 * exchanges punches with the leader, computes the days of the employees
 * from the leader's split on and sends them to the leader.
 */
void
otan_enbek_attendance_scan_worker(dsm_segment *seg, shm_toc *toc)
{
	SharedArgs *shared = shm_toc_lookup(toc, KEY_ARGS, false);
	shm_mq	   *to_leader = shm_toc_lookup(toc, KEY_TO_LEADER, false);
	shm_mq	   *from_leader = shm_toc_lookup(toc, KEY_TO_WORKER, false);
	AttWorkerOut out;
	shm_mq_handle *in;
	AttScanArgs args;
	AttScan    *scan;
	int32		split;
	int			i;

	shm_mq_set_sender(to_leader, MyProc);
	memset(&out, 0, sizeof(out));
	out.mqh = shm_mq_attach(to_leader, seg, NULL);
	shm_mq_set_receiver(from_leader, MyProc);
	in = shm_mq_attach(from_leader, seg, NULL);

	memset(&args, 0, sizeof(args));
	args.org = shared->org;
	args.first_day = shared->first_day;
	args.last_day = shared->last_day;
	args.fetch_from = shared->fetch_from;
	args.fetch_to = shared->fetch_to;
	args.employee_ids = NULL;
	args.has_lo = shared->has_lo;
	args.lo = shared->lo;
	args.has_hi = shared->has_hi;
	args.hi = shared->hi;

	/* the employees, plans and access points that the leader read */
	scan = att_scan_restore(shm_toc_lookup(toc, KEY_SCAN, false),
							shared->scan_len);
	split = att_scan_find_employee(scan, shared->split_id);
	if (split < 0)
		elog(ERROR, "the parallel worker of the attendance computation found no plan of employee %d",
			 shared->split_id);
	scan->staging = true;
	for (i = 0; i < shared->nparts; i++)
		att_read_heap_events(scan, &args, shared->parts[i],
							 shm_toc_lookup(toc, KEY_SCAN_BASE + i, false));

	/*
	 * The leader detaches only when it gives up the computation, and then
	 * ends the worker: that is no error of the worker's.
	 */
	if (!send_punches(out.mqh, scan, 0, split) || !receive_punches(in, scan))
	{
		ereport(DEBUG1,
				(errmsg_internal("the leader of the attendance computation detached during the exchange of punches")));
		return;
	}
	att_stage_place(scan, split, scan->nemployees);

	if (shared->row_natts > 0)
	{
		out.desc = att_worker_row_desc(shared->row_natts, shared->row_types,
									   shared->row_typmods);
		att_scan_emit(scan, split, scan->nemployees, att_worker_send_row,
					  &out, NULL, &out.leader_gone);
	}
	else
		att_scan_emit(scan, split, scan->nemployees, att_worker_send_day,
					  &out, NULL, &out.leader_gone);
	att_scan_end(scan);

	/* flushes what is pending, and the leader takes the detach as the end */
	shm_mq_detach(out.mqh);
}
