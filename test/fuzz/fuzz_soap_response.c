/*
 * fuzz_soap_response.c
 *	  libFuzzer harness of the reader of Enbek's SOAP responses
 *	  (src/delivery/soap_response.c), linked with pg_shim.c.
 *
 * The first byte chooses the request: even for a send, whose request
 * message id is the timesheet's, odd for a status query, whose ids differ.
 * soap_parse_response promises to raise no error for any response (in a
 * UTF8 database), so an ERROR here aborts like a crash.
 */
#include "postgres.h"

#include "delivery/delivery.h"

#include "pg_shim.h"

#define REQUEST_ID "11111111-1111-4111-8111-111111111111"
#define MESSAGE_ID "22222222-2222-4222-8222-222222222222"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what)
{
	fprintf(stderr, "fuzz: broken reader promise: %s\n", what);
	abort();
}

/* Checks what the delivery code relies on in each kind of response. */
static void
check_response(const SoapResponse *soap)
{
	ListCell   *cell;

	switch (soap->kind)
	{
		case SOAP_MALFORMED:
			if (soap->problem == NULL || soap->problem[0] == '\0')
				fail("a malformed response has no problem");
			break;
		case SOAP_RESPONSE:
			if (soap->status_code == NULL || strlen(soap->status_code) != 7)
				fail("a response has no valid status code");
			foreach(cell, soap->reasons)
			{
				DeliveryReason *reason = lfirst(cell);

				if (reason->code == NULL || reason->code[0] == '\0')
					fail("a reason has no code");
				if (reason->iin != NULL && strlen(reason->iin) != 12)
					fail("a reason has an IIN that is not twelve digits");
			}
			break;
		case SOAP_FAULT_CLIENT:
		case SOAP_FAULT_SERVER:
			if (soap->fault_code == NULL)
				fail("a fault has no fault code");
			break;
		default:
			fail("the kind is not one of the enum's values");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *request_id;
	SoapResponse *soap = NULL;

	if (size < 1)
		return 0;
	request_id = data[0] % 2 == 0 ? MESSAGE_ID : REQUEST_ID;

	PG_TRY();
	{
		soap = soap_parse_response((const char *) data + 1, size - 1,
								   request_id, MESSAGE_ID);
	}
	PG_CATCH();
	{
		fprintf(stderr, "fuzz: soap_parse_response raised an error: %s\n",
				shim_error_message);
		abort();
	}
	PG_END_TRY();

	check_response(soap);
	shim_arena_reset();
	return 0;
}
