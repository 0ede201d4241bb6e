/*-------------------------------------------------------------------------
 *
 * parse_estimate.c
 *	  Planner support function of parse_events: the number of rows it
 *	  returns, estimated from the length of the content.
 *
 * Without it the planner assumes 1,000 rows for any file, so ingest_bytes
 * joins the records of a file of millions of events to the credential
 * table by an index lookup per event.  With an estimate in proportion to
 * the file it reads the credentials once into a hash table.  The estimate needs
 * the content as a constant, which it is in a custom plan of a PL/pgSQL
 * statement (ingest_bytes forces custom plans for that reason).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/detoast.h"
#include "fmgr.h"
#include "nodes/nodeFuncs.h"
#include "nodes/supportnodes.h"
#include "optimizer/optimizer.h"

PG_FUNCTION_INFO_V1(otan_enbek_parse_events_support);

/*
 * Typical length of one record, in bytes, with its line end: a CSV or
 * ZKTeco line takes 40 to 60 bytes, a Hikvision JSON object several
 * hundred, so files of that format get a higher estimate than they hold.
 */
#define ESTIMATED_RECORD_BYTES 48

/*
 * Handles SupportRequestRows for parse_events(format, content) with the
 * content's length divided by ESTIMATED_RECORD_BYTES.  Other requests, and
 * a content that is not known at planning time, get no answer, so the
 * function's ROWS setting applies.  Only the length is read, because
 * text and bytea are both varlena.
 */
Datum
otan_enbek_parse_events_support(PG_FUNCTION_ARGS)
{
	Node	   *raw_request = (Node *) PG_GETARG_POINTER(0);
	SupportRequestRows *request;
	List	   *args;
	Node	   *content;
	Const	   *content_const;
	Size		content_bytes;

	if (!IsA(raw_request, SupportRequestRows))
		PG_RETURN_POINTER(NULL);
	request = (SupportRequestRows *) raw_request;
	if (request->root == NULL || !is_funcclause(request->node))
		PG_RETURN_POINTER(NULL);
	args = ((FuncExpr *) request->node)->args;
	if (list_length(args) != 2)
		PG_RETURN_POINTER(NULL);

	content = estimate_expression_value(request->root, lsecond(args));
	if (!IsA(content, Const))
		PG_RETURN_POINTER(NULL);
	content_const = (Const *) content;
	if (content_const->constisnull)
		PG_RETURN_POINTER(NULL);

	content_bytes = toast_raw_datum_size(content_const->constvalue) - VARHDRSZ;
	request->rows = Max(1.0, (double) content_bytes / ESTIMATED_RECORD_BYTES);
	PG_RETURN_POINTER(request);
}
