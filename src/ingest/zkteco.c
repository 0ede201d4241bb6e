/*-------------------------------------------------------------------------
 *
 * zkteco.c
 *	  Parser of ZKTeco attendance logs (attlog.dat).
 *
 * One punch a line, fields separated by tabs, LF or CRLF line ends, local
 * device time without an offset.  Two layouts exist, and each line is read
 * by the one it matches:
 *
 *	PIN, YYYY-MM-DD HH:MM:SS, device, state[, verify, work code, ...]
 *	PIN, name, YYYY-MM-DD HH:MM:SS, state[, verify, ...]
 *
 * The second (older firmware) has no device column.  The PIN is often
 * right-aligned with spaces, which are removed; leading zeros are kept,
 * because a PIN is a string on the device.  Fields after the state (verify
 * mode, work code, reserved) are not stored.
 *
 * NOTE: the fourth column of the older layout is read as the state, as
 * documented for that export.  A real file of this layout has 1 there on
 * every line, so on some firmware it may be something else, such as a
 * device number.
 *
 * States: 0 check-in, 1 check-out, 2 break out, 3 break in, 4 overtime in,
 * 5 overtime out, 255 no key pressed (no direction).  The log has no event
 * id, so the external id is derived from device, PIN, time and state.
 *
 * Plain C without PostgreSQL headers (see ingest.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "ingest/ingest.h"

/* More fields than this on a line is not a ZKTeco log */
#define MAX_FIELDS 16

/* The state with no key pressed */
#define STATE_NO_KEY 255

typedef struct Slice
{
	const char *s;
	size_t		len;
} Slice;

/* Tells whether a field starts like a date: four digits and a '-'. */
static bool
starts_like_date(Slice field)
{
	size_t		i;

	if (field.len < 5)
		return false;
	for (i = 0; i < 4; i++)
		if (field.s[i] < '0' || field.s[i] > '9')
			return false;
	return field.s[4] == '-';
}

/*
 * Splits a line at tabs into trimmed fields.  Returns the number of fields,
 * or -1 when there are more than MAX_FIELDS.
 */
static int
split_fields(const char *line, size_t len, Slice *fields)
{
	int			n = 0;
	size_t		start = 0;
	size_t		i;

	for (i = 0; i <= len; i++)
	{
		if (i < len && line[i] != '\t')
			continue;
		if (n == MAX_FIELDS)
			return -1;
		fields[n].s = line + start;
		fields[n].len = i - start;
		ingest_trim(&fields[n].s, &fields[n].len);
		n++;
		start = i + 1;
	}
	return n;
}

/* Tells whether a slice contains a control character (below 0x20, or DEL). */
static bool
has_control_char(Slice field)
{
	size_t		i;

	for (i = 0; i < field.len; i++)
		if ((unsigned char) field.s[i] < 0x20 || field.s[i] == 0x7F)
			return true;
	return false;
}

/* Maps a ZKTeco state to a direction. */
static IngestDirection
state_direction(int state)
{
	switch (state)
	{
		case 0:					/* check-in */
		case 3:					/* break in */
		case 4:					/* overtime in */
			return INGEST_DIRECTION_IN;
		case 1:					/* check-out */
		case 2:					/* break out */
		case 5:					/* overtime out */
			return INGEST_DIRECTION_OUT;
	}
	return INGEST_DIRECTION_NONE;
}

/* Reads the PIN into the record, or rejects it. */
static void
read_pin(Slice pin, IngestRecord *record)
{
	if (pin.len == 0)
		ingest_reject(record, "The PIN is empty.");
	else if (has_control_char(pin))
		ingest_reject(record, "The PIN contains a control character.");
	else if (!ingest_copy_value(record->credential, pin.s, pin.len))
		ingest_reject(record, "The PIN is longer than %d bytes.",
					  INGEST_MAX_VALUE_BYTES);
	record->credential_kind = INGEST_CREDENTIAL_PERSON;
}

/* Reads the state and its direction into the record, or rejects it. */
static void
read_state(Slice state, IngestRecord *record)
{
	int64_t		value;
	char		quoted[64];

	if (!ingest_parse_uint(state.s, state.len, 1000, &value) ||
		(value > 5 && value != STATE_NO_KEY))
	{
		ingest_quote(quoted, sizeof(quoted), state.s, state.len);
		ingest_reject(record,
					  "The state \"%s\" is not a ZKTeco state: expected 0 to 5, or 255 when no key was pressed.",
					  quoted);
		return;
	}
	record->has_device_state = true;
	record->device_state = (int) value;
	record->direction = state_direction((int) value);
}

/* Parses one line that is not blank. */
static void
parse_line(const char *line, size_t len, IngestRecord *record)
{
	Slice		fields[MAX_FIELDS];
	Slice		time_field;
	Slice		state_field;
	int			n;
	int			i;
	char		quoted[64];
	char		tag[8];

	if (len > INGEST_MAX_RECORD_BYTES)
	{
		ingest_reject(record, "The line is longer than %d bytes.",
					  INGEST_MAX_RECORD_BYTES);
		return;
	}
	if (memchr(line, '\0', len) != NULL)
	{
		ingest_reject(record, "The line contains a NUL byte.");
		return;
	}

	n = split_fields(line, len, fields);
	if (n < 0)
	{
		ingest_reject(record, "The line has more than %d tab-separated fields.",
					  MAX_FIELDS);
		return;
	}
	if (n < 4)
	{
		ingest_reject(record,
					  "Expected at least 4 tab-separated fields (PIN, date-time, device, state), found %d.",
					  n);
		return;
	}

	read_pin(fields[0], record);
	for (i = 1; i < n; i++)
	{
		if (fields[i].len > INGEST_MAX_VALUE_BYTES)
		{
			ingest_reject(record, "Field %d is longer than %d bytes.",
						  i + 1, INGEST_MAX_VALUE_BYTES);
			return;
		}
	}
	if (starts_like_date(fields[1]))
	{
		/* PIN, date-time, device, state, ... */
		time_field = fields[1];
		state_field = fields[3];
		if (has_control_char(fields[2]))
			ingest_reject(record, "The device contains a control character.");
		else if (fields[2].len > 0)
		{
			record->has_device = true;
			ingest_copy_value(record->device, fields[2].s, fields[2].len);
		}
	}
	else if (starts_like_date(fields[2]))
	{
		/* PIN, name, date-time, state, ... */
		time_field = fields[2];
		state_field = fields[3];
	}
	else
	{
		ingest_reject(record,
					  "Neither field 2 nor field 3 is a date-time (YYYY-MM-DD HH:MM:SS).");
		return;
	}

	if (!ingest_parse_device_time(time_field.s, time_field.len, &record->time))
	{
		ingest_quote(quoted, sizeof(quoted), time_field.s, time_field.len);
		ingest_reject(record,
					  "The date-time \"%s\" is invalid: expected an existing date and time as YYYY-MM-DD HH:MM:SS.",
					  quoted);
	}
	read_state(state_field, record);
	if (record->reject_reason[0] != '\0')
		return;

	snprintf(tag, sizeof(tag), "%d", record->device_state);
	ingest_derive_external_id(record, tag);
}

/*
 * Parses a ZKTeco attendance log.  Every line that is not blank gives one
 * record.  The content as a whole is unreadable only when it has more lines
 * than an int32 line number can count.
 */
bool
ingest_parse_zkteco(const char *buf, size_t len,
					IngestRecordCallback callback, void *arg,
					IngestError *error)
{
	IngestRecord record;
	size_t		pos = ingest_skip_bom(buf, len);
	int32_t		line_no = 0;

	while (pos < len)
	{
		const char *line = buf + pos;
		const char *newline = memchr(line, '\n', len - pos);
		size_t		line_len = newline ? (size_t) (newline - line) : len - pos;

		pos += line_len + (newline ? 1 : 0);
		if (line_no == INT32_MAX)
		{
			ingest_error(error, "content has too many lines",
						 "Line numbers are limited to %d.", INT32_MAX);
			return false;
		}
		line_no++;

		if (line_len > 0 && line[line_len - 1] == '\r')
			line_len--;
		if (ingest_is_blank(line, line_len))
			continue;

		ingest_record_start(&record, line_no, line, line_len);
		parse_line(line, line_len, &record);
		callback(&record, arg);
	}
	return true;
}
