/*-------------------------------------------------------------------------
 *
 * smtp.c
 *	  A notification as an e-mail, sent over SMTP with libcurl.
 *
 * The connection must be encrypted.  With an smtp:// URL libcurl sends
 * STARTTLS, and it gives up before MAIL FROM when the server does not offer
 * it or the handshake fails (CURLUSESSL_ALL).  So neither the mail nor the
 * password goes out in plain text.  An smtps:// URL uses TLS from the
 * first byte.  The server's certificate and host name are verified with
 * otan_enbek.smtp_ca_file or the system's store.
 *
 * The message is plain text in UTF-8, its body in base64 and its subject
 * as RFC 2047 encoded words, so that Cyrillic text passes any server.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "common/base64.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "postmaster/interrupt.h"
#include "utils/timestamp.h"

#include "otan_enbek.h"
#include "delivery/notification.h"

/* Bytes of UTF-8 text per encoded word, so that each stays under 76 chars */
#define SUBJECT_CHUNK_BYTES 45

/* Bytes of the body per base64 line: 57 bytes make 76 characters */
#define BODY_LINE_BYTES 57

/* The message being uploaded to libcurl */
typedef struct UploadBuffer
{
	const char *data;
	size_t		len;
	size_t		offset;
} UploadBuffer;

/* Tells whether a setting value would break a header line. */
static bool
has_line_break(const char *value)
{
	return strchr(value, '\r') != NULL || strchr(value, '\n') != NULL;
}

/*
 * Tells what keeps the SMTP settings from being used, or returns NULL when
 * they can be used.
 */
const char *
smtp_problem(void)
{
	const char *url = otan_enbek_smtp_url;

	if (url == NULL || url[0] == '\0')
		return "otan_enbek.smtp_url is empty";
	if (pg_strncasecmp(url, "smtp://", 7) != 0 &&
		pg_strncasecmp(url, "smtps://", 8) != 0)
		return "otan_enbek.smtp_url is not an smtp:// or smtps:// URL";
	if (otan_enbek_smtp_from == NULL || otan_enbek_smtp_from[0] == '\0')
		return "otan_enbek.smtp_from is empty";
	if (otan_enbek_smtp_to == NULL || otan_enbek_smtp_to[0] == '\0')
		return "otan_enbek.smtp_to is empty";
	if (has_line_break(otan_enbek_smtp_from) ||
		has_line_break(otan_enbek_smtp_to))
		return "otan_enbek.smtp_from or otan_enbek.smtp_to contains a line break";
	return NULL;
}

/* Appends base64 of len bytes of src. */
static void
append_base64(StringInfo out, const char *src, int len)
{
	int			encoded_len = pg_b64_enc_len(len);
	char	   *encoded = palloc(encoded_len + 1);
	int			written = pg_b64_encode(src, len, encoded, encoded_len);

	if (written < 0)
		elog(ERROR, "could not encode %d bytes in base64", len);
	appendBinaryStringInfo(out, encoded, written);
	pfree(encoded);
}

/*
 * Appends the subject as RFC 2047 encoded words, one per line of the
 * folded header.  Each word contains whole UTF-8 characters.
 */
static void
append_subject(StringInfo out, const char *subject)
{
	const char *p = subject;
	const char *end = subject + strlen(subject);

	appendStringInfoString(out, "Subject:");
	while (p < end)
	{
		const char *chunk_end = p;

		while (chunk_end < end)
		{
			int			char_len = pg_utf_mblen((const unsigned char *) chunk_end);

			if (chunk_end + char_len > end ||
				chunk_end + char_len - p > SUBJECT_CHUNK_BYTES)
				break;
			chunk_end += char_len;
		}
		if (chunk_end == p)
			chunk_end = end;	/* a truncated character: keep the bytes */
		appendStringInfoString(out, p == subject ? " =?UTF-8?B?" : "\r\n =?UTF-8?B?");
		append_base64(out, p, (int) (chunk_end - p));
		appendStringInfoString(out, "?=");
		p = chunk_end;
	}
	appendStringInfoString(out, "\r\n");
}

/* Appends the RFC 5322 date of a time, in UTC and in English. */
static void
append_date(StringInfo out, TimestampTz at)
{
	static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu",
	"Fri", "Sat"};
	static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May",
	"Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t		seconds = timestamptz_to_time_t(at);
	struct tm	tm;

	gmtime_r(&seconds, &tm);
	appendStringInfo(out, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
					 days[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
					 tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* The domain of the sender's address, for the Message-ID. */
static const char *
sender_domain(void)
{
	const char *at = strrchr(otan_enbek_smtp_from, '@');
	const char *domain = at ? at + 1 : "otan-enbek.invalid";
	size_t		len = strcspn(domain, "> \t");

	return len > 0 ? pnstrdup(domain, len) : "otan-enbek.invalid";
}

/*
 * Builds the RFC 5322 message of a notification: headers, then the body in
 * base64 lines of 76 characters.  The Message-ID is the same for every
 * attempt, so that a receiver can drop a copy sent twice.
 */
char *
smtp_build_message(const NotificationItem *item)
{
	StringInfoData out;
	const char *body = item->body ? item->body : "";
	int			len = (int) strlen(body);
	int			offset;

	initStringInfo(&out);
	append_date(&out, item->created_at);
	appendStringInfo(&out, "From: %s\r\n", otan_enbek_smtp_from);
	appendStringInfo(&out, "To: %s\r\n", otan_enbek_smtp_to);
	append_subject(&out, item->subject ? item->subject : "");
	appendStringInfo(&out, "Message-ID: <notification-%d-%lld@%s>\r\n",
					 item->org_id, (long long) item->notification_id,
					 sender_domain());
	appendStringInfoString(&out,
						   "MIME-Version: 1.0\r\n"
						   "Content-Type: text/plain; charset=UTF-8\r\n"
						   "Content-Transfer-Encoding: base64\r\n"
						   "\r\n");
	for (offset = 0; offset < len; offset += BODY_LINE_BYTES)
	{
		append_base64(&out, body + offset, Min(BODY_LINE_BYTES, len - offset));
		appendStringInfoString(&out, "\r\n");
	}
	return out.data;
}

/* libcurl read callback: hands out the message. */
static size_t
upload_message(char *buffer, size_t size, size_t nitems, void *userdata)
{
	UploadBuffer *upload = (UploadBuffer *) userdata;
	size_t		room = size * nitems;
	size_t		left = upload->len - upload->offset;
	size_t		bytes = Min(room, left);

	memcpy(buffer, upload->data + upload->offset, bytes);
	upload->offset += bytes;
	return bytes;
}

/* libcurl progress callback: aborts the transfer when the worker stops. */
static int
check_shutdown(void *clientp pg_attribute_unused(),
			   curl_off_t dltotal pg_attribute_unused(),
			   curl_off_t dlnow pg_attribute_unused(),
			   curl_off_t ultotal pg_attribute_unused(),
			   curl_off_t ulnow pg_attribute_unused())
{
	return ShutdownRequestPending ? 1 : 0;
}

/*
 * Adds each address of otan_enbek.smtp_to, a comma-separated list, as a
 * recipient.  On failure the caller still owns the list.
 */
static struct curl_slist *
recipient_list(void)
{
	struct curl_slist *volatile list = NULL;
	char	   *addresses = pstrdup(otan_enbek_smtp_to);
	char	   *save = NULL;
	char	   *address;

	for (address = strtok_r(addresses, ",", &save); address != NULL;
		 address = strtok_r(NULL, ",", &save))
	{
		struct curl_slist *longer;

		while (*address == ' ' || *address == '\t')
			address++;
		if (*address == '\0')
			continue;
		longer = curl_slist_append(list, address);
		if (longer == NULL)
		{
			curl_slist_free_all(list);
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not add an e-mail recipient for libcurl")));
		}
		list = longer;
	}
	pfree(addresses);
	return list;
}

/* Sets every option of the transfer. */
static void
configure_transfer(CURL *curl, struct curl_slist *recipients,
				   UploadBuffer *upload, char *error_buffer)
{
	NOTIFY_SET_OPTION(curl, CURLOPT_URL, otan_enbek_smtp_url);
	NOTIFY_SET_OPTION(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	NOTIFY_SET_OPTION(curl, CURLOPT_USE_SSL, (long) CURLUSESSL_ALL);
	NOTIFY_SET_OPTION(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	NOTIFY_SET_OPTION(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (otan_enbek_smtp_ca_file != NULL && otan_enbek_smtp_ca_file[0] != '\0')
		NOTIFY_SET_OPTION(curl, CURLOPT_CAINFO, otan_enbek_smtp_ca_file);
	NOTIFY_SET_OPTION(curl, CURLOPT_PROXY, "");
	NOTIFY_SET_OPTION(curl, CURLOPT_NOSIGNAL, 1L);
	NOTIFY_SET_OPTION(curl, CURLOPT_CONNECTTIMEOUT_MS,
					  (long) otan_enbek_notification_timeout_ms);
	NOTIFY_SET_OPTION(curl, CURLOPT_TIMEOUT_MS,
					  (long) otan_enbek_notification_timeout_ms);
	if (otan_enbek_smtp_username != NULL && otan_enbek_smtp_username[0] != '\0')
	{
		NOTIFY_SET_OPTION(curl, CURLOPT_USERNAME, otan_enbek_smtp_username);
		NOTIFY_SET_OPTION(curl, CURLOPT_PASSWORD,
						  otan_enbek_smtp_password ? otan_enbek_smtp_password : "");
	}

	NOTIFY_SET_OPTION(curl, CURLOPT_MAIL_FROM, otan_enbek_smtp_from);
	NOTIFY_SET_OPTION(curl, CURLOPT_MAIL_RCPT, recipients);
	NOTIFY_SET_OPTION(curl, CURLOPT_UPLOAD, 1L);
	NOTIFY_SET_OPTION(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t) upload->len);
	NOTIFY_SET_OPTION(curl, CURLOPT_READFUNCTION, upload_message);
	NOTIFY_SET_OPTION(curl, CURLOPT_READDATA, upload);
	NOTIFY_SET_OPTION(curl, CURLOPT_NOPROGRESS, 0L);
	NOTIFY_SET_OPTION(curl, CURLOPT_XFERINFOFUNCTION, check_shutdown);
	NOTIFY_SET_OPTION(curl, CURLOPT_ERRORBUFFER, error_buffer);
}

/*
 * Sends a notification as an e-mail.  Returns NULL when the server took
 * the message, else what failed.  An error is raised only when libcurl
 * cannot be set up.
 */
char *
smtp_send(const NotificationItem *item)
{
	CURL	   *volatile curl = NULL;
	struct curl_slist *volatile recipients = NULL;
	char		error_buffer[CURL_ERROR_SIZE];
	UploadBuffer upload;
	char	   *volatile problem = NULL;

	if (smtp_problem() != NULL)
		return pstrdup(smtp_problem());
	upload.data = smtp_build_message(item);
	upload.len = strlen(upload.data);
	upload.offset = 0;
	error_buffer[0] = '\0';

	PG_TRY();
	{
		CURLcode	rc;

		curl = curl_easy_init();
		if (curl == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not create a libcurl handle")));
		recipients = recipient_list();
		configure_transfer(curl, recipients, &upload, error_buffer);
		rc = curl_easy_perform(curl);
		if (rc != CURLE_OK)
		{
			long		reply = 0;
			const char *message = error_buffer[0] != '\0' ? error_buffer :
				curl_easy_strerror(rc);

			/* libcurl calls a refused mail a "weird server reply" */
			curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
			if (reply != 0)
				problem = psprintf("%s (last SMTP reply code %ld)", message,
								   reply);
			else
				problem = pstrdup(message);
		}
	}
	PG_FINALLY();
	{
		curl_slist_free_all(recipients);
		curl_easy_cleanup(curl);
	}
	PG_END_TRY();
	return problem;
}
