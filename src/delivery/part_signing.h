/*-------------------------------------------------------------------------
 *
 * part_signing.h
 *	  Signing a timesheet's document or a correction document, in parts
 *	  when one request would exceed Enbek's size limit.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_PART_SIGNING_H
#define OTAN_ENBEK_PART_SIGNING_H

#include "funcapi.h"

#include "delivery/split.h"
#include "delivery/submit.h"

/*
 * The part that one document carries.  In a correction, the line numbers
 * are change numbers (change_no of otan_enbek.timesheet_changes).
 */
typedef struct DocumentPart
{
	int			part_no;
	int			part_count;		/* 1 for the whole document */
	int32		first_line_no;
	int32		last_line_no;
	int			employee_count;
} DocumentPart;

/* How the documents of one kind, full or correction, are built */
typedef struct DocumentKind
{
	const char *line_name;		/* "line", or "change" in a correction */

	/*
	 * Builds the unsigned document of a timesheet, or of one part of it when
	 * part is not NULL, with a new message id, and looks up the employer.
	 */
	void		(*load_document) (int32 timesheet_id, const DocumentPart *part,
								  TimesheetDocument *source);

	/*
	 * Returns the lines in document order, with where a department starts,
	 * and their number in *count.  Raises an error when there is none.
	 */
	SplitLine  *(*load_lines) (int32 org_id, int32 timesheet_id, int *count);
} DocumentKind;

extern void sign_documents(ReturnSetInfo *rsinfo, int32 timesheet_id,
						   const DocumentKind *kind);

#endif							/* OTAN_ENBEK_PART_SIGNING_H */
