/*-------------------------------------------------------------------------
 *
 * parse_events.c
 *	  SQL functions over the event parsers: parse_events, which returns the
 *	  records of a file as rows, and event_months, which finds the months
 *	  of its events before they are stored.  invalid_utf8_offset and
 *	  invalid_utf8_reason locate and describe bytes that are not UTF-8.
 *
 * The parsers themselves are plain C (see ingest.h); the helpers of
 * ingest_pg.h that run them inside the server are here.  The parsers call
 * back for every record, and the callbacks here may raise an error: that is
 * safe, because the parsers hold no resources.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/dbcommands.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "ingest/ingest.h"
#include "ingest/ingest_pg.h"
#include "ingest/zone.h"
#include "message_value.h"
#include "progress.h"

PG_FUNCTION_INFO_V1(otan_enbek_parse_events_text);
PG_FUNCTION_INFO_V1(otan_enbek_parse_events_bytea);
PG_FUNCTION_INFO_V1(otan_enbek_event_months);
PG_FUNCTION_INFO_V1(otan_enbek_invalid_utf8_offset);
PG_FUNCTION_INFO_V1(otan_enbek_invalid_utf8_reason);

/* Maximum length of the raw text kept for a rejected record, in bytes */
#define REJECT_RAW_MAX_BYTES 1000

/* Columns of parse_events */
enum
{
	COL_RECORD_NO,
	COL_EXTERNAL_ID,
	COL_LOCAL_TIME,
	COL_UTC_OFFSET,
	COL_DEVICE,
	COL_CREDENTIAL_KIND,
	COL_CREDENTIAL,
	COL_DIRECTION,
	COL_DEVICE_STATE,
	COL_COUNTS_FOR_ATTENDANCE,
	COL_RAW,
	COL_REJECT_REASON,
	COL_CLOCK_JUMP_SEC,
	PARSE_EVENTS_COLUMNS
};

/* Columns of parse_events in version 1.0, which has no clock_jump_sec */
#define PARSE_EVENTS_COLUMNS_1_0 COL_CLOCK_JUMP_SEC

/* State of parse_events while the parser runs */
typedef struct ParseEventsState
{
	Tuplestorestate *tuplestore;
	TupleDesc	tupdesc;
	MemoryContext row_context;	/* reset after each row */
} ParseEventsState;

/* State of event_months while the parser runs */
typedef struct EventMonthsState
{
	IngestZone *zone;
	TimestampTz not_before;
	TimestampTz not_after;
	int			first_month;	/* UTC month of not_before, as year * 12 +
								 * month - 1 */
	int			month_count;	/* months from not_before to not_after */
	bool	   *seen;			/* seen[i]: an event in first_month + i */
} EventMonthsState;

/*
 * Returns the offset of the first character that is not valid UTF-8, or -1
 * when the whole buffer is valid.  NUL bytes count as valid here: the
 * parsers reject the records that contain them, with their line numbers.
 */
static int64
find_invalid_utf8(const char *buf, size_t len)
{
	size_t		pos = 0;

	/* a varlena is at most 1 GB long, so every length here fits in an int */
	while (pos < len)
	{
		pos += pg_encoding_verifymbstr(PG_UTF8, buf + pos, (int) (len - pos));
		if (pos >= len)
			break;
		if (buf[pos] != '\0')
			return (int64) pos;
		pos++;
	}
	return -1;
}

/*
 * Returns the offset of the first byte that makes the buffer invalid UTF-8,
 * or the length when it ends inside a character, and writes a sentence
 * that names the byte and what was expected into detail.  Returns -1 when
 * the buffer is valid (NUL bytes aside).
 */
static int64
locate_invalid_utf8(const char *buf, size_t len, char *detail,
					size_t detail_size)
{
	int64		start = find_invalid_utf8(buf, len);

	if (start < 0)
		return -1;
	return (int64) ingest_describe_invalid_utf8(buf, len, (size_t) start,
												detail, detail_size);
}

/*
 * Raises an error unless the database encoding is UTF8.  The parsers decode
 * JSON \u escapes to UTF-8 and cut values at UTF-8 character boundaries, so
 * in a database of another encoding they would store wrong text.
 */
static void
check_database_encoding(void)
{
	if (GetDatabaseEncoding() != PG_UTF8)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("otan_enbek ingest requires a database with encoding UTF8"),
				 errdetail("The encoding of database \"%s\" is %s.",
						   get_database_name(MyDatabaseId),
						   GetDatabaseEncodingName()),
				 errhint("Create the database with ENCODING 'UTF8'.")));
}

/* Looks up the format by name, or raises an error that lists the names. */
static IngestFormat
lookup_format(text *name)
{
	IngestFormat format;

	if (!ingest_format_from_name(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name),
								 &format))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown ingest format \"%s\"",
						message_value(VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name))),
				 errdetail("Valid formats are %s.", INGEST_FORMAT_NAMES)));
	return format;
}

/* Returns a hint for content that the format's parser cannot read. */
static const char *
format_hint(IngestFormat format)
{
	switch (format)
	{
		case INGEST_FORMAT_HIKVISION:
			return "Give the JSON body of a response to POST /ISAPI/AccessControl/AcsEvent?format=json, one response per call.";
		case INGEST_FORMAT_CSV:
			return "The first row must name the columns: occurred_at and credential (or card_no) are required; credential_kind, device, direction and external_id are optional.";
		case INGEST_FORMAT_ZKTECO:
			break;
	}
	return "Split the content into smaller parts.";
}

/* A parser callback with the progress of the content it reads */
typedef struct ProgressCallback
{
	IngestRecordCallback callback;
	void	   *arg;
	const char *buf;
	size_t		len;
	uint32		records;
	ClockWatch *watch;			/* NULL when clocks are not watched */
} ProgressCallback;

/* Records between two progress updates, so that updates cost little */
#define PROGRESS_RECORDS 1024

/*
 * Sets the record's clock_jump_sec, passes the record on and, every
 * PROGRESS_RECORDS records, reports the bytes read so far, taken from where
 * the record's raw text ends in the content.
 */
static void
call_with_progress(const IngestRecord *record, void *arg)
{
	ProgressCallback *pc = (ProgressCallback *) arg;

	/* The record is the parser's own variable, which is not const. */
	clock_watch_record(pc->watch, unconstify(IngestRecord *, record));
	pc->callback(record, pc->arg);
	if (++pc->records % PROGRESS_RECORDS == 0 && record->raw >= pc->buf &&
		record->raw + record->raw_len <= pc->buf + pc->len)
		progress_set_done(record->raw + record->raw_len - pc->buf);
}

/*
 * Runs the parser of the named format over content and raises an error when
 * the content as a whole cannot be read.  The bytes read are reported as
 * the named phase of the backend's progress.
 */
void
ingest_run_parser(text *format_name, const char *buf, size_t len,
				  IngestRecordCallback callback, void *arg, const char *phase,
				  bool watch_clocks)
{
	IngestFormat format = lookup_format(format_name);
	IngestError error;
	ProgressCallback pc = {callback, arg, buf, len, 0, NULL};

	check_database_encoding();
	memset(&error, 0, sizeof(error));
	progress_begin_phase(phase, "bytes", len);
	if (watch_clocks)
		pc.watch = clock_watch_start(format);
	if (!ingest_parse(format, buf, len, call_with_progress, &pc, &error))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
				 errmsg("%s", error.message),
				 errdetail("%s", error.detail),
				 errhint("%s", format_hint(format))));
	clock_watch_end(pc.watch);
	progress_set_done(len);
}

/* Converts a record's local date-time to a timestamp; false if out of range. */
bool
ingest_record_local_time(const IngestRecord *record, Timestamp *result)
{
	struct pg_tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = record->time.year;
	tm.tm_mon = record->time.month;
	tm.tm_mday = record->time.day;
	tm.tm_hour = record->time.hour;
	tm.tm_min = record->time.minute;
	tm.tm_sec = record->time.second;
	return tm2timestamp(&tm, record->time.microsecond, NULL, result) == 0 &&
		IS_VALID_TIMESTAMP(*result);
}

/*
 * Makes the text of a record's raw bytes.  A rejected record's text is cut
 * to REJECT_RAW_MAX_BYTES at a character boundary; NUL bytes, which text
 * cannot hold, become U+FFFD.
 */
Datum
ingest_raw_text(const IngestRecord *record, bool rejected)
{
	size_t		len = record->raw_len;
	StringInfoData buf;
	size_t		i;

	if (rejected && len > REJECT_RAW_MAX_BYTES)
	{
		len = REJECT_RAW_MAX_BYTES;
		while (len > 0 && ((unsigned char) record->raw[len] & 0xC0) == 0x80)
			len--;
	}
	if (memchr(record->raw, '\0', len) == NULL)
		return PointerGetDatum(cstring_to_text_with_len(record->raw, len));

	initStringInfo(&buf);
	for (i = 0; i < len; i++)
	{
		if (record->raw[i] == '\0')
			appendStringInfoString(&buf, "\xEF\xBF\xBD");
		else
			appendStringInfoChar(&buf, record->raw[i]);
	}
	return PointerGetDatum(cstring_to_text_with_len(buf.data, buf.len));
}

/* Fills the columns of a record that was read. */
static void
fill_event_columns(const IngestRecord *record, Timestamp local_time,
				   Datum *values, bool *nulls)
{
	values[COL_EXTERNAL_ID] = CStringGetTextDatum(record->external_id);
	values[COL_LOCAL_TIME] = TimestampGetDatum(local_time);
	nulls[COL_EXTERNAL_ID] = nulls[COL_LOCAL_TIME] = false;
	if (record->time.has_offset)
	{
		values[COL_UTC_OFFSET] = Int32GetDatum(record->time.utc_offset_sec);
		nulls[COL_UTC_OFFSET] = false;
	}
	if (record->has_device)
	{
		values[COL_DEVICE] = CStringGetTextDatum(record->device);
		nulls[COL_DEVICE] = false;
	}
	values[COL_CREDENTIAL_KIND] =
		CStringGetTextDatum(ingest_credential_kind_name(record->credential_kind));
	values[COL_CREDENTIAL] = CStringGetTextDatum(record->credential);
	nulls[COL_CREDENTIAL_KIND] = nulls[COL_CREDENTIAL] = false;
	if (record->direction != INGEST_DIRECTION_NONE)
	{
		values[COL_DIRECTION] =
			CStringGetTextDatum(ingest_direction_name(record->direction));
		nulls[COL_DIRECTION] = false;
	}
	if (record->has_device_state)
	{
		values[COL_DEVICE_STATE] = Int16GetDatum((int16) record->device_state);
		nulls[COL_DEVICE_STATE] = false;
	}
	values[COL_COUNTS_FOR_ATTENDANCE] = BoolGetDatum(record->counts_for_attendance);
	nulls[COL_COUNTS_FOR_ATTENDANCE] = false;
	if (record->clock_jump_sec > 0)
	{
		values[COL_CLOCK_JUMP_SEC] = Int32GetDatum(record->clock_jump_sec);
		nulls[COL_CLOCK_JUMP_SEC] = false;
	}
}

/* Parser callback of parse_events: stores one row. */
static void
put_record(const IngestRecord *record, void *arg)
{
	ParseEventsState *state = (ParseEventsState *) arg;
	Datum		values[PARSE_EVENTS_COLUMNS];
	bool		nulls[PARSE_EVENTS_COLUMNS];
	const char *reason = record->reject_reason;
	Timestamp	local_time = 0;
	MemoryContext old_context;
	int			i;

	CHECK_FOR_INTERRUPTS();
	old_context = MemoryContextSwitchTo(state->row_context);

	for (i = 0; i < PARSE_EVENTS_COLUMNS; i++)
		nulls[i] = true;
	if (reason[0] == '\0' && !ingest_record_local_time(record, &local_time))
		reason = "The date-time is outside the range of a timestamp.";

	values[COL_RECORD_NO] = Int32GetDatum(record->record_no);
	nulls[COL_RECORD_NO] = false;
	values[COL_RAW] = ingest_raw_text(record, reason[0] != '\0');
	nulls[COL_RAW] = false;
	if (reason[0] != '\0')
	{
		values[COL_REJECT_REASON] = CStringGetTextDatum(reason);
		nulls[COL_REJECT_REASON] = false;
	}
	else
		fill_event_columns(record, local_time, values, nulls);

	tuplestore_putvalues(state->tuplestore, state->tupdesc, values, nulls);
	MemoryContextSwitchTo(old_context);
	MemoryContextReset(state->row_context);
}

/* Parses content into the tuplestore of a materialize-mode call. */
static Datum
parse_events(FunctionCallInfo fcinfo, const char *buf, size_t len)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	ParseEventsState state;

	InitMaterializedSRF(fcinfo, 0);
	state.tuplestore = rsinfo->setResult;
	state.tupdesc = rsinfo->setDesc;
	if (state.tupdesc->natts != PARSE_EVENTS_COLUMNS &&
		state.tupdesc->natts != PARSE_EVENTS_COLUMNS_1_0)
		elog(ERROR, "parse_events returns %d columns, expected %d",
			 state.tupdesc->natts, PARSE_EVENTS_COLUMNS);
	state.row_context = AllocSetContextCreate(CurrentMemoryContext,
											  "parse_events row",
											  ALLOCSET_DEFAULT_SIZES);

	ingest_run_parser(PG_GETARG_TEXT_PP(0), buf, len, put_record, &state,
					  "parsing", true);

	MemoryContextDelete(state.row_context);
	return (Datum) 0;
}

/*
 * parse_events(format text, content text) returns setof record
 *
 * Returns one row for each record of the content: the event that was read,
 * or the reject reason of a record that could not be read.
 */
Datum
otan_enbek_parse_events_text(PG_FUNCTION_ARGS)
{
	text	   *content = PG_GETARG_TEXT_PP(1);

	return parse_events(fcinfo, VARDATA_ANY(content),
						VARSIZE_ANY_EXHDR(content));
}

/* Raises an error unless content is UTF-8 (NUL bytes aside). */
void
ingest_check_utf8(const char *buf, size_t len)
{
	char		detail[INGEST_REASON_SIZE];

	if (locate_invalid_utf8(buf, len, detail, sizeof(detail)) >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
				 errmsg("content is not valid UTF-8"),
				 errdetail("%s", detail),
				 errhint("Convert the content to UTF-8 first; exports of Windows programs are often in CP1251.")));
}

/*
 * parse_events(format text, content bytea) returns setof record
 *
 * The same for raw bytes, such as a file read by pg_read_binary_file; the
 * bytes must be UTF-8.
 */
Datum
otan_enbek_parse_events_bytea(PG_FUNCTION_ARGS)
{
	bytea	   *content = PG_GETARG_BYTEA_PP(1);

	ingest_check_utf8(VARDATA_ANY(content), VARSIZE_ANY_EXHDR(content));
	return parse_events(fcinfo, VARDATA_ANY(content),
						VARSIZE_ANY_EXHDR(content));
}

/*
 * Returns the UTC month of a time as year * 12 + month - 1.  The time lies
 * within the bounds of event_time_bounds.
 */
static int
utc_month(TimestampTz at)
{
	struct pg_tm tm;
	fsec_t		fsec;

	if (timestamp2tm(at, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "timestamp " INT64_FORMAT " has no UTC month", at);
	return tm.tm_year * 12 + tm.tm_mon - 1;
}

/*
 * Sets the earliest and the latest UTC time that an event can have.  The
 * parsers read local times of the years 1 to 9999, and no UTC offset, of a
 * record or of a time zone, reaches a whole day.
 */
static void
event_time_bounds(TimestampTz *earliest, TimestampTz *latest)
{
	*earliest = (TimestampTz) (date2j(1, 1, 1) - 1 - POSTGRES_EPOCH_JDATE) *
		USECS_PER_DAY;
	*latest = (TimestampTz) (date2j(10000, 1, 1) + 1 - POSTGRES_EPOCH_JDATE) *
		USECS_PER_DAY;
}

/*
 * Parser callback of event_months: marks the UTC month of the event's time,
 * converted as ingest converts it, when the time is within the limits.
 */
static void
mark_event_month(const IngestRecord *record, void *arg)
{
	EventMonthsState *state = (EventMonthsState *) arg;
	Timestamp	local_time;
	TimestampTz at;

	CHECK_FOR_INTERRUPTS();
	if (record->reject_reason[0] != '\0' ||
		!ingest_record_local_time(record, &local_time))
		return;
	if (record->time.has_offset)
		at = local_time - (TimestampTz) record->time.utc_offset_sec * USECS_PER_SEC;
	else
		at = ingest_zone_to_utc(state->zone, local_time);
	if (at < state->not_before || at > state->not_after)
		return;
	state->seen[utc_month(at) - state->first_month] = true;
}

/*
 * event_months(format text, content bytea, time_zone text,
 *				not_before timestamptz, not_after timestamptz)
 *		returns setof timestamptz
 *
 * Returns the start of each UTC month that has an event of content between
 * not_before and not_after, with local times taken in time_zone.  ingest
 * calls it to create the partitions that the events need, and only those:
 * a device clock that was wrong for a while must not add years of empty
 * partitions.
 */
Datum
otan_enbek_event_months(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	bytea	   *content = PG_GETARG_BYTEA_PP(1);
	EventMonthsState state;
	TimestampTz earliest;
	TimestampTz latest;
	int			i;

	state.zone = ingest_zone_open(PG_GETARG_TEXT_PP(2));
	state.not_before = PG_GETARG_TIMESTAMPTZ(3);
	state.not_after = PG_GETARG_TIMESTAMPTZ(4);
	if (state.not_after < state.not_before)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("not_after is before not_before")));

	/*
	 * Limits beyond the times that an event can have, infinite ones
	 * included, select no more events, so they are narrowed to those times.
	 * The content is parsed even when no time is left, so that unreadable
	 * content still raises its error.
	 */
	event_time_bounds(&earliest, &latest);
	state.not_before = Max(state.not_before, earliest);
	state.not_after = Min(state.not_after, latest);
	state.first_month = 0;
	state.month_count = 0;
	if (state.not_after >= state.not_before)
	{
		state.first_month = utc_month(state.not_before);
		state.month_count = utc_month(state.not_after) - state.first_month + 1;
	}
	state.seen = palloc0(sizeof(bool) * Max(state.month_count, 1));

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	ingest_check_utf8(VARDATA_ANY(content), VARSIZE_ANY_EXHDR(content));
	ingest_run_parser(PG_GETARG_TEXT_PP(0), VARDATA_ANY(content),
			   VARSIZE_ANY_EXHDR(content), mark_event_month, &state,
			   "checking", false);

	for (i = 0; i < state.month_count; i++)
	{
		int			month = state.first_month + i;
		struct pg_tm tm;
		Timestamp	month_start;
		Datum		value;
		bool		isnull = false;

		if (!state.seen[i])
			continue;
		memset(&tm, 0, sizeof(tm));
		tm.tm_year = month / 12;
		tm.tm_mon = month % 12 + 1;
		tm.tm_mday = 1;
		if (tm2timestamp(&tm, 0, NULL, &month_start) != 0)
			elog(ERROR, "month %d is out of range", month);
		value = TimestampTzGetDatum(month_start);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, &value, &isnull);
	}
	return (Datum) 0;
}

/*
 * invalid_utf8_offset(content bytea) returns bigint
 *
 * Returns the byte offset of the first byte that makes content invalid
 * UTF-8, or its length when it ends inside a character, or NULL when all of
 * content is UTF-8.  NUL bytes are allowed, because the parsers reject the
 * records that contain them.
 */
Datum
otan_enbek_invalid_utf8_offset(PG_FUNCTION_ARGS)
{
	bytea	   *content = PG_GETARG_BYTEA_PP(0);
	char		detail[INGEST_REASON_SIZE];
	int64		offset = locate_invalid_utf8(VARDATA_ANY(content),
											 VARSIZE_ANY_EXHDR(content),
											 detail, sizeof(detail));

	if (offset < 0)
		PG_RETURN_NULL();
	PG_RETURN_INT64(offset);
}

/*
 * invalid_utf8_reason(content bytea) returns text
 *
 * Returns a sentence that names the first byte that makes content invalid
 * UTF-8, its offset and what was expected there, or NULL when all of
 * content is UTF-8 (NUL bytes aside).
 */
Datum
otan_enbek_invalid_utf8_reason(PG_FUNCTION_ARGS)
{
	bytea	   *content = PG_GETARG_BYTEA_PP(0);
	char		detail[INGEST_REASON_SIZE];

	if (locate_invalid_utf8(VARDATA_ANY(content), VARSIZE_ANY_EXHDR(content),
							detail, sizeof(detail)) < 0)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(detail));
}
