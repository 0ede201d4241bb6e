/*-------------------------------------------------------------------------
 *
 * correction.c
 *	  Signing the correction document of a timesheet version: the
 *	  employees whose lines changed since the newest accepted version of
 *	  its month (sql/install/69_correction.sql builds the document).
 *
 * As with sign_timesheet, the document is built from the stored
 * timesheet, never from text given by the caller.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "delivery/envelope.h"
#include "delivery/submit.h"
#include "otan_enbek.h"

PG_FUNCTION_INFO_V1(otan_enbek_sign_timesheet_correction);

/*
 * Builds the unsigned correction document of a timesheet with a new
 * message id and looks up the employer's BIN.  Raises an error when the
 * timesheet does not exist or its month has no accepted version.
 */
static void
load_correction_document(int32 timesheet_id, TimesheetDocument *source)
{
	Datum		args[2];
	Oid			types[2] = {INT4OID, UUIDOID};
	char	   *columns[3];

	generate_message_id(&source->message_id);
	args[0] = Int32GetDatum(timesheet_id);
	args[1] = UUIDPGetDatum(&source->message_id);
	if (!fetch_one_row("SELECT t.org_id, o.bin::text,"
					   " otan_enbek.timesheet_correction_document(t.timesheet_id, $2)::text"
					   " FROM otan_enbek.timesheet t"
					   " JOIN otan_enbek.organization o ON o.org_id = t.org_id"
					   " WHERE t.timesheet_id = $1",
					   2, args, types, NULL, columns, 3))
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
 * otan_enbek.sign_timesheet_correction(timesheet_id integer)
 *
 * Builds the correction document of the timesheet with a new message id,
 * checks the configured key against the organization and signs the
 * document.  Returns the organization, the message id, the signed document
 * (in the server encoding), the SHA-256 of its UTF-8 bytes, the signature
 * value, the certificate's fingerprint, serial number and end of validity,
 * and the size of the request.  Writes nothing.
 */
Datum
otan_enbek_sign_timesheet_correction(PG_FUNCTION_ARGS)
{
	int32		timesheet_id = PG_GETARG_INT32(0);
	Signer	   *volatile signer = NULL;
	TupleDesc	result_type;
	Datum		values[9];
	bool		nulls[9] = {false};
	pg_uuid_t  *message_id;

	if (get_call_result_type(fcinfo, NULL, &result_type) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "sign_timesheet_correction must return a record");

	PG_TRY();
	{
		TimesheetDocument source;
		SignatureFacts facts;
		SignedDocument signed_document;
		int			request_bytes;

		load_correction_document(timesheet_id, &source);
		open_checked_signer(source.bin, &signer, &facts);
		signer_sign(signer, source.document, strlen(source.document),
					&signed_document);

		/*
		 * TODO: a correction whose request exceeds the limit is not split
		 * into parts, so such a change must be sent in smaller versions.
		 */
		request_bytes = request_size(&source, &signed_document, signer->key);
		if (request_bytes > ENBEK_MAX_REQUEST_BYTES)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("the correction of timesheet %d is too large for one request",
							timesheet_id),
					 errdetail("Its request is %d bytes, but Enbek accepts at most %d bytes, and a correction is sent as one document.",
							   request_bytes, ENBEK_MAX_REQUEST_BYTES),
					 errhint("Correct fewer employees in one version: build and resubmit a version with part of the changes first.")));

		values[0] = Int32GetDatum(source.org_id);
		message_id = palloc(sizeof(pg_uuid_t));
		*message_id = source.message_id;
		values[1] = UUIDPGetDatum(message_id);
		values[2] = CStringGetTextDatum(pg_any_to_server(signed_document.text,
														 signed_document.length,
														 PG_UTF8));
		values[3] = PointerGetDatum(document_digest(signed_document.text,
													signed_document.length));
		values[4] = CStringGetTextDatum(signed_document.signature_value);
		values[5] = CStringGetTextDatum(facts.fingerprint);
		values[6] = CStringGetTextDatum(facts.serial);
		values[7] = TimestampTzGetDatum(facts.not_after);
		values[8] = Int32GetDatum(request_bytes);
	}
	PG_FINALLY();
	{
		signer_close(signer);
	}
	PG_END_TRY();

	result_type = BlessTupleDesc(result_type);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(result_type, values,
													  nulls)));
}
