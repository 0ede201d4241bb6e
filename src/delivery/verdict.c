/*-------------------------------------------------------------------------
 *
 * verdict.c
 *	  What an exchange with Enbek means for the submission (its verdict).
 *
 * The rules, in order:
 *
 * - No complete HTTP response (network error, TLS failure, timeout, response
 *	 over the size limit): transient.
 * - HTTP 200 with a SendMessageResponse: SCSE196 or SCSE086 ("id already
 *	 used") to a send is a re-send of a message Enbek already has, so its
 *	 status is asked; otherwise ts:state
 *	 decides: RECEIVED and PROCESSING mean "ask later", ACCEPTED accepted,
 *	 REJECTED returned, UNKNOWN (status query only) "send again".  An SCSE
 *	 code to a send without data is a rejection too.  A status code that
 *	 contradicts the state is treated as a malformed response.
 * - A soap:Fault: Client faults reject the request, Server faults are
 *	 transient.  A rejected send is never retried unchanged; a rejected
 *	 status query is asked again (retry.c).
 * - HTTP 408, 429 and 5xx without a Client fault: transient.
 * - Any other HTTP status: the request is rejected.
 * - A malformed response: transient.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "delivery/delivery.h"
#include "message_value.h"

PG_FUNCTION_INFO_V1(otan_enbek_delivery_judge_response);

/* Appends "key": "value" (or null) to a JSON object under construction. */
static void
json_add_string(StringInfo buf, const char *key, const char *value)
{
	if (buf->len > 1)
		appendStringInfoString(buf, ", ");
	escape_json(buf, key);
	appendStringInfoString(buf, ": ");
	if (value == NULL)
		appendStringInfoString(buf, "null");
	else
		escape_json(buf, value);
}

/* Appends "key": number to a JSON object under construction. */
static void
json_add_int(StringInfo buf, const char *key, long value)
{
	if (buf->len > 1)
		appendStringInfoString(buf, ", ");
	escape_json(buf, key);
	appendStringInfo(buf, ": %ld", value);
}

/* Appends "key": true to a JSON object under construction. */
static void
json_add_true(StringInfo buf, const char *key)
{
	if (buf->len > 1)
		appendStringInfoString(buf, ", ");
	escape_json(buf, key);
	appendStringInfoString(buf, ": true");
}

/* Name of a verdict, as the tests and the JSON output show it. */
const char *
delivery_verdict_name(DeliveryVerdictKind kind)
{
	switch (kind)
	{
		case VERDICT_SENT:
			return "sent";
		case VERDICT_ACCEPTED:
			return "accepted";
		case VERDICT_RETURNED:
			return "returned";
		case VERDICT_RESEND_DETECTED:
			return "resend_detected";
		case VERDICT_UNKNOWN:
			return "unknown";
		case VERDICT_TRANSIENT:
			return "transient";
		case VERDICT_REJECTED_REQUEST:
			return "rejected_request";
		case VERDICT_INTERRUPTED:
			return "interrupted";
		case VERDICT_NOT_SENT:
			return "not_sent";
		case VERDICT_WRITTEN:
			return "written";
	}
	return "?";
}

/*
 * Returns the reasons as a JSON array of {"code", "message", "iin"}, or
 * NULL when there are none.
 */
char *
delivery_reasons_json(List *reasons)
{
	StringInfoData buf;
	ListCell   *lc;

	if (reasons == NIL)
		return NULL;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, '[');
	foreach(lc, reasons)
	{
		DeliveryReason *reason = lfirst(lc);
		StringInfoData item;

		initStringInfo(&item);
		appendStringInfoChar(&item, '{');
		json_add_string(&item, "code", reason->code);
		json_add_string(&item, "message", reason->message);
		json_add_string(&item, "iin", reason->iin);
		appendStringInfoChar(&item, '}');
		if (lc != list_head(reasons))
			appendStringInfoString(&buf, ", ");
		appendStringInfoString(&buf, item.data);
		pfree(item.data);
	}
	appendStringInfoChar(&buf, ']');
	return buf.data;
}

/* Turns a malformed response into a transient verdict. */
static void
judge_malformed(DeliveryVerdict *verdict, const char *problem)
{
	verdict->kind = VERDICT_TRANSIENT;
	verdict->message = psprintf("malformed response: %s", problem);
}

/* Judges a SendMessageResponse read from an HTTP 200 response. */
static void
judge_response(DeliveryVerdict *verdict, DeliveryRequestKind kind,
			   SoapResponse *soap)
{
	const char *state = soap->state;
	bool		success = strncmp(soap->status_code, "SCSS", 4) == 0;

	verdict->code = soap->status_code;
	verdict->message = soap->status_message;
	verdict->state = soap->state;
	verdict->reasons = soap->reasons;

	if (kind == DELIVERY_SEND &&
		(strcmp(soap->status_code, "SCSE196") == 0 ||
		 strcmp(soap->status_code, "SCSE086") == 0))
		verdict->kind = VERDICT_RESEND_DETECTED;
	else if (state == NULL)
	{
		if (success)
			judge_malformed(verdict, "a successful response has no ts:timesheetResponse");
		else if (kind == DELIVERY_SEND)
			verdict->kind = VERDICT_RETURNED;
		else
			verdict->kind = VERDICT_TRANSIENT;	/* the query itself was rejected */
	}
	else if (strcmp(state, "REJECTED") == 0)
		verdict->kind = VERDICT_RETURNED;
	else if (!success)
		judge_malformed(verdict, psprintf("status %s contradicts state %s",
										  soap->status_code, state));
	else if (strcmp(state, "RECEIVED") == 0 || strcmp(state, "PROCESSING") == 0)
		verdict->kind = VERDICT_SENT;
	else if (strcmp(state, "ACCEPTED") == 0)
		verdict->kind = VERDICT_ACCEPTED;
	else if (kind == DELIVERY_STATUS)
		verdict->kind = VERDICT_UNKNOWN;
	else
		judge_malformed(verdict, "state UNKNOWN is valid in a status response only");

	/* A rejection without ts:error gets its reason from the status. */
	if (verdict->kind == VERDICT_RETURNED && verdict->reasons == NIL)
	{
		DeliveryReason *reason = palloc0(sizeof(DeliveryReason));

		reason->code = soap->status_code;
		reason->message = soap->status_message;
		verdict->reasons = list_make1(reason);
	}
}

/* Judges a complete HTTP response from its status and SOAP response. */
static void
judge_http(DeliveryVerdict *verdict, DeliveryRequestKind kind,
		   SoapResponse *soap)
{
	long		status = verdict->http_status;
	bool		fault = (soap->kind == SOAP_FAULT_CLIENT ||
						 soap->kind == SOAP_FAULT_SERVER);

	if (fault)
	{
		verdict->code = soap->fault_code;
		verdict->message = soap->fault_string;
	}

	if (status == 200 && soap->kind == SOAP_RESPONSE)
		judge_response(verdict, kind, soap);
	else if (soap->kind == SOAP_FAULT_CLIENT &&
			 (status == 200 || status >= 500))
		verdict->kind = VERDICT_REJECTED_REQUEST;
	else if (status == 200 && soap->kind == SOAP_MALFORMED)
		judge_malformed(verdict, soap->problem);
	else if (status == 200 || status == 408 || status == 429 || status >= 500)
		verdict->kind = VERDICT_TRANSIENT;
	else
		verdict->kind = VERDICT_REJECTED_REQUEST;

	if (verdict->message == NULL && status != 200)
		verdict->message = psprintf("Enbek returned HTTP status %ld",
									status);
}

/* Judges an exchange that ended without a complete HTTP response. */
static void
judge_no_response(DeliveryVerdict *verdict,
				  const DeliveryHttpResponse *response, StringInfo detail)
{
	json_add_int(detail, "curl_code", response->curl_code);
	if (response->interrupted)
	{
		verdict->kind = VERDICT_INTERRUPTED;
		verdict->message = "the request was interrupted because the worker is stopping";
		return;
	}
	verdict->kind = VERDICT_TRANSIENT;
	verdict->message = response->error;
	if (response->timed_out)
		json_add_true(detail, "timed_out");
	if (response->too_large)
		verdict->http_status = (int) response->http_status;
}

/*
 * Judges an exchange.  request_id is the message id of the request and
 * message_id the timesheet's.
 */
DeliveryVerdict *
delivery_judge(DeliveryRequestKind kind, const DeliveryHttpResponse *response,
			   const char *request_id, const char *message_id)
{
	DeliveryVerdict *verdict = palloc0(sizeof(DeliveryVerdict));
	StringInfoData detail;

	verdict->retry_after_s = response->retry_after_s;
	verdict->duration_ms = response->duration_ms;

	initStringInfo(&detail);
	appendStringInfoChar(&detail, '{');
	json_add_string(&detail, "request",
					kind == DELIVERY_SEND ? "send" : "status");
	json_add_string(&detail, "request_message_id", request_id);

	if (!response->completed)
		judge_no_response(verdict, response, &detail);
	else
	{
		SoapResponse *soap;

		verdict->http_status = (int) response->http_status;
		json_add_int(&detail, "response_bytes", (long) response->body_len);
		soap = soap_parse_response(response->body, response->body_len,
								   request_id, message_id);
		if (soap->kind == SOAP_MALFORMED)
			json_add_string(&detail, "problem", soap->problem);
		if (soap->fault_code != NULL)
			json_add_string(&detail, "fault_code", soap->fault_code);
		judge_http(verdict, kind, soap);
		if (verdict->state != NULL)
			json_add_string(&detail, "state", verdict->state);
	}

	if (verdict->retry_after_s > 0)
		json_add_int(&detail, "retry_after", verdict->retry_after_s);
	json_add_string(&detail, "verdict", delivery_verdict_name(verdict->kind));
	appendStringInfoChar(&detail, '}');
	verdict->detail = detail.data;
	return verdict;
}

/* The verdict of a claimed submission that the worker did not send. */
DeliveryVerdict *
delivery_verdict_not_sent(DeliveryItem *item)
{
	DeliveryVerdict *verdict = palloc0(sizeof(DeliveryVerdict));

	verdict->kind = VERDICT_NOT_SENT;
	verdict->retry_after_s = -1;
	verdict->message = "not sent because the worker is stopping";
	verdict->detail = psprintf("{\"request\": \"%s\"}",
							   item->kind == DELIVERY_SEND ? "send" : "status");
	return verdict;
}

/* Text of a uuid argument. */
static char *
uuid_text(Datum value)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, value));
}

/*
 * SQL function otan_enbek.delivery_judge_response(request, http_status, body,
 * request_id, message_id): the verdict of a response as jsonb, without
 * sending anything.  For tests of the rules above.
 */
Datum
otan_enbek_delivery_judge_response(PG_FUNCTION_ARGS)
{
	text	   *request = PG_GETARG_TEXT_PP(0);
	char	   *request_name = text_to_cstring(request);
	DeliveryHttpResponse response;
	DeliveryVerdict *verdict;
	DeliveryRequestKind kind;
	StringInfoData buf;
	char	   *reasons;

	if (strcmp(request_name, "send") == 0)
		kind = DELIVERY_SEND;
	else if (strcmp(request_name, "status") == 0)
		kind = DELIVERY_STATUS;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid request kind \"%s\"",
						message_value(request_name, strlen(request_name))),
				 errhint("Use \"send\" or \"status\".")));

	memset(&response, 0, sizeof(response));
	response.completed = true;
	response.http_status = PG_GETARG_INT32(1);
	response.body = text_to_cstring(PG_GETARG_TEXT_PP(2));
	response.body_len = strlen(response.body);
	response.retry_after_s = -1;

	verdict = delivery_judge(kind, &response, uuid_text(PG_GETARG_DATUM(3)),
							 uuid_text(PG_GETARG_DATUM(4)));

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	json_add_string(&buf, "verdict", delivery_verdict_name(verdict->kind));
	json_add_string(&buf, "code", verdict->code);
	json_add_string(&buf, "message", verdict->message);
	json_add_string(&buf, "state", verdict->state);
	reasons = delivery_reasons_json(verdict->reasons);
	appendStringInfo(&buf, ", \"reasons\": %s", reasons ? reasons : "[]");
	appendStringInfo(&buf, ", \"detail\": %s}", verdict->detail);

	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data)));
}
