/*-------------------------------------------------------------------------
 *
 * signed_documents.h
 *	  The documents that this backend signed in the current transaction.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_SIGNED_DOCUMENTS_H
#define OTAN_ENBEK_SIGNED_DOCUMENTS_H

#include "utils/uuid.h"

/*
 * Records a document that the product signed, by the SHA-256 of its UTF-8
 * bytes, with the row of otan_enbek.submission it is meant for, until the
 * end of the transaction.
 */
extern void remember_signed_document(const char *utf8_document, size_t length,
									 int32 org_id, int32 timesheet_id,
									 int32 part_no, int32 part_count,
									 const pg_uuid_t *message_id);

#endif							/* OTAN_ENBEK_SIGNED_DOCUMENTS_H */
