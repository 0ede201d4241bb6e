/*-------------------------------------------------------------------------
 *
 * soap_response.c
 *	  Strict reading of Enbek's SOAP response with libxml2.
 *
 * A response is either a soap:Fault or a SendMessageResponse:
 *
 *	 soap:Envelope/soap:Body/ns2:SendMessageResponse/response
 *	   responseInfo: messageId (that of the request), status/code, status/message
 *	   responseData/data/ts:timesheetResponse (optional)
 *		 ts:messageId (that of the timesheet), ts:state, ts:error*
 *		   ts:error: ts:code, ts:message, ts:iin (the last two optional)
 *
 * The elements inside SendMessageResponse carry no namespace.  Anything else
 * makes the response malformed: XML that does not parse, a DTD, a missing or
 * repeated element, a message id that is not the one sent, an unknown state
 * or a status code that is not SCSS/SCSE and three digits.  A malformed
 * response is retried, because nothing in it can be trusted.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "mb/pg_wchar.h"

#include "delivery/delivery.h"

/* Errors in one response beyond this number are ignored */
#define MAX_REASONS 10000

/* Maximum length in bytes of the text kept from an element */
#define MAX_TEXT_BYTES 2000

/* The response being read, and the message ids it must name */
typedef struct ReadState
{
	SoapResponse *soap;
	const char *request_id;
	const char *message_id;
} ReadState;

/* Marks the response malformed, keeping the first problem found. */
static void
malformed(ReadState *state, const char *problem)
{
	if (state->soap->kind != SOAP_MALFORMED)
	{
		state->soap->kind = SOAP_MALFORMED;
		state->soap->problem = pstrdup(problem);
	}
}

/* Tells whether a node is an element with this namespace and local name. */
static bool
is_element(xmlNodePtr node, const char *ns, const char *name)
{
	if (node == NULL || node->type != XML_ELEMENT_NODE)
		return false;
	if (strcmp((const char *) node->name, name) != 0)
		return false;
	if (ns == NULL)
		return node->ns == NULL;
	return node->ns != NULL && node->ns->href != NULL &&
		strcmp((const char *) node->ns->href, ns) == 0;
}

/*
 * Finds the only child element with this namespace and name.  Returns NULL
 * when there is none, and marks the response malformed when the element is
 * required or appears twice.
 */
static xmlNodePtr
find_child(ReadState *state, xmlNodePtr parent, const char *ns,
		   const char *name, bool required)
{
	xmlNodePtr	found = NULL;
	xmlNodePtr	node;

	for (node = parent->children; node != NULL; node = node->next)
	{
		if (!is_element(node, ns, name))
			continue;
		if (found != NULL)
		{
			malformed(state, psprintf("element %s appears more than once", name));
			return NULL;
		}
		found = node;
	}
	if (found == NULL && required)
		malformed(state, psprintf("element %s is missing", name));
	return found;
}

/*
 * Returns the text of an element, trimmed and converted to the database
 * encoding, or NULL for a NULL node.  libxml2's copy is freed here, so that
 * an error in palloc cannot leak it.
 */
static char *
element_text(xmlNodePtr node)
{
	xmlChar    *content;
	const char *start;
	size_t		len;
	char	   *copy;

	if (node == NULL)
		return NULL;
	content = xmlNodeGetContent(node);
	if (content == NULL)
		return pstrdup("");

	start = (const char *) content;
	while (*start == ' ' || *start == '\t' || *start == '\r' || *start == '\n')
		start++;
	len = strlen(start);
	while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t' ||
					   start[len - 1] == '\r' || start[len - 1] == '\n'))
		len--;
	if (len > MAX_TEXT_BYTES)
		len = pg_mbcliplen(start, len, MAX_TEXT_BYTES);

	copy = palloc_extended(len + 1, MCXT_ALLOC_NO_OOM);
	if (copy != NULL)
	{
		memcpy(copy, start, len);
		copy[len] = '\0';
	}
	xmlFree(content);
	if (copy == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	return pg_any_to_server(copy, len, PG_UTF8);
}

/*
 * Copies the first line of a libxml2 error message.  Some messages quote
 * bytes of the response as they came ("Couldn't find end of Start Tag"
 * with the tag name), so the text need not be UTF-8: a gateway's error
 * page in CP1251 gives such a message.  Every byte other than printable
 * ASCII is written as \xNN, which any database encoding can hold, so the
 * message needs no conversion that could fail.
 */
static char *
libxml_message_text(const char *message)
{
	size_t		len = strcspn(message, "\n");
	char	   *text = palloc(4 * len + 1);
	char	   *out = text;
	size_t		i;

	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) message[i];

		if (c >= 0x20 && c < 0x7f)
			*out++ = (char) c;
		else
		{
			static const char hex[] = "0123456789abcdef";

			*out++ = '\\';
			*out++ = 'x';
			*out++ = hex[c >> 4];
			*out++ = hex[c & 0x0f];
		}
	}
	*out = '\0';
	return text;
}

/* Tells whether a status code is SCSS or SCSE followed by three digits. */
static bool
valid_status_code(const char *code)
{
	return strlen(code) == 7 &&
		(strncmp(code, "SCSS", 4) == 0 || strncmp(code, "SCSE", 4) == 0) &&
		isdigit((unsigned char) code[4]) && isdigit((unsigned char) code[5]) &&
		isdigit((unsigned char) code[6]);
}

/* Compares two UUIDs given as text, ignoring the case of hex digits. */
static bool
same_message_id(const char *a, const char *b)
{
	return a != NULL && b != NULL && pg_strcasecmp(a, b) == 0;
}

/* Tells whether an IIN as given in ts:iin is twelve digits. */
static bool
valid_iin_text(const char *iin)
{
	int			i;

	for (i = 0; iin[i] != '\0'; i++)
		if (!isdigit((unsigned char) iin[i]))
			return false;
	return i == 12;
}

/* Reads one ts:error into a reason. */
static void
read_error(ReadState *state, xmlNodePtr error)
{
	DeliveryReason *reason = palloc0(sizeof(DeliveryReason));

	reason->code = element_text(find_child(state, error, TIMESHEET_NS,
										   "code", true));
	reason->message = element_text(find_child(state, error, TIMESHEET_NS,
											  "message", false));
	reason->iin = element_text(find_child(state, error, TIMESHEET_NS,
										  "iin", false));
	if (reason->code != NULL && reason->code[0] == '\0')
		malformed(state, "an error has an empty code");
	if (reason->iin != NULL && !valid_iin_text(reason->iin))
		malformed(state, "an error names an IIN that is not twelve digits");
	if (state->soap->kind == SOAP_MALFORMED)
		return;
	if (list_length(state->soap->reasons) < MAX_REASONS)
		state->soap->reasons = lappend(state->soap->reasons, reason);
}

/* Reads responseData/data/ts:timesheetResponse. */
static void
read_response_data(ReadState *state, xmlNodePtr response_data)
{
	static const char *const states[] =
	{"RECEIVED", "PROCESSING", "ACCEPTED", "REJECTED", "UNKNOWN"};
	xmlNodePtr	data;
	xmlNodePtr	timesheet;
	xmlNodePtr	node;
	char	   *message_id;
	char	   *ts_state;
	bool		known = false;
	int			i;

	data = find_child(state, response_data, NULL, "data", true);
	if (data == NULL)
		return;
	timesheet = find_child(state, data, TIMESHEET_NS, "timesheetResponse", true);
	if (timesheet == NULL)
		return;

	message_id = element_text(find_child(state, timesheet, TIMESHEET_NS,
										 "messageId", true));
	ts_state = element_text(find_child(state, timesheet, TIMESHEET_NS,
									   "state", true));
	if (state->soap->kind == SOAP_MALFORMED)
		return;
	if (!same_message_id(message_id, state->message_id))
	{
		malformed(state, "ts:messageId is not the message id of the timesheet");
		return;
	}
	for (i = 0; i < (int) lengthof(states); i++)
		if (strcmp(ts_state, states[i]) == 0)
			known = true;
	if (!known)
	{
		malformed(state, "ts:state is not one of RECEIVED, PROCESSING, ACCEPTED, REJECTED, UNKNOWN");
		return;
	}
	state->soap->state = ts_state;

	for (node = timesheet->children; node != NULL; node = node->next)
		if (is_element(node, TIMESHEET_NS, "error"))
			read_error(state, node);
}

/* Reads a SendMessageResponse. */
static void
read_send_message_response(ReadState *state, xmlNodePtr message)
{
	xmlNodePtr	response;
	xmlNodePtr	info;
	xmlNodePtr	status;
	xmlNodePtr	response_data;
	char	   *request_id;

	response = find_child(state, message, NULL, "response", true);
	if (response == NULL)
		return;
	info = find_child(state, response, NULL, "responseInfo", true);
	if (info == NULL)
		return;
	request_id = element_text(find_child(state, info, NULL, "messageId", true));
	status = find_child(state, info, NULL, "status", true);
	if (status == NULL || request_id == NULL)
		return;
	if (!same_message_id(request_id, state->request_id))
	{
		malformed(state, "responseInfo/messageId is not the message id of the request");
		return;
	}

	state->soap->status_code =
		element_text(find_child(state, status, NULL, "code", true));
	state->soap->status_message =
		element_text(find_child(state, status, NULL, "message", false));
	if (state->soap->kind == SOAP_MALFORMED)
		return;
	if (!valid_status_code(state->soap->status_code))
	{
		malformed(state, "status/code is not SCSS or SCSE followed by three digits");
		return;
	}

	response_data = find_child(state, response, NULL, "responseData", false);
	if (response_data != NULL)
		read_response_data(state, response_data);
}

/*
 * Reads a soap:Fault.  SOAP 1.1 fault codes are qualified names: Client
 * (and Client.something) blames the request, as do VersionMismatch and
 * MustUnderstand; Server and any other code are taken as transient.
 */
static void
read_fault(ReadState *state, xmlNodePtr fault)
{
	xmlNodePtr	code_node = find_child(state, fault, NULL, "faultcode", true);
	char	   *code;
	const char *colon;
	const char *local;
	bool		soap_ns = false;

	state->soap->fault_string =
		element_text(find_child(state, fault, NULL, "faultstring", false));
	if (code_node == NULL)
		return;
	code = element_text(code_node);
	state->soap->fault_code = code;

	colon = strchr(code, ':');
	local = colon ? colon + 1 : code;
	if (colon != NULL)
	{
		char	   *prefix = pnstrdup(code, colon - code);
		xmlNsPtr	ns = xmlSearchNs(code_node->doc, code_node,
									 (const xmlChar *) prefix);

		soap_ns = ns != NULL && ns->href != NULL &&
			strcmp((const char *) ns->href, SOAP_ENVELOPE_NS) == 0;
	}

	if (soap_ns && (strcmp(local, "Client") == 0 ||
					strncmp(local, "Client.", 7) == 0 ||
					strcmp(local, "VersionMismatch") == 0 ||
					strcmp(local, "MustUnderstand") == 0))
		state->soap->kind = SOAP_FAULT_CLIENT;
	else
		state->soap->kind = SOAP_FAULT_SERVER;
}

/* Reads the envelope down to the fault or the response. */
static void
read_envelope(ReadState *state, xmlNodePtr root)
{
	xmlNodePtr	body;
	xmlNodePtr	node;
	xmlNodePtr	content = NULL;

	if (!is_element(root, SOAP_ENVELOPE_NS, "Envelope"))
	{
		malformed(state, "the root element is not a SOAP 1.1 Envelope");
		return;
	}
	body = find_child(state, root, SOAP_ENVELOPE_NS, "Body", true);
	if (body == NULL)
		return;
	for (node = body->children; node != NULL; node = node->next)
	{
		if (node->type != XML_ELEMENT_NODE)
			continue;
		if (content != NULL)
		{
			malformed(state, "soap:Body has more than one element");
			return;
		}
		content = node;
	}

	if (is_element(content, SOAP_ENVELOPE_NS, "Fault"))
		read_fault(state, content);
	else if (is_element(content, SYNC_CHANNEL_NS, "SendMessageResponse"))
		read_send_message_response(state, content);
	else
		malformed(state, "soap:Body contains neither a SendMessageResponse nor a soap:Fault");
}

/*
 * Parses a response.  request_id is the message id sent in requestInfo and
 * message_id the timesheet's.  A bad response raises no error: its kind is
 * then SOAP_MALFORMED and its problem explains why.  Errors are raised only
 * for resources (memory) and for text the database encoding cannot hold.
 */
SoapResponse *
soap_parse_response(const char *body, size_t len, const char *request_id,
				  const char *message_id)
{
	SoapResponse *soap = palloc0(sizeof(SoapResponse));
	ReadState	state = {soap, request_id, message_id};
	xmlParserCtxtPtr volatile context = NULL;
	xmlDocPtr volatile doc = NULL;

	soap->kind = SOAP_RESPONSE;
	if (len == 0)
	{
		malformed(&state, "the response is empty");
		return soap;
	}

	PG_TRY();
	{
		context = xmlNewParserCtxt();
		if (context == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not create an XML parser context")));

		/* no network access, no entity substitution, no messages on stderr */
		doc = xmlCtxtReadMemory(context, body, (int) len, NULL, NULL,
								XML_PARSE_NONET | XML_PARSE_NOERROR |
								XML_PARSE_NOWARNING);
		if (doc == NULL)
		{
			xmlErrorPtr error = xmlCtxtGetLastError(context);
			char	   *reason = "no details";

			if (error != NULL && error->message != NULL)
				reason = libxml_message_text(error->message);
			malformed(&state,
					  psprintf("the response is not well-formed XML (line %d: %s)",
							   error ? error->line : 0, reason));
		}
		else if (doc->intSubset != NULL || doc->extSubset != NULL)
			malformed(&state, "the response has a document type declaration");
		else
			read_envelope(&state, xmlDocGetRootElement(doc));
	}
	PG_FINALLY();
	{
		if (doc != NULL)
			xmlFreeDoc(doc);
		if (context != NULL)
			xmlFreeParserCtxt(context);
	}
	PG_END_TRY();

	return soap;
}
