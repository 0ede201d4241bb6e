/*-------------------------------------------------------------------------
 *
 * envelope.h
 *	  The SOAP SendMessage envelope that carries a signed document to Enbek.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_ENVELOPE_H
#define OTAN_ENBEK_ENVELOPE_H

#include "datatype/timestamp.h"

/* Enbek rejects a request body over 100 KB (status SCSE999). */
#define ENBEK_MAX_REQUEST_BYTES 102400

extern char *envelope_build(const char *message_id, const char *service_id,
							TimestampTz message_date, const char *sender_id,
							const char *sender_password, const char *document);
extern char *envelope_format_message_date(TimestampTz message_date);

#endif							/* OTAN_ENBEK_ENVELOPE_H */
