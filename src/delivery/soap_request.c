/*-------------------------------------------------------------------------
 *
 * soap_request.c
 *	  The SOAP 1.1 SendMessage request that carries a document to Enbek.
 *
 * The request follows the SyncChannel envelope of the Enbek gateway:
 * soap:Envelope/soap:Body/ns2:SendMessage/request with requestInfo
 * (messageId, serviceId, messageDate, sender) and requestData/data holding
 * one business document.  The elements inside SendMessage carry no
 * namespace.  The document is inserted unchanged: its signature uses
 * exclusive canonicalization, so the namespaces of the envelope around it
 * do not change its digest.
 *
 * TODO: replace this file by envelope.c, the envelope builder of the signing
 * code, when both are merged; delivery_build_envelope is the only caller.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "pgtime.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "delivery/delivery.h"

/*
 * Formats a timestamp as ISO 8601 with milliseconds and the offset of the
 * session's time zone, as messageDate requires: 2026-12-04T16:00:00.000+05:00.
 */
static char *
format_message_date(TimestampTz value)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
	int			offset;

	if (TIMESTAMP_NOT_FINITE(value) ||
		timestamp2tm(value, &tz, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("message date is out of range")));

	/* tz is in seconds west of Greenwich; ISO 8601 counts east */
	offset = -tz;
	return psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03d%c%02d:%02d",
					tm.tm_year, tm.tm_mon, tm.tm_mday,
					tm.tm_hour, tm.tm_min, tm.tm_sec, fsec / 1000,
					offset < 0 ? '-' : '+',
					abs(offset) / SECS_PER_HOUR,
					(abs(offset) % SECS_PER_HOUR) / SECS_PER_MINUTE);
}

/*
 * Skips the XML declaration at the start of a document, which may not
 * appear inside another element.
 */
static const char *
skip_xml_declaration(const char *document)
{
	const char *p = document;

	/* a UTF-8 byte order mark */
	if ((unsigned char) p[0] == 0xEF && (unsigned char) p[1] == 0xBB &&
		(unsigned char) p[2] == 0xBF)
		p += 3;
	if (strncmp(p, "<?xml", 5) == 0 && (p[5] == ' ' || p[5] == '\t' ||
										p[5] == '\r' || p[5] == '\n'))
	{
		const char *end = strstr(p, "?>");

		if (end == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_XML_DOCUMENT),
					 errmsg("the document's XML declaration is not closed")));
		p = end + 2;
	}
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* Appends text with the five XML special characters escaped. */
static void
append_escaped(StringInfo buf, const char *text)
{
	const char *p;

	for (p = text; *p; p++)
	{
		switch (*p)
		{
			case '&':
				appendStringInfoString(buf, "&amp;");
				break;
			case '<':
				appendStringInfoString(buf, "&lt;");
				break;
			case '>':
				appendStringInfoString(buf, "&gt;");
				break;
			case '"':
				appendStringInfoString(buf, "&quot;");
				break;
			case '\'':
				appendStringInfoString(buf, "&apos;");
				break;
			default:
				appendStringInfoChar(buf, *p);
				break;
		}
	}
}

/* Appends <name>escaped text</name>. */
static void
append_element(StringInfo buf, const char *name, const char *text)
{
	appendStringInfo(buf, "<%s>", name);
	append_escaped(buf, text);
	appendStringInfo(buf, "</%s>", name);
}

/*
 * Builds the SendMessage request for a document.  message_date is the
 * submission's creation time.  The result contains the sender password, so
 * the buffer is sized up front: it is never reallocated, which would leave a
 * copy of the password in freed memory.  The caller wipes it after use.
 */
char *
delivery_build_envelope(const char *message_id, const char *service_id,
						TimestampTz message_date, const char *sender_id,
						const char *sender_password, const char *data)
{
	StringInfoData buf;
	const char *document = skip_xml_declaration(data);

	/* an escaped character takes at most 6 bytes */
	initStringInfo(&buf);
	enlargeStringInfo(&buf, 1024 + strlen(document) +
					  6 * (strlen(message_id) + strlen(service_id) +
						   strlen(sender_id) + strlen(sender_password)));
	appendStringInfoString(&buf,
						   "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
						   "<soap:Envelope xmlns:soap=\"" SOAP_ENVELOPE_NS "\">"
						   "<soap:Body>"
						   "<ns2:SendMessage xmlns:ns2=\"" SYNC_CHANNEL_NS "\">"
						   "<request><requestInfo>");
	append_element(&buf, "messageId", message_id);
	append_element(&buf, "serviceId", service_id);
	append_element(&buf, "messageDate", format_message_date(message_date));
	appendStringInfoString(&buf, "<sender>");
	append_element(&buf, "senderId", sender_id);
	append_element(&buf, "password", sender_password);
	appendStringInfoString(&buf, "</sender></requestInfo><requestData><data>");
	appendStringInfoString(&buf, document);
	appendStringInfoString(&buf,
						   "</data></requestData></request>"
						   "</ns2:SendMessage></soap:Body></soap:Envelope>");
	return buf.data;
}
