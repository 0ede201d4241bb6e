/*-------------------------------------------------------------------------
 *
 * webhook.c
 *	  HTTPS POST of a notification's JSON to otan_enbek.webhook_url.
 *
 * The transfer is HTTPS only, verifies the receiver's certificate and host
 * name with otan_enbek.webhook_ca_file or the system's store, follows no
 * redirect, ignores proxy variables of the environment, and stops at
 * otan_enbek.notification_timeout.  Any 2xx status is a delivery; anything
 * else, a network error or another status, is a failure that the caller
 * retries.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "postmaster/interrupt.h"

#include "otan_enbek.h"
#include "delivery/notification.h"

/*
 * Tells what keeps a URL from being used as the webhook, or returns NULL
 * when it can be used.
 */
const char *
webhook_problem(const char *url)
{
	if (url == NULL || url[0] == '\0')
		return "otan_enbek.webhook_url is empty";
	if (pg_strncasecmp(url, "https://", 8) != 0)
		return "otan_enbek.webhook_url is not an https:// URL";
	return NULL;
}

/* libcurl write callback: reads the response and keeps none of it. */
static size_t
discard_response(char *ptr pg_attribute_unused(), size_t size, size_t nmemb,
				 void *userdata)
{
	size_t	   *received = (size_t *) userdata;

	*received += size * nmemb;
	if (*received > WEBHOOK_MAX_RESPONSE_BYTES)
		return 0;				/* makes libcurl stop with CURLE_WRITE_ERROR */
	return size * nmemb;
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

/* Sets every option of the transfer. */
static void
configure_transfer(CURL *curl, const char *url, const char *json,
				   struct curl_slist *headers, size_t *received,
				   char *error_buffer)
{
	NOTIFY_SET_OPTION(curl, CURLOPT_URL, url);
	NOTIFY_SET_OPTION(curl, CURLOPT_PROTOCOLS_STR, "https");
	NOTIFY_SET_OPTION(curl, CURLOPT_FOLLOWLOCATION, 0L);
	NOTIFY_SET_OPTION(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	NOTIFY_SET_OPTION(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (otan_enbek_webhook_ca_file != NULL &&
		otan_enbek_webhook_ca_file[0] != '\0')
		NOTIFY_SET_OPTION(curl, CURLOPT_CAINFO, otan_enbek_webhook_ca_file);
	NOTIFY_SET_OPTION(curl, CURLOPT_PROXY, "");
	NOTIFY_SET_OPTION(curl, CURLOPT_NOSIGNAL, 1L);
	NOTIFY_SET_OPTION(curl, CURLOPT_CONNECTTIMEOUT_MS,
					  (long) otan_enbek_notification_timeout_ms);
	NOTIFY_SET_OPTION(curl, CURLOPT_TIMEOUT_MS,
					  (long) otan_enbek_notification_timeout_ms);

	NOTIFY_SET_OPTION(curl, CURLOPT_POST, 1L);
	NOTIFY_SET_OPTION(curl, CURLOPT_POSTFIELDS, json);
	NOTIFY_SET_OPTION(curl, CURLOPT_POSTFIELDSIZE_LARGE,
					  (curl_off_t) strlen(json));
	NOTIFY_SET_OPTION(curl, CURLOPT_HTTPHEADER, headers);
	NOTIFY_SET_OPTION(curl, CURLOPT_USERAGENT, "otan_enbek");

	NOTIFY_SET_OPTION(curl, CURLOPT_WRITEFUNCTION, discard_response);
	NOTIFY_SET_OPTION(curl, CURLOPT_WRITEDATA, received);
	NOTIFY_SET_OPTION(curl, CURLOPT_NOPROGRESS, 0L);
	NOTIFY_SET_OPTION(curl, CURLOPT_XFERINFOFUNCTION, check_shutdown);
	NOTIFY_SET_OPTION(curl, CURLOPT_ERRORBUFFER, error_buffer);
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

/*
 * Posts the JSON to the webhook.  Returns NULL when the receiver responded
 * with a 2xx status, else a description of the failure.  An error is raised
 * only when libcurl cannot be set up.
 */
char *
webhook_post(const char *url, const char *json)
{
	CURL	   *volatile curl = NULL;
	struct curl_slist *volatile headers = NULL;
	char		error_buffer[CURL_ERROR_SIZE];
	size_t		received = 0;
	char	   *volatile problem = NULL;

	if (webhook_problem(url) != NULL)
		return pstrdup(webhook_problem(url));
	error_buffer[0] = '\0';

	PG_TRY();
	{
		CURLcode	rc;
		long		status = 0;

		curl = curl_easy_init();
		if (curl == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not create a libcurl handle")));
		headers = append_header(headers,
								"Content-Type: application/json; charset=utf-8");
		headers = append_header(headers, "Expect:");
		configure_transfer(curl, url, json, headers, &received, error_buffer);

		rc = curl_easy_perform(curl);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		if (rc == CURLE_WRITE_ERROR && status >= 200 && status < 300)
			problem = NULL;		/* a long body after a 2xx status */
		else if (rc != CURLE_OK)
			problem = psprintf("%s", error_buffer[0] != '\0' ? error_buffer :
							   curl_easy_strerror(rc));
		else if (status < 200 || status >= 300)
			problem = psprintf("HTTP %ld", status);
	}
	PG_FINALLY();
	{
		curl_slist_free_all(headers);
		curl_easy_cleanup(curl);
	}
	PG_END_TRY();
	return problem;
}
