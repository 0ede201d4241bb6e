/*-------------------------------------------------------------------------
 *
 * write.c
 *	  Writing computed attendance days into attendance_day in batches.
 *
 * otan_enbek.attendance_write_days takes the arguments of
 * attendance_compute_days and inserts the day rows into
 * otan_enbek.attendance_day the way COPY does.  The heap tuples of up to
 * WRITE_BATCH rows go in at once with table_multi_insert and a bulk insert
 * state, which writes one WAL record per heap page instead of one per row.
 * The index entries of the batch follow.  computed_at is now(), and the
 * columns that compute_attendance leaves to later steps (absence_code and
 * the rounded times) are NULL, as their defaults are.
 *
 * The rows bypass the executor's INSERT, so the function raises an error
 * for a table that has triggers or row-level security in force for the
 * caller.  compute_attendance then inserts from attendance_compute_days.
 * The caller needs the INSERT privilege on the table, and the table's CHECK
 * constraints are checked on every row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/rls.h"

#include "attendance/attendance.h"
#include "attendance/overtime_limits.h"
#include "attendance/scan.h"

PG_FUNCTION_INFO_V1(otan_enbek_attendance_write_days);

/* Rows inserted by one table_multi_insert call */
#define WRITE_BATCH		1000

/*
 * Share of the employees that a parallel worker computes.  The leader
 * writes every row, so the worker takes most of the employees.  Of the
 * shares measured on the benchmark's month (65, 80 and 90), 90 left the
 * leader the least CPU time.
 */
#define WRITE_WORKER_PERCENT	90

/*
 * Columns of attendance_day that the function fills, in the order of
 * att_day_values after the two key columns.
 */
static const char *const figure_columns[ATT_FIGURES_NATTS] = {
	"work_day", "schedule_id", "day_kind", "is_final", "shift_start",
	"shift_end", "first_in", "last_out", "present_sec", "worked_sec",
	"late_sec", "early_leave_sec", "early_arrival_sec", "overtime_sec",
	"night_sec", "punch_count", "anomalies", "event_ids", "norm_sec"
};

static const Oid figure_types[ATT_FIGURES_NATTS] = {
	DATEOID, INT4OID, TEXTOID, BOOLOID, TIMESTAMPTZOID,
	TIMESTAMPTZOID, TIMESTAMPTZOID, TIMESTAMPTZOID, INT4OID, INT4OID,
	INT4OID, INT4OID, INT4OID, INT4OID,
	INT4OID, INT4OID, TEXTARRAYOID, INT8ARRAYOID, INT4OID
};

/* Index of anomalies in figure_columns */
#define ANOMALIES_FIGURE	16

typedef struct DayWriter
{
	Relation	rel;
	EState	   *estate;
	ResultRelInfo *rri;
	BulkInsertState bistate;
	CommandId	cid;
	TupleTableSlot *slots[WRITE_BATCH];
	int			nslots;
	MemoryContext batch_cxt;	/* tuples of the current batch */
	int32		org;
	AttrNumber	org_att;
	AttrNumber	employee_att;
	AttrNumber	computed_at_att;
	AttrNumber	figure_att[ATT_FIGURES_NATTS];
	int64		written;
	bool		flag_limits;	/* set the overtime limit flags */
	AttOvertimeLimits limits;
} DayWriter;

/* Returns the number of a column of attendance_day, checking its type. */
static AttrNumber
column_number(Relation rel, const char *name, Oid type)
{
	AttrNumber	attno = get_attnum(RelationGetRelid(rel), name);

	if (attno == InvalidAttrNumber ||
		TupleDescAttr(RelationGetDescr(rel), attno - 1)->atttypid != type)
		elog(ERROR, "attendance_day has no column %s of type %s", name,
			 format_type_be(type));
	return attno;
}

/* Inserts the batch's heap tuples, then their index entries. */
static void
flush_batch(DayWriter *w)
{
	int			i;

	if (w->nslots == 0)
		return;
	table_multi_insert(w->rel, w->slots, w->nslots, w->cid, 0, w->bistate);
	for (i = 0; i < w->nslots; i++)
	{
		List	   *recheck;

		recheck = ExecInsertIndexTuples(w->rri, w->slots[i], w->estate,
										false, false, NULL, NIL);
		list_free(recheck);
		ExecClearTuple(w->slots[i]);
	}
	w->written += w->nslots;
	w->nslots = 0;
	MemoryContextReset(w->batch_cxt);
}

/* Adds one day row to the batch. */
static void
write_day(void *arg, int32 employee_id, const AttDayResult *r,
		  const int64 *ids)
{
	DayWriter  *w = (DayWriter *) arg;
	TupleTableSlot *slot = w->slots[w->nslots];
	Datum		values[ATT_FIGURES_NATTS];
	bool		nulls[ATT_FIGURES_NATTS];
	MemoryContext old;
	int			natts = RelationGetDescr(w->rel)->natts;
	int			i;

	att_day_values(r, ids, values, nulls);
	if (w->flag_limits)
	{
		uint32		limit_mask = att_limits_next(&w->limits, employee_id, r);

		if (limit_mask != 0)
		{
			old = MemoryContextSwitchTo(w->batch_cxt);
			values[ANOMALIES_FIGURE] = att_limits_anomalies(r->anomalies,
															limit_mask);
			MemoryContextSwitchTo(old);
		}
	}
	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, natts * sizeof(bool));
	slot->tts_values[w->org_att - 1] = Int32GetDatum(w->org);
	slot->tts_isnull[w->org_att - 1] = false;
	slot->tts_values[w->employee_att - 1] = Int32GetDatum(employee_id);
	slot->tts_isnull[w->employee_att - 1] = false;
	slot->tts_values[w->computed_at_att - 1] =
		TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	slot->tts_isnull[w->computed_at_att - 1] = false;
	for (i = 0; i < ATT_FIGURES_NATTS; i++)
	{
		slot->tts_values[w->figure_att[i] - 1] = values[i];
		slot->tts_isnull[w->figure_att[i] - 1] = nulls[i];
	}
	ExecStoreVirtualTuple(slot);

	/*
	 * The constraints are checked on the values before they are formed
	 * into a heap tuple, which would have to be deformed again to read them.
	 */
	old = MemoryContextSwitchTo(w->batch_cxt);
	if (w->rel->rd_att->constr != NULL)
		ExecConstraints(w->rri, slot, w->estate);
	/* the values live in the engine's memory of one employee */
	ExecMaterializeSlot(slot);
	MemoryContextSwitchTo(old);

	if (++w->nslots == WRITE_BATCH)
		flush_batch(w);
}

/* Opens attendance_day for writing and refuses what the writer skips. */
static void
open_writer(DayWriter *w, int32 org)
{
	Oid			relid;
	RangeTblEntry *rte;
	AclResult	aclresult;
	int			i;

	relid = get_relname_relid("attendance_day",
							  get_namespace_oid("otan_enbek", false));
	if (!OidIsValid(relid))
		elog(ERROR, "relation otan_enbek.attendance_day does not exist");
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_INSERT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_TABLE, get_rel_name(relid));

	w->rel = table_open(relid, RowExclusiveLock);
	if (w->rel->rd_rel->relkind != RELKIND_RELATION ||
		w->rel->trigdesc != NULL ||
		check_enable_rls(relid, InvalidOid, false) == RLS_ENABLED)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("attendance_write_days cannot write to attendance_day"),
				 errdetail("The table has triggers or row-level security in force for this role."),
				 errhint("Insert the rows of attendance_compute_days instead.")));

	w->org = org;
	w->org_att = column_number(w->rel, "org_id", INT4OID);
	w->employee_att = column_number(w->rel, "employee_id", INT4OID);
	w->computed_at_att = column_number(w->rel, "computed_at", TIMESTAMPTZOID);
	for (i = 0; i < ATT_FIGURES_NATTS; i++)
		w->figure_att[i] = column_number(w->rel, figure_columns[i],
										 figure_types[i]);

	/* an executor state for the index entries and CHECK constraints */
	w->estate = CreateExecutorState();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = relid;
	rte->relkind = w->rel->rd_rel->relkind;
	rte->rellockmode = RowExclusiveLock;
	rte->requiredPerms = ACL_INSERT;
	ExecInitRangeTable(w->estate, list_make1(rte));
	w->rri = makeNode(ResultRelInfo);
	InitResultRelInfo(w->rri, w->rel, 1, NULL, 0);
	ExecOpenIndices(w->rri, false);

	/* a parallel worker's computation runs in parallel mode, which cannot */
	(void) GetCurrentTransactionId();
	w->cid = GetCurrentCommandId(true);
	w->bistate = GetBulkInsertState();
	w->batch_cxt = AllocSetContextCreate(CurrentMemoryContext,
										 "attendance rows of one batch",
										 ALLOCSET_DEFAULT_SIZES);
	for (i = 0; i < WRITE_BATCH; i++)
		w->slots[i] = table_slot_create(w->rel, NULL);
}

static void
close_writer(DayWriter *w)
{
	int			i;

	flush_batch(w);
	for (i = 0; i < WRITE_BATCH; i++)
		ExecDropSingleTupleTableSlot(w->slots[i]);
	FreeBulkInsertState(w->bistate);
	table_finish_bulk_insert(w->rel, 0);
	ExecCloseIndices(w->rri);
	FreeExecutorState(w->estate);
	table_close(w->rel, NoLock);
	MemoryContextDelete(w->batch_cxt);
}

/*
 * attendance_write_days(org, first_day, last_day, fetch_from, fetch_to,
 * employee_ids, lo, hi, flag_overtime_limits): inserts the rows that
 * attendance_compute_days returns into attendance_day and returns their
 * number.  With flag_overtime_limits, the rows carry the overtime limit
 * flags that attendance_flag_overtime_limits would set on them, counting
 * the overtime stored earlier in the month and year of first_day.
 */
Datum
otan_enbek_attendance_write_days(PG_FUNCTION_ARGS)
{
	AttScanArgs args;
	DayWriter  *w;

	att_scan_args(fcinfo, &args);
	args.worker_percent = WRITE_WORKER_PERCENT;
	w = palloc0(sizeof(DayWriter));
	w->flag_limits = PG_NARGS() > 8 && !PG_ARGISNULL(8) && PG_GETARG_BOOL(8);
	if (w->flag_limits)
		att_limits_init(&w->limits, &args);
	open_writer(w, args.org);
	att_scan_days(&args, write_day, w);
	close_writer(w);
	PG_RETURN_INT64(w->written);
}
