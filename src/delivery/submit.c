/*-------------------------------------------------------------------------
 *
 * submit.c
 *	  SQL-callable functions for signed submissions: signing a timesheet's
 *	  document, checking a signing key, verifying a signed document and
 *	  building the SendMessage envelope.
 *
 * otan_enbek.submit_timesheet (sql/install/62_submit.sql) calls
 * otan_enbek.sign_timesheet and stores what it returns.  sign_timesheet
 * signs only the documents that the profile function builds from a stored
 * timesheet, never text given by the caller, so that EXECUTE on it cannot
 * be used to sign arbitrary content with the employer's key.  A timesheet
 * whose request would exceed Enbek's size limit is signed in parts
 * (part_signing.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/evp.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "delivery/envelope.h"
#include "delivery/part_signing.h"
#include "delivery/signer.h"
#include "delivery/signing_key.h"
#include "delivery/submit.h"
#include "delivery/xmldsig.h"
#include "otan_enbek.h"

PG_FUNCTION_INFO_V1(otan_enbek_sign_timesheet);
PG_FUNCTION_INFO_V1(otan_enbek_check_signing_key);
PG_FUNCTION_INFO_V1(otan_enbek_verify_document);
PG_FUNCTION_INFO_V1(otan_enbek_build_envelope);

/*
 * Runs a query whose first parameter is a timesheet or organization id and
 * returns the columns of its single row as palloc'd strings in the caller's
 * memory context.  nulls is as in SPI_execute_with_args.  Returns false
 * when the query returns no row, and raises an error when it returns more
 * than one.
 */
bool
fetch_one_row(const char *query, int nargs, Datum *args, Oid *types,
			  const char *nulls, char **columns, int ncolumns)
{
	MemoryContext caller = CurrentMemoryContext;
	bool		found;

	SPI_connect();
	if (SPI_execute_with_args(query, nargs, types, args, nulls, true, 2) !=
		SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed for: %s", query);
	found = SPI_processed > 0;
	if (SPI_processed > 1)
		ereport(ERROR,
				(errcode(ERRCODE_CARDINALITY_VIOLATION),
				 errmsg("timesheet id %d belongs to more than one organization",
						DatumGetInt32(args[0])),
				 errhint("Pass a timesheet id that is unique across organizations.")));
	if (found)
	{
		MemoryContext spi = MemoryContextSwitchTo(caller);

		for (int i = 0; i < ncolumns; i++)
			columns[i] = SPI_getvalue(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, i + 1);
		MemoryContextSwitchTo(spi);
	}
	SPI_finish();
	return found;
}

/*
 * Raises the error for a timesheet id that the caller's query did not find:
 * permission denied when the timesheet exists in an organization that
 * current_user may not see (raised by otan_enbek.require_timesheet_access),
 * and "does not exist" otherwise.
 */
void
report_missing_timesheet(int32 timesheet_id)
{
	Datum		args[1] = {Int32GetDatum(timesheet_id)};
	Oid			types[1] = {INT4OID};
	char	   *columns[1];

	fetch_one_row("SELECT otan_enbek.require_timesheet_access($1)",
				  1, args, types, NULL, columns, 1);
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("timesheet %d does not exist", timesheet_id),
			 errhint("Pass the id that otan_enbek.build_timesheet returned.")));
}

/*
 * Makes a random (version 4) UUID for a message id, as gen_random_uuid()
 * does.
 */
void
generate_message_id(pg_uuid_t *message_id)
{
	if (!pg_strong_random(message_id->data, UUID_LEN))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random message id")));
	message_id->data[6] = (message_id->data[6] & 0x0f) | 0x40;
	message_id->data[8] = (message_id->data[8] & 0x3f) | 0x80;
}

/*
 * Builds the unsigned document of a timesheet, or of one part of it when
 * part is not NULL, with a new message id and the version 1 profile
 * function, and looks up the employer's BIN.
 */
static void
load_timesheet_document(int32 timesheet_id, const DocumentPart *part,
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

	/*
	 * A later document profile replaces timesheet_document_v1 here, chosen
	 * by the submission's profile.
	 */
	if (!fetch_one_row("SELECT t.org_id, o.bin::text,"
					   " otan_enbek.timesheet_document_v1(t.timesheet_id, $2, $3, $4,"
					   "  CASE WHEN $5 IS NOT NULL THEN int4range($5, $6, '[]') END)::text"
					   " FROM otan_enbek.timesheet t"
					   " JOIN otan_enbek.organization o ON o.org_id = t.org_id"
					   " WHERE t.timesheet_id = $1",
					   6, args, types, nulls, columns, 3))
		report_missing_timesheet(timesheet_id);
	if (columns[2] == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the document of timesheet %d is null", timesheet_id),
				 errdetail("otan_enbek.timesheet_document_v1 returned no document.")));

	source->org_id = pg_strtoint32(columns[0]);
	source->bin = columns[1];
	source->document = pg_server_to_any(columns[2], strlen(columns[2]),
										PG_UTF8);
}

/*
 * Returns the lines of a timesheet in line_no order, with their line
 * numbers and where a department starts, and their number in *count.
 * Raises an error for a timesheet without lines.
 */
static SplitLine *
load_lines(int32 org_id, int32 timesheet_id, int *count)
{
	Datum		args[2] = {Int32GetDatum(org_id), Int32GetDatum(timesheet_id)};
	Oid			types[2] = {INT4OID, INT4OID};
	SplitLine  *lines;

	SPI_connect();
	if (SPI_execute_with_args("SELECT l.line_no, l.department IS DISTINCT FROM"
							  "  lag(l.department) OVER (ORDER BY l.line_no)"
							  " FROM otan_enbek.timesheet_line l"
							  " WHERE l.org_id = $1 AND l.timesheet_id = $2"
							  " ORDER BY l.line_no",
							  2, types, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed for the lines of timesheet %d",
			 timesheet_id);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("timesheet %d has no lines", timesheet_id),
				 errdetail("A timesheet without employees is not sent to Enbek.")));

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

/* The whole timesheet documents of the version 1 profile */
static const DocumentKind full_document = {
	.line_name = "line",
	.load_document = load_timesheet_document,
	.load_lines = load_lines,
};

/*
 * Opens the configured signer into *signer, checks its certificate for the
 * employer and describes the certificate.  The caller closes the signer,
 * also on error.
 */
void
open_checked_signer(const char *bin, Signer *volatile *signer,
					SignatureFacts *facts)
{
	SigningKeyFacts key_facts;

	*signer = signer_open(NULL);
	signer_check(*signer, bin);
	signing_key_describe((*signer)->key, &key_facts);
	facts->fingerprint = key_facts.fingerprint;
	facts->serial = key_facts.serial;
	facts->not_after = key_facts.not_after;
}

/*
 * Returns the size in bytes of the SendMessage request that will carry the
 * signed document, with its body signed by the signer in a WS-Security
 * header, as the delivery worker signs it.  The envelope is built with the
 * current sender settings, so the size is the one the request will have
 * unless those settings or the signer's certificate change.
 */
int
request_size(const TimesheetDocument *source,
			 const SignedDocument *signed_document, Signer *signer)
{
	char	   *message_id;
	char	   *envelope;
	char	   *utf8;
	size_t		size;

	message_id = DatumGetCString(DirectFunctionCall1(uuid_out,
													 UUIDPGetDatum(&source->message_id)));
	envelope = envelope_build(message_id, otan_enbek_service_id,
							  GetCurrentTimestamp(), otan_enbek_sender_id,
							  otan_enbek_sender_password,
							  signed_document->text);
	utf8 = pg_server_to_any(envelope, strlen(envelope), PG_UTF8);
	if (utf8 != envelope)
	{
		explicit_bzero(envelope, strlen(envelope));
		pfree(envelope);
	}
	envelope = signer_sign_envelope(signer, utf8);
	explicit_bzero(utf8, strlen(utf8));
	pfree(utf8);
	size = strlen(envelope);
	explicit_bzero(envelope, size);
	pfree(envelope);
	return (int) size;
}

/* Returns the SHA-256 of the bytes as a bytea. */
bytea *
document_digest(const char *data, size_t length)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_length = 0;
	bytea	   *result;

	if (EVP_Digest(data, length, digest, &digest_length, EVP_sha256(),
				   NULL) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute a SHA-256 digest")));
	result = palloc(VARHDRSZ + digest_length);
	SET_VARSIZE(result, VARHDRSZ + digest_length);
	memcpy(VARDATA(result), digest, digest_length);
	return result;
}

/*
 * otan_enbek.sign_timesheet(timesheet_id integer)
 *
 * Builds the timesheet's document with a new message id, checks the
 * certificate of the configured signer against the organization and signs
 * the document.  When the request with that document would exceed Enbek's
 * size limit, it signs one document per part instead (split.c), each with
 * its own message id.
 * Returns one row per document, in part order: the organization, the part
 * and its lines, the message id, the signed document (in the server
 * encoding), the SHA-256 of its UTF-8 bytes, the signature value, the
 * certificate's fingerprint, serial number and end of validity, and the
 * size of the request.  Writes nothing.
 */
Datum
otan_enbek_sign_timesheet(PG_FUNCTION_ARGS)
{
	int32		timesheet_id = PG_GETARG_INT32(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

	InitMaterializedSRF(fcinfo, 0);
	sign_documents(rsinfo, timesheet_id, &full_document);

	return (Datum) 0;
}

/* Returns a text[] of the palloc'd strings in the list. */
static Datum
list_to_text_array(List *names)
{
	Datum	   *elements = palloc(sizeof(Datum) * (list_length(names) + 1));
	int			count = 0;
	ListCell   *cell;

	foreach(cell, names)
		elements[count++] = CStringGetTextDatum((char *) lfirst(cell));
	return PointerGetDatum(construct_array(elements, count, TEXTOID,
										   -1, false, TYPALIGN_INT));
}

/*
 * Opens and checks a signer as signing would, and describes its
 * certificate: the built-in signer with path, or the configured signer
 * when path is NULL.  With otan_enbek.signing_ca_file set, the chain is
 * checked, so an untrusted certificate raises an error, and trusted is set
 * to 1.  Otherwise trusted shows whether the certificate chains to
 * otan_enbek.ca_file: -1 when that is empty too, else 1 or 0.
 */
static void
check_and_describe_key(const char *path, const char *bin,
					   SigningKeyFacts *facts, int *trusted)
{
	Signer	   *volatile signer = NULL;

	PG_TRY();
	{
		signer = signer_open(path);
		if (signer_check(signer, bin))
			*trusted = 1;
		else if (otan_enbek_ca_file == NULL || otan_enbek_ca_file[0] == '\0')
			*trusted = -1;
		else
			*trusted = signing_key_is_trusted(signer->key,
											  otan_enbek_ca_file) ? 1 : 0;
		signing_key_describe(signer->key, facts);
	}
	PG_CATCH();
	{
		signer_close(signer);
		PG_RE_THROW();
	}
	PG_END_TRY();
	signer_close(signer);
}

/*
 * otan_enbek.check_signing_key(org_id integer, key_file text DEFAULT NULL)
 *
 * Checks a PKCS#12 key as submit_timesheet would for the organization and
 * returns its certificate's facts, or raises the same errors.  A null
 * key_file means the configured signer: the key of
 * otan_enbek.signing_key_file, or the certificate of the external signer.
 * The configured password opens a key file in both cases.  Superuser only,
 * because it reads any file the server can.
 */
Datum
otan_enbek_check_signing_key(PG_FUNCTION_ARGS)
{
	const char *path;
	char	   *bin;
	SigningKeyFacts facts;
	int			trusted;
	TupleDesc	tupdesc;
	Datum		values[12];
	bool		nulls[12] = {false};
	Datum		args[1];
	Oid			types[1] = {INT4OID};

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("must be superuser to check a signing key"),
				 errdetail("The function reads key files on the server with the configured key password.")));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("org_id must not be null")));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	args[0] = PG_GETARG_DATUM(0);
	if (!fetch_one_row("SELECT bin::text FROM otan_enbek.organization"
					   " WHERE org_id = $1", 1, args, types, NULL, &bin, 1))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("organization %d does not exist", PG_GETARG_INT32(0))));
	path = PG_ARGISNULL(1) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(1));

	/* signing_key_load reports an empty path as an empty setting */
	if (path != NULL && path[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("key_file must not be empty"),
				 errhint("Pass the path of a PKCS#12 key file on the database server, or NULL to check the key in otan_enbek.signing_key_file.")));

	check_and_describe_key(path, bin, &facts, &trusted);

	values[0] = CStringGetTextDatum(facts.subject);
	values[1] = CStringGetTextDatum(facts.issuer);
	values[2] = CStringGetTextDatum(facts.bin);
	values[3] = CStringGetTextDatum(facts.serial);
	values[4] = TimestampTzGetDatum(facts.not_before);
	values[5] = TimestampTzGetDatum(facts.not_after);
	values[6] = CStringGetTextDatum(facts.key_algorithm);
	values[7] = Int32GetDatum(facts.key_bits);
	values[8] = list_to_text_array(facts.key_usage);
	values[9] = list_to_text_array(facts.extended_key_usage);
	values[10] = CStringGetTextDatum(facts.fingerprint);
	values[11] = BoolGetDatum(trusted == 1);
	nulls[11] = trusted < 0;

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * otan_enbek.verify_document(document text, OUT valid boolean, OUT reason text)
 *
 * Verifies a signed document against the CA certificates in
 * otan_enbek.signing_ca_file, or in otan_enbek.ca_file when that is empty.
 * reason is null when the signature is valid.
 */
Datum
otan_enbek_verify_document(PG_FUNCTION_ARGS)
{
	text	   *document = PG_GETARG_TEXT_PP(0);
	const char *ca_file;
	char	   *utf8;
	const char *reason = NULL;
	bool		valid;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	ca_file = otan_enbek_signing_ca_file;
	if (ca_file == NULL || ca_file[0] == '\0')
		ca_file = otan_enbek_ca_file;
	if (ca_file == NULL || ca_file[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no CA file is configured"),
				 errdetail("Signatures are verified against the CA certificates in otan_enbek.signing_ca_file, or in otan_enbek.ca_file when that is empty, and both are empty."),
				 errhint("Set otan_enbek.signing_ca_file in postgresql.conf to a PEM file with the certificate of the CA that issues signing keys.")));

	utf8 = text_to_cstring(document);
	utf8 = pg_server_to_any(utf8, strlen(utf8), PG_UTF8);
	valid = xmldsig_verify(utf8, strlen(utf8), ca_file, &reason);

	values[0] = BoolGetDatum(valid);
	if (reason != NULL)
		values[1] = CStringGetTextDatum(reason);
	else
		nulls[1] = true;
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

/*
 * otan_enbek.build_envelope(message_id, service_id, message_date, sender_id,
 *							 sender_password, document)
 *
 * SQL access to envelope_build, for tests and diagnosis.  Superuser only,
 * since its result contains the sender password.
 */
Datum
otan_enbek_build_envelope(PG_FUNCTION_ARGS)
{
	char	   *envelope;

	envelope = envelope_build(text_to_cstring(PG_GETARG_TEXT_PP(0)),
							  text_to_cstring(PG_GETARG_TEXT_PP(1)),
							  PG_GETARG_TIMESTAMPTZ(2),
							  text_to_cstring(PG_GETARG_TEXT_PP(3)),
							  text_to_cstring(PG_GETARG_TEXT_PP(4)),
							  text_to_cstring(PG_GETARG_TEXT_PP(5)));
	PG_RETURN_TEXT_P(cstring_to_text(envelope));
}
