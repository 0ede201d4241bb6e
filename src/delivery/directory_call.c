/*-------------------------------------------------------------------------
 *
 * directory_call.c
 *	  A synchronous signed request to Enbek for the directory services: the
 *	  employer's contract list and the push of departments and schedules.
 *
 * enbek_exchange signs a document with the configured key, after checking
 * the key against the employer's BIN, wraps it in the SendMessage envelope
 * with the sender id and password, posts it with libcurl and returns what
 * came back.  Unlike a timesheet, which the delivery worker sends outside
 * any transaction, this request runs in the caller's transaction, so the
 * call waits at most otan_enbek.request_timeout.  The SQL functions that
 * call it build the document and read the response.
 *
 * NOTE: http.c aborts a transfer only when a worker is asked to stop, so a
 * query cancel or statement_timeout takes effect when the request ends,
 * after at most otan_enbek.request_timeout.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "otan_enbek.h"
#include "delivery/delivery.h"
#include "delivery/directory_call.h"
#include "delivery/envelope.h"
#include "delivery/signer.h"
#include "delivery/wssecurity.h"
#include "delivery/xmldsig.h"
#include "message_value.h"

char	   *otan_enbek_contract_list_service_id = NULL;
char	   *otan_enbek_directory_push_service_id = NULL;

PG_FUNCTION_INFO_V1(otan_enbek_enbek_exchange);

/* Defines the service ids of the directory services. */
void
directory_define_settings(void)
{
	DefineCustomStringVariable("otan_enbek.contract_list_service_id",
							   "Service identifier of the request for the employer's labour contracts.",
							   NULL,
							   &otan_enbek_contract_list_service_id,
							   "OTAN_CONTRACT_LIST_V1",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("otan_enbek.directory_push_service_id",
							   "Service identifier of the push of the employer's departments and work schedules.",
							   NULL,
							   &otan_enbek_directory_push_service_id,
							   "OTAN_DIRECTORY_PUSH_V1",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
}

/*
 * Signs the document with the configured signer, checked for the employer, and
 * returns the signed document in the server encoding.
 */
static char *
sign_document(const char *bin, const char *document)
{
	Signer	   *volatile signer = NULL;
	char	   *utf8;
	SignedDocument signed_document;

	utf8 = pg_server_to_any(document, strlen(document), PG_UTF8);
	PG_TRY();
	{
		signer = signer_open(NULL);
		signer_check(signer, bin);
		signer_sign(signer, utf8, strlen(utf8), &signed_document);
	}
	PG_FINALLY();
	{
		signer_close(signer);
	}
	PG_END_TRY();
	return pg_any_to_server(signed_document.text, signed_document.length,
							PG_UTF8);
}

/*
 * Builds the request in UTF-8 with its body signed for the employer with
 * bin, posts it and wipes it, because it contains the sender password.
 */
static void
post_request(const char *bin, const char *message_id, const char *service_id,
			 const char *signed_document, DeliveryHttpResponse *response)
{
	char	   *envelope;
	char	   *utf8;
	char	   *volatile signed_envelope = NULL;

	envelope = envelope_build(message_id, service_id, GetCurrentTimestamp(),
							  otan_enbek_sender_id, otan_enbek_sender_password,
							  signed_document);
	utf8 = pg_server_to_any(envelope, strlen(envelope), PG_UTF8);
	if (utf8 != envelope)
	{
		explicit_bzero(envelope, strlen(envelope));
		pfree(envelope);
	}
	PG_TRY();
	{
		const char *body;

		/* Enbek checks the WS-Security signature of every request's body. */
		signed_envelope = wssecurity_sign_with_configured_signer(utf8, bin);
		body = signed_envelope;
		delivery_http_post_many(otan_enbek_enbek_url, 1, &body, response);
	}
	PG_FINALLY();
	{
		explicit_bzero(utf8, strlen(utf8));
		pfree(utf8);
		if (signed_envelope != NULL)
		{
			explicit_bzero(signed_envelope, strlen(signed_envelope));
			pfree(signed_envelope);
		}
	}
	PG_END_TRY();
}

/*
 * enbek_exchange(bin, service_id, message_id, document) returns
 * (http_status, response, error, duration_ms).  A failed transfer (no
 * connection, a timeout, a rejected certificate) is returned in error with
 * http_status 0.  A response that is not UTF-8 is returned in error with its
 * HTTP status.  Invalid arguments, an unusable key or endpoint raise an
 * error.
 */
Datum
otan_enbek_enbek_exchange(PG_FUNCTION_ARGS)
{
	char	   *bin = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *service_id = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *message_id = text_to_cstring(PG_GETARG_TEXT_PP(2));
	char	   *document = text_to_cstring(PG_GETARG_TEXT_PP(3));
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	DeliveryHttpResponse response;
	char	   *signed_document;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("enbek_exchange must be called in a context that accepts a record")));
	if (strlen(bin) != 12 || strspn(bin, "0123456789") != 12)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid BIN \"%s\"", message_value(bin, strlen(bin))),
				 errdetail("A BIN is 12 digits.")));
	if (service_id[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the service id is empty"),
				 errhint("Pass the serviceId of an Enbek service, such as the value of otan_enbek.contract_list_service_id.")));
	if (document[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the document to send is empty")));
	if (delivery_endpoint_problem(otan_enbek_enbek_url) != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s", delivery_endpoint_problem(otan_enbek_enbek_url)),
				 errhint("Set otan_enbek.enbek_url to the https:// address of the Enbek endpoint.")));

	signed_document = sign_document(bin, document);
	post_request(bin, message_id, service_id, signed_document, &response);

	values[0] = Int32GetDatum((int32) response.http_status);
	nulls[1] = true;
	if (!response.completed)
		values[2] = CStringGetTextDatum(response.error);
	else if (!pg_verify_mbstr(PG_UTF8, response.body, (int) response.body_len,
							  true))
		values[2] = CStringGetTextDatum("the response is not valid UTF-8");
	else
	{
		values[1] = CStringGetTextDatum(pg_any_to_server(response.body,
														 (int) response.body_len,
														 PG_UTF8));
		nulls[1] = false;
		nulls[2] = true;
	}
	values[3] = Int32GetDatum(response.duration_ms);
	pfree(response.body);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
