/*-------------------------------------------------------------------------
 *
 * csv.c
 *	  Parser of the generic CSV event format.
 *
 * RFC 4180: comma-separated fields, optionally in double quotes, a quote
 * inside a quoted field doubled, quoted fields may span lines; LF or CRLF
 * line ends.  The first record that is not blank is the header and names
 * the columns (case-insensitive, spaces around names ignored):
 *
 *	occurred_at		required; ISO 8601, with or without a UTC offset
 *	credential		required; the value the device reported
 *	credential_kind	person (default) or card
 *	device			device key within the source
 *	direction		in, out or empty
 *	external_id		event id within the source; derived when absent or
 *					empty, as for ZKTeco logs
 *
 * The columns of the benchmark generator are accepted as aliases: event_id
 * for external_id, card_no for credential (of kind card), device_id for
 * device.  Other columns are ignored.  Values are trimmed of spaces.  A
 * record is numbered by the line it starts on; blank lines are skipped.
 *
 * Plain C without PostgreSQL headers (see ingest.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "ingest/ingest.h"

#define MAX_COLUMNS 64

typedef enum CsvColumn
{
	COLUMN_IGNORED,
	COLUMN_OCCURRED_AT,
	COLUMN_CREDENTIAL,
	COLUMN_CREDENTIAL_KIND,
	COLUMN_DEVICE,
	COLUMN_DIRECTION,
	COLUMN_EXTERNAL_ID,
	COLUMN_COUNT				/* number of roles, not a role */
} CsvColumn;

/* Header names and the role each one gives its column */
static const struct
{
	const char *name;
	CsvColumn	column;
}			column_names[] =
{
	{"occurred_at", COLUMN_OCCURRED_AT},
	{"credential", COLUMN_CREDENTIAL},
	{"card_no", COLUMN_CREDENTIAL},
	{"credential_kind", COLUMN_CREDENTIAL_KIND},
	{"device", COLUMN_DEVICE},
	{"device_id", COLUMN_DEVICE},
	{"direction", COLUMN_DIRECTION},
	{"external_id", COLUMN_EXTERNAL_ID},
	{"event_id", COLUMN_EXTERNAL_ID},
};

/* A field of the current record: a slice of the reader's scratch buffer */
typedef struct CsvField
{
	size_t		start;
	size_t		len;
} CsvField;

/* Reads records one by one; fields are unquoted into scratch */
typedef struct CsvReader
{
	const char *buf;
	size_t		len;
	size_t		pos;
	int32_t		line_no;		/* line at pos */
	bool		too_many_lines;

	/* the current record */
	int32_t		record_line;
	size_t		record_start;
	size_t		record_end;		/* before the line end */
	const char *problem;		/* first syntax problem, as a sentence */
	char		scratch[INGEST_MAX_RECORD_BYTES];
	size_t		scratch_len;
	bool		scratch_full;
	CsvField	fields[MAX_COLUMNS];
	int			field_count;	/* may exceed MAX_COLUMNS; extra fields
								 * are counted, not kept */
} CsvReader;

/* The header: which role each column has, and where each role is */
typedef struct CsvHeader
{
	int			column_count;
	int			role_index[COLUMN_COUNT];	/* -1 when absent */
	bool		card_no;		/* credential comes from card_no */
} CsvHeader;

/* Records the first syntax problem of a record. */
static void
set_problem(CsvReader *r, const char *problem)
{
	if (r->problem == NULL)
		r->problem = problem;
}

/* Appends a byte to the current field. */
static void
put_byte(CsvReader *r, char c)
{
	if (r->scratch_len < sizeof(r->scratch))
		r->scratch[r->scratch_len++] = c;
	else
		r->scratch_full = true;
}

/* Tells whether pos is at the end of a line: LF, CRLF or end of input. */
static bool
at_line_end(const CsvReader *r, size_t pos)
{
	if (pos >= r->len || r->buf[pos] == '\n')
		return true;
	return r->buf[pos] == '\r' && (pos + 1 >= r->len || r->buf[pos + 1] == '\n');
}

/* Skips the rest of a malformed line. */
static void
skip_to_line_end(CsvReader *r)
{
	while (!at_line_end(r, r->pos))
		r->pos++;
}

/* Reads a quoted field; r->pos is at the opening quote. */
static void
read_quoted_field(CsvReader *r)
{
	r->pos++;
	for (;;)
	{
		if (r->pos >= r->len)
		{
			set_problem(r, "The quoted field is not closed before the end of the content.");
			return;
		}
		if (r->buf[r->pos] == '"')
		{
			if (r->pos + 1 < r->len && r->buf[r->pos + 1] == '"')
			{
				put_byte(r, '"');
				r->pos += 2;
				continue;
			}
			r->pos++;
			break;
		}
		if (r->buf[r->pos] == '\n')
			r->line_no = r->line_no < INT32_MAX ? r->line_no + 1 : INT32_MAX;
		put_byte(r, r->buf[r->pos++]);
	}
	if (r->pos < r->len && r->buf[r->pos] != ',' && !at_line_end(r, r->pos))
	{
		set_problem(r, "Text follows the closing quote of a field; a quote inside a field must be doubled.");
		skip_to_line_end(r);
	}
}

/* Reads an unquoted field up to a comma or the line end. */
static void
read_plain_field(CsvReader *r)
{
	while (r->pos < r->len && r->buf[r->pos] != ',' && !at_line_end(r, r->pos))
	{
		if (r->buf[r->pos] == '"')
			set_problem(r, "A field that is not quoted contains a double quote; quote the field and double the quote.");
		put_byte(r, r->buf[r->pos++]);
	}
}

/*
 * Reads the next record into the reader.  Returns false at the end of the
 * input.
 */
static bool
read_record(CsvReader *r)
{
	if (r->pos >= r->len)
		return false;

	r->record_line = r->line_no;
	r->record_start = r->pos;
	r->problem = NULL;
	r->scratch_len = 0;
	r->scratch_full = false;
	r->field_count = 0;

	for (;;)
	{
		size_t		start = r->scratch_len;

		if (r->pos < r->len && r->buf[r->pos] == '"')
			read_quoted_field(r);
		else
			read_plain_field(r);
		if (r->field_count < MAX_COLUMNS)
		{
			r->fields[r->field_count].start = start;
			r->fields[r->field_count].len = r->scratch_len - start;
		}
		r->field_count++;
		if (r->pos < r->len && r->buf[r->pos] == ',')
		{
			r->pos++;
			continue;
		}
		break;
	}

	/* r->pos is at the line end now */
	r->record_end = r->pos;
	if (r->pos < r->len && r->buf[r->pos] == '\r')
		r->pos++;
	if (r->pos < r->len && r->buf[r->pos] == '\n')
	{
		r->pos++;
		if (r->line_no == INT32_MAX)
			r->too_many_lines = true;
		else
			r->line_no++;
	}
	return true;
}

/* Returns field i of the current record, trimmed of spaces. */
static void
get_field(const CsvReader *r, int i, const char **s, size_t *len)
{
	*s = r->scratch + r->fields[i].start;
	*len = r->fields[i].len;
	ingest_trim(s, len);
}

/* Compares a slice with a lower-case ASCII name, ignoring case. */
static bool
equals_ignore_case(const char *s, size_t len, const char *name)
{
	size_t		i;

	if (strlen(name) != len)
		return false;
	for (i = 0; i < len; i++)
	{
		char		c = s[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (c != name[i])
			return false;
	}
	return true;
}

/* Lists the header's column names into dst, for an error detail. */
static void
list_columns(const CsvReader *r, char *dst, size_t dst_size)
{
	size_t		n = 0;
	int			i;

	dst[0] = '\0';
	for (i = 0; i < r->field_count && i < MAX_COLUMNS; i++)
	{
		const char *s;
		size_t		len;
		char		quoted[64];
		int			written;

		get_field(r, i, &s, &len);
		ingest_quote(quoted, sizeof(quoted), s, len);
		written = snprintf(dst + n, dst_size - n, "%s\"%s\"",
						   i > 0 ? ", " : "", quoted);
		if (written < 0 || (size_t) written >= dst_size - n)
			break;
		n += written;
	}
}

/* Sets the role of one header column; false with an error on a conflict. */
static bool
assign_column(CsvHeader *header, const char *name, CsvColumn column, int i,
			  IngestError *error)
{
	if (header->role_index[column] >= 0)
	{
		ingest_error(error, "CSV header names the same column twice",
					 "Column %d (\"%s\") repeats column %d; card_no is an alias of credential, device_id of device and event_id of external_id.",
					 i + 1, name, header->role_index[column] + 1);
		return false;
	}
	header->role_index[column] = i;
	if (strcmp(name, "card_no") == 0)
		header->card_no = true;
	return true;
}

/* Reads the header record into *header, or fills *error. */
static bool
read_header(const CsvReader *r, CsvHeader *header, IngestError *error)
{
	char		found[INGEST_REASON_SIZE - 64];
	int			i;
	size_t		k;

	if (r->problem != NULL || r->scratch_full || r->field_count > MAX_COLUMNS)
	{
		ingest_error(error, "invalid CSV header",
					 "%s", r->problem != NULL ? r->problem :
					 "The header row is too long or has more than 64 columns.");
		return false;
	}
	header->column_count = r->field_count;
	header->card_no = false;
	for (k = 0; k < COLUMN_COUNT; k++)
		header->role_index[k] = -1;

	for (i = 0; i < r->field_count; i++)
	{
		const char *s;
		size_t		len;

		get_field(r, i, &s, &len);
		for (k = 0; k < sizeof(column_names) / sizeof(column_names[0]); k++)
			if (equals_ignore_case(s, len, column_names[k].name) &&
				!assign_column(header, column_names[k].name,
							   column_names[k].column, i, error))
				return false;
	}

	list_columns(r, found, sizeof(found));
	if (header->role_index[COLUMN_OCCURRED_AT] < 0)
	{
		ingest_error(error, "CSV header has no occurred_at column",
					 "The header row names the columns %s.", found);
		return false;
	}
	if (header->role_index[COLUMN_CREDENTIAL] < 0)
	{
		ingest_error(error, "CSV header has no credential column",
					 "The header row names the columns %s.", found);
		return false;
	}
	if (header->card_no && header->role_index[COLUMN_CREDENTIAL_KIND] >= 0)
	{
		ingest_error(error, "CSV header has both card_no and credential_kind",
					 "card_no always holds card numbers; name the column credential to give the kind in credential_kind.");
		return false;
	}
	return true;
}

/* Tells whether a value contains a control character. */
static bool
has_control_char(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
		if ((unsigned char) s[i] < 0x20 || s[i] == 0x7F)
			return true;
	return false;
}

/*
 * Copies a value of the given column into dst (INGEST_VALUE_SIZE bytes, or
 * INGEST_EXTERNAL_ID_SIZE for the external id).  Returns false when the
 * value is empty or the column absent.  Rejects a value that is too long or
 * contains a control character.
 */
static bool
read_value(const CsvReader *r, const CsvHeader *header, CsvColumn column,
		   const char *name, size_t max_len, IngestRecord *record, char *dst)
{
	const char *s;
	size_t		len;

	if (header->role_index[column] < 0)
		return false;
	get_field(r, header->role_index[column], &s, &len);
	if (len == 0)
		return false;
	if (len > max_len)
	{
		ingest_reject(record, "The %s is longer than %zu bytes.", name, max_len);
		return false;
	}
	if (has_control_char(s, len))
	{
		ingest_reject(record, "The %s contains a control character.", name);
		return false;
	}
	memcpy(dst, s, len);
	dst[len] = '\0';
	return true;
}

/* Reads the time, the kind and the direction, which need parsing. */
static void
read_parsed_values(const CsvReader *r, const CsvHeader *header,
				   IngestRecord *record)
{
	char		value[INGEST_VALUE_SIZE];
	char		quoted[64];

	if (!read_value(r, header, COLUMN_OCCURRED_AT, "occurred_at",
					INGEST_MAX_VALUE_BYTES, record, value))
		ingest_reject(record, "The occurred_at is empty.");
	else if (!ingest_parse_iso8601(value, strlen(value), &record->time))
	{
		ingest_quote(quoted, sizeof(quoted), value, strlen(value));
		ingest_reject(record,
					  "The occurred_at \"%s\" is invalid: expected ISO 8601 such as 2024-03-01 08:12:33+05:00.",
					  quoted);
	}

	record->credential_kind = header->card_no ? INGEST_CREDENTIAL_CARD :
		INGEST_CREDENTIAL_PERSON;
	if (read_value(r, header, COLUMN_CREDENTIAL_KIND, "credential_kind",
				   INGEST_MAX_VALUE_BYTES, record, value))
	{
		if (equals_ignore_case(value, strlen(value), "card"))
			record->credential_kind = INGEST_CREDENTIAL_CARD;
		else if (!equals_ignore_case(value, strlen(value), "person"))
		{
			ingest_quote(quoted, sizeof(quoted), value, strlen(value));
			ingest_reject(record,
						  "The credential_kind \"%s\" is invalid: expected person or card.",
						  quoted);
		}
	}

	if (read_value(r, header, COLUMN_DIRECTION, "direction",
				   INGEST_MAX_VALUE_BYTES, record, value))
	{
		if (equals_ignore_case(value, strlen(value), "in"))
			record->direction = INGEST_DIRECTION_IN;
		else if (equals_ignore_case(value, strlen(value), "out"))
			record->direction = INGEST_DIRECTION_OUT;
		else
		{
			ingest_quote(quoted, sizeof(quoted), value, strlen(value));
			ingest_reject(record,
						  "The direction \"%s\" is invalid: expected in, out or an empty value.",
						  quoted);
		}
	}
}

/* Reads one data record into the record, or rejects it. */
static void
parse_record(const CsvReader *r, const CsvHeader *header, IngestRecord *record)
{
	if (r->record_end - r->record_start > INGEST_MAX_RECORD_BYTES ||
		r->scratch_full)
	{
		ingest_reject(record, "The record is longer than %d bytes.",
					  INGEST_MAX_RECORD_BYTES);
		return;
	}
	if (memchr(r->buf + r->record_start, '\0',
			   r->record_end - r->record_start) != NULL)
	{
		ingest_reject(record, "The record contains a NUL byte.");
		return;
	}
	if (r->problem != NULL)
	{
		ingest_reject(record, "%s", r->problem);
		return;
	}
	if (r->field_count != header->column_count)
	{
		ingest_reject(record, "Expected %d fields as in the header, found %d.",
					  header->column_count, r->field_count);
		return;
	}

	read_parsed_values(r, header, record);
	if (!read_value(r, header, COLUMN_CREDENTIAL, "credential",
					INGEST_MAX_VALUE_BYTES, record, record->credential))
		ingest_reject(record, "The credential is empty.");
	record->has_device = read_value(r, header, COLUMN_DEVICE, "device",
									INGEST_MAX_VALUE_BYTES, record,
									record->device);
	if (record->reject_reason[0] != '\0')
		return;
	if (!read_value(r, header, COLUMN_EXTERNAL_ID, "external_id",
					INGEST_MAX_EXTERNAL_ID_BYTES, record, record->external_id))
	{
		if (record->reject_reason[0] != '\0')
			return;
		ingest_derive_external_id(record,
								  ingest_direction_name(record->direction));
	}
}

/*
 * Parses generic CSV.  Content without a header row, or with a header that
 * lacks a required column, is unreadable, and nothing reaches the callback.
 */
bool
ingest_parse_csv(const char *buf, size_t len,
				 IngestRecordCallback callback, void *arg,
				 IngestError *error)
{
	CsvReader	reader;
	CsvReader  *r = &reader;
	CsvHeader	header;
	IngestRecord record;
	bool		have_header = false;

	memset(r, 0, sizeof(*r));
	r->buf = buf;
	r->len = len;
	r->pos = ingest_skip_bom(buf, len);
	r->line_no = 1;

	while (read_record(r))
	{
		const char *raw = buf + r->record_start;
		size_t		raw_len = r->record_end - r->record_start;

		if (r->too_many_lines)
		{
			ingest_error(error, "content has too many lines",
						 "Line numbers are limited to %d.", INT32_MAX);
			return false;
		}
		if (r->problem == NULL && r->field_count == 1 &&
			ingest_is_blank(raw, raw_len))
			continue;
		if (!have_header)
		{
			if (!read_header(r, &header, error))
				return false;
			have_header = true;
			continue;
		}
		ingest_record_start(&record, r->record_line, raw, raw_len);
		parse_record(r, &header, &record);
		callback(&record, arg);
	}
	if (!have_header)
	{
		ingest_error(error, "CSV content has no header row",
					 "The content is empty or has only blank lines.");
		return false;
	}
	return true;
}
