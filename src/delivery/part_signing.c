/*-------------------------------------------------------------------------
 *
 * part_signing.c
 *	  Signing a timesheet's document or a correction document, in parts
 *	  when one request would exceed Enbek's size limit.
 *
 * otan_enbek.sign_timesheet (submit.c) and sign_timesheet_correction
 * (correction.c) both sign here, each with its own DocumentKind.  The whole
 * document is built and signed first.  When its request is too large,
 * split.c divides its lines into parts, and each part is built and signed
 * as a document of its own.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "delivery/envelope.h"
#include "delivery/part_signing.h"
#include "delivery/signed_documents.h"
#include "otan_enbek.h"

/*
 * Adds one signed document to the result of the signing function, and
 * records it for the insert guard of otan_enbek.submission.
 */
static void
store_signed_document(ReturnSetInfo *rsinfo, int32 timesheet_id,
					  const TimesheetDocument *source,
					  const DocumentPart *part,
					  const SignedDocument *signed_document,
					  const SignatureFacts *facts, int request_bytes)
{
	Datum		values[14];
	bool		nulls[14] = {false};

	values[0] = Int32GetDatum(source->org_id);
	values[1] = Int32GetDatum(part->part_no);
	values[2] = Int32GetDatum(part->part_count);
	values[3] = Int32GetDatum(part->first_line_no);
	values[4] = Int32GetDatum(part->last_line_no);
	values[5] = Int32GetDatum(part->employee_count);
	values[6] = UUIDPGetDatum(&source->message_id);
	values[7] = CStringGetTextDatum(pg_any_to_server(signed_document->text,
													 signed_document->length,
													 PG_UTF8));
	values[8] = PointerGetDatum(document_digest(signed_document->text,
											 signed_document->length));
	values[9] = CStringGetTextDatum(signed_document->signature_value);
	values[10] = CStringGetTextDatum(facts->fingerprint);
	values[11] = CStringGetTextDatum(facts->serial);
	values[12] = TimestampTzGetDatum(facts->not_after);
	values[13] = Int32GetDatum(request_bytes);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	remember_signed_document(timesheet_id, source, part, signed_document,
							 facts);
}

/*
 * Signs one document per part of a timesheet or correction whose whole
 * request is whole_request_bytes, too many for one request, and adds them
 * to the result in part order.  Each part has its own message id.
 */
static void
sign_parts(ReturnSetInfo *rsinfo, int32 timesheet_id,
		   const DocumentKind *kind, Signer *signer,
		   const SignatureFacts *facts, SplitLine *lines, int count,
		   const SignedDocument *whole, int whole_request_bytes)
{
	MemoryContext part_context;
	SplitPart  *parts;
	int			part_count;

	split_measure_lines(whole->text, lines, count);
	parts = split_plan(timesheet_id, kind->line_name, lines, count,
					   whole_request_bytes, ENBEK_MAX_REQUEST_BYTES,
					   &part_count);

	part_context = AllocSetContextCreate(CurrentMemoryContext,
										 "otan_enbek signing of a part",
										 ALLOCSET_DEFAULT_SIZES);
	for (int i = 0; i < part_count; i++)
	{
		MemoryContext caller = MemoryContextSwitchTo(part_context);
		DocumentPart part;
		TimesheetDocument source;
		SignedDocument signed_document;
		int			request_bytes;

		part.part_no = i + 1;
		part.part_count = part_count;
		part.first_line_no = lines[parts[i].first].line_no;
		part.last_line_no = lines[parts[i].last].line_no;
		part.employee_count = parts[i].last - parts[i].first + 1;
		kind->load_document(timesheet_id, &part, &source);
		signer_sign(signer, source.document, strlen(source.document),
					&signed_document);

		request_bytes = request_size(&source, &signed_document, signer);
		if (request_bytes > ENBEK_MAX_REQUEST_BYTES)
			elog(ERROR, "the request of part %d of timesheet %d is %d bytes, but %d bytes were computed",
				 part.part_no, timesheet_id, request_bytes,
				 parts[i].request_bytes);

		store_signed_document(rsinfo, timesheet_id, &source, &part,
							  &signed_document,
							  facts, request_bytes);
		MemoryContextSwitchTo(caller);
		MemoryContextReset(part_context);
	}
	MemoryContextDelete(part_context);
}

/*
 * Builds and signs the whole document, and its parts when its request is
 * too large, with the signer that it opens into *signer.  The caller
 * closes the signer, also on error.
 */
static void
sign_whole_or_parts(ReturnSetInfo *rsinfo, int32 timesheet_id,
					const DocumentKind *kind, Signer *volatile *signer)
{
	TimesheetDocument whole;
	SplitLine  *lines;
	int			count;
	SignatureFacts facts;
	SignedDocument signed_whole;
	int			request_bytes;

	kind->load_document(timesheet_id, NULL, &whole);
	lines = kind->load_lines(whole.org_id, timesheet_id, &count);
	open_checked_signer(whole.bin, signer, &facts);
	signer_sign(*signer, whole.document, strlen(whole.document),
				&signed_whole);

	request_bytes = request_size(&whole, &signed_whole, *signer);
	if (request_bytes <= ENBEK_MAX_REQUEST_BYTES)
	{
		DocumentPart all;

		all.part_no = 1;
		all.part_count = 1;
		all.first_line_no = lines[0].line_no;
		all.last_line_no = lines[count - 1].line_no;
		all.employee_count = count;
		store_signed_document(rsinfo, timesheet_id, &whole, &all,
							  &signed_whole,
							  &facts, request_bytes);
	}
	else
		sign_parts(rsinfo, timesheet_id, kind, *signer, &facts, lines,
				   count, &signed_whole, request_bytes);
}

/*
 * Signs the document of a timesheet, or of its correction, as kind builds
 * it, and adds the signed documents to the result of a function that
 * called InitMaterializedSRF.  The result has one row for the whole
 * document when its request fits in Enbek's limit, else one row per part in
 * part order, with the columns of otan_enbek.sign_timesheet.  The
 * certificate of the configured signer is checked against the organization
 * first.
 */
void
sign_documents(ReturnSetInfo *rsinfo, int32 timesheet_id,
			   const DocumentKind *kind)
{
	Signer	   *volatile signer = NULL;

	PG_TRY();
	{
		sign_whole_or_parts(rsinfo, timesheet_id, kind, &signer);
	}
	PG_CATCH();
	{
		signer_close(signer);
		PG_RE_THROW();
	}
	PG_END_TRY();
	signer_close(signer);
}
