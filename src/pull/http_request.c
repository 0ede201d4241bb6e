/*-------------------------------------------------------------------------
 *
 * http_request.c
 *	  HTTP request of a pull source with libcurl, with the source's
 *	  credentials.
 *
 * otan_enbek.pull_http_request() sends one GET or POST to an address that
 * starts with the source's url and returns the status and the body.  It
 * reads the user name and password from source_pull_secret itself, so
 * that no SQL statement, log line or error carries them, and only a
 * superuser may call it.  Authentication is digest (what Hikvision devices
 * require), basic, bearer (the password is the token) or none.
 *
 * https:// transfers verify the server's certificate and host name, with
 * the source's CA file or the system's store.  No setting turns the
 * verification off.  No redirect is followed, proxy settings in the
 * environment are ignored, and the connect and whole-request timeouts are
 * arguments.  A query cancel or a backend termination aborts the transfer.
 * The response is collected with malloc in the libcurl callback, which must
 * not raise an error, and copied into a bytea at the end.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "otan_enbek.h"

/* Largest response accepted from a pull source, in bytes */
#define PULL_MAX_RESPONSE_BYTES (16 * 1024 * 1024)

/* The response being received */
typedef struct PullBuffer
{
	char	   *data;
	size_t		len;
	size_t		size;
	bool		too_large;
	bool		out_of_memory;
} PullBuffer;

/* URL and credentials of a pull source */
typedef struct PullTarget
{
	char	   *base_url;
	char	   *username;
	char	   *password;
	char	   *ca_file;
} PullTarget;

/* libcurl write callback: appends to a malloc'd buffer, up to the limit. */
static size_t
collect_response(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	PullBuffer *buffer = (PullBuffer *) userdata;
	size_t		bytes = size * nmemb;

	if (bytes > PULL_MAX_RESPONSE_BYTES - buffer->len)
	{
		buffer->too_large = true;
		return 0;
	}
	if (buffer->len + bytes > buffer->size)
	{
		size_t		new_size = Max(buffer->size * 2, buffer->len + bytes);
		char	   *grown = realloc(buffer->data, new_size);

		if (grown == NULL)
		{
			buffer->out_of_memory = true;
			return 0;
		}
		buffer->data = grown;
		buffer->size = new_size;
	}
	memcpy(buffer->data + buffer->len, ptr, bytes);
	buffer->len += bytes;
	return bytes;
}

/* libcurl progress callback: aborts on a query cancel or termination. */
static int
check_interrupts(void *clientp pg_attribute_unused(),
				 curl_off_t dltotal pg_attribute_unused(),
				 curl_off_t dlnow pg_attribute_unused(),
				 curl_off_t ultotal pg_attribute_unused(),
				 curl_off_t ulnow pg_attribute_unused())
{
	return (QueryCancelPending || ProcDiePending) ? 1 : 0;
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

/* Copies text column n of an SPI row into a context; NULL stays NULL. */
static char *
spi_text(HeapTuple tuple, int n, MemoryContext context)
{
	char	   *value = SPI_getvalue(tuple, SPI_tuptable->tupdesc, n);

	return value == NULL ? NULL : MemoryContextStrdup(context, value);
}

/* Reads the url and the credentials of a pull source. */
static PullTarget *
read_target(int32 source_id)
{
	MemoryContext caller = CurrentMemoryContext;
	PullTarget *target = palloc0(sizeof(PullTarget));
	Oid			argtypes[1] = {INT4OID};
	Datum		values[1] = {Int32GetDatum(source_id)};
	HeapTuple	tuple;
	int			rc;

	SPI_connect();
	rc = SPI_execute_with_args("SELECT p.url, s.username, s.password, s.ca_file"
							   " FROM otan_enbek.source_pull p"
							   " LEFT JOIN otan_enbek.source_pull_secret s"
							   " ON s.source_id = p.source_id"
							   " WHERE p.source_id = $1",
							   1, argtypes, values, NULL, true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not read the pull source %d", source_id);
	if (SPI_processed == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("source %d is not a pull source", source_id),
				 errhint("Add a row for it to otan_enbek.source_pull.")));
	tuple = SPI_tuptable->vals[0];
	target->base_url = spi_text(tuple, 1, caller);
	target->username = spi_text(tuple, 2, caller);
	target->password = spi_text(tuple, 3, caller);
	target->ca_file = spi_text(tuple, 4, caller);
	SPI_finish();
	return target;
}

/* Sets the authentication options named by auth. */
static void
configure_auth(CURL *curl, const char *auth, PullTarget *target)
{
	if (strcmp(auth, "none") == 0)
		return;
	if (target->username == NULL && target->password == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("pull source has no credentials for %s authentication",
						auth),
				 errhint("Store them with otan_enbek.set_source_credentials(), or set \"auth\" in the source's settings to \"none\".")));
	if (strcmp(auth, "bearer") == 0)
	{
		SET_OPTION(curl, CURLOPT_HTTPAUTH, (long) CURLAUTH_BEARER);
		SET_OPTION(curl, CURLOPT_XOAUTH2_BEARER,
				   target->password ? target->password : "");
		return;
	}
	if (strcmp(auth, "digest") == 0)
		SET_OPTION(curl, CURLOPT_HTTPAUTH, (long) CURLAUTH_DIGEST);
	else if (strcmp(auth, "basic") == 0)
		SET_OPTION(curl, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid authentication \"%s\" of a pull source",
						strlen(auth) <= 16 ? auth : "(over 16 bytes)"),
				 errhint("Use digest, basic, bearer or none.")));
	SET_OPTION(curl, CURLOPT_USERNAME,
			   target->username ? target->username : "");
	SET_OPTION(curl, CURLOPT_PASSWORD,
			   target->password ? target->password : "");
}

/* Sets every option of the transfer except authentication. */
static void
configure_transfer(CURL *curl, const char *method, const char *url,
				   const char *body, PullTarget *target,
				   int connect_timeout_ms, int request_timeout_ms,
				   PullBuffer *buffer, char *error_buffer)
{
	SET_OPTION(curl, CURLOPT_URL, url);
	SET_OPTION(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	SET_OPTION(curl, CURLOPT_FOLLOWLOCATION, 0L);
	SET_OPTION(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	SET_OPTION(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (target->ca_file != NULL)
		SET_OPTION(curl, CURLOPT_CAINFO, target->ca_file);
	/* an empty proxy makes libcurl ignore http_proxy and its kin */
	SET_OPTION(curl, CURLOPT_PROXY, "");
	SET_OPTION(curl, CURLOPT_NOSIGNAL, 1L);
	SET_OPTION(curl, CURLOPT_CONNECTTIMEOUT_MS, (long) connect_timeout_ms);
	SET_OPTION(curl, CURLOPT_TIMEOUT_MS, (long) request_timeout_ms);
	SET_OPTION(curl, CURLOPT_MAXFILESIZE_LARGE,
			   (curl_off_t) PULL_MAX_RESPONSE_BYTES);
	SET_OPTION(curl, CURLOPT_USERAGENT, "otan_enbek");
	if (strcmp(method, "POST") == 0)
	{
		SET_OPTION(curl, CURLOPT_POST, 1L);
		SET_OPTION(curl, CURLOPT_POSTFIELDS, body ? body : "");
		SET_OPTION(curl, CURLOPT_POSTFIELDSIZE_LARGE,
				   (curl_off_t) (body ? strlen(body) : 0));
	}
	else
		SET_OPTION(curl, CURLOPT_HTTPGET, 1L);
	SET_OPTION(curl, CURLOPT_WRITEFUNCTION, collect_response);
	SET_OPTION(curl, CURLOPT_WRITEDATA, buffer);
	SET_OPTION(curl, CURLOPT_NOPROGRESS, 0L);
	SET_OPTION(curl, CURLOPT_XFERINFOFUNCTION, check_interrupts);
	SET_OPTION(curl, CURLOPT_ERRORBUFFER, error_buffer);
}

/* Appends a header line, raising an error when libcurl has no memory. */
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

/* Raises the error of a transfer that did not complete. */
static void
report_transfer_error(int32 source_id, const char *method, const char *url,
					  CURLcode rc, PullBuffer *buffer,
					  const char *error_buffer)
{
	const char *reason = error_buffer[0] != '\0' ? error_buffer :
		curl_easy_strerror(rc);

	if (buffer->too_large || rc == CURLE_FILESIZE_EXCEEDED)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("response of pull source %d is larger than %d bytes",
						source_id, PULL_MAX_RESPONSE_BYTES),
				 errdetail("The request was %s %s.", method, url),
				 errhint("Lower the page size of the source's settings.")));
	if (buffer->out_of_memory)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory while receiving the response of pull source %d",
						source_id)));
	ereport(ERROR,
			(errcode(rc == CURLE_OPERATION_TIMEDOUT ?
					 ERRCODE_QUERY_CANCELED : ERRCODE_CONNECTION_FAILURE),
			 errmsg("request to pull source %d failed: %s", source_id, reason),
			 errdetail("The request was %s %s.", method, url),
			 errhint("Check that the device or service is reachable from the database server and that its address in otan_enbek.source_pull is right.")));
}

/* Builds the result row (status, content_type, body). */
static Datum
build_result(FunctionCallInfo fcinfo, long status, const char *content_type,
			 PullBuffer *buffer)
{
	TupleDesc	tupdesc;
	Datum		values[3];
	bool		nulls[3] = {false, false, false};
	bytea	   *body = palloc(VARHDRSZ + buffer->len);

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	SET_VARSIZE(body, VARHDRSZ + buffer->len);
	if (buffer->len > 0)
		memcpy(VARDATA(body), buffer->data, buffer->len);
	values[0] = Int32GetDatum((int32) status);
	if (content_type != NULL)
		values[1] = CStringGetTextDatum(content_type);
	else
		nulls[1] = true;
	values[2] = PointerGetDatum(body);
	return HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc),
											 values, nulls));
}

PG_FUNCTION_INFO_V1(otan_enbek_pull_http_request);

/*
 * pull_http_request(source_id, method, url, body, auth, connect_timeout_ms,
 * request_timeout_ms) returns (status, content_type, body).  Any HTTP
 * status is returned; a transfer that does not complete raises an error.
 */
Datum
otan_enbek_pull_http_request(PG_FUNCTION_ARGS)
{
	int32		source_id;
	char	   *method;
	char	   *url;
	char	   *body;
	char	   *auth;
	int32		connect_timeout_ms;
	int32		request_timeout_ms;
	CURL	   *volatile curl = NULL;
	struct curl_slist *volatile headers = NULL;
	PullBuffer	buffer = {0};
	char		error_buffer[CURL_ERROR_SIZE];
	PullTarget *target;
	volatile Datum result = (Datum) 0;

	for (int i = 0; i < PG_NARGS(); i++)
	{
		if (i != 3 && PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d of pull_http_request is NULL", i + 1),
					 errhint("Only the body may be NULL.")));
	}
	source_id = PG_GETARG_INT32(0);
	method = text_to_cstring(PG_GETARG_TEXT_PP(1));
	url = text_to_cstring(PG_GETARG_TEXT_PP(2));
	body = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	auth = text_to_cstring(PG_GETARG_TEXT_PP(4));
	connect_timeout_ms = PG_GETARG_INT32(5);
	request_timeout_ms = PG_GETARG_INT32(6);

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to pull from source %d", source_id),
				 errdetail("A pull uses the source's credentials, which only superusers may read."),
				 errhint("Run the pull as a superuser, for example from the pg_cron job of otan_enbek.set_schedule or from the background worker.")));
	if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid HTTP method \"%s\"",
						strlen(method) <= 16 ? method : "(over 16 bytes)"),
				 errhint("Use GET or POST.")));
	if (connect_timeout_ms < 100 || request_timeout_ms < 100)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeouts of pull source %d must be at least 100 ms",
						source_id)));

	target = read_target(source_id);
	if (strncmp(url, target->base_url, strlen(target->base_url)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("URL is not an address of pull source %d", source_id),
				 errdetail("The source's credentials are sent only to addresses that start with its url \"%s\".",
						   target->base_url)));

	error_buffer[0] = '\0';
	PG_TRY();
	{
		CURLcode	rc;
		long		status = 0;
		char	   *content_type = NULL;

		curl = curl_easy_init();
		if (curl == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not create a libcurl handle")));
		headers = append_header(headers, "Accept: application/json");
		if (body != NULL)
			headers = append_header(headers,
									"Content-Type: application/json; charset=utf-8");
		headers = append_header(headers, "Expect:");
		configure_transfer(curl, method, url, body, target,
						   connect_timeout_ms, request_timeout_ms,
						   &buffer, error_buffer);
		SET_OPTION(curl, CURLOPT_HTTPHEADER, headers);
		configure_auth(curl, auth, target);

		rc = curl_easy_perform(curl);
		CHECK_FOR_INTERRUPTS();
		if (rc != CURLE_OK)
			report_transfer_error(source_id, method, url, rc, &buffer,
								  error_buffer);
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
		curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &content_type);
		result = build_result(fcinfo, status, content_type, &buffer);
	}
	PG_FINALLY();
	{
		curl_slist_free_all(headers);
		curl_easy_cleanup(curl);
		free(buffer.data);
		if (target->password != NULL)
			explicit_bzero(target->password, strlen(target->password));
	}
	PG_END_TRY();

	PG_RETURN_DATUM(result);
}
