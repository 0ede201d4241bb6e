/*-------------------------------------------------------------------------
 *
 * exchange.c
 *	  One request to Enbek for a claimed submission, and its verdict.
 *
 * Runs with no transaction open.  An unexpected error while building,
 * sending or reading (out of memory, a document that cannot be converted to
 * UTF-8) is caught and becomes a transient verdict for this submission
 * alone.  So one bad submission cannot stop the delivery of the others, and
 * it fails after max_attempts.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>
#include <libxml/parser.h>

#include "mb/pg_wchar.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "otan_enbek.h"
#include "delivery/delivery.h"
#include "delivery/envelope.h"

/* Initializes libcurl and libxml2 once in the worker process. */
void
delivery_transport_init(void)
{
	CURLcode	rc = curl_global_init(CURL_GLOBAL_DEFAULT);

	if (rc != CURLE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not initialize libcurl: %s",
						curl_easy_strerror(rc))));
	xmlInitParser();
}

/* Builds the data of a status query for a timesheet's message id. */
static char *
build_status_request(const char *message_id)
{
	/* message_id comes from a uuid column: nothing in it needs escaping */
	return psprintf("<ts:statusRequest xmlns:ts=\"" TIMESHEET_NS "\">"
					"<ts:messageId>%s</ts:messageId></ts:statusRequest>",
					message_id);
}

/* Builds the SOAP request of an item, in UTF-8. */
static char *
build_request(DeliveryItem *item)
{
	const char *data;
	const char *service_id;
	TimestampTz message_date;
	char	   *envelope;
	char	   *utf8;

	if (item->kind == DELIVERY_SEND)
	{
		data = item->document;
		service_id = item->service_id;
		message_date = item->created_at;
	}
	else
	{
		data = build_status_request(item->message_id);
		service_id = otan_enbek_status_service_id;
		message_date = GetCurrentTimestamp();
	}

	envelope = envelope_build(item->request_id, service_id, message_date,
							  otan_enbek_sender_id, otan_enbek_sender_password,
							  data);
	utf8 = pg_server_to_any(envelope, strlen(envelope), PG_UTF8);
	if (utf8 != envelope)
	{
		explicit_bzero(envelope, strlen(envelope));
		pfree(envelope);
	}
	return utf8;
}

/* A transient verdict for an error raised while handling the item. */
static DeliveryVerdict *
verdict_from_error(DeliveryItem *item, ErrorData *edata)
{
	DeliveryVerdict *verdict = palloc0(sizeof(DeliveryVerdict));

	verdict->kind = VERDICT_TRANSIENT;
	verdict->internal_error = true;
	verdict->retry_after_s = -1;
	verdict->message = psprintf("internal error: %s", edata->message);
	verdict->detail = psprintf("{\"request\": \"%s\", \"internal_error\": true}",
							   item->kind == DELIVERY_SEND ? "send" : "status");
	return verdict;
}

/*
 * Sends the request of a claimed submission and judges the response.  The
 * request, which contains the sender password, is wiped before it is freed.
 */
DeliveryVerdict *
delivery_exchange(DeliveryItem *item)
{
	MemoryContext caller = CurrentMemoryContext;
	DeliveryVerdict *volatile verdict = NULL;
	char	   *volatile request = NULL;

	PG_TRY();
	{
		DeliveryHttpResponse response;

		request = build_request(item);
		delivery_http_post(otan_enbek_enbek_url, request, &response);
		verdict = delivery_judge(item->kind, &response, item->request_id,
								 item->message_id);
		pfree(response.body);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		ereport(WARNING,
				(errmsg("otan_enbek could not send submission %lld: %s",
						(long long) item->submission_id, edata->message)));
		verdict = verdict_from_error(item, edata);
		FreeErrorData(edata);
	}
	PG_END_TRY();

	if (request != NULL)
	{
		explicit_bzero(request, strlen(request));
		pfree(request);
	}
	return verdict;
}
