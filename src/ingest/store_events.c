/*-------------------------------------------------------------------------
 *
 * store_events.c
 *	  ingest_events: parses a file and streams its new events into
 *	  skud_event, without holding the file's records.
 *
 * ingest_bytes calls it after it has created the partitions of the file's
 * months, under the lock of ensure_event_partitions.  Each record that was
 * read gets its UTC time by the rules of ingest_bytes: the record's own
 * offset, the first occurrence of an ambiguous local time, or else the
 * organization's zone.  A time outside [not_before, not_after] is
 * rejected.  The employee comes from a hash table of the organization's
 * credentials (credential_map.c).  The event writer (event_writer.c) then
 * drops the events already stored or repeated in the file and inserts the
 * others in batches.
 *
 * Memory: the credential table, the writer's batch of 1,000 rows and its
 * set of key hashes (see event_writer.c), and a 16-byte entry, with the
 * hash table's spare room, per employee and 32-day block with a day marked
 * for attendance_pending.  Rejected records are returned in arrays, so
 * they are held until the end.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "port/pg_bitutils.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "ingest/credential_map.h"
#include "ingest/event_writer.h"
#include "ingest/ingest.h"
#include "ingest/ingest_pg.h"
#include "ingest/zone.h"

PG_FUNCTION_INFO_V1(otan_enbek_ingest_events);

/*
 * The days of one employee marked for attendance_pending, in a block of 32
 * local dates.  By estimate, the large bench set needs about 40,000 such
 * entries (20,000 employees, two blocks each).  With an entry per
 * employee-day (432,547), misses in that table took about 1.6% of a
 * profiled ingest.
 */
typedef struct PendingEntry
{
	uint64		key;			/* employee_id << 32 | date >> 5 */
	uint32		days;			/* bit date & 31 of each marked date */
	char		status;
} PendingEntry;

#define SH_PREFIX pending
#define SH_ELEMENT_TYPE PendingEntry
#define SH_KEY_TYPE uint64
#define SH_KEY key
#define SH_HASH_KEY(tb, key) \
	hash_combine(murmurhash32((uint32) ((key) >> 32)), \
				 murmurhash32((uint32) (key)))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* Columns of ingest_events */
enum
{
	OUT_STREAMED,
	OUT_READ,
	OUT_INSERTED,
	OUT_REJECTED,
	OUT_UNKNOWN_CREDENTIAL,
	OUT_NON_ATTENDANCE,
	OUT_PENDING_EMPLOYEE_IDS,
	OUT_PENDING_WORK_DAYS,
	OUT_REJECT_LINE_NOS,
	OUT_REJECT_REASONS,
	OUT_REJECT_RAWS,
	INGEST_EVENTS_COLUMNS
};

/* A range of local times that occurred twice, from ambiguous_local_times */
typedef struct AmbiguousRange
{
	Timestamp	local_from;
	Timestamp	local_to;
	int64		first_offset;	/* microseconds east of UTC */
} AmbiguousRange;

/* Column numbers of skud_event */
typedef struct EventColumns
{
	AttrNumber	org_id;
	AttrNumber	occurred_at;
	AttrNumber	source_id;
	AttrNumber	external_id;
	AttrNumber	batch_id;
	AttrNumber	line_no;
	AttrNumber	device;
	AttrNumber	credential_kind;
	AttrNumber	credential;
	AttrNumber	employee_id;
	AttrNumber	direction;
	AttrNumber	device_state;
	AttrNumber	counts_for_attendance;
	AttrNumber	raw;
	AttrNumber	local_time_ambiguous;
	AttrNumber	clock_jump_sec;
} EventColumns;

typedef struct IngestState
{
	int32		org_id;
	int32		source_id;
	int64		batch_id;
	IngestZone *zone;
	TimestampTz not_before;
	TimestampTz not_after;
	AmbiguousRange *ambiguous;
	int			nambiguous;

	EventWriter *writer;
	EventColumns col;
	CredentialMap *credentials;
	pending_hash *pending;
	Datum		kind_names[2];	/* person, card */
	Datum		direction_names[3]; /* unused, in, out */
	MemoryContext row_cxt;		/* reset after each record */

	int64		read;
	int64		inserted;
	int64		rejected;
	int64		unknown_credential;
	int64		non_attendance;
	ArrayBuildState *reject_line_nos;
	ArrayBuildState *reject_reasons;
	ArrayBuildState *reject_raws;
} IngestState;

/* Keeps a rejected record for ingest_reject. */
static void
reject_record(IngestState *state, const IngestRecord *record,
			  const char *reason, bool cut_raw)
{
	MemoryContext cxt = state->row_cxt->parent;

	state->reject_line_nos = accumArrayResult(state->reject_line_nos,
											  Int32GetDatum(record->record_no),
											  false, INT4OID, cxt);
	state->reject_reasons = accumArrayResult(state->reject_reasons,
											 CStringGetTextDatum(reason),
											 false, TEXTOID, cxt);
	state->reject_raws = accumArrayResult(state->reject_raws,
										  ingest_raw_text(record, cut_raw),
										  false, TEXTOID, cxt);
	state->rejected++;
}

/* Returns the UTC time of a record's local time, as ingest_bytes reads it. */
static TimestampTz
record_utc_time(IngestState *state, const IngestRecord *record,
				Timestamp local_time, bool *ambiguous)
{
	int			i;

	*ambiguous = false;
	if (record->time.has_offset)
		return local_time - (int64) record->time.utc_offset_sec * USECS_PER_SEC;
	for (i = 0; i < state->nambiguous; i++)
	{
		AmbiguousRange *range = &state->ambiguous[i];

		if (local_time >= range->local_from && local_time < range->local_to)
		{
			*ambiguous = true;
			return local_time - range->first_offset;
		}
	}
	return ingest_zone_to_utc(state->zone, local_time);
}

/* Sets a column of the writer's slot. */
static inline void
set_column(TupleTableSlot *slot, AttrNumber att, Datum value)
{
	slot->tts_values[att - 1] = value;
	slot->tts_isnull[att - 1] = false;
}

/* Hands an event that was read to the writer; true when it is new. */
static bool
add_event(IngestState *state, const IngestRecord *record, TimestampTz at,
		  bool ambiguous, bool has_employee, int32 employee_id)
{
	EventColumns *col = &state->col;
	TupleTableSlot *slot = event_writer_next_slot(state->writer);

	set_column(slot, col->org_id, Int32GetDatum(state->org_id));
	set_column(slot, col->occurred_at, TimestampTzGetDatum(at));
	set_column(slot, col->source_id, Int32GetDatum(state->source_id));
	set_column(slot, col->external_id,
			   CStringGetTextDatum(record->external_id));
	set_column(slot, col->batch_id, Int64GetDatum(state->batch_id));
	set_column(slot, col->line_no, Int32GetDatum(record->record_no));
	if (record->has_device)
		set_column(slot, col->device, CStringGetTextDatum(record->device));
	set_column(slot, col->credential_kind,
			   state->kind_names[record->credential_kind]);
	set_column(slot, col->credential, CStringGetTextDatum(record->credential));
	if (has_employee)
		set_column(slot, col->employee_id, Int32GetDatum(employee_id));
	if (record->direction != INGEST_DIRECTION_NONE)
		set_column(slot, col->direction,
				   state->direction_names[record->direction]);
	if (record->has_device_state)
		set_column(slot, col->device_state,
				   Int16GetDatum((int16) record->device_state));
	set_column(slot, col->counts_for_attendance,
			   BoolGetDatum(record->counts_for_attendance));
	set_column(slot, col->raw, ingest_raw_text(record, false));
	set_column(slot, col->local_time_ambiguous, BoolGetDatum(ambiguous));
	if (record->clock_jump_sec > 0)
		set_column(slot, col->clock_jump_sec,
				   Int32GetDatum(record->clock_jump_sec));
	return event_writer_add(state->writer);
}

/*
 * Rejects a record that was read when its time is out of the limits;
 * otherwise resolves its employee and hands it to the writer.
 */
static void
store_event(IngestState *state, const IngestRecord *record,
			Timestamp local_time)
{
	bool		ambiguous;
	TimestampTz at = record_utc_time(state, record, local_time, &ambiguous);
	const IngestTime *t = &record->time;
	char		reason[INGEST_REASON_SIZE];
	DateADT		date;
	int32		employee_id = 0;
	const char *kind;
	bool		has_employee;
	PendingEntry *pending;
	bool		found;

	if (at < state->not_before || at > state->not_after)
	{
		snprintf(reason, sizeof(reason),
				 at < state->not_before ?
				 "The time %04d-%02d-%02d %02d:%02d:%02d is before 2001-01-01." :
				 "The time %04d-%02d-%02d %02d:%02d:%02d is more than one day in the future.",
				 t->year, t->month, t->day, t->hour, t->minute, t->second);
		reject_record(state, record, reason, false);
		return;
	}

	date = ingest_zone_local_date(state->zone, at);
	kind = ingest_credential_kind_name(record->credential_kind);
	has_employee = credential_map_lookup(state->credentials, kind,
										 record->credential, date,
										 &employee_id);
	if (!add_event(state, record, at, ambiguous, has_employee, employee_id))
		return;
	state->inserted++;
	if (!record->counts_for_attendance)
		state->non_attendance++;
	else if (!has_employee)
		state->unknown_credential++;
	else
	{
		pending = pending_insert(state->pending,
								 ((uint64) (uint32) employee_id << 32) |
								 ((uint32) date >> 5),
								 &found);
		if (!found)
			pending->days = 0;
		pending->days |= UINT32_C(1) << ((uint32) date & 31);
	}
}

/* Parser callback: rejects or stores one record. */
static void
store_record(const IngestRecord *record, void *arg)
{
	IngestState *state = (IngestState *) arg;
	MemoryContext old;
	Timestamp	local_time = 0;

	CHECK_FOR_INTERRUPTS();
	old = MemoryContextSwitchTo(state->row_cxt);
	state->read++;
	if (record->reject_reason[0] != '\0')
		reject_record(state, record, record->reject_reason, true);
	else if (!ingest_record_local_time(record, &local_time))
		reject_record(state, record,
					  "The date-time is outside the range of a timestamp.",
					  true);
	else
		store_event(state, record, local_time);
	MemoryContextSwitchTo(old);
	MemoryContextReset(state->row_cxt);
}

/* Reads the ambiguous ranges from three parallel arrays (NULL: none). */
static void
read_ambiguous(IngestState *state, FunctionCallInfo fcinfo)
{
	Datum	   *from;
	Datum	   *to;
	Datum	   *offsets;
	int			n_from;
	int			n_to;
	int			n_offsets;
	int			i;

	state->nambiguous = 0;
	if (PG_ARGISNULL(8) || PG_ARGISNULL(9) || PG_ARGISNULL(10))
		return;
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(8), TIMESTAMPOID, 8,
					  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &from, NULL, &n_from);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(9), TIMESTAMPOID, 8,
					  FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &to, NULL, &n_to);
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(10), INTERVALOID, sizeof(Interval),
					  false, TYPALIGN_DOUBLE, &offsets, NULL, &n_offsets);
	if (n_from != n_to || n_from != n_offsets)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("the arrays of ambiguous local times differ in length")));
	state->ambiguous = palloc(sizeof(AmbiguousRange) * Max(n_from, 1));
	for (i = 0; i < n_from; i++)
	{
		Interval   *offset = DatumGetIntervalP(offsets[i]);
		AmbiguousRange *range = &state->ambiguous[i];

		range->local_from = DatumGetTimestamp(from[i]);
		range->local_to = DatumGetTimestamp(to[i]);
		/* a timestamp without time zone takes a day as 24 hours */
		range->first_offset = offset->time +
			(int64) offset->day * USECS_PER_DAY;
	}
	state->nambiguous = n_from;
}

/* Finds the columns of skud_event that ingest fills. */
static void
find_columns(IngestState *state)
{
	EventWriter *w = state->writer;
	EventColumns *col = &state->col;

	col->org_id = event_writer_column(w, "org_id", INT4OID);
	col->occurred_at = event_writer_column(w, "occurred_at", TIMESTAMPTZOID);
	col->source_id = event_writer_column(w, "source_id", INT4OID);
	col->external_id = event_writer_column(w, "external_id", TEXTOID);
	col->batch_id = event_writer_column(w, "batch_id", INT8OID);
	col->line_no = event_writer_column(w, "line_no", INT4OID);
	col->device = event_writer_column(w, "device", TEXTOID);
	col->credential_kind = event_writer_column(w, "credential_kind", TEXTOID);
	col->credential = event_writer_column(w, "credential", TEXTOID);
	col->employee_id = event_writer_column(w, "employee_id", INT4OID);
	col->direction = event_writer_column(w, "direction", TEXTOID);
	col->device_state = event_writer_column(w, "device_state", INT2OID);
	col->counts_for_attendance = event_writer_column(w, "counts_for_attendance",
													 BOOLOID);
	col->raw = event_writer_column(w, "raw", TEXTOID);
	col->local_time_ambiguous = event_writer_column(w, "local_time_ambiguous",
													BOOLOID);
	col->clock_jump_sec = event_writer_column(w, "clock_jump_sec", INT4OID);
}

/* Orders the keys of employee-days by employee, then date. */
static int
compare_pending_keys(const void *a, const void *b)
{
	uint64		x = *(const uint64 *) a;
	uint64		y = *(const uint64 *) b;
	int32		employee_x = (int32) (x >> 32);
	int32		employee_y = (int32) (y >> 32);
	DateADT		day_x = (DateADT) (uint32) x;
	DateADT		day_y = (DateADT) (uint32) y;

	if (employee_x != employee_y)
		return employee_x < employee_y ? -1 : 1;
	return (day_x > day_y) - (day_x < day_y);
}

/*
 * Returns the marked employee-days as two arrays, in the order of
 * attendance_pending's primary key.  The hash table's order is random, and
 * the INSERT ... ON CONFLICT of ingest_bytes then touches a different leaf
 * page of the key's index for nearly every row.
 */
static void
pending_arrays(IngestState *state, Datum *employees, Datum *days)
{
	pending_iterator it;
	PendingEntry *entry;
	uint64		n = 0;
	uint64	   *keys;
	Datum	   *employee_values;
	Datum	   *day_values;
	uint64		i;

	pending_start_iterate(state->pending, &it);
	while ((entry = pending_iterate(state->pending, &it)) != NULL)
		n += pg_popcount32(entry->days);
	keys = palloc_extended(sizeof(uint64) * Max(n, 1), MCXT_ALLOC_HUGE);
	employee_values = palloc_extended(sizeof(Datum) * Max(n, 1),
									  MCXT_ALLOC_HUGE);
	day_values = palloc_extended(sizeof(Datum) * Max(n, 1), MCXT_ALLOC_HUGE);

	/* each key is employee_id << 32 | date, for the sort */
	i = 0;
	pending_start_iterate(state->pending, &it);
	while ((entry = pending_iterate(state->pending, &it)) != NULL)
	{
		uint64		employee = entry->key >> 32;
		uint32		first_day = (uint32) entry->key << 5;
		uint32		days = entry->days;

		while (days != 0)
		{
			int			bit = pg_rightmost_one_pos32(days);

			keys[i++] = employee << 32 | (first_day | (uint32) bit);
			days &= days - 1;
		}
	}
	qsort(keys, n, sizeof(uint64), compare_pending_keys);
	for (i = 0; i < n; i++)
	{
		employee_values[i] = Int32GetDatum((int32) (keys[i] >> 32));
		day_values[i] = DateADTGetDatum((DateADT) (uint32) keys[i]);
	}
	pfree(keys);
	*employees = PointerGetDatum(construct_array(employee_values, (int) n,
												 INT4OID, 4, true,
												 TYPALIGN_INT));
	*days = PointerGetDatum(construct_array(day_values, (int) n, DATEOID,
											4, true, TYPALIGN_INT));
}

/* Returns an array of the records kept, or an empty one. */
static Datum
kept_array(ArrayBuildState *built, Oid type)
{
	if (built == NULL)
		return PointerGetDatum(construct_empty_array(type));
	return makeArrayResult(built, CurrentMemoryContext);
}

/*
 * ingest_events(org_id, source_id, batch_id, format, content, time_zone,
 *				 not_before, not_after, ambiguous_from, ambiguous_to,
 *				 ambiguous_offset) returns record
 *
 * Stores the new events of content in skud_event and returns the counts,
 * the employee-days to mark in attendance_pending and the rejected records.
 * Returns streamed false, and stores nothing, when skud_event cannot take
 * rows this way (triggers, row-level security, privileges).
 */
Datum
otan_enbek_ingest_events(PG_FUNCTION_ARGS)
{
	TupleDesc	desc;
	Datum		values[INGEST_EVENTS_COLUMNS];
	bool		nulls[INGEST_EVENTS_COLUMNS];
	IngestState state;
	bytea	   *content;
	int			i;

	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "ingest_events must return a record");
	for (i = 0; i < 8; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d of ingest_events is NULL", i + 1)));
	for (i = 0; i < INGEST_EVENTS_COLUMNS; i++)
		nulls[i] = true;
	values[OUT_STREAMED] = BoolGetDatum(false);
	nulls[OUT_STREAMED] = false;

	memset(&state, 0, sizeof(state));
	state.writer = event_writer_open();
	if (state.writer == NULL)
		PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values,
														  nulls)));

	state.org_id = PG_GETARG_INT32(0);
	state.source_id = PG_GETARG_INT32(1);
	state.batch_id = PG_GETARG_INT64(2);
	content = PG_GETARG_BYTEA_PP(4);
	state.zone = ingest_zone_open(PG_GETARG_TEXT_PP(5));
	state.not_before = PG_GETARG_TIMESTAMPTZ(6);
	state.not_after = PG_GETARG_TIMESTAMPTZ(7);
	read_ambiguous(&state, fcinfo);
	find_columns(&state);
	state.credentials = credential_map_load(state.org_id, state.source_id);
	state.pending = pending_create(CurrentMemoryContext, 1024, NULL);
	state.kind_names[INGEST_CREDENTIAL_PERSON] = CStringGetTextDatum("person");
	state.kind_names[INGEST_CREDENTIAL_CARD] = CStringGetTextDatum("card");
	state.direction_names[INGEST_DIRECTION_IN] = CStringGetTextDatum("in");
	state.direction_names[INGEST_DIRECTION_OUT] = CStringGetTextDatum("out");
	state.row_cxt = AllocSetContextCreate(CurrentMemoryContext,
										  "ingest_events record",
										  ALLOCSET_DEFAULT_SIZES);

	ingest_check_utf8(VARDATA_ANY(content), VARSIZE_ANY_EXHDR(content));
	ingest_run_parser(PG_GETARG_TEXT_PP(3), VARDATA_ANY(content),
					  VARSIZE_ANY_EXHDR(content), store_record, &state,
					  "parsing", true);
	if (event_writer_close(state.writer) != state.inserted)
		elog(ERROR, "ingest_events stored a different number of events than it counted");

	values[OUT_STREAMED] = BoolGetDatum(true);
	values[OUT_READ] = Int64GetDatum(state.read);
	values[OUT_INSERTED] = Int64GetDatum(state.inserted);
	values[OUT_REJECTED] = Int64GetDatum(state.rejected);
	values[OUT_UNKNOWN_CREDENTIAL] = Int64GetDatum(state.unknown_credential);
	values[OUT_NON_ATTENDANCE] = Int64GetDatum(state.non_attendance);
	pending_arrays(&state, &values[OUT_PENDING_EMPLOYEE_IDS],
				   &values[OUT_PENDING_WORK_DAYS]);
	values[OUT_REJECT_LINE_NOS] = kept_array(state.reject_line_nos, INT4OID);
	values[OUT_REJECT_REASONS] = kept_array(state.reject_reasons, TEXTOID);
	values[OUT_REJECT_RAWS] = kept_array(state.reject_raws, TEXTOID);
	for (i = 0; i < INGEST_EVENTS_COLUMNS; i++)
		nulls[i] = false;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
