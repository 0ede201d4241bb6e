/*-------------------------------------------------------------------------
 *
 * heap_events.c
 *	  Reading the period's events straight from the partitions of
 *	  skud_event.
 *
 * The event query of scan_events.c costs a pass of the executor per event:
 * the scan node, the qualifications and a projection.  For a period of every
 * employee, att_read_heap_events instead reads the heap of each partition
 * that overlaps the fetch window with a table scan.  It deforms only the
 * columns up to the last one needed and tests the conditions of the query
 * in C.  The scan keeps the pages in shared buffers (no ring buffer of a
 * bulk read), because a computation usually reads the same month again.
 *
 * The direct read applies no row-level security, so it is used only when
 * none is in force for the caller on skud_event, and it needs the SELECT
 * privilege on the table.  Otherwise, and for a sub-partitioned table, the
 * query of scan_events.c reads the events.  A scan may be one part of a
 * parallel scan, whose blocks a worker shares.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relscan.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "partitioning/partdesc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"

#include "attendance/scan.h"
#include "attendance/scan_state.h"

/* Columns of a partition that the read uses */
typedef struct EventColumns
{
	AttrNumber	org;
	AttrNumber	occurred_at;
	AttrNumber	event_id;
	AttrNumber	employee;
	AttrNumber	direction;
	AttrNumber	counts;
	AttrNumber	source;
	AttrNumber	device;
	AttrNumber	last;			/* the highest of the above */
} EventColumns;

/* Returns the oid of otan_enbek.skud_event. */
static Oid
event_table_oid(void)
{
	Oid			relid = get_relname_relid("skud_event",
										  get_namespace_oid("otan_enbek",
															false));

	if (!OidIsValid(relid))
		elog(ERROR, "relation otan_enbek.skud_event does not exist");
	return relid;
}

/*
 * Whether the snapshot's pg_inherits lists partition oid as outside the
 * fetch window.  A partition that the snapshot does not list, attached
 * since, is read.
 */
static bool
outside_window(Oid oid, const Oid *listed, const bool *overlaps, int nlisted)
{
	int			i;

	for (i = 0; i < nlisted; i++)
		if (listed[i] == oid)
			return !overlaps[i];
	return false;
}

/*
 * Finds the partitions of skud_event that may hold events of [from, to) and
 * stores their oids in parts, allocated in cxt.  Returns false when the
 * events must be read through the query instead: row-level security is in
 * force for the caller, the caller lacks the SELECT privilege on the table,
 * or a partition is partitioned itself.  Must be called inside SPI.
 *
 * The partitions are those of the relation cache once skud_event is
 * locked, as the planner finds them for the event query.  A partition
 * dropped or detached by a transaction that committed while this one
 * waited for the lock is thus not read, although the snapshot's
 * pg_inherits still lists it.  The query of pg_inherits only decides which
 * partitions lie outside the window.
 */
bool
att_event_partitions(TimestampTz from, TimestampTz to, MemoryContext cxt,
					 List **parts)
{
	static const Oid types[] = {OIDOID, TIMESTAMPTZOID, TIMESTAMPTZOID};
	Oid			relid = event_table_oid();
	Relation	parent;
	PartitionDesc partdesc;
	Oid		   *listed;
	bool	   *overlaps;
	int			nlisted;
	Datum		values[3];
	SPIExecuteOptions opts;
	ParamListInfo params;
	uint64		i;
	int			rc;
	int			save_nestlevel;
	MemoryContext old;

	*parts = NIL;
	if (pg_class_aclcheck(relid, GetUserId(), ACL_SELECT) != ACLCHECK_OK ||
		check_enable_rls(relid, InvalidOid, true) == RLS_ENABLED)
		return false;

	/* kept until the end of the transaction, as the event query keeps it */
	parent = table_open(relid, AccessShareLock);
	if (parent->rd_rel->relkind == RELKIND_RELATION)
	{
		table_close(parent, NoLock);
		old = MemoryContextSwitchTo(cxt);
		*parts = list_make1_oid(relid);
		MemoryContextSwitchTo(old);
		return true;
	}

	values[0] = ObjectIdGetDatum(relid);
	values[1] = TimestampTzGetDatum(from);
	values[2] = TimestampTzGetDatum(to);
	params = makeParamList(3);
	for (i = 0; i < 3; i++)
	{
		params->params[i].value = values[i];
		params->params[i].isnull = false;
		params->params[i].ptype = types[i];
		params->params[i].pflags = PARAM_FLAG_CONST;
	}
	memset(&opts, 0, sizeof(opts));
	opts.params = params;
	opts.read_only = true;

	/*
	 * A range partition's bound reads FROM ('...') TO ('...'), with
	 * MINVALUE or MAXVALUE for an open end, or DEFAULT.  The bounds make a
	 * round trip through text, so the query runs in the ISO date style,
	 * which prints numeric UTC offsets.  The other styles print a zone
	 * abbreviation, which the input may read as another zone's ('CST' of
	 * Asia/Shanghai as US Central time).
	 */
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("datestyle", "ISO", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	rc = SPI_execute_extended(
							  "SELECT p.oid, p.bound = 'DEFAULT'"
							  "    OR ((b.lower IS NULL OR b.lower < $3)"
							  "        AND (b.upper IS NULL OR b.upper > $2))"
							  " FROM (SELECT c.oid,"
							  "         pg_get_expr(c.relpartbound, c.oid) AS bound"
							  "       FROM pg_catalog.pg_inherits i"
							  "       JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid"
							  "       WHERE i.inhparent = $1) p,"
							  " LATERAL (SELECT substring(p.bound from 'FROM \\(''([^'']*)''\\)')::timestamptz AS lower,"
							  "                 substring(p.bound from 'TO \\(''([^'']*)''\\)')::timestamptz AS upper) b",
							  &opts);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the partitions of skud_event failed: %s",
			 SPI_result_code_string(rc));
	AtEOXact_GUC(true, save_nestlevel);
	nlisted = (int) SPI_processed;
	listed = palloc(Max(nlisted, 1) * sizeof(Oid));
	overlaps = palloc(Max(nlisted, 1) * sizeof(bool));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;

		listed[i] = DatumGetObjectId(SPI_getbinval(tuple, desc, 1, &isnull));
		overlaps[i] = DatumGetBool(SPI_getbinval(tuple, desc, 2, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);

	/* as the planner does, omits a partition whose detach is pending */
	partdesc = RelationGetPartitionDesc(parent, true);
	for (i = 0; i < (uint64) partdesc->nparts; i++)
	{
		if (outside_window(partdesc->oids[i], listed, overlaps, nlisted))
			continue;
		if (!partdesc->is_leaf[i])
		{
			list_free(*parts);
			*parts = NIL;
			break;
		}
		old = MemoryContextSwitchTo(cxt);
		*parts = lappend_oid(*parts, partdesc->oids[i]);
		MemoryContextSwitchTo(old);
	}
	table_close(parent, NoLock);
	pfree(listed);
	pfree(overlaps);
	return i == (uint64) partdesc->nparts;
}

/* Returns the number of a column of a partition, checking its type. */
static AttrNumber
event_column(Relation rel, const char *name, Oid type, AttrNumber *last)
{
	AttrNumber	attno = get_attnum(RelationGetRelid(rel), name);

	if (attno == InvalidAttrNumber ||
		TupleDescAttr(RelationGetDescr(rel), attno - 1)->atttypid != type)
		elog(ERROR, "relation %s has no column %s of type %s",
			 RelationGetRelationName(rel), name, format_type_be(type));
	*last = Max(*last, attno);
	return attno;
}

/* Starts a scan that leaves the pages it reads in shared buffers. */
static TableScanDesc
begin_scan(Relation rel, ParallelTableScanDesc pscan)
{
	uint32		flags = SO_TYPE_SEQSCAN | SO_ALLOW_PAGEMODE;
	Snapshot	snapshot = GetActiveSnapshot();

	if (pscan != NULL)
	{
		/* as table_beginscan_parallel, without the bulk read strategy */
		Assert(!pscan->phs_snapshot_any);
		snapshot = RestoreSnapshot((char *) pscan + pscan->phs_snapshot_off);
		RegisterSnapshot(snapshot);
		flags |= SO_TEMP_SNAPSHOT | SO_ALLOW_SYNC;
	}
	return rel->rd_tableam->scan_begin(rel, snapshot, 0, NULL, pscan, flags);
}

/*
 * Reads the events of one partition that occurred in the fetch window of
 * args and hands each to the scan's employees.  With pscan, reads only the
 * blocks that this process takes of a parallel scan.
 */
void
att_read_heap_events(AttScan *scan, const AttScanArgs *args, Oid relid,
					 ParallelTableScanDesc pscan)
{
	Relation	rel = table_open(relid, AccessShareLock);
	EventColumns col;
	TableScanDesc sd;
	TupleTableSlot *slot;
	uint32		n = 0;

	memset(&col, 0, sizeof(col));
	col.org = event_column(rel, "org_id", INT4OID, &col.last);
	col.occurred_at = event_column(rel, "occurred_at", TIMESTAMPTZOID,
								   &col.last);
	col.event_id = event_column(rel, "event_id", INT8OID, &col.last);
	col.employee = event_column(rel, "employee_id", INT4OID, &col.last);
	col.direction = event_column(rel, "direction", TEXTOID, &col.last);
	col.counts = event_column(rel, "counts_for_attendance", BOOLOID,
							  &col.last);
	if (scan->has_points)
	{
		col.source = event_column(rel, "source_id", INT4OID, &col.last);
		col.device = event_column(rel, "device", TEXTOID, &col.last);
	}

	slot = table_slot_create(rel, NULL);
	sd = begin_scan(rel, pscan);
	while (table_scan_getnextslot(sd, ForwardScanDirection, slot))
	{
		Datum	   *v = slot->tts_values;
		bool	   *isnull = slot->tts_isnull;
		TimestampTz ts;

		if ((++n & 0xFFFF) == 0)
			CHECK_FOR_INTERRUPTS();
		slot_getsomeattrs(slot, col.last);
		if (isnull[col.org - 1] ||
			DatumGetInt32(v[col.org - 1]) != args->org ||
			isnull[col.employee - 1] || isnull[col.occurred_at - 1] ||
			isnull[col.counts - 1] || !DatumGetBool(v[col.counts - 1]))
			continue;
		ts = DatumGetTimestampTz(v[col.occurred_at - 1]);
		if (ts < args->fetch_from || ts >= args->fetch_to)
			continue;
		att_scan_add_event(scan, DatumGetInt32(v[col.employee - 1]), ts,
						   isnull[col.direction - 1] ? NULL :
						   DatumGetTextPP(v[col.direction - 1]),
						   !isnull[col.event_id - 1],
						   DatumGetInt64(v[col.event_id - 1]),
						   col.source != 0 && !isnull[col.source - 1] ?
						   DatumGetInt32(v[col.source - 1]) : 0,
						   col.device != 0 && !isnull[col.device - 1] ?
						   DatumGetTextPP(v[col.device - 1]) : NULL);
	}
	table_endscan(sd);
	ExecDropSingleTupleTableSlot(slot);
	table_close(rel, NoLock);
}
