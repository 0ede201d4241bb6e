/*-------------------------------------------------------------------------
 *
 * split.h
 *	  Splitting a timesheet or a correction whose request would exceed
 *	  Enbek's size limit into parts that each fit in one request.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_SPLIT_H
#define OTAN_ENBEK_SPLIT_H

/*
 * One timesheet line, in line_no order, with what the split needs.  In a
 * correction, a line is one change, and line_no is its change_no.
 */
typedef struct SplitLine
{
	int32		line_no;
	bool		starts_department;	/* department differs from the line
									 * before */
	int			bytes;			/* its element in the signed document */
} SplitLine;

/* One part: the lines lines[first] to lines[last] */
typedef struct SplitPart
{
	int			first;
	int			last;
	int			request_bytes;	/* size of its request, computed in advance */
} SplitPart;

extern void split_measure_lines(const char *document, SplitLine *lines,
								int count);
extern SplitPart *split_plan(int32 timesheet_id, const char *line_name,
							 const SplitLine *lines, int count,
							 int whole_request_bytes, int max_request_bytes,
							 int *part_count);

#endif							/* OTAN_ENBEK_SPLIT_H */
