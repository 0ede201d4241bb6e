/*-------------------------------------------------------------------------
 *
 * exchange.c
 *	  The requests to Enbek for claimed submissions, and their verdicts.
 *
 * Runs with no transaction open.  An unexpected error while building,
 * sending or reading (out of memory, a document that cannot be converted to
 * UTF-8) is caught and becomes a transient verdict for that submission
 * alone.  So one bad submission cannot stop the delivery of the others, and
 * it fails after max_attempts.  Only an error that stops every transfer
 * (libcurl that cannot be set up) becomes the verdict of the whole batch.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>
#include <libxml/parser.h>

#include "mb/pg_wchar.h"
#include "lib/stringinfo.h"
#include "postmaster/interrupt.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "otan_enbek.h"
#include "delivery/delivery.h"
#include "delivery/envelope.h"
#include "delivery/profile.h"
#include "delivery/wssecurity.h"

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

/* Builds the SOAP request of an item, in UTF-8, with its body signed. */
static char *
build_request(DeliveryItem *item)
{
	const char *data;
	const char *service_id;
	TimestampTz message_date;
	char	   *envelope;
	char	   *utf8;
	char	   *signed_envelope;

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
							  item->target && item->target->sender_id ?
							  item->target->sender_id : otan_enbek_sender_id,
							  otan_enbek_sender_password, data);
	utf8 = pg_server_to_any(envelope, strlen(envelope), PG_UTF8);
	if (utf8 != envelope)
	{
		explicit_bzero(envelope, strlen(envelope));
		pfree(envelope);
	}
	signed_envelope =
		wssecurity_sign_with_configured_signer(utf8, item->target ?
											   item->target->bin : NULL);
	explicit_bzero(utf8, strlen(utf8));
	pfree(utf8);
	return signed_envelope;
}

/*
 * A transient verdict for an error raised while handling the item, before
 * anything reached Enbek, so that the circuit breaker does not count it.
 * An error with its own SQLSTATE (a signing key or signing service
 * problem, say) keeps that code, its detail and its hint.  Only an error
 * raised by elog() is called an internal error.
 */
static DeliveryVerdict *
verdict_from_error(DeliveryItem *item, ErrorData *edata)
{
	DeliveryVerdict *verdict = palloc0(sizeof(DeliveryVerdict));
	bool		internal = edata->sqlerrcode == ERRCODE_INTERNAL_ERROR;
	StringInfoData detail;

	verdict->kind = VERDICT_TRANSIENT;
	verdict->internal_error = true;
	verdict->retry_after_s = -1;
	initStringInfo(&detail);
	appendStringInfo(&detail, "{\"request\": \"%s\", \"internal_error\": %s",
					 item->kind == DELIVERY_SEND ? "send" : "status",
					 internal ? "true" : "false");
	if (internal)
		verdict->message = psprintf("internal error: %s", edata->message);
	else
	{
		verdict->code = pstrdup(unpack_sql_state(edata->sqlerrcode));
		verdict->message = pstrdup(edata->message);
		appendStringInfoString(&detail, ", \"sqlstate\": ");
		escape_json(&detail, verdict->code);
		if (edata->detail)
		{
			appendStringInfoString(&detail, ", \"error_detail\": ");
			escape_json(&detail, edata->detail);
		}
		if (edata->hint)
		{
			appendStringInfoString(&detail, ", \"error_hint\": ");
			escape_json(&detail, edata->hint);
		}
	}
	appendStringInfoChar(&detail, '}');
	verdict->detail = detail.data;
	return verdict;
}

/*
 * Turns an error raised while handling an item into its transient verdict,
 * with a warning in the server log.  Call it from PG_CATCH in the context
 * given as caller.
 */
static DeliveryVerdict *
catch_item_error(DeliveryItem *item, MemoryContext caller)
{
	ErrorData  *edata;
	DeliveryVerdict *verdict;

	MemoryContextSwitchTo(caller);
	edata = CopyErrorData();
	FlushErrorState();
	ereport(WARNING,
			(errmsg("otan_enbek could not send submission %lld: %s",
					(long long) item->submission_id, edata->message)));
	verdict = verdict_from_error(item, edata);
	FreeErrorData(edata);
	return verdict;
}

/*
 * Builds the request of each item.  An item whose request fails gets its
 * verdict.  After a shutdown request, which also stops a request to the
 * external signer, the items left get the verdict "not sent".
 */
static void
build_requests(DeliveryItem **items, int count, char **requests,
			   DeliveryVerdict **verdicts)
{
	MemoryContext caller = CurrentMemoryContext;
	int			i;

	for (i = 0; i < count; i++)
	{
		if (ShutdownRequestPending)
		{
			verdicts[i] = delivery_verdict_not_sent(items[i]);
			continue;
		}
		PG_TRY();
		{
			requests[i] = build_request(items[i]);
		}
		PG_CATCH();
		{
			if (ShutdownRequestPending)
			{
				MemoryContextSwitchTo(caller);
				FlushErrorState();
				verdicts[i] = delivery_verdict_not_sent(items[i]);
			}
			else
				verdicts[i] = catch_item_error(items[i], caller);
		}
		PG_END_TRY();
	}
}

/*
 * Posts the built requests together.  When the transfers cannot be set up,
 * every item that had a request gets that error as its verdict.
 */
static void
post_requests(DeliveryItem **items, int count, char **requests,
			  DeliveryHttpResponse *responses, DeliveryVerdict **verdicts)
{
	MemoryContext caller = CurrentMemoryContext;
	const char **bodies = palloc(sizeof(char *) * count);
	int		   *positions = palloc(sizeof(int) * count);
	DeliveryHttpResponse *posted = palloc0(sizeof(DeliveryHttpResponse) * count);
	int			n = 0;
	int			i;

	for (i = 0; i < count; i++)
		if (requests[i] != NULL)
		{
			bodies[n] = requests[i];
			positions[n++] = i;
		}
	if (n == 0)
		return;

	PG_TRY();
	{
		delivery_http_post_many(otan_enbek_enbek_url, n, bodies, posted);
		for (i = 0; i < n; i++)
			responses[positions[i]] = posted[i];
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		for (i = 0; i < n; i++)
		{
			DeliveryItem *item = items[positions[i]];

			ereport(WARNING,
					(errmsg("otan_enbek could not send submission %lld: %s",
							(long long) item->submission_id, edata->message)));
			verdicts[positions[i]] = verdict_from_error(item, edata);
		}
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

/*
 * Sends the requests of claimed submissions, several at a time, and judges
 * each response.  Returns one verdict per item, in the order of items.  The
 * requests, which contain the sender password, are wiped before they are
 * freed.
 */
DeliveryVerdict **
delivery_exchange_many(DeliveryItem **items, int count)
{
	MemoryContext caller = CurrentMemoryContext;
	DeliveryVerdict **verdicts = palloc0(sizeof(DeliveryVerdict *) * count);
	char	  **requests = palloc0(sizeof(char *) * count);
	DeliveryHttpResponse *responses = palloc0(sizeof(DeliveryHttpResponse) * count);
	int			i;

	build_requests(items, count, requests, verdicts);
	post_requests(items, count, requests, responses, verdicts);

	for (i = 0; i < count; i++)
	{
		if (requests[i] != NULL)
		{
			explicit_bzero(requests[i], strlen(requests[i]));
			pfree(requests[i]);
		}
		if (verdicts[i] != NULL)
			continue;
		PG_TRY();
		{
			verdicts[i] = delivery_judge(items[i]->kind, &responses[i],
										 items[i]->request_id,
										 items[i]->message_id);
		}
		PG_CATCH();
		{
			verdicts[i] = catch_item_error(items[i], caller);
		}
		PG_END_TRY();
		pfree(responses[i].body);
	}
	pfree(requests);
	pfree(responses);
	return verdicts;
}
