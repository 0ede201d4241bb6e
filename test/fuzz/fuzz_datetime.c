/*
 * fuzz_datetime.c
 *	  libFuzzer harness of the date-time readers (src/ingest/datetime.c).
 *
 * The first byte chooses the reader: even for the device form
 * ("2024-03-01 08:12:33"), odd for ISO 8601.  A time that either reader
 * accepts must be written by ingest_format_time as ISO 8601 that reads
 * back as the same time.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_ingest_common.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	IngestTime	time;
	IngestTime	again;
	char		text[64];
	const char *s;
	size_t		len;
	bool		ok;

	if (size < 1)
		return 0;
	s = (const char *) data + 1;
	len = size - 1;

	memset(&time, 0, sizeof(time));
	if (data[0] % 2 == 0)
		ok = ingest_parse_device_time(s, len, &time);
	else
		ok = ingest_parse_iso8601(s, len, &time);
	if (!ok)
		return 0;

	check_time(&time);
	ingest_format_time(text, sizeof(text), &time);
	memset(&again, 0, sizeof(again));
	if (!ingest_parse_iso8601(text, strlen(text), &again))
		fuzz_fail("ingest_format_time wrote a time that does not read back");
	if (memcmp(&time, &again, sizeof(time)) != 0)
		fuzz_fail("a time read back differs from the time written");
	return 0;
}
