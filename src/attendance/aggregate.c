/*-------------------------------------------------------------------------
 *
 * aggregate.c
 *	  The attendance_days aggregate: one employee's punches in, days out.
 *
 * otan_enbek.attendance_days(plan, emit_from, emit_to, occurred_at,
 * direction, event_id) is grouped by employee.  Each group gets one row
 * that carries the work plan and the employment dates (with a NULL time),
 * so that an employee without punches still forms a group, and one row per
 * punch (with a NULL plan).  The transition function only appends the punch
 * to an array in the aggregate context.  The final function sorts the
 * employee's few hundred punches and runs the rules of engine.c, so a hash
 * aggregate grouped by employee never sorts all events.
 *
 * Employees with the same schedule assignment share one plan; each distinct
 * plan is copied once per query into a cache and the states point to it.
 *
 * The state serializes to a versioned format (STATE_FORMAT_VERSION) so that
 * parallel workers can hand partial states to the leader.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "attendance/attendance.h"
#include "attendance/plan_set.h"
#include "progress.h"

PG_FUNCTION_INFO_V1(otan_enbek_attendance_transfn);
PG_FUNCTION_INFO_V1(otan_enbek_attendance_combinefn);
PG_FUNCTION_INFO_V1(otan_enbek_attendance_serialfn);
PG_FUNCTION_INFO_V1(otan_enbek_attendance_deserialfn);
PG_FUNCTION_INFO_V1(otan_enbek_attendance_finalfn);
PG_FUNCTION_INFO_V1(otan_enbek_attendance_tracefn);

/* Version of the serialized state, raised whenever the layout changes */
#define STATE_FORMAT_VERSION	1
#define STATE_HAS_PLAN			0x0001

/* Bytes of one serialized punch: t, direction, event id */
#define SERIALIZED_PUNCH_SIZE	(4 + 2 + 8)

#define INITIAL_CAPACITY	64

/*
 * Number of fields of otan_enbek.attendance_day_figures; version 1.0 of the
 * type has no norm_sec.
 */
#define FIGURES_NATTS		ATT_FIGURES_NATTS
#define FIGURES_NATTS_1_0	18

/* Output type information of the final function, kept in fn_extra */
typedef struct FiguresType
{
	Oid			elemtype;
	int16		elemlen;
	bool		elembyval;
	char		elemalign;
	TupleDesc	tupdesc;
} FiguresType;

/* Returns the aggregate's memory context or raises an error. */
static MemoryContext
aggregate_context(FunctionCallInfo fcinfo, const char *fname)
{
	MemoryContext aggcontext;

	if (!AggCheckCallContext(fcinfo, &aggcontext))
		elog(ERROR, "%s called in non-aggregate context", fname);
	return aggcontext;
}

static AttState *
state_create(MemoryContext aggcontext)
{
	AttState   *state = MemoryContextAllocZero(aggcontext, sizeof(AttState));

	att_state_init(state, aggcontext);
	return state;
}

/* Sets up an empty state whose punch array lives in cxt. */
void
att_state_init(AttState *state, MemoryContext cxt)
{
	memset(state, 0, sizeof(AttState));
	state->capacity = INITIAL_CAPACITY;
	state->punches = MemoryContextAlloc(cxt,
										state->capacity * sizeof(AttPunch));
}

/* Makes room for n more punches. */
static void
state_reserve(AttState *state, int32 n)
{
	int64		needed = (int64) state->npunches + n;

	if (needed <= state->capacity)
		return;
	if (needed > (int64) (MaxAllocSize / sizeof(AttPunch)))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("too many punches for one employee: %lld",
						(long long) needed),
				 errhint("Compute attendance for a shorter period.")));
	while (state->capacity < needed)
		state->capacity = Min((int64) state->capacity * 2,
							  (int64) (MaxAllocSize / sizeof(AttPunch)));
	state->punches = repalloc(state->punches,
							  state->capacity * sizeof(AttPunch));
}

/* Appends a punch at t seconds since 2000 UTC. */
void
att_state_append(AttState *state, int64 t, int16 dir, int64 event_id)
{
	AttPunch   *p;
	int64		rel;

	if (!state->has_base)
	{
		state->has_base = true;
		state->base = t;
	}
	rel = t - state->base;
	if (rel < PG_INT32_MIN || rel > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("punches of one employee span more than 68 years"),
				 errhint("Compute attendance for a shorter period.")));
	state_reserve(state, 1);
	p = &state->punches[state->npunches++];
	p->t = (int32) rel;
	p->dir = dir;
	p->pad = 0;
	p->event_id = event_id;
}

/*
 * Returns a copy of the plan in data[0..len) that lives as long as the
 * query, from the query's set of plans in fn_extra.
 */
static const AttPlanHeader *
plan_intern(FmgrInfo *flinfo, const char *data, Size len)
{
	AttPlanSet *set = flinfo->fn_extra;

	if (set == NULL)
	{
		set = MemoryContextAlloc(flinfo->fn_mcxt, sizeof(AttPlanSet));
		att_plan_set_init(set, flinfo->fn_mcxt);
		flinfo->fn_extra = set;
	}
	return att_plan_set_intern(set, data, len);
}

/* Decodes a direction argument: NULL, 'in' or 'out'. */
static int16
direction_code(FunctionCallInfo fcinfo, int argno)
{
	text	   *dir;
	const char *s;
	int			len;

	if (PG_ARGISNULL(argno))
		return ATT_DIR_NONE;
	dir = PG_GETARG_TEXT_PP(argno);
	s = VARDATA_ANY(dir);
	len = VARSIZE_ANY_EXHDR(dir);
	if (len == 2 && memcmp(s, "in", 2) == 0)
		return ATT_DIR_IN;
	if (len == 3 && memcmp(s, "out", 3) == 0)
		return ATT_DIR_OUT;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid punch direction \"%s\"", text_to_cstring(dir)),
			 errhint("A direction is in, out or NULL.")));
	return ATT_DIR_NONE;		/* not reached */
}

/*
 * Transition function.  A row with a plan sets the plan and the employment
 * dates; a row with a time appends a punch.  Rows are kept as they come:
 * all the work happens in the final function.
 */
Datum
otan_enbek_attendance_transfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = aggregate_context(fcinfo, "attendance_days");
	AttState   *state = PG_ARGISNULL(0) ? NULL : (AttState *) PG_GETARG_POINTER(0);

	if (state == NULL)
		state = state_create(aggcontext);

	if (!PG_ARGISNULL(1))
	{
		bytea	   *plan = PG_GETARG_BYTEA_PP(1);

		state->plan = plan_intern(fcinfo->flinfo, VARDATA_ANY(plan),
								  VARSIZE_ANY_EXHDR(plan));
		state->emit_from = PG_ARGISNULL(2) ? DATEVAL_NOBEGIN : PG_GETARG_DATEADT(2);
		state->emit_to = PG_ARGISNULL(3) ? DATEVAL_NOEND : PG_GETARG_DATEADT(3);
	}

	if (!PG_ARGISNULL(4))
	{
		TimestampTz ts = PG_GETARG_TIMESTAMPTZ(4);
		int16		dir = direction_code(fcinfo, 5);

		if (TIMESTAMP_NOT_FINITE(ts))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("punch time must be finite")));
		if (PG_ARGISNULL(6))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("punch at %s has a null event id",
							timestamptz_to_str(ts))));
		att_state_append(state,
					 att_timestamp_seconds(ts),
					 dir, PG_GETARG_INT64(6));
	}

	PG_RETURN_POINTER(state);
}

/* Combine function: appends the punches of the second state to the first. */
Datum
otan_enbek_attendance_combinefn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = aggregate_context(fcinfo, "attendance_days");
	AttState   *state1 = PG_ARGISNULL(0) ? NULL : (AttState *) PG_GETARG_POINTER(0);
	AttState   *state2 = PG_ARGISNULL(1) ? NULL : (AttState *) PG_GETARG_POINTER(1);
	int32		i;

	if (state2 == NULL)
		PG_RETURN_POINTER(state1);
	if (state1 == NULL)
		state1 = state_create(aggcontext);

	if (state2->plan != NULL)
	{
		state1->plan = state2->plan;
		state1->emit_from = state2->emit_from;
		state1->emit_to = state2->emit_to;
	}
	state_reserve(state1, state2->npunches);
	for (i = 0; i < state2->npunches; i++)
		att_state_append(state1, state2->base + state2->punches[i].t,
					 state2->punches[i].dir, state2->punches[i].event_id);

	PG_RETURN_POINTER(state1);
}

/*
 * Serializes a state: format version, flags, employment dates, the plan
 * (length and bytes) when known, then the punches.
 */
Datum
otan_enbek_attendance_serialfn(PG_FUNCTION_ARGS)
{
	AttState   *state;
	StringInfoData buf;
	int32		i;

	aggregate_context(fcinfo, "attendance_days serialize");
	state = (AttState *) PG_GETARG_POINTER(0);

	pq_begintypsend(&buf);
	pq_sendint32(&buf, STATE_FORMAT_VERSION);
	pq_sendint32(&buf, state->plan != NULL ? STATE_HAS_PLAN : 0);
	pq_sendint32(&buf, state->emit_from);
	pq_sendint32(&buf, state->emit_to);
	pq_sendint64(&buf, state->base);
	if (state->plan != NULL)
	{
		pq_sendint32(&buf, VARSIZE(state->plan) - VARHDRSZ);
		pq_sendbytes(&buf, VARDATA(state->plan), VARSIZE(state->plan) - VARHDRSZ);
	}
	pq_sendint32(&buf, state->npunches);
	for (i = 0; i < state->npunches; i++)
	{
		pq_sendint32(&buf, state->punches[i].t);
		pq_sendint16(&buf, state->punches[i].dir);
		pq_sendint64(&buf, state->punches[i].event_id);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* Raises the error for a serialized state that cannot be read. */
static void
invalid_state(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid serialized attendance state"),
			 errdetail("%s", detail)));
}

/*
 * Deserializes a state.  Every length is checked against the bytes left
 * before it is used, and the plan is checked like a plan from SQL.
 */
Datum
otan_enbek_attendance_deserialfn(PG_FUNCTION_ARGS)
{
	MemoryContext aggcontext = aggregate_context(fcinfo, "attendance_days deserialize");
	bytea	   *bytes = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	AttState   *state;
	int32		version;
	int32		flags;
	int32		n;
	int32		i;

	buf.data = VARDATA_ANY(bytes);
	buf.len = VARSIZE_ANY_EXHDR(bytes);
	buf.maxlen = buf.len;
	buf.cursor = 0;

	version = pq_getmsgint(&buf, 4);
	if (version != STATE_FORMAT_VERSION)
		invalid_state(psprintf("The state has format version %d; this build reads version %d.",
							   version, STATE_FORMAT_VERSION));
	flags = pq_getmsgint(&buf, 4);
	if ((flags & ~STATE_HAS_PLAN) != 0)
		invalid_state("The state has unknown flags.");

	state = state_create(aggcontext);
	state->emit_from = pq_getmsgint(&buf, 4);
	state->emit_to = pq_getmsgint(&buf, 4);
	state->base = pq_getmsgint64(&buf);
	if (flags & STATE_HAS_PLAN)
	{
		int32		len = pq_getmsgint(&buf, 4);

		if (len < 0 || len > buf.len - buf.cursor)
			invalid_state("The plan is longer than the state.");
		state->plan = plan_intern(fcinfo->flinfo, pq_getmsgbytes(&buf, len), len);
	}
	n = pq_getmsgint(&buf, 4);
	if (n < 0 || (int64) n * SERIALIZED_PUNCH_SIZE != buf.len - buf.cursor)
		invalid_state("The number of punches does not match the length of the state.");
	state_reserve(state, n);
	for (i = 0; i < n; i++)
	{
		AttPunch   *p = &state->punches[i];

		p->t = pq_getmsgint(&buf, 4);
		p->dir = pq_getmsgint(&buf, 2);
		p->pad = 0;
		p->event_id = pq_getmsgint64(&buf);
		if (p->dir < ATT_DIR_NONE || p->dir > ATT_DIR_OUT)
			invalid_state("A punch has an invalid direction.");
	}
	state->npunches = n;
	state->has_base = n > 0;
	pq_getmsgend(&buf);

	PG_RETURN_POINTER(state);
}

/* Looks up and caches the element type of the final function's result. */
static FiguresType *
figures_type(FunctionCallInfo fcinfo)
{
	FiguresType *ft = fcinfo->flinfo->fn_extra;
	MemoryContext old;
	Oid			arraytype;
	TupleDesc	tupdesc;

	if (ft != NULL)
		return ft;

	arraytype = get_fn_expr_rettype(fcinfo->flinfo);
	ft = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(FiguresType));
	ft->elemtype = get_element_type(arraytype);
	if (!OidIsValid(ft->elemtype))
		elog(ERROR, "attendance_days must return an array of attendance_day_figures");
	get_typlenbyvalalign(ft->elemtype, &ft->elemlen, &ft->elembyval,
						 &ft->elemalign);

	tupdesc = lookup_rowtype_tupdesc(ft->elemtype, -1);
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	ft->tupdesc = CreateTupleDescCopy(tupdesc);
	MemoryContextSwitchTo(old);
	ReleaseTupleDesc(tupdesc);
	if (ft->tupdesc->natts != FIGURES_NATTS &&
		ft->tupdesc->natts != FIGURES_NATTS_1_0)
		elog(ERROR, "attendance_day_figures has %d fields, expected %d",
			 ft->tupdesc->natts, FIGURES_NATTS);
	BlessTupleDesc(ft->tupdesc);
	fcinfo->flinfo->fn_extra = ft;
	return ft;
}

static inline Datum
timestamp_datum(int64 seconds)
{
	return TimestampTzGetDatum((TimestampTz) seconds * USECS_PER_SEC);
}

/*
 * Returns the anomalies text[] of a day.  There are 2^ATT_ANOM_COUNT sets of
 * anomalies, so each array is built once per backend and kept in
 * TopMemoryContext; callers copy it into their tuples.
 */
static Datum
anomalies_datum(uint32 anomalies)
{
	static Datum cache[1 << ATT_ANOM_COUNT];
	Datum		names[ATT_ANOM_COUNT];
	MemoryContext old;
	int			n = 0;
	int			bit;

	anomalies &= (1u << ATT_ANOM_COUNT) - 1;
	if (cache[anomalies] != (Datum) 0)
		return cache[anomalies];

	old = MemoryContextSwitchTo(TopMemoryContext);
	for (bit = 0; bit < ATT_ANOM_COUNT; bit++)
		if (anomalies & (1u << bit))
			names[n++] = CStringGetTextDatum(att_anomaly_name(bit));
	cache[anomalies] = PointerGetDatum(construct_array(names, n, TEXTOID, -1,
													   false, TYPALIGN_INT));
	MemoryContextSwitchTo(old);
	return cache[anomalies];
}

/*
 * Builds the event_ids bigint[] of a day.  The elements of a bigint array
 * without nulls are the int64 values one after the other, so they are
 * copied at once.
 */
static Datum
event_ids_datum(const int64 *ids, int32 n)
{
	ArrayType  *array;
	Size		size;

	if (n == 0)
		return PointerGetDatum(construct_empty_array(INT8OID));
	size = ARR_OVERHEAD_NONULLS(1) + (Size) n * sizeof(int64);
	array = (ArrayType *) palloc0(size);
	SET_VARSIZE(array, size);
	array->ndim = 1;
	array->dataoffset = 0;
	array->elemtype = INT8OID;
	*ARR_DIMS(array) = n;
	*ARR_LBOUND(array) = 1;
	memcpy(ARR_DATA_PTR(array), ids, (Size) n * sizeof(int64));
	return PointerGetDatum(array);
}

/* Returns the day_kind text of a day kind, built once per backend. */
static Datum
kind_datum(int16 kind)
{
	static Datum cache[ATT_KIND_DAY_OFF + 1];
	MemoryContext old;

	if (kind < 0 || kind > ATT_KIND_DAY_OFF)
		return CStringGetTextDatum(att_kind_name(kind));
	if (cache[kind] == (Datum) 0)
	{
		old = MemoryContextSwitchTo(TopMemoryContext);
		cache[kind] = CStringGetTextDatum(att_kind_name(kind));
		MemoryContextSwitchTo(old);
	}
	return cache[kind];
}

/*
 * Fills the ATT_FIGURES_NATTS fields of attendance_day_figures for one day:
 * the columns of attendance_day after employee_id, up to norm_sec.
 */
void
att_day_values(const AttDayResult *r, const int64 *ids, Datum *values,
			   bool *nulls)
{
	memset(nulls, 0, ATT_FIGURES_NATTS * sizeof(bool));
	values[0] = DateADTGetDatum(r->work_day);
	values[1] = Int32GetDatum(r->schedule_id);
	nulls[1] = r->schedule_id == 0;
	values[2] = kind_datum(r->kind);
	values[3] = BoolGetDatum(r->is_final);
	values[4] = timestamp_datum(r->shift_start);
	nulls[4] = !r->has_shift;
	values[5] = timestamp_datum(r->shift_end);
	nulls[5] = !r->has_shift;
	values[6] = timestamp_datum(r->first_in);
	nulls[6] = !r->has_first_in;
	values[7] = timestamp_datum(r->last_out);
	nulls[7] = !r->has_last_out;
	values[8] = Int32GetDatum(r->present);
	values[9] = Int32GetDatum(r->worked);
	values[10] = Int32GetDatum(r->late);
	nulls[10] = !r->has_late;
	values[11] = Int32GetDatum(r->early_leave);
	nulls[11] = !r->has_early_leave;
	values[12] = Int32GetDatum(r->early_arrival);
	values[13] = Int32GetDatum(r->overtime);
	values[14] = Int32GetDatum(r->night);
	values[15] = Int32GetDatum(r->punch_count);
	values[16] = anomalies_datum(r->anomalies);
	values[17] = event_ids_datum(ids + r->first_event, r->punch_count);
	values[18] = Int32GetDatum(r->norm);	/* ignored by the 1.0 type */
}

/* Forms one attendance_day_figures value. */
static Datum
day_datum(const FiguresType *ft, const AttDayResult *r, const int64 *ids)
{
	Datum		values[ATT_FIGURES_NATTS];
	bool		nulls[ATT_FIGURES_NATTS];

	att_day_values(r, ids, values, nulls);
	return HeapTupleGetDatum(heap_form_tuple(ft->tupdesc, values, nulls));
}

/*
 * Final function: computes the employee's days and returns them as an
 * array of attendance_day_figures, or NULL when the group had no plan row.
 * The state is only read: the punches are sorted in a copy.  Each employee
 * computed counts as one unit of the backend's progress.
 */
Datum
otan_enbek_attendance_finalfn(PG_FUNCTION_ARGS)
{
	AttState   *state;
	FiguresType *ft;
	AttResult	result;
	Datum	   *elems;
	int32		i;

	aggregate_context(fcinfo, "attendance_days");
	state = PG_ARGISNULL(0) ? NULL : (AttState *) PG_GETARG_POINTER(0);
	if (state == NULL || state->plan == NULL)
		PG_RETURN_NULL();

	ft = figures_type(fcinfo);
	att_compute(state->plan, state->emit_from, state->emit_to, state->base,
				state->punches, state->npunches, &result, NULL);

	elems = palloc(Max(result.ndays, 1) * sizeof(Datum));
	for (i = 0; i < result.ndays; i++)
		elems[i] = day_datum(ft, &result.days[i], result.event_ids);

	progress_add_done(1);
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, result.ndays, ft->elemtype,
										  ft->elemlen, ft->elembyval,
										  ft->elemalign));
}

/*
 * Final function of attendance_trace: runs the engine as the final
 * function does and returns its steps as a JSON array (see trace.c), or
 * NULL when the group had no plan row.
 */
Datum
otan_enbek_attendance_tracefn(PG_FUNCTION_ARGS)
{
	AttState   *state;
	AttResult	result;
	StringInfoData trace;
	StringInfoData json;

	aggregate_context(fcinfo, "attendance_trace");
	state = PG_ARGISNULL(0) ? NULL : (AttState *) PG_GETARG_POINTER(0);
	if (state == NULL || state->plan == NULL)
		PG_RETURN_NULL();

	initStringInfo(&trace);
	att_compute(state->plan, state->emit_from, state->emit_to, state->base,
				state->punches, state->npunches, &result, &trace);
	initStringInfo(&json);
	appendStringInfoChar(&json, '[');
	appendBinaryStringInfo(&json, trace.data, trace.len);
	appendStringInfoChar(&json, ']');
	PG_RETURN_TEXT_P(cstring_to_text_with_len(json.data, json.len));
}
