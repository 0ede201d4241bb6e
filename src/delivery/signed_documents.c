/*-------------------------------------------------------------------------
 *
 * signed_documents.c
 *	  The documents that this backend signed in the current transaction,
 *	  and the insert guard of otan_enbek.submission that requires one.
 *
 * Operators hold INSERT on otan_enbek.submission because submit_timesheet
 * and resubmit run with their privileges.  An operator could therefore
 * store a row by hand: one marked accepted that Enbek never received, or a
 * queued document that the product never signed.  So a new row must carry
 * a document that sign_timesheet or sign_timesheet_correction signed in
 * the same transaction and backend, and must start as a new queued row.
 * part_signing.c records each signed document here.  The record lives in
 * TopTransactionContext and has no SQL interface, so SQL can add to it
 * only by signing a stored timesheet.  Superusers and members of
 * otan_enbek_admin are exempt, so that a restore or a repair can insert
 * any row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/evp.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "delivery/signed_documents.h"

#define SHA256_BYTES 32

/* One signed document, found by the SHA-256 of its UTF-8 bytes. */
typedef struct SignedDocumentEntry
{
	unsigned char digest[SHA256_BYTES];	/* hash key */
	int32		org_id;
	int32		timesheet_id;
	int32		part_no;
	int32		part_count;
	pg_uuid_t	message_id;
	char	   *signature_value;	/* this and the strings below are copies in
								 * TopTransactionContext */
	char	   *key_fingerprint;
	char	   *certificate_serial;
	TimestampTz certificate_not_after;
} SignedDocumentEntry;

/* The row of otan_enbek.submission that the insert guard reads. */
typedef struct NewSubmission
{
	int32		org_id;
	int32		timesheet_id;
	int32		part_no;
	int32		part_count;
	pg_uuid_t	message_id;
	text	   *document;
	bytea	   *document_sha256;
	char	   *signature_value;
	char	   *key_fingerprint;
	char	   *certificate_serial;
	TimestampTz certificate_not_after;
} NewSubmission;

/* Allocated in TopTransactionContext, so NULL again after each transaction */
static HTAB *signed_documents = NULL;
static bool callback_registered = false;

PG_FUNCTION_INFO_V1(otan_enbek_submission_insert_guard);

/* Forgets the table at the end of the transaction that owns its memory. */
static void
signed_documents_xact_callback(XactEvent event,
							   void *arg pg_attribute_unused())
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			signed_documents = NULL;
			break;
		default:
			break;
	}
}

/* Computes the SHA-256 of the bytes into digest. */
static void
compute_sha256(const char *data, size_t length,
			   unsigned char digest[SHA256_BYTES])
{
	unsigned int digest_length = 0;

	if (EVP_Digest(data, length, digest, &digest_length, EVP_sha256(),
				   NULL) != 1 || digest_length != SHA256_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute a SHA-256 digest")));
}

void
remember_signed_document(int32 timesheet_id, const TimesheetDocument *source,
						 const DocumentPart *part,
						 const SignedDocument *signed_document,
						 const SignatureFacts *facts)
{
	unsigned char digest[SHA256_BYTES];
	SignedDocumentEntry *entry;

	if (signed_documents == NULL)
	{
		HASHCTL		control;

		if (!callback_registered)
		{
			RegisterXactCallback(signed_documents_xact_callback, NULL);
			callback_registered = true;
		}
		control.keysize = SHA256_BYTES;
		control.entrysize = sizeof(SignedDocumentEntry);
		control.hcxt = TopTransactionContext;
		signed_documents = hash_create("otan_enbek signed documents", 16,
									   &control,
									   HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}

	compute_sha256(signed_document->text, signed_document->length, digest);
	entry = hash_search(signed_documents, digest, HASH_ENTER, NULL);
	entry->org_id = source->org_id;
	entry->timesheet_id = timesheet_id;
	entry->part_no = part->part_no;
	entry->part_count = part->part_count;
	entry->message_id = source->message_id;
	entry->signature_value = MemoryContextStrdup(TopTransactionContext,
												 signed_document->signature_value);
	entry->key_fingerprint = MemoryContextStrdup(TopTransactionContext,
												 facts->fingerprint);
	entry->certificate_serial = MemoryContextStrdup(TopTransactionContext,
													facts->serial);
	entry->certificate_not_after = facts->not_after;
}

/* Returns whether the current user may insert any submission row. */
static bool
may_insert_any_submission(void)
{
	Oid			user_id = GetUserId();
	Oid			admin_id = get_role_oid("otan_enbek_admin", true);

	if (superuser_arg(user_id))
		return true;
	return OidIsValid(admin_id) && is_member_of_role(user_id, admin_id);
}

/* Returns the value of the named column, or NULL when it is NULL. */
static Datum
column_value(HeapTuple tuple, TupleDesc tupdesc, const char *name,
			 bool *isnull)
{
	int			attnum = SPI_fnumber(tupdesc, name);

	if (attnum <= 0)
		elog(ERROR, "otan_enbek.submission has no column %s", name);
	return heap_getattr(tuple, attnum, tupdesc, isnull);
}

/* Returns whether the named column of the row is not NULL. */
static bool
column_is_set(HeapTuple tuple, TupleDesc tupdesc, const char *name)
{
	bool		isnull;

	column_value(tuple, tupdesc, name, &isnull);
	return !isnull;
}

/* Raises the error for a submission row that an operator may not insert. */
static void
reject_submission(const NewSubmission *row, const char *detail)
	pg_attribute_noreturn();

static void
reject_submission(const NewSubmission *row, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("permission denied to insert a submission of timesheet %d by hand",
					row->timesheet_id),
			 errdetail_internal("%s", detail),
			 errhint("Submit the timesheet with otan_enbek.submit_timesheet, or a new version of it with otan_enbek.resubmit.")));
}

/*
 * Checks that the row starts as a new submission: queued, never attempted
 * and without a response.
 */
static void
check_new_state(const NewSubmission *row, HeapTuple tuple, TupleDesc tupdesc)
{
	static const char *const unset_columns[] = {
		"last_attempt_at", "response_code", "response_message", "finished_at"
	};
	bool		isnull;
	Datum		value;

	value = column_value(tuple, tupdesc, "status", &isnull);
	if (isnull || strcmp(TextDatumGetCString(value), "queued") != 0)
		reject_submission(row, "A new submission must have the status queued.");
	value = column_value(tuple, tupdesc, "attempts", &isnull);
	if (isnull || DatumGetInt32(value) != 0)
		reject_submission(row, "A new submission must have 0 attempts.");
	for (size_t i = 0; i < lengthof(unset_columns); i++)
	{
		if (column_is_set(tuple, tupdesc, unset_columns[i]))
			reject_submission(row,
							  psprintf("A new submission has no %s yet.",
									   unset_columns[i]));
	}
}

/*
 * Checks that the row's document is one that this transaction signed for
 * the same timesheet, part and message id, that document_sha256 is its
 * SHA-256, and that the signature and certificate columns are those that
 * signing returned.  The digest is taken over the document's UTF-8 bytes, as
 * sign_timesheet computes document_sha256.
 */
static void
check_signed_document(const NewSubmission *row)
{
	char	   *server_text = VARDATA_ANY(row->document);
	size_t		server_length = VARSIZE_ANY_EXHDR(row->document);
	char	   *utf8;
	unsigned char digest[SHA256_BYTES];
	SignedDocumentEntry *entry;

	utf8 = pg_server_to_any(server_text, (int) server_length, PG_UTF8);
	compute_sha256(utf8, utf8 == server_text ? server_length : strlen(utf8),
				   digest);

	if (VARSIZE_ANY_EXHDR(row->document_sha256) != SHA256_BYTES ||
		memcmp(VARDATA_ANY(row->document_sha256), digest, SHA256_BYTES) != 0)
		reject_submission(row,
						  "Its document_sha256 is not the SHA-256 of its document.");

	entry = signed_documents == NULL ? NULL :
		hash_search(signed_documents, digest, HASH_FIND, NULL);
	if (entry == NULL)
		reject_submission(row,
						  "Its document was not signed by otan_enbek.sign_timesheet or otan_enbek.sign_timesheet_correction in this transaction.");
	if (entry->org_id != row->org_id ||
		entry->timesheet_id != row->timesheet_id ||
		entry->part_no != row->part_no ||
		entry->part_count != row->part_count ||
		memcmp(&entry->message_id, &row->message_id, sizeof(pg_uuid_t)) != 0)
		reject_submission(row,
						  psprintf("Its document was signed for part %d of %d of timesheet %d of organization %d, with another message id or for another row.",
								   entry->part_no, entry->part_count,
								   entry->timesheet_id, entry->org_id));
	if (strcmp(entry->signature_value, row->signature_value) != 0 ||
		strcmp(entry->key_fingerprint, row->key_fingerprint) != 0 ||
		strcmp(entry->certificate_serial, row->certificate_serial) != 0 ||
		entry->certificate_not_after != row->certificate_not_after)
		reject_submission(row,
						  "Its signature_value, key_fingerprint, certificate_serial or certificate_not_after differs from what signing its document returned.");
}

/* Reads the columns that identify the row and its document. */
static void
read_new_submission(HeapTuple tuple, TupleDesc tupdesc, NewSubmission *row)
{
	static const char *const required[] = {
		"org_id", "timesheet_id", "part_no", "part_count", "message_id",
		"document", "document_sha256", "signature_value", "key_fingerprint",
		"certificate_serial", "certificate_not_after"
	};
	Datum		values[lengthof(required)];

	for (size_t i = 0; i < lengthof(required); i++)
	{
		bool		isnull;

		values[i] = column_value(tuple, tupdesc, required[i], &isnull);
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("null value in column \"%s\" of otan_enbek.submission",
							required[i])));
	}
	row->org_id = DatumGetInt32(values[0]);
	row->timesheet_id = DatumGetInt32(values[1]);
	row->part_no = DatumGetInt32(values[2]);
	row->part_count = DatumGetInt32(values[3]);
	row->message_id = *DatumGetUUIDP(values[4]);
	row->document = DatumGetTextPP(values[5]);
	row->document_sha256 = DatumGetByteaPP(values[6]);
	row->signature_value = TextDatumGetCString(values[7]);
	row->key_fingerprint = TextDatumGetCString(values[8]);
	row->certificate_serial = TextDatumGetCString(values[9]);
	row->certificate_not_after = DatumGetTimestampTz(values[10]);
}

/*
 * otan_enbek.submission_insert_guard(): BEFORE INSERT row trigger of
 * otan_enbek.submission.  Lets superusers and members of otan_enbek_admin
 * insert any row, and every other role only a new queued row whose
 * document this transaction signed.
 */
Datum
otan_enbek_submission_insert_guard(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;
	HeapTuple	tuple;
	TupleDesc	tupdesc;
	NewSubmission row;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event) ||
		!TRIGGER_FIRED_BY_INSERT(trigdata->tg_event))
		elog(ERROR, "submission_insert_guard must run as a BEFORE INSERT row trigger");

	tuple = trigdata->tg_trigtuple;
	if (may_insert_any_submission())
		return PointerGetDatum(tuple);

	tupdesc = RelationGetDescr(trigdata->tg_relation);
	read_new_submission(tuple, tupdesc, &row);
	check_new_state(&row, tuple, tupdesc);
	check_signed_document(&row);
	return PointerGetDatum(tuple);
}
