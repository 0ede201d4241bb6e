/*-------------------------------------------------------------------------
 *
 * signed_documents.h
 *	  The documents that this backend signed in the current transaction.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_SIGNED_DOCUMENTS_H
#define OTAN_ENBEK_SIGNED_DOCUMENTS_H

#include "delivery/part_signing.h"

/*
 * Records a document that the product signed, by the SHA-256 of its UTF-8
 * bytes, with the row of otan_enbek.submission it is meant for, until the
 * end of the transaction.
 */
extern void remember_signed_document(int32 timesheet_id,
									 const TimesheetDocument *source,
									 const DocumentPart *part,
									 const SignedDocument *signed_document,
									 const SignatureFacts *facts);

#endif							/* OTAN_ENBEK_SIGNED_DOCUMENTS_H */
