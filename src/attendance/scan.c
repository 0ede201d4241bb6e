/*-------------------------------------------------------------------------
 *
 * scan.c
 *	  Attendance of many employees in one pass over their events.
 *
 * att_scan_days computes the days of an organization's employees for a
 * period, as the attendance_days aggregate grouped by employee computes
 * them, without the aggregate.  The plans come first, through a receiver
 * that keeps one copy of each distinct plan, and are sorted by employee id.
 * Then the events of the period are read, and each punch is appended to
 * its employee's array, found by employee id in an array when the ids are
 * dense and in a hash table otherwise.  Only the
 * employee, time, direction, event id and, when the organization has
 * access points, source and device of each event are read.  For every
 * employee of an id range, heap_events.c reads them from the heap of the
 * partitions, shared with a parallel worker when there are many employees
 * (parallel.c).  Otherwise one query reads them and hands each row to a
 * receiver.  The engine then runs once per employee, in employee id order,
 * and each day goes to the caller's sink: a tuplestore for
 * attendance_compute_days (compute_days.c), the table for
 * attendance_write_days (write.c).
 *
 * The access points of the organization are read into a hash table by
 * (source, device) first.  An event of a point that does not count is
 * skipped, and the point's clock skew moves the event's time.  An event
 * without direction takes the point's direction when that is in or out.
 *
 * With employee_ids the events are found through the credential index, as
 * refresh_attendance reads the few employees it recomputes.  lo and hi
 * limit the employees by id, so that a caller can take the employees in
 * chunks and bound the punches held in memory.  The queries of a list of
 * employees without lo and hi, which refresh_attendance runs, keep their
 * plans for the session (saved_plan.c).  The others are planned on every
 * call, with their parameters as constants.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/tupdesc.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/params.h"
#include "tcop/dest.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "attendance/attendance.h"
#include "attendance/listed_plans.h"
#include "attendance/saved_plan.h"
#include "attendance/scan.h"
#include "attendance/scan_state.h"
#include "progress.h"


/*
 * Maximum number of ids per employee that the array from employee id to
 * place may span (build_place_index).
 */
#define PLACE_INDEX_SPREAD	4

/* Receiver of the event rows */
typedef struct ScanReceiver
{
	DestReceiver pub;
	AttScan	   *scan;
} ScanReceiver;

/*
 * Columns of the event query.  The last two are selected only when the
 * organization has access points.
 */
#define EV_EMPLOYEE		0
#define EV_OCCURRED_AT	1
#define EV_DIRECTION	2
#define EV_EVENT_ID		3
#define EV_SOURCE		4
#define EV_DEVICE		5

static uint32
point_hash(int32 source_id, const char *device, int len)
{
	return hash_combine(murmurhash32((uint32) source_id),
						hash_bytes((const unsigned char *) device, len));
}

/* Decodes a direction value: NULL, 'in' or 'out'. */
static int16
direction_of(const char *s, int len)
{
	if (len == 2 && memcmp(s, "in", 2) == 0)
		return ATT_DIR_IN;
	if (len == 3 && memcmp(s, "out", 3) == 0)
		return ATT_DIR_OUT;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid punch direction \"%.*s\"", len, s),
			 errhint("A direction is in, out or NULL.")));
	return ATT_DIR_NONE;		/* not reached */
}

/* Returns the shared copy of a plan's bytes, checked on first sight. */
static const AttPlanHeader *
plan_intern(AttScan *scan, bytea *bytes)
{
	const char *data = VARDATA_ANY(bytes);
	Size		len = VARSIZE_ANY_EXHDR(bytes);
	uint32		hash = hash_bytes((const unsigned char *) data, (int) len);
	ScanPlan  **bucket = &scan->plans[hash % PLAN_BUCKETS];
	ScanPlan   *entry;
	AttPlanHeader *plan;

	for (entry = *bucket; entry != NULL; entry = entry->next)
		if (entry->hash == hash && VARSIZE(entry->plan) == len + VARHDRSZ &&
			memcmp(VARDATA(entry->plan), data, len) == 0)
			return entry->plan;

	plan = MemoryContextAlloc(scan->cxt, len + VARHDRSZ);
	SET_VARSIZE(plan, len + VARHDRSZ);
	memcpy(VARDATA(plan), data, len);
	att_plan_check(plan, len + VARHDRSZ);
	entry = MemoryContextAlloc(scan->cxt, sizeof(ScanPlan));
	entry->hash = hash;
	entry->plan = plan;
	entry->next = *bucket;
	*bucket = entry;
	return plan;
}

/* Builds the parameter list of a query from values that are all given. */
static ParamListInfo
make_params(int n, const Oid *types, const Datum *values, const bool *nulls)
{
	ParamListInfo params = makeParamList(n);
	int			i;

	for (i = 0; i < n; i++)
	{
		params->params[i].value = values[i];
		params->params[i].isnull = nulls[i];
		params->params[i].ptype = types[i];
		/* constants, so that the planner folds the NULL tests */
		params->params[i].pflags = PARAM_FLAG_CONST;
	}
	return params;
}

static void
scan_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	(void) self;
	(void) operation;
	(void) typeinfo;
}

static void
scan_shutdown(DestReceiver *self)
{
	(void) self;
}

static void
scan_destroy(DestReceiver *self)
{
	(void) self;
}

/* Sets up a receiver that hands each row to receive. */
static void
init_receiver(DestReceiver *pub,
			  bool (*receive) (TupleTableSlot *slot, DestReceiver *self))
{
	pub->receiveSlot = receive;
	pub->rStartup = scan_startup;
	pub->rShutdown = scan_shutdown;
	pub->rDestroy = scan_destroy;
	/* any destination but DestNone, which SPI reports as a utility command */
	pub->mydest = DestTuplestore;
}

/* Receiver of the plan rows */
typedef struct PlanReceiver
{
	DestReceiver pub;
	AttScan    *scan;
	int32		capacity;
	const AttPlanHeader *last_plan; /* the plan of the previous row */
} PlanReceiver;

/*
 * Adds an employee with its plan and employment dates to the scan.
 * Employees with the same schedules share a plan and mostly come one after
 * the other, so the previous employee's plan is compared first.
 */
static void
add_plan_employee(PlanReceiver *r, int32 employee_id, bytea *bytes,
				  DateADT emit_from, DateADT emit_to)
{
	AttScan    *scan = r->scan;
	ScanEmployee *emp;
	Size		len;

	if (scan->nemployees == r->capacity)
	{
		r->capacity *= 2;
		scan->employees = repalloc(scan->employees,
								   r->capacity * sizeof(ScanEmployee));
	}
	emp = &scan->employees[scan->nemployees++];
	emp->employee_id = employee_id;
	att_state_init(&emp->state, scan->cxt);

	len = VARSIZE_ANY_EXHDR(bytes);
	if (r->last_plan != NULL && VARSIZE(r->last_plan) == len + VARHDRSZ &&
		memcmp(VARDATA(r->last_plan), VARDATA_ANY(bytes), len) == 0)
		emp->state.plan = r->last_plan;
	else
		emp->state.plan = r->last_plan = plan_intern(scan, bytes);
	emp->state.emit_from = emit_from;
	emp->state.emit_to = emit_to;
}

/* Takes one row of attendance_plans: employee, plan, employment dates. */
static bool
plan_receive(TupleTableSlot *slot, DestReceiver *self)
{
	slot_getallattrs(slot);
	if (slot->tts_isnull[0] || slot->tts_isnull[1])
		elog(ERROR, "attendance_plans returned a null employee or plan");
	add_plan_employee((PlanReceiver *) self,
					  DatumGetInt32(slot->tts_values[0]),
					  DatumGetByteaPP(slot->tts_values[1]),
					  slot->tts_isnull[2] ? DATEVAL_NOBEGIN :
					  DatumGetDateADT(slot->tts_values[2]),
					  slot->tts_isnull[3] ? DATEVAL_NOEND :
					  DatumGetDateADT(slot->tts_values[3]));
	return true;
}

/* Takes the plan of one listed employee from att_listed_plans. */
static void
listed_plan_receive(void *arg, int32 employee_id, bytea *plan,
					DateADT emit_from, DateADT emit_to)
{
	add_plan_employee((PlanReceiver *) arg, employee_id, plan, emit_from,
					  emit_to);
}

static int
employee_cmp(const void *a, const void *b)
{
	int32		x = ((const ScanEmployee *) a)->employee_id;
	int32		y = ((const ScanEmployee *) b)->employee_id;

	if (x < y)
		return -1;
	if (x > y)
		return 1;
	return 0;
}

/* Whether args name a list of employees and no range of ids */
static bool
few_employees(const AttScanArgs *args)
{
	return args->employee_ids != NULL && !args->has_lo && !args->has_hi;
}

/*
 * Reads the plans of the employees, sorts them by employee id and makes
 * the table from employee id to its place.
 */
static void
read_plans(AttScan *scan, const AttScanArgs *args)
{
	static const Oid types[] = {INT4OID, DATEOID, DATEOID, INT4ARRAYOID,
	INT4OID, INT4OID};
	Datum		values[6];
	bool		nulls[6];
	SPIExecuteOptions opts;
	PlanReceiver receiver;
	int32		i;
	int			rc;

	values[0] = Int32GetDatum(args->org);
	values[1] = DateADTGetDatum(args->first_day);
	values[2] = DateADTGetDatum(args->last_day);
	values[3] = PointerGetDatum(args->employee_ids);
	values[4] = Int32GetDatum(args->lo);
	values[5] = Int32GetDatum(args->hi);
	nulls[0] = nulls[1] = nulls[2] = false;
	nulls[3] = args->employee_ids == NULL;
	nulls[4] = !args->has_lo;
	nulls[5] = !args->has_hi;

	memset(&receiver, 0, sizeof(receiver));
	init_receiver(&receiver.pub, plan_receive);
	receiver.scan = scan;
	receiver.capacity = 1024;
	scan->employees = MemoryContextAlloc(scan->cxt,
										 receiver.capacity *
										 sizeof(ScanEmployee));

	memset(&opts, 0, sizeof(opts));
	opts.params = make_params(6, types, values, nulls);
	opts.read_only = true;
	opts.dest = &receiver.pub;
	/*
	 * A few listed employees, as refresh_attendance reads them, get their
	 * plans from single-table reads (listed_plans.c).  In a new session,
	 * planning the SQL of attendance_plans would cost more than the rest of
	 * such a refresh.
	 */
	if (few_employees(args))
		att_listed_plans(args->org, args->first_day, args->last_day,
						 GetCurrentTransactionStartTimestamp(),
						 args->employee_ids, listed_plan_receive, &receiver);
	else
	{
		rc = SPI_execute_extended(
								  "SELECT p.employee_id, p.plan, p.emit_from, p.emit_to"
								  " FROM otan_enbek.attendance_plans($1, $2, $3, now(), $4) p"
								  " WHERE ($5 IS NULL OR p.employee_id >= $5)"
								  "   AND ($6 IS NULL OR p.employee_id <= $6)", &opts);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "reading the attendance plans failed: %s",
				 SPI_result_code_string(rc));
	}

	qsort(scan->employees, scan->nemployees, sizeof(ScanEmployee),
		  employee_cmp);
	scan->by_id = emptab_create(scan->cxt, Max(scan->nemployees, 16), NULL);
	for (i = 0; i < scan->nemployees; i++)
	{
		bool		found;
		EmployeeEntry *entry = emptab_insert(scan->by_id,
											 scan->employees[i].employee_id,
											 &found);

		if (found)
			elog(ERROR, "employee %d has two attendance plans",
				 scan->employees[i].employee_id);
		entry->index = i;
	}
}

/* Reads the organization's access points into their hash table. */
static void
read_points(AttScan *scan, Datum org)
{
	static const Oid types[] = {INT4OID};
	bool		isnull = false;
	SPIExecuteOptions opts;
	uint64		i;
	int			rc;

	memset(&opts, 0, sizeof(opts));
	opts.params = make_params(1, types, &org, &isnull);
	opts.read_only = true;
	rc = att_execute_saved("SELECT ap.source_id, ap.device, ap.direction,"
						   " ap.counts_for_attendance, ap.clock_skew_sec"
						   " FROM otan_enbek.access_point ap"
						   " WHERE ap.org_id = $1", 1, types, &opts);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the access points failed: %s",
			 SPI_result_code_string(rc));

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		ScanPoint  *p = MemoryContextAllocZero(scan->cxt, sizeof(ScanPoint));
		text	   *device;
		char	   *dir;

		p->source_id = DatumGetInt32(SPI_getbinval(tuple, desc, 1, &isnull));
		device = DatumGetTextPP(SPI_getbinval(tuple, desc, 2, &isnull));
		p->device_len = VARSIZE_ANY_EXHDR(device);
		p->device = MemoryContextAlloc(scan->cxt, p->device_len + 1);
		memcpy(p->device, VARDATA_ANY(device), p->device_len);
		dir = TextDatumGetCString(SPI_getbinval(tuple, desc, 3, &isnull));
		p->direction = strcmp(dir, "in") == 0 ? ATT_DIR_IN :
			strcmp(dir, "out") == 0 ? ATT_DIR_OUT : ATT_DIR_NONE;
		p->counts = DatumGetBool(SPI_getbinval(tuple, desc, 4, &isnull));
		p->skew_sec = DatumGetInt32(SPI_getbinval(tuple, desc, 5, &isnull));
		p->hash = point_hash(p->source_id, p->device, p->device_len);
		p->next = scan->points[p->hash % POINT_BUCKETS];
		scan->points[p->hash % POINT_BUCKETS] = p;
		scan->has_points = true;
	}
	SPI_freetuptable(SPI_tuptable);
}

/* Returns the access point of an event's source and device, or NULL. */
static const ScanPoint *
find_point(const AttScan *scan, int32 source_id, text *device)
{
	const char *s = VARDATA_ANY(device);
	int			len = VARSIZE_ANY_EXHDR(device);
	uint32		hash = point_hash(source_id, s, len);
	const ScanPoint *p;

	for (p = scan->points[hash % POINT_BUCKETS]; p != NULL; p = p->next)
		if (p->hash == hash && p->source_id == source_id &&
			p->device_len == len && memcmp(p->device, s, len) == 0)
			return p;
	return NULL;
}

/*
 * Appends one event to its employee's punches, unless the employee has no
 * plan or the event's access point does not count.  direction and device
 * are NULL when the event has none.
 */
void
att_scan_add_event(AttScan *scan, int32 employee_id, TimestampTz ts,
				   text *direction, bool has_event_id, int64 event_id,
				   int32 source_id, text *device)
{
	int32		place;
	const ScanPoint *point = NULL;
	int16		dir = ATT_DIR_NONE;

	place = att_scan_find_employee(scan, employee_id);
	/* events of employees not employed in the period do not count */
	if (place < 0)
		return;

	if (scan->has_points && device != NULL)
		point = find_point(scan, source_id, device);
	if (point != NULL && !point->counts)
		return;

	if (point != NULL && point->skew_sec != 0)
		ts += (TimestampTz) point->skew_sec * USECS_PER_SEC;
	if (direction != NULL)
		dir = direction_of(VARDATA_ANY(direction),
						   VARSIZE_ANY_EXHDR(direction));
	else if (point != NULL)
		dir = point->direction;
	if (!has_event_id)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("punch at %s has a null event id",
						timestamptz_to_str(ts))));

	if (scan->staging)
		att_stage_punch(scan, place, att_timestamp_seconds(ts), dir,
						event_id);
	else
		att_state_append(&scan->employees[place].state,
						 att_timestamp_seconds(ts), dir, event_id);
}

/* Returns the place of an employee in the scan, or -1 for none. */
int32
att_scan_find_employee(const AttScan *scan, int32 employee_id)
{
	EmployeeEntry *entry;

	if (scan->place_of_id != NULL)
	{
		uint32		offset = (uint32) employee_id - (uint32) scan->min_id;

		return offset < scan->id_span ? scan->place_of_id[offset] : -1;
	}
	entry = emptab_lookup(scan->by_id, employee_id);
	return entry == NULL ? -1 : entry->index;
}

/*
 * Makes the array from employee id to place when the ids span at most
 * PLACE_INDEX_SPREAD times as many values as there are employees.  Every
 * event looks up its employee, and the array (4 bytes per id) stays in the
 * CPU cache more often than the hash table (12 bytes per entry, with free
 * entries), whose misses took most of the time of att_scan_add_event.
 */
static void
build_place_index(AttScan *scan)
{
	int32		min_id;
	int32		max_id;
	uint64		span;
	int32		i;

	if (scan->nemployees == 0)
		return;
	/* the employees are sorted by id */
	min_id = scan->employees[0].employee_id;
	max_id = scan->employees[scan->nemployees - 1].employee_id;
	span = (uint64) ((int64) max_id - min_id) + 1;
	if (span > (uint64) scan->nemployees * PLACE_INDEX_SPREAD)
		return;
	scan->place_of_id = MemoryContextAlloc(scan->cxt, span * sizeof(int32));
	memset(scan->place_of_id, 0xFF, span * sizeof(int32));
	for (i = 0; i < scan->nemployees; i++)
		scan->place_of_id[scan->employees[i].employee_id - min_id] = i;
	scan->min_id = min_id;
	scan->id_span = (uint32) span;
}

/* Appends one event row of the query to its employee's punches. */
static bool
scan_receive(TupleTableSlot *slot, DestReceiver *self)
{
	AttScan    *scan = ((ScanReceiver *) self)->scan;
	bool		with_device;

	slot_getallattrs(slot);
	if (slot->tts_isnull[EV_EMPLOYEE])
		return true;
	with_device = scan->has_points && !slot->tts_isnull[EV_DEVICE];
	att_scan_add_event(scan, DatumGetInt32(slot->tts_values[EV_EMPLOYEE]),
					   DatumGetTimestampTz(slot->tts_values[EV_OCCURRED_AT]),
					   slot->tts_isnull[EV_DIRECTION] ? NULL :
					   DatumGetTextPP(slot->tts_values[EV_DIRECTION]),
					   !slot->tts_isnull[EV_EVENT_ID],
					   DatumGetInt64(slot->tts_values[EV_EVENT_ID]),
					   with_device ?
					   DatumGetInt32(slot->tts_values[EV_SOURCE]) : 0,
					   with_device ?
					   DatumGetTextPP(slot->tts_values[EV_DEVICE]) : NULL);
	return true;
}

/*
 * The event query: by credential for a list of employees, else by time.
 * by_range adds the limits of employee ids lo and hi.
 */
static const char *
event_query(bool by_employees, bool by_range, bool with_points)
{
	StringInfoData sql;

	initStringInfo(&sql);
	appendStringInfoString(&sql,
						   "SELECT e.employee_id, e.occurred_at, e.direction,"
						   " e.event_id");
	if (with_points)
		appendStringInfoString(&sql, ", e.source_id, e.device");
	appendStringInfoString(&sql,
						   " FROM otan_enbek.skud_event e"
						   " WHERE e.org_id = $1"
						   "   AND e.occurred_at >= $2 AND e.occurred_at < $3"
						   "   AND e.counts_for_attendance"
						   "   AND e.employee_id IS NOT NULL");
	if (by_range)
		appendStringInfoString(&sql,
							   "   AND ($5 IS NULL OR e.employee_id >= $5)"
							   "   AND ($6 IS NULL OR e.employee_id <= $6)");
	if (by_employees)
		appendStringInfoString(&sql,
							   "   AND e.employee_id = ANY ($4)"
							   "   AND (e.credential_kind, e.credential) IN ("
							   "       SELECT c.kind, c.value"
							   "       FROM otan_enbek.credential c"
							   "       WHERE c.org_id = $1"
							   "         AND c.employee_id = ANY ($4))");
	return sql.data;
}

/* Reads the events of the period into the employees' punch arrays. */
static void
read_events(AttScan *scan, const AttScanArgs *args)
{
	static const Oid types[] = {INT4OID, TIMESTAMPTZOID, TIMESTAMPTZOID,
	INT4ARRAYOID, INT4OID, INT4OID};
	Datum		values[6];
	bool		nulls[6];
	SPIExecuteOptions opts;
	ScanReceiver receiver;
	int			rc;

	values[0] = Int32GetDatum(args->org);
	values[1] = TimestampTzGetDatum(args->fetch_from);
	values[2] = TimestampTzGetDatum(args->fetch_to);
	values[3] = PointerGetDatum(args->employee_ids);
	values[4] = Int32GetDatum(args->lo);
	values[5] = Int32GetDatum(args->hi);
	nulls[0] = nulls[1] = nulls[2] = false;
	nulls[3] = args->employee_ids == NULL;
	nulls[4] = !args->has_lo;
	nulls[5] = !args->has_hi;

	memset(&receiver, 0, sizeof(receiver));
	init_receiver(&receiver.pub, scan_receive);
	receiver.scan = scan;

	memset(&opts, 0, sizeof(opts));
	opts.params = make_params(6, types, values, nulls);
	opts.read_only = true;
	opts.dest = &receiver.pub;
	if (few_employees(args))
		rc = att_execute_saved(event_query(true, false, scan->has_points),
							   6, types, &opts);
	else
		rc = SPI_execute_extended(event_query(!nulls[3], true,
											  scan->has_points),
								  &opts);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the events failed: %s",
			 SPI_result_code_string(rc));
}

/*
 * Runs the engine for the employees from place from up to place to and
 * hands each day to the sink.  The engine's memory of one employee is freed
 * before the next.  With par, the days that the parallel worker has sent
 * are drained after each employee.
 */
void
att_scan_emit(AttScan *scan, int32 from, int32 to, AttDaySink sink,
			  void *arg, AttParallel *par)
{
	MemoryContext per_employee;
	MemoryContext old;
	int32		i;
	int32		k;

	per_employee = AllocSetContextCreate(CurrentMemoryContext,
										 "attendance of one employee",
										 ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(per_employee);
	for (i = from; i < to; i++)
	{
		ScanEmployee *emp = &scan->employees[i];
		AttResult	result;

		CHECK_FOR_INTERRUPTS();
		att_compute(emp->state.plan, emp->state.emit_from,
					emp->state.emit_to, emp->state.base, emp->state.punches,
					emp->state.npunches, &result, NULL);
		for (k = 0; k < result.ndays; k++)
			sink(arg, emp->employee_id, &result.days[k], result.event_ids);
		/* the punches are no longer needed */
		if (scan->placed == NULL)
			pfree(emp->state.punches);
		emp->state.punches = NULL;
		MemoryContextReset(per_employee);
		if (par != NULL)
			att_parallel_drain(par);
		progress_add_done(1);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(per_employee);
}

/* Creates an empty scan in a memory context of its own. */
AttScan *
att_scan_create(void)
{
	MemoryContext cxt;
	AttScan    *scan;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "attendance scan",
								ALLOCSET_DEFAULT_SIZES);
	scan = MemoryContextAllocZero(cxt, sizeof(AttScan));
	scan->cxt = cxt;
	return scan;
}

/*
 * Makes the table and, for dense ids, the array from employee id to place,
 * for employees that are already sorted by id.
 */
void
att_scan_index_employees(AttScan *scan)
{
	int32		i;

	scan->by_id = emptab_create(scan->cxt, Max(scan->nemployees, 16), NULL);
	for (i = 0; i < scan->nemployees; i++)
	{
		bool		found;
		EmployeeEntry *entry = emptab_insert(scan->by_id,
											 scan->employees[i].employee_id,
											 &found);

		if (found || (i > 0 && scan->employees[i].employee_id <
					  scan->employees[i - 1].employee_id))
			elog(ERROR, "employees of the attendance scan are not sorted by id at place %d",
				 i);
		entry->index = i;
	}
	build_place_index(scan);
}

/*
 * Reads the plans of the employees that args selects and the access
 * points of the organization, in a memory context of the scan's own.
 */
AttScan *
att_scan_begin(const AttScanArgs *args)
{
	AttScan    *scan = att_scan_create();

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	read_plans(scan, args);
	build_place_index(scan);
	if (scan->nemployees > 0)
		read_points(scan, Int32GetDatum(args->org));
	SPI_finish();
	return scan;
}

void
att_scan_end(AttScan *scan)
{
	MemoryContextDelete(scan->cxt);
}

/*
 * Reads the events of the scan's employees: from the heap when the caller
 * may, with a parallel worker for the upper part of the employees when one
 * is worth it, else through the event query.  Returns the worker, or NULL.
 * The worker's employees start at place *split.
 */
static AttParallel *
read_all_events(AttScan *scan, const AttScanArgs *args, int32 *split)
{
	AttParallel *par = NULL;
	MemoryContext old;
	List	   *parts = NIL;
	bool		direct;
	ListCell   *lc;
	int			i;

	*split = scan->nemployees;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	direct = args->employee_ids == NULL &&
		att_event_partitions(args->fetch_from, args->fetch_to, scan->cxt,
							 &parts);
	if (!direct)
		read_events(scan, args);
	SPI_finish();
	if (!direct)
		return NULL;

	if (args->worker_percent > 0)
	{
		int32		nworker = (int32) ((int64) scan->nemployees *
									   args->worker_percent / 100);

		if (nworker > 0 && nworker < scan->nemployees)
		{
			/* the worker's state lives as long as the scan */
			old = MemoryContextSwitchTo(scan->cxt);
			par = att_parallel_begin(scan, args, parts,
									 scan->nemployees - nworker);
			MemoryContextSwitchTo(old);
			if (par != NULL)
				*split = scan->nemployees - nworker;
		}
	}

	scan->staging = true;
	i = 0;
	foreach(lc, parts)
		att_read_heap_events(scan, args, lfirst_oid(lc),
							 par != NULL ? att_parallel_scan_desc(par, i++) :
							 NULL);
	if (par != NULL)
		att_parallel_exchange(par, scan);
	att_stage_place(scan, 0, *split);
	list_free(parts);
	return par;
}

/*
 * Computes the days of the employees that args selects and hands each to
 * sink, in employee id and date order.  The sink is called in a short-lived
 * memory context, outside SPI.
 */
void
att_scan_days(const AttScanArgs *args, AttDaySink sink, void *arg)
{
	AttScan    *scan = att_scan_begin(args);
	AttParallel *par = NULL;
	int32		split = 0;

	if (scan->nemployees > 0)
		par = read_all_events(scan, args, &split);
	att_scan_emit(scan, 0, par != NULL ? split : scan->nemployees, sink, arg,
				  par);
	if (par != NULL)
		att_parallel_finish(par, sink, arg);
	att_scan_end(scan);
}
