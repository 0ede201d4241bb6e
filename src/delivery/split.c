/*-------------------------------------------------------------------------
 *
 * split.c
 *	  Splitting a timesheet or a correction whose request would exceed
 *	  Enbek's size limit into parts that each fit in one request.
 *
 * A part is a run of consecutive lines in line_no order.  Line numbers
 * follow departments, so a part contains whole departments where it can.
 * For a correction, the lines are its changes (ts:employee and ts:removed
 * elements) in document order, numbered by change_no.
 *
 * The split is computed from the signed whole document, before any part is
 * signed.  A line's element is written the same way in every document.
 * The rest of a request does not depend on which lines the document
 * carries, except for the count (employees/@count, or changes/@count of a
 * correction) and the part attributes:
 * the message id is always a UUID, the message date has a fixed format,
 * and the signature's size depends on the key only.  So the request of part
 * j of m with k employees is
 *
 *	 base + digits(k) + 17 + digits(j) + digits(m) + the employees' bytes
 *
 * where base is the whole request without its employees and without the
 * digits of its count, and 17 + digits(j) + digits(m) is the length of
 * ' part="j" parts="m"'.
 *
 * The split has the fewest parts, and among the splits with that many
 * parts, the most cuts at department boundaries.  Of those, it takes the
 * one whose last part starts latest, then whose part before it starts
 * latest, and so on, so that earlier parts are the fuller ones.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "delivery/split.h"

/* Bytes of ' part="" parts=""' without the two numbers */
#define PART_ATTRIBUTES_BYTES 17

/* The sizes a part's request is computed from */
typedef struct SplitSizes
{
	int32		timesheet_id;
	const char *line_name;		/* "line", or "change" in a correction */
	const SplitLine *lines;
	int			count;
	int64	   *prefix;			/* prefix[i]: bytes of lines[0] to
								 * lines[i - 1] */
	int64		base;			/* see the file header */
	int			count_digits;	/* digits of the number of parts */
	int			max_request_bytes;
} SplitSizes;

/* Returns the number of decimal digits of a positive number. */
static int
decimal_digits(int64 value)
{
	int			digits = 1;

	while (value >= 10)
	{
		value /= 10;
		digits++;
	}
	return digits;
}

/* Returns the request size of part part_no with lines[first] to lines[end - 1]. */
static int64
part_request_bytes(const SplitSizes *sizes, int part_no, int first, int end)
{
	return sizes->base + decimal_digits(end - first) +
		PART_ATTRIBUTES_BYTES + decimal_digits(part_no) + sizes->count_digits +
		sizes->prefix[end] - sizes->prefix[first];
}

/*
 * Returns the start of the next line element at or after position: a
 * ts:employee element, with or without attributes, or a ts:removed element.
 * Sets *close_tag to its end tag.  Returns NULL when there is none.  The
 * container ts:employees is no line element, because its name goes on.
 */
static const char *
next_line_element(const char *position, const char **close_tag)
{
	static const char employee[] = "<ts:employee";
	static const char removed[] = "<ts:removed>";
	const char *start;

	while ((start = strstr(position, "<ts:")) != NULL)
	{
		char		after_name = start[sizeof(employee) - 1];

		if (strncmp(start, employee, sizeof(employee) - 1) == 0 &&
			(after_name == '>' || after_name == ' '))
		{
			*close_tag = "</ts:employee>";
			return start;
		}
		if (strncmp(start, removed, sizeof(removed) - 1) == 0)
		{
			*close_tag = "</ts:removed>";
			return start;
		}
		position = start + 1;
	}
	return NULL;
}

/*
 * Finds the size of each line's element in the signed whole document: a
 * ts:employee element, or in a correction a ts:employee or ts:removed
 * element.  The elements follow line order, none contains another, and the
 * serialized document contains the tags only as markup, because text
 * escapes '<'.
 */
void
split_measure_lines(const char *document, SplitLine *lines, int count)
{
	const char *position = document;
	const char *start;
	const char *close_tag;
	int			found = 0;

	while ((start = next_line_element(position, &close_tag)) != NULL)
	{
		const char *end = strstr(start, close_tag);

		if (end == NULL)
			elog(ERROR, "line element %d of the signed document is not closed",
				 found + 1);
		end += strlen(close_tag);
		if (found < count)
			lines[found].bytes = end - start;
		found++;
		position = end;
	}
	if (found != count)
		elog(ERROR, "the signed document has %d line elements, but %d lines were loaded",
			 found, count);
}

/*
 * Returns the fewest parts when the number of parts has sizes->count_digits
 * digits: each part takes lines in order while its request fits.  A part
 * that fits still fits without its first line, so no split has fewer parts.
 * Raises an error for a line that does not fit in a part of its own.
 */
static int
count_parts(const SplitSizes *sizes)
{
	int			parts = 0;
	int			first = 0;

	while (first < sizes->count)
	{
		int			end = first;

		parts++;
		while (end < sizes->count &&
			   part_request_bytes(sizes, parts, first, end + 1) <=
			   sizes->max_request_bytes)
			end++;
		if (end == first)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("%s %d of timesheet %d is too large to send even in a part of its own",
							sizes->line_name, sizes->lines[first].line_no,
							sizes->timesheet_id),
					 errdetail("Its element is %d bytes, so a request with it alone would be " INT64_FORMAT " bytes, and Enbek accepts at most %d bytes.",
							   sizes->lines[first].bytes,
							   part_request_bytes(sizes, parts, first, first + 1),
							   sizes->max_request_bytes),
					 errhint("A line with a code on each of 31 days takes about 1.4 kB, so check the text of this line, such as the employee's contract id, then build the timesheet again.")));
		first = end;
	}
	return parts;
}

/*
 * Places the cuts of a split into part_count parts: the most cuts at
 * department boundaries, then the latest starts.  best[j][i] is the most
 * department cuts of lines[0] to lines[i - 1] in j parts that fit, or -1
 * when none fit, and start[j][i] is where the last of those parts starts.
 */
static SplitPart *
place_cuts(const SplitSizes *sizes, int part_count)
{
	int			width = sizes->count + 1;
	int		   *best = palloc(sizeof(int) * (part_count + 1) * width);
	int		   *start = palloc(sizeof(int) * (part_count + 1) * width);
	SplitPart  *parts = palloc(sizeof(SplitPart) * part_count);
	int			end;

	for (int k = 0; k < (part_count + 1) * width; k++)
		best[k] = -1;
	best[0] = 0;

	for (int j = 1; j <= part_count; j++)
		for (int i = j; i <= sizes->count; i++)
			for (int first = i - 1; first >= j - 1; first--)
			{
				int			cuts;

				/* A longer part only gets larger, so no earlier start fits. */
				if (part_request_bytes(sizes, j, first, i) >
					sizes->max_request_bytes)
					break;
				if (best[(j - 1) * width + first] < 0)
					continue;
				cuts = best[(j - 1) * width + first] +
					(j > 1 && sizes->lines[first].starts_department ? 1 : 0);
				/* Strictly more, so that the latest start wins a tie. */
				if (cuts > best[j * width + i])
				{
					best[j * width + i] = cuts;
					start[j * width + i] = first;
				}
			}

	if (best[part_count * width + sizes->count] < 0)
		elog(ERROR, "no split of timesheet %d into %d parts fits, although one was counted",
			 sizes->timesheet_id, part_count);

	end = sizes->count;
	for (int j = part_count; j >= 1; j--)
	{
		int			first = start[j * width + end];

		parts[j - 1].first = first;
		parts[j - 1].last = end - 1;
		parts[j - 1].request_bytes = part_request_bytes(sizes, j, first, end);
		end = first;
	}
	pfree(best);
	pfree(start);
	return parts;
}

/*
 * Splits the lines of a timesheet into the fewest parts whose requests each
 * fit in max_request_bytes (see the file header).  The lines carry the
 * sizes from split_measure_lines, and whole_request_bytes is the size of
 * the request with the whole document.  line_name ("line" or "change")
 * names a line in the error about one that fits in no part.  Returns the
 * parts in order, and their number in *part_count.
 */
SplitPart *
split_plan(int32 timesheet_id, const char *line_name, const SplitLine *lines,
		   int count, int whole_request_bytes, int max_request_bytes,
		   int *part_count)
{
	SplitSizes	sizes;
	int			parts;

	Assert(count > 0);
	sizes.timesheet_id = timesheet_id;
	sizes.line_name = line_name;
	sizes.lines = lines;
	sizes.count = count;
	sizes.max_request_bytes = max_request_bytes;
	sizes.prefix = palloc(sizeof(int64) * (count + 1));
	sizes.prefix[0] = 0;
	for (int i = 0; i < count; i++)
		sizes.prefix[i + 1] = sizes.prefix[i] + lines[i].bytes;
	sizes.base = whole_request_bytes - sizes.prefix[count] - decimal_digits(count);

	/*
	 * The part attributes depend on the number of parts, which is not known
	 * yet.  Count with one digit first; more parts than that assumed make
	 * the attributes longer, so count again until the digits agree.
	 */
	sizes.count_digits = 1;
	for (;;)
	{
		parts = count_parts(&sizes);
		if (decimal_digits(parts) <= sizes.count_digits)
			break;
		sizes.count_digits = decimal_digits(parts);
	}

	*part_count = parts;
	return place_cuts(&sizes, parts);
}
