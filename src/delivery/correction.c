/*-------------------------------------------------------------------------
 *
 * correction.c
 *	  Signing the correction document of a timesheet version: the
 *	  employees whose lines changed since the newest accepted version of
 *	  its month (sql/install/69_correction.sql builds the document).
 *
 * As with sign_timesheet, the document is built from the stored
 * timesheet, never from text given by the caller.  A correction whose
 * request would exceed Enbek's size limit is signed in parts
 * (part_signing.c), each part a run of changes in change_no order.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "delivery/part_signing.h"
#include "delivery/submit.h"
#include "otan_enbek.h"

PG_FUNCTION_INFO_V1(otan_enbek_sign_timesheet_correction);

/*
 * Builds the unsigned correction document of a timesheet, or of one part
 * of it when part is not NULL, with a new message id and looks up the
 * employer's BIN.  Raises an error when the timesheet does not exist or
 * its month has no accepted version.
 */
static void
load_correction_document(int32 timesheet_id, const DocumentPart *part,
						 TimesheetDocument *source)
{
	Datum		args[6];
	Oid			types[6] = {INT4OID, UUIDOID, INT4OID, INT4OID, INT4OID, INT4OID};
	char		nulls[6] = {' ', ' ', 'n', 'n', 'n', 'n'};
	char	   *columns[3];

	generate_message_id(&source->message_id);
	args[0] = Int32GetDatum(timesheet_id);
	args[1] = UUIDPGetDatum(&source->message_id);
	if (part != NULL)
	{
		args[2] = Int32GetDatum(part->part_no);
		args[3] = Int32GetDatum(part->part_count);
		args[4] = Int32GetDatum(part->first_line_no);
		args[5] = Int32GetDatum(part->last_line_no);
		memset(nulls + 2, ' ', 4);
	}
	if (!fetch_one_row("SELECT t.org_id, o.bin::text,"
					   " otan_enbek.timesheet_correction_document(t.timesheet_id, $2, $3, $4,"
					   "  CASE WHEN $5 IS NOT NULL THEN int4range($5, $6, '[]') END)::text"
					   " FROM otan_enbek.timesheet t"
					   " JOIN otan_enbek.organization o ON o.org_id = t.org_id"
					   " WHERE t.timesheet_id = $1",
					   6, args, types, nulls, columns, 3))
		report_missing_timesheet(timesheet_id);
	if (columns[2] == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("timesheet %d has no accepted version to correct",
						timesheet_id),
				 errdetail("No earlier version of its month has status accepted."),
				 errhint("Submit the version in full with otan_enbek.resubmit.")));

	source->org_id = pg_strtoint32(columns[0]);
	source->bin = columns[1];
	source->document = pg_server_to_any(columns[2], strlen(columns[2]),
										PG_UTF8);
}

/*
 * Returns the changes of a timesheet against its accepted version in
 * change_no order, with where a department starts, and their number in
 * *count.  Raises an error when nothing changed.
 */
static SplitLine *
load_changes(int32 org_id, int32 timesheet_id, int *count)
{
	Datum		args[2] = {Int32GetDatum(org_id), Int32GetDatum(timesheet_id)};
	Oid			types[2] = {INT4OID, INT4OID};
	SplitLine  *lines;

	SPI_connect();
	if (SPI_execute_with_args("SELECT c.change_no, c.department IS DISTINCT FROM"
							  "  lag(c.department) OVER (ORDER BY c.change_no)"
							  " FROM otan_enbek.correction_base($1, $2) AS b"
							  " CROSS JOIN LATERAL otan_enbek.timesheet_changes("
							  "  $1, b.base_timesheet_id, $2) AS c"
							  " ORDER BY c.change_no",
							  2, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed for the changes of timesheet %d",
			 timesheet_id);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("timesheet %d has no changes since its accepted version",
						timesheet_id),
				 errdetail("A correction without changes is not sent to Enbek.")));

	*count = SPI_processed;
	lines = SPI_palloc(sizeof(SplitLine) * SPI_processed);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	row = SPI_tuptable->vals[i];
		bool		isnull;

		lines[i].line_no = DatumGetInt32(SPI_getbinval(row, SPI_tuptable->tupdesc,
													   1, &isnull));
		lines[i].starts_department =
			DatumGetBool(SPI_getbinval(row, SPI_tuptable->tupdesc, 2, &isnull));
		lines[i].bytes = 0;
	}
	SPI_finish();
	return lines;
}

/* The correction documents, ts:timesheetCorrection */
static const DocumentKind correction_document = {
	.line_name = "change",
	.load_document = load_correction_document,
	.load_lines = load_changes,
};

/*
 * otan_enbek.sign_timesheet_correction(timesheet_id integer)
 *
 * Builds the correction document of the timesheet with a new message id,
 * checks the configured key against the organization and signs the
 * document, or one document per part when its request would exceed Enbek's
 * size limit.  Returns the rows of sign_timesheet, with change numbers in
 * place of line numbers.  Writes nothing.
 */
Datum
otan_enbek_sign_timesheet_correction(PG_FUNCTION_ARGS)
{
	int32		timesheet_id = PG_GETARG_INT32(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	sign_documents(rsinfo, timesheet_id, &correction_document);

	return (Datum) 0;
}
