/*-------------------------------------------------------------------------
 *
 * http.c
 *	  HTTPS POST of SOAP requests to Enbek with libcurl, several at a time.
 *
 * The transfer is HTTPS only: an http:// URL is rejected before any
 * connection.  It verifies the server's certificate and host name with the
 * CA file of otan_enbek.ca_file or the system's store.  It follows no
 * redirect, ignores proxy settings in the environment, and stops at the
 * connect and request timeouts of the settings.  The response is read into
 * a buffer allocated up front at the size limit, so that libcurl's callbacks
 * never allocate and never raise an error: a longjmp through libcurl would
 * leak its handle.  A batch of requests runs through one multi handle, at
 * most otan_enbek.max_in_flight at a time, so that a slow response does not
 * hold up the others.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>

#include "miscadmin.h"
#include "postmaster/interrupt.h"

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

/* One transfer of a batch and the buffers libcurl writes into */
typedef struct HttpTransfer
{
	CURL	   *curl;
	struct curl_slist *headers;
	ResponseBuffer buffer;
	char		error_buffer[CURL_ERROR_SIZE];
	bool		in_multi;		/* added to the multi handle, not removed */
} HttpTransfer;

/* Creates the easy handle of a transfer and sets its options. */
static void
prepare_transfer(HttpTransfer *transfer, const char *url, const char *body)
{
	transfer->buffer.data = palloc(DELIVERY_MAX_RESPONSE_BYTES + 1);
	transfer->buffer.len = 0;
	transfer->buffer.too_large = false;
	transfer->error_buffer[0] = '\0';

	transfer->curl = curl_easy_init();
	if (transfer->curl == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not create a libcurl handle")));

	transfer->headers = append_header(transfer->headers,
									  "Content-Type: text/xml; charset=utf-8");
	transfer->headers = append_header(transfer->headers, "SOAPAction: \"\"");
	/* no "Expect: 100-continue" round trip before the body */
	transfer->headers = append_header(transfer->headers, "Expect:");

	configure_transfer(transfer->curl, url, body, transfer->headers,
					   &transfer->buffer, transfer->error_buffer);
}

/* Adds a prepared transfer to the multi handle. */
static void
start_transfer(CURLM *multi, HttpTransfer *transfer)
{
	CURLMcode	mc = curl_multi_add_handle(multi, transfer->curl);

	if (mc != CURLM_OK)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not start a libcurl transfer: %s",
						curl_multi_strerror(mc))));
	transfer->in_multi = true;
}

/* Fills the response of a finished transfer and detaches its handle. */
static void
finish_transfer(CURLM *multi, HttpTransfer *transfer, CURLcode rc,
				DeliveryHttpResponse *response)
{
	curl_off_t	total_us = 0;

	curl_easy_getinfo(transfer->curl, CURLINFO_TOTAL_TIME_T, &total_us);
	read_result(transfer->curl, rc, &transfer->buffer,
				transfer->error_buffer, response);
	response->duration_ms = (int) Min(total_us / 1000, PG_INT32_MAX);
	curl_multi_remove_handle(multi, transfer->curl);
	transfer->in_multi = false;
}

/* Runs the transfers until all have finished, max_in_flight at a time. */
static void
run_transfers(CURLM *multi, HttpTransfer *transfers, int count,
			  DeliveryHttpResponse *responses)
{
	int			started = 0;
	int			finished = 0;

	while (started < count && started < otan_enbek_max_in_flight)
		start_transfer(multi, &transfers[started++]);

	while (finished < count)
	{
		int			running;
		int			queued;
		CURLMsg    *message;
		CURLMcode	mc;

		mc = curl_multi_perform(multi, &running);
		if (mc == CURLM_OK && running > 0)
			mc = curl_multi_poll(multi, NULL, 0, 1000, NULL);
		if (mc != CURLM_OK)
			ereport(ERROR,
					(errcode(ERRCODE_SYSTEM_ERROR),
					 errmsg("libcurl transfers failed: %s",
							curl_multi_strerror(mc))));

		while ((message = curl_multi_info_read(multi, &queued)) != NULL)
		{
			int			i;

			if (message->msg != CURLMSG_DONE)
				continue;
			for (i = 0; i < started; i++)
				if (transfers[i].curl == message->easy_handle)
					break;
			Assert(i < started);
			finish_transfer(multi, &transfers[i], message->data.result,
							&responses[i]);
			finished++;
			if (started < count)
				start_transfer(multi, &transfers[started++]);
		}
	}
}

/*
 * Posts SOAP requests to one URL, up to otan_enbek.max_in_flight at a time
 * over libcurl's shared connections, and reports what came back for each:
 * responses[i] is the response to bodies[i].  Network errors, timeouts and
 * rejected certificates are reported in the responses, not raised.  An
 * error is raised only when libcurl cannot be set up, and then no response
 * is filled.
 */
void
delivery_http_post_many(const char *url, int count, const char *const *bodies,
						DeliveryHttpResponse *responses)
{
	HttpTransfer *volatile transfers;
	CURLM	   *volatile multi = NULL;
	int			i;

	if (delivery_endpoint_problem(url) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", delivery_endpoint_problem(url)),
				 errhint("Set otan_enbek.enbek_url to the https:// address of the Enbek endpoint.")));

	transfers = palloc0(sizeof(HttpTransfer) * count);
	for (i = 0; i < count; i++)
	{
		memset(&responses[i], 0, sizeof(DeliveryHttpResponse));
		responses[i].retry_after_s = -1;
	}

	PG_TRY();
	{
		multi = curl_multi_init();
		if (multi == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not create a libcurl multi handle")));
		for (i = 0; i < count; i++)
			prepare_transfer(&transfers[i], url, bodies[i]);
		run_transfers(multi, transfers, count, responses);
	}
	PG_FINALLY();
	{
		for (i = 0; i < count; i++)
		{
			if (transfers[i].in_multi)
				curl_multi_remove_handle(multi, transfers[i].curl);
			curl_slist_free_all(transfers[i].headers);
			curl_easy_cleanup(transfers[i].curl);
		}
		curl_multi_cleanup(multi);
	}
	PG_END_TRY();
	pfree(transfers);
}
