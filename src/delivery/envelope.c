/*-------------------------------------------------------------------------
 *
 * envelope.c
 *	  The SOAP 1.1 SendMessage envelope that carries a signed document.
 *
 * Enbek's gateway takes each document in a SyncChannel SendMessage request:
 * requestInfo with the message id, service id, message date and the sender's
 * id and password, then requestData/data with the signed document.  The
 * envelope is built at send time around the stored document, because the
 * sender password must not be stored in a table.  The elements inside
 * SendMessage carry no namespace, as in the SyncChannel WSDL.
 *
 * Every value is XML-escaped; the document is inserted as it is, since it
 * is XML already and its signature covers its exact content.  Strings are in
 * the server encoding, and the caller converts the result to UTF-8 before
 * sending it when the database encoding is another one.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/datetime.h"

#include "delivery/envelope.h"
#include "message_value.h"

static void append_escaped(StringInfo buffer, const char *value,
						   const char *field);
static void check_message_id(const char *message_id);

/*
 * Builds the envelope and returns it palloc'd.  Raises an error for a
 * message id that Enbek would reject, for a value with a character that XML
 * cannot represent (the error never quotes the password), and for a
 * document that starts with an XML declaration.
 */
char *
envelope_build(const char *message_id, const char *service_id,
			   TimestampTz message_date, const char *sender_id,
			   const char *sender_password, const char *document)
{
	StringInfoData buffer;

	check_message_id(message_id);
	if (strncmp(document, "<?xml", 5) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the document to send must not start with an XML declaration"),
				 errdetail("The document is embedded in the requestData/data element of the envelope.")));

	initStringInfo(&buffer);
	appendStringInfoString(&buffer,
						   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
						   "<soap:Envelope xmlns:soap=\"http://schemas.xmlsoap.org/soap/envelope/\">"
						   "<soap:Body>"
						   "<ns2:SendMessage xmlns:ns2=\"http://bip.bee.kz/SyncChannel/v10/Types\">"
						   "<request><requestInfo><messageId>");
	append_escaped(&buffer, message_id, "message id");
	appendStringInfoString(&buffer, "</messageId><serviceId>");
	append_escaped(&buffer, service_id, "service id");
	appendStringInfoString(&buffer, "</serviceId><messageDate>");
	appendStringInfoString(&buffer, envelope_format_message_date(message_date));
	appendStringInfoString(&buffer, "</messageDate><sender><senderId>");
	append_escaped(&buffer, sender_id, "sender id");
	appendStringInfoString(&buffer, "</senderId><password>");
	append_escaped(&buffer, sender_password, "sender password");
	appendStringInfoString(&buffer,
						   "</password></sender></requestInfo>"
						   "<requestData><data>");
	appendStringInfoString(&buffer, document);
	appendStringInfoString(&buffer,
						   "</data></requestData></request>"
						   "</ns2:SendMessage></soap:Body></soap:Envelope>");
	return buffer.data;
}

/*
 * Raises an error unless the message id has the form Enbek accepts: 32 to
 * 45 Latin letters, digits or hyphens (a UUID fits).
 */
static void
check_message_id(const char *message_id)
{
	size_t		length = strlen(message_id);

	if (length < 32 || length > 45 ||
		strspn(message_id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "abcdefghijklmnopqrstuvwxyz0123456789-") != length)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid message id \"%s\"",
						message_value(message_id, length)),
				 errdetail("A message id is 32 to 45 Latin letters, digits or hyphens; Enbek rejects others with status SCSE087.")));
}

/*
 * Appends a value as XML character data.  Quotes are escaped too, so the
 * function is safe for attribute values as well.  A carriage return becomes
 * a character reference so that XML parsing keeps it.  A control character
 * that XML 1.0 cannot represent raises an error that names only the field.
 */
static void
append_escaped(StringInfo buffer, const char *value, const char *field)
{
	for (const char *p = value; *p; p++)
	{
		unsigned char c = (unsigned char) *p;

		switch (c)
		{
			case '&':
				appendStringInfoString(buffer, "&amp;");
				break;
			case '<':
				appendStringInfoString(buffer, "&lt;");
				break;
			case '>':
				appendStringInfoString(buffer, "&gt;");
				break;
			case '"':
				appendStringInfoString(buffer, "&quot;");
				break;
			case '\'':
				appendStringInfoString(buffer, "&apos;");
				break;
			case '\r':
				appendStringInfoString(buffer, "&#13;");
				break;
			default:
				if (c < 0x20 && c != '\t' && c != '\n')
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("the %s contains a control character that XML cannot represent",
									field),
							 errdetail("XML 1.0 allows no character below U+0020 other than tab, line feed and carriage return.")));
				appendStringInfoChar(buffer, (char) c);
				break;
		}
	}
}

/*
 * Formats the message date as ISO 8601 with milliseconds and the offset of
 * the session's time zone, for example 2026-12-04T16:00:00.000+05:00.
 * Returns a palloc'd string.
 */
char *
envelope_format_message_date(TimestampTz message_date)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
	int			offset;

	if (TIMESTAMP_NOT_FINITE(message_date) ||
		timestamp2tm(message_date, &tz, &tm, &fsec, NULL, NULL) != 0 ||
		tm.tm_year < 1 || tm.tm_year > 9999)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("message date is out of range"),
				 errdetail("A message date must be a finite date between the years 1 and 9999.")));

	/* PostgreSQL counts the offset in seconds west of UTC. */
	offset = -tz;
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02d:%02d",
					tm.tm_year, tm.tm_mon, tm.tm_mday,
					tm.tm_hour, tm.tm_min, tm.tm_sec, (int) (fsec / 1000),
					offset < 0 ? '-' : '+',
					abs(offset) / SECS_PER_HOUR,
					(abs(offset) % SECS_PER_HOUR) / SECS_PER_MINUTE);
}
