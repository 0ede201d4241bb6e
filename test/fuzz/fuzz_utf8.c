/*
 * fuzz_utf8.c
 *	  libFuzzer harness of the UTF-8 error description (src/ingest/utf8.c).
 *
 * ingest_describe_invalid_utf8 is called at every character start of the
 * input, as a validator would stop there.  Its result must lie between the
 * start and the end of the input, and it must write an empty detail exactly
 * when the bytes from the start to its result are one valid character.
 */
#include <stddef.h>
#include <stdint.h>

#include "fuzz_ingest_common.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Length of the valid UTF-8 character at s[0], or 0 (RFC 3629). */
static size_t
valid_char_length(const uint8_t *s, size_t len)
{
	uint32_t	code;
	size_t		n;
	size_t		i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
	{
		n = 2;
		code = s[0] & 0x1f;
	}
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
	{
		n = 3;
		code = s[0] & 0x0f;
	}
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
	{
		n = 4;
		code = s[0] & 0x07;
	}
	else
		return 0;
	if (n > len)
		return 0;
	for (i = 1; i < n; i++)
	{
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		code = (code << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && code < 0x800) || (n == 4 && code < 0x10000) ||
		(code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff)
		return 0;
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *) data;
	size_t		start = 0;

	while (start < size)
	{
		char		detail[256];
		size_t		valid = valid_char_length(data + start, size - start);
		size_t		end;

		/*
		 * Filling the whole buffer for every character would dominate the
		 * run time, and only a sentence needs the check for its end.
		 */
		if (valid > 0)
			detail[0] = 'x';
		else
			memset(detail, 'x', sizeof(detail));
		end = ingest_describe_invalid_utf8(buf, size, start, detail,
										   sizeof(detail));
		if (valid == 0)
			check_terminated(detail, sizeof(detail),
							 "the detail is not NUL-terminated");
		if (end < start || end > size)
			fuzz_fail("the offset returned lies outside the content");
		if (valid > 0)
		{
			if (detail[0] != '\0' || end != start + valid)
				fuzz_fail("a valid character was described as invalid");
			start = end;
		}
		else
		{
			if (detail[0] == '\0')
				fuzz_fail("an invalid character got an empty detail");
			start++;
		}
	}
	return 0;
}
