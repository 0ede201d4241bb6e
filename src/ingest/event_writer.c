/*-------------------------------------------------------------------------
 *
 * event_writer.c
 *	  Batched insertion of new events into the partitioned skud_event.
 *
 * Rows are routed with the executor's partition routing and collected in
 * batches of WRITER_BATCH rows.  Each batch goes into its partitions with
 * table_multi_insert and a bulk insert state per partition, then the
 * batch's index entries follow, as COPY writes them.
 *
 * Before a row joins the batch, the writer looks its unique key up in the
 * partition's unique index, under the active snapshot, and in a hash table
 * of the batch's keys.  After each batch the command counter is advanced
 * and the snapshot's command id with it, so that the index lookups of later
 * batches see the rows of earlier ones.  A partition that had no pages
 * when the ingest first routed a row to it is looked up only for keys
 * whose 32-bit hash came before.  The lookups skipped that way took about
 * a seventh of the samples of a profiled first ingest of 2.5 million
 * events.  The
 * set of those hashes takes 8 bytes an entry, 9 to 18 bytes per event with
 * the hash table's spare room.  An event that another transaction commits
 * after the snapshot was taken is not seen by the lookup.  Its insertion
 * then fails with unique_violation in the unique index, as a plain INSERT
 * would.
 *
 * The rows bypass the executor's INSERT and the rewriter, so
 * event_writer_open returns NULL when skud_event or one of its partitions
 * has triggers, when skud_event has rules or stored generated columns,
 * when row-level security is in force for the caller, or when the caller
 * lacks the INSERT or SELECT privilege on skud_event; the caller then
 * stores the events with SQL.  Columns left NULL by the caller get their
 * defaults, and the CHECK constraints are checked on every row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/nbtree.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "common/hashfn.h"
#include "executor/execPartition.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "rewrite/rewriteHandler.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "ingest/event_writer.h"

/* Set of the 32-bit hashes of the event keys added to empty partitions */
typedef struct SeenEntry
{
	uint32		hash;
	char		status;
} SeenEntry;

#define SH_PREFIX seen
#define SH_ELEMENT_TYPE SeenEntry
#define SH_KEY_TYPE uint32
#define SH_KEY hash
#define SH_HASH_KEY(tb, key) (key)
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* Rows of one batch */
#define WRITER_BATCH 1000

/* Slots of the batch's key hash table: a power of two, twice the batch */
#define KEY_TABLE_SIZE 2048

/* Columns of the unique key, in the order of the unique index */
#define KEY_COLUMNS 4
static const char *const key_column_names[KEY_COLUMNS] = {
	"org_id", "source_id", "external_id", "occurred_at"
};

/* One partition that received rows, with its rows of the current batch */
typedef struct PartitionBuffer
{
	ResultRelInfo *rri;
	Relation	unique_index;	/* the partition's unique key index */
	bool		was_empty;		/* no heap pages when first routed to */
	IndexScanDesc scan;			/* lookup in unique_index, rescanned */
	ScanKeyData keys[KEY_COLUMNS];
	AttrNumber	key_root_att[KEY_COLUMNS];	/* root column of each key */
	TupleTableSlot *found_slot; /* the stored event a lookup finds */
	BulkInsertState bistate;
	TupleTableSlot *slots[WRITER_BATCH];	/* this batch's rows */
	TupleTableSlot *converted[WRITER_BATCH];	/* when the partition's
												 * columns differ */
	int			count;
} PartitionBuffer;

struct EventWriter
{
	Relation	rel;			/* skud_event, the partitioned table */
	EState	   *estate;
	ModifyTableState *mtstate;
	ResultRelInfo *root_rri;
	PartitionTupleRouting *proute;
	CommandId	cid;
	MemoryContext cxt;			/* the writer's own memory */
	MemoryContext batch_cxt;	/* the values of the batch's rows */

	/* the batch's rows in the root's columns; rows[count] is being filled */
	TupleTableSlot *rows[WRITER_BATCH];
	int			count;
	uint16		key_table[KEY_TABLE_SIZE];	/* row index + 1, or 0 */
	AttrNumber	key_att[KEY_COLUMNS];

	/* default expressions of the columns the caller leaves NULL */
	int			ndefaults;
	AttrNumber *default_att;
	ExprState **default_expr;
	bool	   *filled;			/* columns the caller fills, by attno - 1 */

	seen_hash  *seen;			/* key hashes of rows in was_empty
								 * partitions */
	PartitionBuffer **parts;
	int			nparts;
	int			maxparts;
	int64		stored;
};

/*
 * True when relid or one of its partitions has triggers, or a partition is
 * not a plain table.  The relation cache is asked because relhastriggers
 * of pg_class stays true after the last trigger is dropped.
 */
static bool
partitions_have_triggers(Oid relid)
{
	List	   *children = find_all_inheritors(relid, RowExclusiveLock, NULL);
	ListCell   *lc;

	foreach(lc, children)
	{
		Relation	child = table_open(lfirst_oid(lc), NoLock);
		bool		found = child->trigdesc != NULL ||
			(child->rd_rel->relkind != RELKIND_RELATION &&
			 child->rd_rel->relkind != RELKIND_PARTITIONED_TABLE);

		table_close(child, NoLock);
		if (found)
			return true;
	}
	return false;
}

/*
 * True when an INSERT into relid needs more than the writer does: a rule
 * that the rewriter would apply, or a stored generated column, whose
 * expression the writer would take for a default and evaluate without the
 * row.
 */
static bool
root_needs_executor(Oid relid)
{
	Relation	rel = table_open(relid, NoLock);
	TupleConstr *constr = RelationGetDescr(rel)->constr;
	bool		needs = rel->rd_rules != NULL ||
		(constr != NULL && constr->has_generated_stored);

	table_close(rel, NoLock);
	return needs;
}

/*
 * Returns true when the caller may insert into skud_event through this
 * writer: INSERT and SELECT privileges, no row-level security in force, no
 * rules, generated columns or triggers, and only plain tables as
 * partitions.
 */
static bool
writer_applies(Oid relid)
{
	Oid			user = GetUserId();

	if (pg_class_aclcheck(relid, user, ACL_INSERT) != ACLCHECK_OK ||
		pg_class_aclcheck(relid, user, ACL_SELECT) != ACLCHECK_OK)
		return false;
	if (check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		return false;
	if (root_needs_executor(relid))
		return false;
	return !partitions_have_triggers(relid);
}

/* Prepares the default expressions of the columns the caller leaves NULL. */
static void
prepare_defaults(EventWriter *w)
{
	TupleDesc	desc = RelationGetDescr(w->rel);
	int			i;

	w->default_att = palloc(sizeof(AttrNumber) * desc->natts);
	w->default_expr = palloc(sizeof(ExprState *) * desc->natts);
	w->ndefaults = 0;
	for (i = 0; i < desc->natts; i++)
	{
		Node	   *expr;

		if (w->filled[i] || TupleDescAttr(desc, i)->attisdropped)
			continue;
		expr = build_column_default(w->rel, i + 1);
		if (expr == NULL)
			continue;
		w->default_att[w->ndefaults] = i + 1;
		w->default_expr[w->ndefaults] = ExecPrepareExpr((Expr *) expr,
														w->estate);
		w->ndefaults++;
	}
}

/*
 * Opens skud_event for inserting, or returns NULL when the writer does not
 * apply (see the file's header).  The caller holds the lock of
 * ensure_event_partitions, so the partitions of the events exist.
 */
EventWriter *
event_writer_open(void)
{
	Oid			relid;
	EventWriter *w;
	RangeTblEntry *rte;
	int			i;

	relid = get_relname_relid("skud_event",
							  get_namespace_oid("otan_enbek", false));
	if (!OidIsValid(relid))
		elog(ERROR, "relation otan_enbek.skud_event does not exist");
	LockRelationOid(relid, RowExclusiveLock);
	if (get_rel_relkind(relid) != RELKIND_PARTITIONED_TABLE ||
		!writer_applies(relid))
		return NULL;

	w = palloc0(sizeof(EventWriter));
	w->estate = CreateExecutorState();
	rte = makeNode(RangeTblEntry);
	rte->rtekind = RTE_RELATION;
	rte->relid = relid;
	rte->relkind = RELKIND_PARTITIONED_TABLE;
	rte->rellockmode = RowExclusiveLock;
	rte->requiredPerms = ACL_INSERT;
	ExecInitRangeTable(w->estate, list_make1(rte));
	w->root_rri = makeNode(ResultRelInfo);
	ExecInitResultRelation(w->estate, w->root_rri, 1);
	w->rel = w->root_rri->ri_RelationDesc;

	/* a ModifyTableState without a plan, as COPY FROM makes for routing */
	w->mtstate = makeNode(ModifyTableState);
	w->mtstate->ps.plan = NULL;
	w->mtstate->ps.state = w->estate;
	w->mtstate->operation = CMD_INSERT;
	w->mtstate->mt_nrels = 1;
	w->mtstate->resultRelInfo = w->root_rri;
	w->mtstate->rootResultRelInfo = w->root_rri;
	w->proute = ExecSetupPartitionTupleRouting(w->estate, w->rel);

	w->cid = GetCurrentCommandId(true);
	w->cxt = CurrentMemoryContext;
	w->batch_cxt = AllocSetContextCreate(CurrentMemoryContext,
										 "skud_event rows of one batch",
										 ALLOCSET_DEFAULT_SIZES);
	for (i = 0; i < WRITER_BATCH; i++)
		w->rows[i] = table_slot_create(w->rel, NULL);
	w->filled = palloc0(sizeof(bool) * RelationGetDescr(w->rel)->natts);
	for (i = 0; i < KEY_COLUMNS; i++)
		w->key_att[i] = event_writer_column(w, key_column_names[i],
											InvalidOid);
	w->seen = seen_create(w->cxt, 1024, NULL);
	w->maxparts = 4;
	w->parts = palloc(sizeof(PartitionBuffer *) * w->maxparts);

	/* index lookups see the rows of earlier batches (see the header) */
	PushCopiedSnapshot(GetActiveSnapshot());
	UpdateActiveSnapshotCommandId();
	return w;
}

/*
 * Returns the number of a column of skud_event and marks it as filled by
 * the caller.  The type is checked unless it is InvalidOid.
 */
AttrNumber
event_writer_column(EventWriter *w, const char *name, Oid type)
{
	AttrNumber	attno = get_attnum(RelationGetRelid(w->rel), name);

	if (attno == InvalidAttrNumber ||
		(OidIsValid(type) &&
		 TupleDescAttr(RelationGetDescr(w->rel), attno - 1)->atttypid != type))
		elog(ERROR, "skud_event has no column %s of type %s", name,
			 format_type_be(type));
	w->filled[attno - 1] = true;
	return attno;
}

/*
 * Returns the slot of the next row, with every column NULL.  The caller
 * sets tts_values and tts_isnull, allocated in the current memory context,
 * and calls event_writer_add.
 */
TupleTableSlot *
event_writer_next_slot(EventWriter *w)
{
	TupleTableSlot *slot = w->rows[w->count];

	if (w->default_expr == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(w->cxt);

		prepare_defaults(w);
		MemoryContextSwitchTo(old);
	}
	ExecClearTuple(slot);
	memset(slot->tts_isnull, true,
		   sizeof(bool) * slot->tts_tupleDescriptor->natts);
	return slot;
}

/* Finds the unique key index among the open indexes of a partition. */
static void
open_unique_lookup(EventWriter *w, PartitionBuffer *pb)
{
	ResultRelInfo *rri = pb->rri;
	Relation	partrel = rri->ri_RelationDesc;
	int			i;

	for (i = 0; i < rri->ri_NumIndices && pb->unique_index == NULL; i++)
	{
		Relation	index = rri->ri_IndexRelationDescs[i];
		Form_pg_index form = index->rd_index;
		int			k;

		if (!form->indisunique || form->indisprimary ||
			form->indnkeyatts != KEY_COLUMNS ||
			index->rd_rel->relam != BTREE_AM_OID ||
			RelationGetIndexPredicate(index) != NIL)
			continue;
		for (k = 0; k < KEY_COLUMNS; k++)
		{
			const char *name = get_attname(RelationGetRelid(partrel),
										   form->indkey.values[k], true);

			if (name == NULL || strcmp(name, key_column_names[k]) != 0)
				break;
		}
		if (k == KEY_COLUMNS)
			pb->unique_index = index;
	}
	if (pb->unique_index == NULL)
		elog(ERROR, "partition \"%s\" of skud_event has no unique index on its event key",
			 RelationGetRelationName(partrel));

	for (i = 0; i < KEY_COLUMNS; i++)
	{
		Relation	index = pb->unique_index;
		Oid			op = get_opfamily_member(index->rd_opfamily[i],
											 index->rd_opcintype[i],
											 index->rd_opcintype[i],
											 BTEqualStrategyNumber);

		if (!OidIsValid(op))
			elog(ERROR, "no equality operator for column %d of index \"%s\"",
				 i + 1, RelationGetRelationName(index));
		/* the index's collation, so that the scan descends as it sorts */
		ScanKeyEntryInitialize(&pb->keys[i], 0, i + 1, BTEqualStrategyNumber,
							   InvalidOid, index->rd_indcollation[i],
							   get_opcode(op), (Datum) 0);
		pb->key_root_att[i] = w->key_att[i];
	}
	pb->found_slot = table_slot_create(partrel, NULL);
	pb->scan = index_beginscan(partrel, pb->unique_index, GetActiveSnapshot(),
							   KEY_COLUMNS, 0);
}

/* Returns the buffer of the partition that a row goes to. */
static PartitionBuffer *
partition_buffer(EventWriter *w, TupleTableSlot *slot)
{
	ResultRelInfo *rri = ExecFindPartition(w->mtstate, w->root_rri,
										   w->proute, slot, w->estate);
	PartitionBuffer *pb;
	MemoryContext old;
	int			i;

	for (i = w->nparts - 1; i >= 0; i--)
		if (w->parts[i]->rri == rri)
			return w->parts[i];

	if (rri->ri_TrigDesc != NULL)
		elog(ERROR, "partition \"%s\" of skud_event has triggers",
			 RelationGetRelationName(rri->ri_RelationDesc));
	old = MemoryContextSwitchTo(w->cxt);
	if (w->nparts == w->maxparts)
	{
		w->maxparts *= 2;
		w->parts = repalloc(w->parts, sizeof(PartitionBuffer *) * w->maxparts);
	}
	pb = palloc0(sizeof(PartitionBuffer));
	pb->rri = rri;
	pb->was_empty = RelationGetNumberOfBlocks(rri->ri_RelationDesc) == 0;
	pb->bistate = GetBulkInsertState();
	open_unique_lookup(w, pb);
	w->parts[w->nparts++] = pb;
	MemoryContextSwitchTo(old);
	return pb;
}

/*
 * True when the unique index of the partition has the event key of slot.
 *
 * The lookup runs in the writer's memory context, because the index scan
 * lives as long as the writer and allocates some of its state on first
 * use.  A btree scan that steps over a dead entry (a row of an aborted
 * transaction or of a subtransaction rolled back to a savepoint) allocates
 * its array of killed items then, and writes to it in later lookups.  The
 * caller's context is reset after every record.
 */
static bool
key_in_index(EventWriter *w, PartitionBuffer *pb, TupleTableSlot *slot)
{
	MemoryContext old = MemoryContextSwitchTo(w->cxt);
	bool		found;
	int			i;

	for (i = 0; i < KEY_COLUMNS; i++)
		pb->keys[i].sk_argument = slot->tts_values[pb->key_root_att[i] - 1];
	index_rescan(pb->scan, pb->keys, KEY_COLUMNS, NULL, 0);
	found = index_getnext_slot(pb->scan, ForwardScanDirection,
							   pb->found_slot);
	ExecClearTuple(pb->found_slot);
	MemoryContextSwitchTo(old);
	return found;
}

/*
 * True when the event key of slot is stored in the partition already, by
 * an earlier batch or before the ingest.  A partition without heap pages
 * when the ingest first routed to it can hold only the rows of this
 * ingest, because a row that another transaction commits later fails the
 * insertion in the unique index.  So its index is looked up only for a key
 * whose hash was added before.
 */
static bool
key_is_stored(EventWriter *w, PartitionBuffer *pb, TupleTableSlot *slot,
			  uint32 hash)
{
	bool		seen_before;

	if (!pb->was_empty)
		return key_in_index(w, pb, slot);
	seen_insert(w->seen, hash, &seen_before);
	return seen_before && key_in_index(w, pb, slot);
}

/* Hash of a row's external_id and occurred_at */
static uint32
key_hash(EventWriter *w, TupleTableSlot *slot)
{
	Datum	   *values = slot->tts_values;
	text	   *external_id = DatumGetTextPP(values[w->key_att[2] - 1]);
	int64		occurred_at = DatumGetInt64(values[w->key_att[3] - 1]);
	uint32		h;

	h = hash_bytes((const unsigned char *) VARDATA_ANY(external_id),
				   VARSIZE_ANY_EXHDR(external_id));
	return hash_combine(h, hash_bytes_uint32((uint32) occurred_at ^
											 (uint32) (occurred_at >> 32)));
}

/* True when two rows have the same external_id and occurred_at. */
static bool
same_key(EventWriter *w, TupleTableSlot *a, TupleTableSlot *b)
{
	AttrNumber	id = w->key_att[2] - 1;
	AttrNumber	at = w->key_att[3] - 1;

	return a->tts_values[at] == b->tts_values[at] &&
		datumIsEqual(a->tts_values[id], b->tts_values[id], false, -1);
}

/*
 * Looks a row's key up among the batch's rows.  Returns true when an
 * earlier row has it; otherwise enters the row and returns false.  The
 * org_id and source_id of an ingest are the same for every row.
 */
static bool
key_in_batch(EventWriter *w, TupleTableSlot *slot, uint32 hash)
{
	uint32		pos = hash & (KEY_TABLE_SIZE - 1);

	while (w->key_table[pos] != 0)
	{
		if (same_key(w, w->rows[w->key_table[pos] - 1], slot))
			return true;
		pos = (pos + 1) & (KEY_TABLE_SIZE - 1);
	}
	w->key_table[pos] = (uint16) (w->count + 1);
	return false;
}

/* Inserts the batch's rows, then their index entries, and starts anew. */
static void
flush_batch(EventWriter *w)
{
	int			p;
	int			i;

	for (p = 0; p < w->nparts; p++)
	{
		PartitionBuffer *pb = w->parts[p];

		if (pb->count == 0)
			continue;
		table_multi_insert(pb->rri->ri_RelationDesc, pb->slots, pb->count,
						   w->cid, 0, pb->bistate);
		for (i = 0; i < pb->count; i++)
		{
			List	   *recheck;

			recheck = ExecInsertIndexTuples(pb->rri, pb->slots[i], w->estate,
											false, false, NULL, NIL);
			list_free(recheck);
			ExecClearTuple(pb->slots[i]);
		}
		w->stored += pb->count;
		pb->count = 0;
	}
	for (i = 0; i < w->count; i++)
		ExecClearTuple(w->rows[i]);
	w->count = 0;
	memset(w->key_table, 0, sizeof(w->key_table));
	MemoryContextReset(w->batch_cxt);

	CommandCounterIncrement();
	UpdateActiveSnapshotCommandId();
	w->cid = GetCurrentCommandId(true);
}

/* Sets the defaults of the columns the caller leaves NULL. */
static void
fill_defaults(EventWriter *w, TupleTableSlot *slot)
{
	ExprContext *econtext = GetPerTupleExprContext(w->estate);
	int			i;

	for (i = 0; i < w->ndefaults; i++)
	{
		AttrNumber	att = w->default_att[i] - 1;
		Form_pg_attribute attr = TupleDescAttr(slot->tts_tupleDescriptor, att);
		bool		isnull;
		Datum		value;

		value = ExecEvalExpr(w->default_expr[i], econtext, &isnull);
		slot->tts_values[att] = isnull ? (Datum) 0 :
			datumCopy(value, attr->attbyval, attr->attlen);
		slot->tts_isnull[att] = isnull;
	}
	ResetPerTupleExprContext(w->estate);
}

/*
 * Adds the row of event_writer_next_slot.  Returns false, and stores
 * nothing, when its event key is stored already or was added before.
 */
bool
event_writer_add(EventWriter *w)
{
	TupleTableSlot *slot = w->rows[w->count];
	PartitionBuffer *pb;
	TupleTableSlot *part_slot = slot;
	TupleConversionMap *map;
	MemoryContext old;
	uint32		hash;

	ExecStoreVirtualTuple(slot);
	pb = partition_buffer(w, slot);
	hash = key_hash(w, slot);
	if (key_is_stored(w, pb, slot, hash) || key_in_batch(w, slot, hash))
		return false;

	old = MemoryContextSwitchTo(w->batch_cxt);
	fill_defaults(w, slot);
	ExecMaterializeSlot(slot);
	map = pb->rri->ri_RootToPartitionMap;
	if (map != NULL)
	{
		if (pb->converted[pb->count] == NULL)
		{
			MemoryContextSwitchTo(w->cxt);
			pb->converted[pb->count] =
				table_slot_create(pb->rri->ri_RelationDesc, NULL);
			MemoryContextSwitchTo(w->batch_cxt);
		}
		part_slot = execute_attr_map_slot(map->attrMap, slot,
										  pb->converted[pb->count]);
		ExecMaterializeSlot(part_slot);
	}
	if (pb->rri->ri_RelationDesc->rd_att->constr != NULL)
		ExecConstraints(pb->rri, part_slot, w->estate);
	MemoryContextSwitchTo(old);

	pb->slots[pb->count++] = part_slot;
	if (++w->count == WRITER_BATCH)
		flush_batch(w);
	return true;
}

/* Inserts the last batch, closes the table and returns the rows stored. */
int64
event_writer_close(EventWriter *w)
{
	int			p;
	int			i;

	flush_batch(w);
	for (i = 0; i < WRITER_BATCH; i++)
		ExecDropSingleTupleTableSlot(w->rows[i]);
	for (p = 0; p < w->nparts; p++)
	{
		PartitionBuffer *pb = w->parts[p];

		/* the scan was begun with the snapshot popped below */
		index_endscan(pb->scan);
		ExecDropSingleTupleTableSlot(pb->found_slot);
		for (i = 0; i < WRITER_BATCH && pb->converted[i] != NULL; i++)
			ExecDropSingleTupleTableSlot(pb->converted[i]);
		FreeBulkInsertState(pb->bistate);
		table_finish_bulk_insert(pb->rri->ri_RelationDesc, 0);
	}
	PopActiveSnapshot();
	ExecCleanupTupleRouting(w->mtstate, w->proute);
	/* the routing's slots of partitions whose columns differ */
	ExecResetTupleTable(w->estate->es_tupleTable, false);
	ExecCloseResultRelations(w->estate);
	ExecCloseRangeTableRelations(w->estate);
	FreeExecutorState(w->estate);
	MemoryContextDelete(w->batch_cxt);
	return w->stored;
}
