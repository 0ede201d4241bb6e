/*-------------------------------------------------------------------------
 *
 * record.c
 *	  Format names, dispatch, and the helpers that the event parsers share:
 *	  starting and rejecting a record, trimming and copying values, and the
 *	  derived external id of events that carry no id of their own.
 *
 * Plain C without PostgreSQL headers (see ingest.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ingest/ingest.h"

/* Maximum length of a value quoted in a reject reason; longer ones end in "..." */
#define QUOTE_MAX_BYTES 40

/*
 * Looks up a format by its name (zkteco, hikvision or csv, in lower case).
 * Returns false for any other name.
 */
bool
ingest_format_from_name(const char *name, size_t len, IngestFormat *format)
{
	static const struct
	{
		const char *name;
		IngestFormat format;
	}			formats[] =
	{
		{"zkteco", INGEST_FORMAT_ZKTECO},
		{"hikvision", INGEST_FORMAT_HIKVISION},
		{"csv", INGEST_FORMAT_CSV},
	};
	size_t		i;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
	{
		if (strlen(formats[i].name) == len &&
			memcmp(formats[i].name, name, len) == 0)
		{
			*format = formats[i].format;
			return true;
		}
	}
	return false;
}

/* Runs the parser of the given format; see ingest.h for the contract. */
bool
ingest_parse(IngestFormat format, const char *buf, size_t len,
			 IngestRecordCallback callback, void *arg, IngestError *error)
{
	switch (format)
	{
		case INGEST_FORMAT_ZKTECO:
			return ingest_parse_zkteco(buf, len, callback, arg, error);
		case INGEST_FORMAT_HIKVISION:
			return ingest_parse_hikvision(buf, len, callback, arg, error);
		case INGEST_FORMAT_CSV:
			return ingest_parse_csv(buf, len, callback, arg, error);
	}
	ingest_error(error, "unknown ingest format", "Format code %d is not handled.",
				 (int) format);
	return false;
}

/* Resets a record to "read, nothing known yet". */
void
ingest_record_start(IngestRecord *record, int32_t record_no,
					const char *raw, size_t raw_len)
{
	record->record_no = record_no;
	record->raw = raw;
	record->raw_len = raw_len;
	record->reject_reason[0] = '\0';
	record->external_id[0] = '\0';
	memset(&record->time, 0, sizeof(record->time));
	record->has_device = false;
	record->device[0] = '\0';
	record->credential_kind = INGEST_CREDENTIAL_PERSON;
	record->credential[0] = '\0';
	record->direction = INGEST_DIRECTION_NONE;
	record->has_device_state = false;
	record->device_state = 0;
	record->counts_for_attendance = true;
	record->clock_jump_sec = 0;
}

/*
 * Marks the record as rejected with a reason, written as a sentence.  The
 * first reason wins, so that a record reports what went wrong first.
 */
void
ingest_reject(IngestRecord *record, const char *format,...)
{
	va_list		args;

	if (record->reject_reason[0] != '\0')
		return;
	va_start(args, format);
	vsnprintf(record->reject_reason, sizeof(record->reject_reason),
			  format, args);
	va_end(args);
}

/* Fills an error that makes the whole content unreadable. */
void
ingest_error(IngestError *error, const char *message,
			 const char *detail_format,...)
{
	va_list		args;

	snprintf(error->message, sizeof(error->message), "%s", message);
	va_start(args, detail_format);
	vsnprintf(error->detail, sizeof(error->detail), detail_format, args);
	va_end(args);
}

/* Returns the length of a UTF-8 byte order mark at the start, or 0. */
size_t
ingest_skip_bom(const char *buf, size_t len)
{
	if (len >= 3 && (unsigned char) buf[0] == 0xEF &&
		(unsigned char) buf[1] == 0xBB && (unsigned char) buf[2] == 0xBF)
		return 3;
	return 0;
}

/* Tells whether a line contains only spaces, tabs and carriage returns. */
bool
ingest_is_blank(const char *s, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* Removes leading and trailing spaces from a slice. */
void
ingest_trim(const char **s, size_t *len)
{
	while (*len > 0 && (*s)[0] == ' ')
	{
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && (*s)[*len - 1] == ' ')
		(*len)--;
}

/*
 * Copies a value into a buffer of INGEST_VALUE_SIZE bytes.  Returns false,
 * copying nothing, when the value is too long.
 */
bool
ingest_copy_value(char *dst, const char *src, size_t len)
{
	if (len > INGEST_MAX_VALUE_BYTES)
		return false;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return true;
}

/*
 * Writes a value for a reject reason: at most QUOTE_MAX_BYTES, cut at a
 * UTF-8 character boundary and marked with "...", with control characters
 * and NUL bytes shown as '?' so that the reason stays one printable line.
 */
void
ingest_quote(char *dst, size_t dst_size, const char *src, size_t len)
{
	size_t		n = len;
	size_t		i;
	size_t		out = 0;
	bool		cut = false;

	if (dst_size == 0)
		return;
	if (n > QUOTE_MAX_BYTES)
	{
		n = QUOTE_MAX_BYTES;
		/* back off over UTF-8 continuation bytes (10xxxxxx) */
		while (n > 0 && ((unsigned char) src[n] & 0xC0) == 0x80)
			n--;
		cut = true;
	}
	for (i = 0; i < n && out + 1 < dst_size; i++)
	{
		unsigned char c = (unsigned char) src[i];

		dst[out++] = (c < 0x20 || c == 0x7F) ? '?' : (char) c;
	}
	if (cut)
	{
		const char *dots = "...";

		for (i = 0; dots[i] != '\0' && out + 1 < dst_size; i++)
			dst[out++] = dots[i];
	}
	dst[out] = '\0';
}

/*
 * Parses an unsigned decimal integer that fills the whole slice, at most
 * max.  Returns false for an empty slice, a non-digit or a larger value.
 */
bool
ingest_parse_uint(const char *s, size_t len, int64_t max, int64_t *value)
{
	int64_t		v = 0;
	size_t		i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (max - (s[i] - '0')) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*value = v;
	return true;
}

/*
 * Appends src to the external id being built at *pos, with '|' and '\'
 * escaped by a backslash, so that the fields of a derived id cannot run
 * into each other.  Stops at the end of the buffer, which
 * INGEST_EXTERNAL_ID_SIZE makes large enough for the longest values.
 */
static void
append_id_part(char *dst, size_t *pos, const char *src, bool escape)
{
	for (; *src != '\0'; src++)
	{
		bool		special = escape && (*src == '|' || *src == '\\');

		if (*pos + (special ? 2 : 1) >= INGEST_EXTERNAL_ID_SIZE)
			break;
		if (special)
			dst[(*pos)++] = '\\';
		dst[(*pos)++] = *src;
	}
	dst[*pos] = '\0';
}

/*
 * Sets the external id of an event that has none from what identifies it:
 * device|kind|credential|time|tag, for example
 * "1|person|5|2020-02-24T10:52:43|0" for a ZKTeco punch with state 0.  The
 * tag is the device state or the direction, so an exact repeat of a line is
 * a duplicate while a punch in the other direction at the same second is
 * not.
 */
void
ingest_derive_external_id(IngestRecord *record, const char *tag)
{
	char		time_text[64];
	size_t		pos = 0;

	ingest_format_time(time_text, sizeof(time_text), &record->time);
	record->external_id[0] = '\0';
	if (record->has_device)
		append_id_part(record->external_id, &pos, record->device, true);
	append_id_part(record->external_id, &pos, "|", false);
	append_id_part(record->external_id, &pos,
				   ingest_credential_kind_name(record->credential_kind),
				   false);
	append_id_part(record->external_id, &pos, "|", false);
	append_id_part(record->external_id, &pos, record->credential, true);
	append_id_part(record->external_id, &pos, "|", false);
	append_id_part(record->external_id, &pos, time_text, false);
	append_id_part(record->external_id, &pos, "|", false);
	append_id_part(record->external_id, &pos, tag, false);
}

/* Returns the credential kind as skud_event.credential_kind stores it. */
const char *
ingest_credential_kind_name(IngestCredentialKind kind)
{
	return kind == INGEST_CREDENTIAL_CARD ? "card" : "person";
}

/* Returns "in", "out", or "" for no direction. */
const char *
ingest_direction_name(IngestDirection direction)
{
	switch (direction)
	{
		case INGEST_DIRECTION_IN:
			return "in";
		case INGEST_DIRECTION_OUT:
			return "out";
		case INGEST_DIRECTION_NONE:
			break;
	}
	return "";
}
