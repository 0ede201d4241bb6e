/*-------------------------------------------------------------------------
 *
 * http.c
 *	  HTTPS POST of a SOAP request to Enbek with libcurl.
 *
 * The transfer is HTTPS only: an http:// URL is rejected before any
 * connection.  It verifies the server's certificate and host name with the
 * CA file of otan_enbek.ca_file or the system's store.  It follows no
 * redirect, ignores proxy settings in the environment, and stops at the
 * connect and request timeouts of the settings.  The response is read into
 * a buffer allocated up front at the size limit, so that libcurl's callbacks
 * never allocate and never raise an error: a longjmp through libcurl would
 * leak its handle.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>

#include "miscadmin.h"
#include "postmaster/interrupt.h"
#include "utils/timestamp.h"

#include "otan_enbek.h"
#include "delivery/delivery.h"

/* The response being received */
typedef struct ResponseBuffer
{
	char	   *data;
	size_t		len;
	bool		too_large;
} ResponseBuffer;

/*
 * Tells what keeps a URL from being used as the endpoint, or returns NULL
 * when it can be used.
 */
const char *
delivery_endpoint_problem(const char *url)
{
	if (url == NULL || url[0] == '\0')
		return "otan_enbek.enbek_url is empty";
	if (pg_strncasecmp(url, "https://", 8) != 0)
		return "otan_enbek.enbek_url is not an https:// URL";
	return NULL;
}

/* libcurl write callback: appends to the buffer, up to the size limit. */
static size_t
receive_response(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	ResponseBuffer *buffer = (ResponseBuffer *) userdata;
	size_t		bytes = size * nmemb;

	if (bytes > DELIVERY_MAX_RESPONSE_BYTES - buffer->len)
	{
		buffer->too_large = true;
		return 0;				/* makes libcurl stop with CURLE_WRITE_ERROR */
	}
	memcpy(buffer->data + buffer->len, ptr, bytes);
	buffer->len += bytes;
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

/* Sets a libcurl option, raising an error when libcurl rejects it. */
#define SET_OPTION(curl, option, value) \
	do { \
		CURLcode	rc_ = curl_easy_setopt((curl), (option), (value)); \
		if (rc_ != CURLE_OK) \
			ereport(ERROR, \
					(errcode(ERRCODE_SYSTEM_ERROR), \
					 errmsg("could not set libcurl option %s: %s", \
							#option, curl_easy_strerror(rc_)))); \
	} while (0)

/* Sets every option of the transfer. */
static void
configure_transfer(CURL *curl, const char *url, const char *body,
				   struct curl_slist *headers, ResponseBuffer *buffer,
				   char *error_buffer)
{
	SET_OPTION(curl, CURLOPT_URL, url);
	SET_OPTION(curl, CURLOPT_PROTOCOLS_STR, "https");
	SET_OPTION(curl, CURLOPT_FOLLOWLOCATION, 0L);
	SET_OPTION(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	SET_OPTION(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (otan_enbek_ca_file != NULL && otan_enbek_ca_file[0] != '\0')
		SET_OPTION(curl, CURLOPT_CAINFO, otan_enbek_ca_file);

	/*
	 * NOTE: an empty proxy makes libcurl ignore proxy variables such as
	 * https_proxy in the server's environment, so that requests go to the
	 * configured address only.  A site that needs a proxy needs a new
	 * setting for it.
	 */
	SET_OPTION(curl, CURLOPT_PROXY, "");
	SET_OPTION(curl, CURLOPT_NOSIGNAL, 1L);
	SET_OPTION(curl, CURLOPT_CONNECTTIMEOUT_MS,
			   (long) otan_enbek_connect_timeout_ms);
	SET_OPTION(curl, CURLOPT_TIMEOUT_MS, (long) otan_enbek_request_timeout_ms);
	SET_OPTION(curl, CURLOPT_MAXFILESIZE_LARGE,
			   (curl_off_t) DELIVERY_MAX_RESPONSE_BYTES);

	SET_OPTION(curl, CURLOPT_POST, 1L);
	SET_OPTION(curl, CURLOPT_POSTFIELDS, body);
	SET_OPTION(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(body));
	SET_OPTION(curl, CURLOPT_HTTPHEADER, headers);
	SET_OPTION(curl, CURLOPT_USERAGENT, "otan_enbek");

	SET_OPTION(curl, CURLOPT_WRITEFUNCTION, receive_response);
	SET_OPTION(curl, CURLOPT_WRITEDATA, buffer);
	SET_OPTION(curl, CURLOPT_NOPROGRESS, 0L);
	SET_OPTION(curl, CURLOPT_XFERINFOFUNCTION, check_shutdown);
	SET_OPTION(curl, CURLOPT_ERRORBUFFER, error_buffer);
}

/* Appends a header line; on failure the caller still owns the list. */
static struct curl_slist *
append_header(struct curl_slist *list, const char *header)
{
	struct curl_slist *longer = curl_slist_append(list, header);

	if (longer == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not add an HTTP header for libcurl")));
	return longer;
}

/* Fills the response from a finished transfer. */
static void
read_result(CURL *curl, CURLcode rc, ResponseBuffer *buffer,
			const char *error_buffer, DeliveryHttpResponse *response)
{
	long		status = 0;
	curl_off_t	retry_after = 0;

	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(curl, CURLINFO_RETRY_AFTER, &retry_after);

	buffer->data[buffer->len] = '\0';
	response->body = buffer->data;
	response->body_len = buffer->len;
	response->http_status = status;
	response->curl_code = (int) rc;
	response->retry_after_s = retry_after > 0 ? (int) Min(retry_after, 86400) : -1;
	response->completed = (rc == CURLE_OK);
	response->timed_out = (rc == CURLE_OPERATION_TIMEDOUT);
	response->interrupted = (rc == CURLE_ABORTED_BY_CALLBACK);
	response->too_large = buffer->too_large || rc == CURLE_FILESIZE_EXCEEDED;

	if (response->too_large)
		response->error = psprintf("the response is larger than %d bytes",
								   DELIVERY_MAX_RESPONSE_BYTES);
	else if (rc != CURLE_OK)
		response->error = pstrdup(error_buffer[0] != '\0' ? error_buffer :
								  curl_easy_strerror(rc));
}

/*
 * Posts a SOAP request and reports what came back.  Network errors,
 * timeouts and rejected certificates are reported in *response, not raised;
 * an error is raised only when libcurl cannot be set up.
 */
void
delivery_http_post(const char *url, const char *body,
				   DeliveryHttpResponse *response)
{
	CURL	   *volatile curl = NULL;
	struct curl_slist *volatile headers = NULL;
	char		error_buffer[CURL_ERROR_SIZE];
	ResponseBuffer buffer;
	TimestampTz start;
	CURLcode	rc;

	memset(response, 0, sizeof(DeliveryHttpResponse));
	response->retry_after_s = -1;
	buffer.data = palloc(DELIVERY_MAX_RESPONSE_BYTES + 1);
	buffer.len = 0;
	buffer.too_large = false;
	error_buffer[0] = '\0';

	if (delivery_endpoint_problem(url) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", delivery_endpoint_problem(url)),
				 errhint("Set otan_enbek.enbek_url to the https:// address of the Enbek endpoint.")));

	PG_TRY();
	{
		curl = curl_easy_init();
		if (curl == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not create a libcurl handle")));

		headers = append_header(headers,
								"Content-Type: text/xml; charset=utf-8");
		headers = append_header(headers, "SOAPAction: \"\"");
		/* no "Expect: 100-continue" round trip before the body */
		headers = append_header(headers, "Expect:");

		configure_transfer(curl, url, body, headers, &buffer, error_buffer);

		start = GetCurrentTimestamp();
		rc = curl_easy_perform(curl);
		response->duration_ms = (int)
			Min(TimestampDifferenceMilliseconds(start, GetCurrentTimestamp()),
				PG_INT32_MAX);
		read_result(curl, rc, &buffer, error_buffer, response);
	}
	PG_FINALLY();
	{
		curl_slist_free_all(headers);
		curl_easy_cleanup(curl);
	}
	PG_END_TRY();
}
