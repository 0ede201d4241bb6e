/*-------------------------------------------------------------------------
 *
 * external_signer.c
 *	  Client of an external signing service: an HTTP(S) service that keeps
 *	  the employer's private key, such as a GOST key that OpenSSL cannot use.
 *
 * The protocol (README.md, "External signer") has two requests, relative to
 * the base URL in otan_enbek.external_signer_url:
 *
 *	GET certificate
 *		200 {"certificate": base64 DER, "chain": [base64 DER, ...],
 *			 "signature_method": Algorithm URI of ds:SignatureMethod}
 *	POST sign {"signed_info": base64 of the canonical ds:SignedInfo,
 *			   "signature_method": URI, "certificate_sha256": hex}
 *		200 {"signature_value": base64, "certificate": base64 DER}
 *
 * "chain" and "signature_method" are optional; the method defaults to
 * RSA-SHA256.  A response with another status may carry {"error": text}.
 * With otan_enbek.external_signer_token set, both requests carry it as
 * "Authorization: Bearer TOKEN".  The token never appears in a message, and
 * the URL appears without any user name or password it contains.
 *
 * Every failure raises one of three SQLSTATEs (signing_key.h): the signer
 * cannot be reached or rejects the request, its response is invalid (not
 * JSON, a missing field, invalid base64, a signature that does not verify
 * with the certificate), or it signed with another certificate than the one
 * that was checked.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/x509.h>

#include "common/base64.h"
#include "common/jsonapi.h"
#include "common/string.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "postmaster/interrupt.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"

#include "delivery/external_signer.h"
#include "delivery/xmldsig_external.h"
#include "otan_enbek.h"

/*
 * A certificate with a short chain takes a few kilobytes in base64, so this
 * limit only stops a faulty service from filling the server's memory.
 */
#define SIGNER_MAX_RESPONSE_BYTES (256 * 1024)

#define RSA_SHA256_URI "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"

#define HINT_CHECK_SIGNER \
	"Check that the signing service runs and that otan_enbek.external_signer_url points to it."

/*
 * A response being received.  The write callback never allocates memory
 * or raises an error.
 */
typedef struct SignerResponse
{
	char	   *data;
	size_t		length;
	bool		too_large;
} SignerResponse;

/* One request and what it returned. */
typedef struct SignerExchange
{
	const char *method;			/* "GET" or "POST" */
	const char *path;			/* relative to the base URL */
	long		status;
	char	   *body;			/* NUL-terminated */
	size_t		length;
} SignerExchange;

/*
 * Returns the URL with the user name and password of its authority, if
 * any, replaced by "***", for use in messages.
 */
static char *
url_for_messages(const char *url)
{
	const char *authority = strstr(url, "://");
	const char *end;
	const char *at;

	if (authority == NULL)
		return pstrdup(url);
	authority += 3;
	end = authority + strcspn(authority, "/?#");
	at = memchr(authority, '@', end - authority);
	if (at == NULL)
		return pstrdup(url);
	return psprintf("%.*s***%s", (int) (authority - url), url, at);
}

static size_t
receive_response(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	SignerResponse *response = (SignerResponse *) userdata;
	size_t		bytes = size * nmemb;

	if (bytes > SIGNER_MAX_RESPONSE_BYTES - response->length)
	{
		response->too_large = true;
		return 0;
	}
	memcpy(response->data + response->length, ptr, bytes);
	response->length += bytes;
	return bytes;
}

/*
 * Stops the transfer when the backend is asked to cancel or terminate, or
 * when the delivery worker, which signs the body of its requests here,
 * receives a shutdown request.
 */
static int
check_interrupts(void *clientp pg_attribute_unused(),
				 curl_off_t dltotal pg_attribute_unused(),
				 curl_off_t dlnow pg_attribute_unused(),
				 curl_off_t ultotal pg_attribute_unused(),
				 curl_off_t ulnow pg_attribute_unused())
{
	return (QueryCancelPending || ProcDiePending ||
			ShutdownRequestPending) ? 1 : 0;
}

/* Sets the options of one transfer and returns the first failure. */
static CURLcode
configure_transfer(CURL *curl, const char *url, const char *body,
				   struct curl_slist *headers, SignerResponse *response,
				   char *error_buffer)
{
	long		timeout = otan_enbek_external_signer_timeout_ms;
	long		connect_timeout = Min(otan_enbek_connect_timeout_ms, timeout);
	const char *ca_file = otan_enbek_external_signer_ca_file;
	CURLcode	rc = CURLE_OK;

#define SET(option, value) \
	if (rc == CURLE_OK) \
		rc = curl_easy_setopt(curl, option, value)

	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca_file != NULL && ca_file[0] != '\0')
		SET(CURLOPT_CAINFO, ca_file);
	/* requests go to the configured address only, never to a proxy */
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, connect_timeout);
	SET(CURLOPT_TIMEOUT_MS, timeout);
	SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) SIGNER_MAX_RESPONSE_BYTES);
	if (body != NULL)
	{
		SET(CURLOPT_POST, 1L);
		SET(CURLOPT_POSTFIELDS, body);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) strlen(body));
	}
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_USERAGENT, "otan_enbek");
	SET(CURLOPT_WRITEFUNCTION, receive_response);
	SET(CURLOPT_WRITEDATA, response);
	SET(CURLOPT_NOPROGRESS, 0L);
	SET(CURLOPT_XFERINFOFUNCTION, check_interrupts);
	SET(CURLOPT_ERRORBUFFER, error_buffer);
#undef SET
	return rc;
}

/* Builds the header list, or returns NULL when libcurl runs out of memory. */
static struct curl_slist *
build_headers(bool with_body)
{
	struct curl_slist *headers = NULL;
	struct curl_slist *longer;
	const char *token = otan_enbek_external_signer_token;
	char	   *authorization = NULL;

	headers = curl_slist_append(headers, "Accept: application/json");
	if (headers != NULL && with_body)
	{
		longer = curl_slist_append(headers,
								   "Content-Type: application/json");
		headers = longer ? longer : (curl_slist_free_all(headers), NULL);
	}
	if (headers != NULL)
	{
		/* no "Expect: 100-continue" round trip before the body */
		longer = curl_slist_append(headers, "Expect:");
		headers = longer ? longer : (curl_slist_free_all(headers), NULL);
	}
	if (headers != NULL && token != NULL && token[0] != '\0')
	{
		authorization = psprintf("Authorization: Bearer %s", token);
		longer = curl_slist_append(headers, authorization);
		explicit_bzero(authorization, strlen(authorization));
		pfree(authorization);
		headers = longer ? longer : (curl_slist_free_all(headers), NULL);
	}
	return headers;
}

/* Raises the error for a transfer that libcurl could not complete. */
static void
report_transfer_failure(const ExternalSigner *signer,
						const SignerExchange *exchange, CURLcode rc,
						const char *reason, bool too_large)
{
	if (too_large || rc == CURLE_FILESIZE_EXCEEDED)
		ereport(ERROR,
				(errcode(ERRCODE_SIGNER_INVALID_RESPONSE),
				 errmsg("external signer \"%s\" sent a response over %d bytes",
						signer->display_url, SIGNER_MAX_RESPONSE_BYTES),
				 errdetail("The response was to %s %s.", exchange->method,
						   exchange->path),
				 errhint(HINT_CHECK_SIGNER)));
	if (rc == CURLE_OPERATION_TIMEDOUT)
		ereport(ERROR,
				(errcode(ERRCODE_SIGNER_UNAVAILABLE),
				 errmsg("external signer \"%s\" timed out after %d ms on %s %s",
						signer->display_url,
						otan_enbek_external_signer_timeout_ms,
						exchange->method, exchange->path),
				 errdetail("libcurl reported: %s.", reason),
				 errhint("Check the signing service, or raise otan_enbek.external_signer_timeout.")));
	if (rc == CURLE_PEER_FAILED_VERIFICATION ||
		rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CONNECT_ERROR)
		ereport(ERROR,
				(errcode(ERRCODE_SIGNER_UNAVAILABLE),
				 errmsg("could not establish a verified TLS connection to external signer \"%s\"",
						signer->display_url),
				 errdetail("libcurl reported: %s.", reason),
				 errhint("Set otan_enbek.external_signer_ca_file to the CA certificate that issued the signing service's TLS certificate.")));
	ereport(ERROR,
			(errcode(ERRCODE_SIGNER_UNAVAILABLE),
			 errmsg("could not reach external signer \"%s\"",
					signer->display_url),
			 errdetail("%s %s failed: %s.", exchange->method, exchange->path,
					   reason),
			 errhint(HINT_CHECK_SIGNER)));
}

/*
 * Sends one request (a POST when body is not NULL) and stores the status
 * and the body of the response in the exchange.  Raises an error when no
 * complete response arrives.
 */
static void
send_request(const ExternalSigner *signer, SignerExchange *exchange,
			 const char *body)
{
	CURL	   *volatile curl = NULL;
	struct curl_slist *volatile headers = NULL;
	char		error_buffer[CURL_ERROR_SIZE];
	SignerResponse response;
	char	   *url;
	CURLcode	rc;
	long		status = 0;

	url = psprintf("%s%s", signer->url, exchange->path);
	response.data = palloc(SIGNER_MAX_RESPONSE_BYTES + 1);
	response.length = 0;
	response.too_large = false;
	error_buffer[0] = '\0';

	PG_TRY();
	{
		CURLcode	setup;

		curl = curl_easy_init();
		headers = build_headers(body != NULL);
		if (curl == NULL || headers == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not prepare a libcurl request")));
		setup = configure_transfer(curl, url, body, headers, &response,
								   error_buffer);
		if (setup != CURLE_OK)
			ereport(ERROR,
					(errcode(ERRCODE_SYSTEM_ERROR),
					 errmsg("could not set a libcurl option: %s",
							curl_easy_strerror(setup))));
	}
	PG_CATCH();
	{
		curl_slist_free_all(headers);
		curl_easy_cleanup(curl);
		PG_RE_THROW();
	}
	PG_END_TRY();

	/* the callbacks only copy bytes and test flags, so nothing here raises */
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);

	CHECK_FOR_INTERRUPTS();
	if (rc != CURLE_OK || response.too_large)
		report_transfer_failure(signer, exchange, rc,
								error_buffer[0] ? error_buffer :
								curl_easy_strerror(rc),
								response.too_large);

	response.data[response.length] = '\0';
	exchange->status = status;
	exchange->body = response.data;
	exchange->length = response.length;
}

/*
 * Parses the response body as a JSON object.  Returns NULL when it is not
 * valid UTF-8 JSON, with the reason in *reason.
 */
static Jsonb *
parse_response(const SignerExchange *exchange, const char **reason)
{
	char	   *body = exchange->body;
	JsonLexContext *lexer;
	JsonParseErrorType result;
	Jsonb	   *jsonb;

	if (exchange->length == 0)
	{
		*reason = "the body is empty";
		return NULL;
	}
	if (strlen(exchange->body) != exchange->length ||
		!pg_verify_mbstr(PG_UTF8, exchange->body, (int) exchange->length,
						 true))
	{
		*reason = "the body is not UTF-8 text";
		return NULL;
	}
	lexer = makeJsonLexContextCstringLen(exchange->body,
										 (int) exchange->length, PG_UTF8,
										 true);
	result = pg_parse_json(lexer, &nullSemAction);
	if (result != JSON_SUCCESS)
	{
		char	   *detail = pstrdup(json_errdetail(result, lexer));
		size_t		length = strlen(detail);

		/* the caller ends the sentence, and PostgreSQL's detail has a period */
		if (length > 0 && detail[length - 1] == '.')
			detail[length - 1] = '\0';
		*reason = detail;
		return NULL;
	}
	/* jsonb_in rejects what text cannot hold, which the lexer accepts */
	if (strstr(exchange->body, "\\u0000") != NULL)
	{
		*reason = "the body contains \\u0000";
		return NULL;
	}
	if (GetDatabaseEncoding() != PG_UTF8 &&
		!pg_is_ascii(exchange->body))
	{
		*reason = "the body has characters outside ASCII";
		return NULL;
	}
	jsonb = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
											   CStringGetDatum(body)));
	if (!JB_ROOT_IS_OBJECT(jsonb))
	{
		*reason = "the body is not a JSON object";
		return NULL;
	}
	return jsonb;
}

/* Returns a string member of a JSON object, or NULL when it has none. */
static char *
string_member(Jsonb *object, const char *name)
{
	JsonbValue *value;

	value = getKeyJsonValueFromContainer(&object->root, name, strlen(name),
										 NULL);
	if (value == NULL || value->type != jbvString)
		return NULL;
	return pnstrdup(value->val.string.val, value->val.string.len);
}

/* Raises the error for a response that breaks the protocol. */
static void
report_invalid_response(const ExternalSigner *signer,
					  const SignerExchange *exchange, const char *reason)
{
	ereport(ERROR,
			(errcode(ERRCODE_SIGNER_INVALID_RESPONSE),
			 errmsg("external signer \"%s\" sent an invalid response to %s %s",
					signer->display_url, exchange->method, exchange->path),
			 errdetail("%s", reason),
			 errhint("Check that the signing service implements the protocol that README.md describes under \"External signer\".")));
}

/*
 * Sends a request and returns its response body as a JSON object.  Raises
 * an error for an HTTP status other than 200, naming the service's "error"
 * text when it sent one, and for a body that is not a JSON object.
 */
static Jsonb *
exchange_json(const ExternalSigner *signer, SignerExchange *exchange,
			  const char *body)
{
	const char *reason = NULL;
	Jsonb	   *response_json;

	send_request(signer, exchange, body);
	response_json = parse_response(exchange, &reason);
	if (exchange->status != 200)
	{
		char	   *error = response_json ? string_member(response_json, "error") : NULL;

		ereport(ERROR,
				(errcode(ERRCODE_SIGNER_UNAVAILABLE),
				 errmsg("external signer \"%s\" rejected %s %s with HTTP status %ld",
						signer->display_url, exchange->method, exchange->path,
						exchange->status),
				 error ? errdetail("The signing service reported: %s", error) : 0,
				 (exchange->status == 401 || exchange->status == 403) ?
				 errhint("Set otan_enbek.external_signer_token to the token that the signing service expects, then restart the server.") :
				 errhint(HINT_CHECK_SIGNER)));
	}
	if (response_json == NULL)
		report_invalid_response(signer, exchange,
							  psprintf("The response is not a JSON object: %s.",
									   reason));
	return response_json;
}

/*
 * Decodes a base64 member of the response into *length bytes, palloc'd.
 * Raises an error when the member is missing or is not base64.
 */
static unsigned char *
decode_member(const ExternalSigner *signer, const SignerExchange *exchange,
			  Jsonb *response_json, const char *name, size_t *length)
{
	char	   *text = string_member(response_json, name);
	int			size;
	unsigned char *data;
	int			decoded;

	if (text == NULL || text[0] == '\0')
		report_invalid_response(signer, exchange,
							  psprintf("The member \"%s\" is missing or is not a non-empty string.",
									   name));
	size = pg_b64_dec_len(strlen(text));
	data = palloc(size + 1);
	decoded = pg_b64_decode(text, strlen(text), (char *) data, size);
	if (decoded <= 0)
		report_invalid_response(signer, exchange,
							  psprintf("The member \"%s\" is not base64.", name));
	*length = decoded;
	return data;
}

/* Decodes a DER certificate, or returns NULL when the bytes are not one. */
static X509 *
decode_certificate(const unsigned char *der, size_t length)
{
	const unsigned char *cursor = der;
	X509	   *certificate = d2i_X509(NULL, &cursor, (long) length);

	if (certificate != NULL && cursor != der + length)
	{
		X509_free(certificate);
		certificate = NULL;
	}
	ERR_clear_error();
	return certificate;
}

/*
 * Reads the optional "chain" member into key->chain.  The key must be
 * freed by the caller also when this raises an error.
 */
static void
read_chain(const ExternalSigner *signer, const SignerExchange *exchange,
		   Jsonb *response_json, SigningKey *key)
{
	JsonbValue *chain;
	uint32		count;

	chain = getKeyJsonValueFromContainer(&response_json->root, "chain", 5, NULL);
	if (chain == NULL || chain->type == jbvNull)
		return;
	if (chain->type != jbvBinary ||
		!JsonContainerIsArray(chain->val.binary.data))
		report_invalid_response(signer, exchange,
							  "The member \"chain\" is not an array.");

	key->chain = sk_X509_new_null();
	if (key->chain == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	count = JsonContainerSize(chain->val.binary.data);
	for (uint32 i = 0; i < count; i++)
	{
		JsonbValue *element;
		int			size;
		char	   *der;
		int			decoded;
		X509	   *certificate;

		element = getIthJsonbValueFromContainer(chain->val.binary.data, i);
		if (element == NULL || element->type != jbvString)
			report_invalid_response(signer, exchange,
								  psprintf("Element %u of \"chain\" is not a string.", i + 1));
		size = pg_b64_dec_len(element->val.string.len);
		der = palloc(size + 1);
		decoded = pg_b64_decode(element->val.string.val,
								element->val.string.len, der, size);
		certificate = decoded > 0 ?
			decode_certificate((unsigned char *) der, decoded) : NULL;
		if (certificate == NULL)
			report_invalid_response(signer, exchange,
								  psprintf("Element %u of \"chain\" is not a base64 DER certificate.", i + 1));
		if (sk_X509_push(key->chain, certificate) <= 0)
		{
			X509_free(certificate);
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("out of memory")));
		}
	}
}

/*
 * Tells whether a signature method URI can go into an XML attribute and is
 * an absolute URI: a scheme, a colon, and no spaces, quotes or markup.
 */
static bool
is_plain_uri(const char *uri)
{
	size_t		scheme = strspn(uri, "abcdefghijklmnopqrstuvwxyz"
								"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-");

	if (scheme == 0 || uri[scheme] != ':' || strlen(uri) > 256)
		return false;
	for (const char *c = uri; *c; c++)
		if (*c <= ' ' || *c > '~' || strchr("\"'<>&\\`{}|^", *c) != NULL)
			return false;
	return true;
}

/*
 * Requests the certificate of the external signer at url and returns the
 * signer, with the certificate and chain in signer->key for the checks.
 * Raises an error when the signer cannot be reached or its response is
 * invalid.  The caller frees signer->key with signing_key_free.
 */
ExternalSigner *
external_signer_open(const char *url)
{
	ExternalSigner *signer = palloc0(sizeof(ExternalSigner));
	SignerExchange exchange = {.method = "GET", .path = "certificate"};
	Jsonb	   *response_json;
	char	   *method;

	if (url == NULL || url[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no external signer is configured"),
				 errdetail("otan_enbek.signer is \"external\", but otan_enbek.external_signer_url is empty."),
				 errhint("Set otan_enbek.external_signer_url to the base URL of the signing service, such as http://127.0.0.1:8790/, or set otan_enbek.signer to \"builtin\".")));

	signer->url = url[strlen(url) - 1] == '/' ? pstrdup(url) :
		psprintf("%s/", url);
	signer->display_url = url_for_messages(url);
	signer->key = palloc0(sizeof(SigningKey));
	signer->key->path = signer->display_url;
	signer->key->label = psprintf("external signer \"%s\"",
								  signer->display_url);

	PG_TRY();
	{
		response_json = exchange_json(signer, &exchange, NULL);
		signer->certificate_der =
			decode_member(signer, &exchange, response_json, "certificate",
						  &signer->certificate_length);
		signer->key->certificate =
			decode_certificate(signer->certificate_der,
							   signer->certificate_length);
		if (signer->key->certificate == NULL)
			report_invalid_response(signer, &exchange,
								  "The member \"certificate\" is not a base64 DER certificate.");
		read_chain(signer, &exchange, response_json, signer->key);

		method = string_member(response_json, "signature_method");
		if (method != NULL && !is_plain_uri(method))
			report_invalid_response(signer, &exchange,
								  "The member \"signature_method\" is not an absolute URI.");
		signer->signature_method = method ? method : RSA_SHA256_URI;
		signer->fingerprint = signing_key_fingerprint(signer->key);
	}
	PG_CATCH();
	{
		signing_key_free(signer->key);
		PG_RE_THROW();
	}
	PG_END_TRY();
	return signer;
}

/*
 * Verifies an RSA-SHA256 signature value over the canonical SignedInfo with
 * the public key of the checked certificate.
 */
static bool
signature_verifies(const ExternalSigner *signer, const unsigned char *data,
				   size_t length, const unsigned char *signature,
				   size_t signature_length)
{
	EVP_PKEY   *public_key = X509_get0_pubkey(signer->key->certificate);
	EVP_MD_CTX *context = EVP_MD_CTX_new();
	bool		valid;

	valid = public_key != NULL && context != NULL &&
		EVP_DigestVerifyInit(context, NULL, EVP_sha256(), NULL,
							 public_key) == 1 &&
		EVP_DigestVerify(context, signature, signature_length, data,
						 length) == 1;
	EVP_MD_CTX_free(context);
	ERR_clear_error();
	return valid;
}

/*
 * ExternalSignFunction of an external signer: posts the canonical
 * SignedInfo and returns the signature value.  Raises an error when the
 * response names another certificate than the checked one, or when an
 * RSA-SHA256 signature value does not verify with that certificate.
 */
char *
external_signer_sign(void *arg, const unsigned char *signed_info,
					 size_t length)
{
	ExternalSigner *signer = (ExternalSigner *) arg;
	SignerExchange exchange = {.method = "POST", .path = "sign"};
	Jsonb	   *response_json;
	char	   *body;
	unsigned char *signature;
	size_t		signature_length;
	unsigned char *certificate;
	size_t		certificate_length;

	body = psprintf("{\"signed_info\": \"%s\", \"signature_method\": \"%s\", \"certificate_sha256\": \"%s\"}",
					xmldsig_base64(signed_info, length),
					signer->signature_method, signer->fingerprint);
	response_json = exchange_json(signer, &exchange, body);
	signature = decode_member(signer, &exchange, response_json, "signature_value",
							  &signature_length);
	certificate = decode_member(signer, &exchange, response_json, "certificate",
								&certificate_length);

	if (certificate_length != signer->certificate_length ||
		memcmp(certificate, signer->certificate_der, certificate_length) != 0)
	{
		X509	   *other;
		char	   *serial;

		other = decode_certificate(certificate, certificate_length);
		serial = other ? certificate_serial(other) : NULL;

		X509_free(other);
		ereport(ERROR,
				(errcode(ERRCODE_SIGNER_WRONG_CERTIFICATE),
				 errmsg("external signer \"%s\" signed with another certificate than the one it presented",
						signer->display_url),
				 serial ?
				 errdetail("The signature came with the certificate with serial number %s, but the checked certificate has serial number %s.",
						   serial,
						   certificate_serial(signer->key->certificate)) :
				 errdetail("The signature came with a certificate that is not a base64 DER certificate."),
				 errhint("Configure the signing service with one key for the organization, so that GET certificate returns the certificate it signs with.")));
	}

	/*
	 * NOTE: only RSA-SHA256 values are verified here.  OpenSSL without a
	 * GOST provider cannot verify a GOST signature, so such a value is
	 * checked by Enbek alone.
	 */
	if (strcmp(signer->signature_method, RSA_SHA256_URI) == 0 &&
		!signature_verifies(signer, signed_info, length, signature,
							signature_length))
		report_invalid_response(signer, &exchange,
							  "The signature value does not verify with the certificate's public key over the SignedInfo that was sent.");
	return xmldsig_base64(signature, signature_length);
}
