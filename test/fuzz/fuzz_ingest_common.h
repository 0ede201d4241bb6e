/*
 * fuzz_ingest_common.h
 *	  Checks shared by the libFuzzer harnesses of the event parsers.
 *
 * The parsers promise (ingest.h) that every string in a record is
 * NUL-terminated inside its buffer, that raw points into the parsed buffer,
 * and that a record that was read has a valid date and time.  check_record
 * aborts on the first broken promise, so that libFuzzer keeps the input.
 */
#ifndef FUZZ_INGEST_COMMON_H
#define FUZZ_INGEST_COMMON_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

/* The buffer being parsed, for the bounds check of IngestRecord.raw */
typedef struct FuzzInput
{
	const char *buf;
	size_t		len;
	int32_t		last_record_no;
} FuzzInput;

static inline void
fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz: broken parser promise: %s\n", what);
	abort();
}

static inline void
check_terminated(const char *s, size_t size, const char *what)
{
	if (memchr(s, '\0', size) == NULL)
		fuzz_fail(what);
}

static inline void
check_time(const IngestTime *t)
{
	char		text[64];
	int			n;

	if (t->year < 1 || t->year > 9999 || t->month < 1 || t->month > 12 ||
		t->day < 1 || t->day > 31 || t->hour < 0 || t->hour > 23 ||
		t->minute < 0 || t->minute > 59 || t->second < 0 ||
		t->second > 60 || t->microsecond < 0 || t->microsecond > 999999)
		fuzz_fail("a field of the time is out of range");
	if (t->has_offset &&
		(t->utc_offset_sec < -24 * 3600 || t->utc_offset_sec > 24 * 3600))
		fuzz_fail("the UTC offset is out of range");
	n = ingest_format_time(text, sizeof(text), t);
	if (n < 19 || (size_t) n >= sizeof(text))
		fuzz_fail("ingest_format_time returned an unexpected length");
}

/* Record callback of the harnesses: checks every promise of ingest.h. */
static inline void
check_record(const IngestRecord *record, void *arg)
{
	FuzzInput  *input = arg;

	if (record->record_no < 1 || record->record_no < input->last_record_no)
		fuzz_fail("record numbers are not positive and ascending");
	input->last_record_no = record->record_no;
	if (record->raw_len > 0 &&
		(record->raw < input->buf ||
		 record->raw_len > input->len ||
		 record->raw > input->buf + (input->len - record->raw_len)))
		fuzz_fail("raw points outside the parsed buffer");

	check_terminated(record->reject_reason, sizeof(record->reject_reason),
					 "reject_reason is not NUL-terminated");
	if (record->reject_reason[0] != '\0')
		return;

	check_terminated(record->external_id, sizeof(record->external_id),
					 "external_id is not NUL-terminated");
	check_terminated(record->device, sizeof(record->device),
					 "device is not NUL-terminated");
	check_terminated(record->credential, sizeof(record->credential),
					 "credential is not NUL-terminated");
	if (record->external_id[0] == '\0')
		fuzz_fail("a record that was read has no external id");
	if (record->direction != INGEST_DIRECTION_NONE &&
		record->direction != INGEST_DIRECTION_IN &&
		record->direction != INGEST_DIRECTION_OUT)
		fuzz_fail("direction is not one of the enum's values");
	if (ingest_credential_kind_name(record->credential_kind) == NULL ||
		ingest_direction_name(record->direction) == NULL)
		fuzz_fail("a kind or direction has no name");
	check_time(&record->time);
}

/* Runs one parser over the input and checks its error on failure. */
static inline void
run_parser(IngestFormat format, const uint8_t *data, size_t size)
{
	FuzzInput	input = {(const char *) data, size, 0};
	IngestError error;

	memset(&error, 0x55, sizeof(error));
	if (!ingest_parse(format, input.buf, input.len, check_record, &input,
					  &error))
	{
		check_terminated(error.message, sizeof(error.message),
						 "the error message is not NUL-terminated");
		check_terminated(error.detail, sizeof(error.detail),
						 "the error detail is not NUL-terminated");
		if (error.message[0] == '\0')
			fuzz_fail("a failed parse has an empty error message");
	}
}

#endif							/* FUZZ_INGEST_COMMON_H */
