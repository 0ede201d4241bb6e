/*-------------------------------------------------------------------------
 *
 * submit.h
 *	  Helpers of submit.c for signing a document built from a stored
 *	  timesheet, shared with the correction documents of correction.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_SUBMIT_H
#define OTAN_ENBEK_SUBMIT_H

#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "delivery/signer.h"
#include "delivery/signing_key.h"
#include "delivery/xmldsig.h"

/* A timesheet's unsigned document, its message id and the employer. */
typedef struct TimesheetDocument
{
	int32		org_id;
	char	   *bin;
	pg_uuid_t	message_id;
	char	   *document;		/* UTF-8 */
} TimesheetDocument;

/* Certificate facts stored with a signed document. */
typedef struct SignatureFacts
{
	char	   *fingerprint;
	char	   *serial;
	TimestampTz not_after;
} SignatureFacts;

extern bool fetch_one_row(const char *query, int nargs, Datum *args,
						  Oid *types, const char *nulls, char **columns,
						  int ncolumns);
extern void report_missing_timesheet(int32 timesheet_id) pg_attribute_noreturn();
extern void generate_message_id(pg_uuid_t *message_id);
extern void open_checked_signer(const char *bin, Signer *volatile *signer,
								SignatureFacts *facts);
extern int	request_size(const TimesheetDocument *source,
						 const SignedDocument *signed_document,
						 Signer *signer);
extern bytea *document_digest(const char *data, size_t length);

#endif							/* OTAN_ENBEK_SUBMIT_H */
