/*-------------------------------------------------------------------------
 *
 * utf8.c
 *	  Describing the byte that makes content invalid UTF-8.
 *
 * Validity is that of RFC 3629, which PostgreSQL's pg_utf8_islegal also
 * applies.  A lead byte from 0xc2 to 0xf4 announces a character of two to
 * four bytes, and every further byte is a continuation byte from 0x80 to
 * 0xbf.  The second byte after some lead bytes has a narrower range, which
 * rules out overlong forms (after 0xe0 and 0xf0), UTF-16 surrogates (after
 * 0xed) and code points above U+10FFFF (after 0xf4).
 *
 * Plain C without PostgreSQL headers (see ingest.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>

#include "ingest/ingest.h"

/*
 * Returns in *low and *high the range of the byte at position index (1 to
 * 3) of the character that starts with lead.
 */
static void
continuation_range(unsigned char lead, int index,
				   unsigned char *low, unsigned char *high)
{
	*low = 0x80;
	*high = 0xbf;
	if (index != 1)
		return;
	if (lead == 0xe0)
		*low = 0xa0;
	else if (lead == 0xed)
		*high = 0x9f;
	else if (lead == 0xf0)
		*low = 0x90;
	else if (lead == 0xf4)
		*high = 0x8f;
}

/*
 * Finds the byte that makes the character starting at buf[start] invalid
 * and writes a sentence into detail that names its value and offset and
 * what was expected there.  Returns the offset of that byte, or len when
 * the content ends inside the character.  For a valid character it returns
 * the offset after it and writes an empty detail; callers call it only
 * where a validator stopped.
 */
size_t
ingest_describe_invalid_utf8(const char *buf, size_t len, size_t start,
							 char *detail, size_t detail_size)
{
	const unsigned char *bytes = (const unsigned char *) buf;
	unsigned char lead = bytes[start];
	int			length;
	int			i;

	if (lead < 0x80)
	{
		detail[0] = '\0';
		return start + 1;
	}
	if (lead < 0xc2 || lead > 0xf4)
	{
		snprintf(detail, detail_size,
				 "The byte 0x%02x at offset %zu %s: expected an ASCII byte (0x00 to 0x7f) or a lead byte (0xc2 to 0xf4).",
				 lead, start,
				 lead < 0xc0 ? "is a continuation byte without a lead byte"
				 : "never occurs in UTF-8");
		return start;
	}

	if (lead < 0xe0)
		length = 2;
	else if (lead < 0xf0)
		length = 3;
	else
		length = 4;
	for (i = 1; i < length; i++)
	{
		size_t		offset = start + i;
		unsigned char low;
		unsigned char high;

		continuation_range(lead, i, &low, &high);
		if (offset >= len)
		{
			snprintf(detail, detail_size,
					 "The content ends at offset %zu inside the %d-byte character that starts with 0x%02x at offset %zu: expected a continuation byte from 0x%02x to 0x%02x.",
					 len, length, lead, start, low, high);
			return len;
		}
		if (bytes[offset] < low || bytes[offset] > high)
		{
			snprintf(detail, detail_size,
					 "The byte 0x%02x at offset %zu does not continue the %d-byte character that starts with 0x%02x at offset %zu: expected a continuation byte from 0x%02x to 0x%02x.",
					 bytes[offset], offset, length, lead, start, low, high);
			return offset;
		}
	}
	detail[0] = '\0';
	return start + length;
}
