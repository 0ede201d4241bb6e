/*-------------------------------------------------------------------------
 *
 * breaker.c
 *	  The circuit breaker of the Enbek endpoint, as the worker uses it.
 *
 * The state lives in the table otan_enbek.delivery_breaker, one row per
 * endpoint URL, and its rules in the SQL functions delivery_breaker_admit
 * and delivery_breaker_record.  Before each claim, delivery_breaker_admit
 * returns how many submissions the worker may claim: a batch while the
 * breaker is closed, one probe while it is half open, and none while it is
 * open.  After each request the worker records whether the endpoint
 * failed.  Each call is a short transaction of
 * its own with no request on the network.
 *
 * A failure that the worker raised itself (a document that cannot be
 * converted, out of memory) says nothing about the endpoint and is not
 * reported; neither is a request that the worker's stop interrupted.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "otan_enbek.h"
#include "delivery/delivery.h"

/*
 * Whether the breaker row may have failures to reset.  It is false only
 * after the table returned closed with no failure, and spares a transaction
 * after each success while the endpoint works.
 */
static bool breaker_maybe_failing = true;

/* Whether the table last returned the state open */

/* Logs a change of state of the breaker. */
static void
log_transition(const char *transition, int failures, const char *error)
{
	if (strcmp(transition, "opened") == 0)
		ereport(LOG,
				(errmsg("otan_enbek circuit breaker opened for endpoint \"%s\" after %d transient failures in a row",
						otan_enbek_enbek_url, failures),
				 errdetail("The last failure was: %s.", error),
				 errhint("No submission is sent for %d s; then one probe request decides whether delivery resumes.",
						 otan_enbek_breaker_cooldown_s)));
	else if (strcmp(transition, "reopened") == 0)
		ereport(LOG,
				(errmsg("otan_enbek circuit breaker stays open for endpoint \"%s\": the probe request failed",
						otan_enbek_enbek_url),
				 errdetail("The probe failed with: %s.", error),
				 errhint("The next probe request goes out in %d s.",
						 otan_enbek_breaker_cooldown_s)));
	else if (strcmp(transition, "half_open") == 0)
		ereport(LOG,
				(errmsg("otan_enbek circuit breaker half open for endpoint \"%s\": sending one probe request",
						otan_enbek_enbek_url)));
	else if (strcmp(transition, "closed") == 0)
		ereport(LOG,
				(errmsg("otan_enbek circuit breaker closed for endpoint \"%s\": delivery resumes",
						otan_enbek_enbek_url)));
}

/*
 * Returns how many submissions the worker may claim now, out of
 * batch_size, or -1 when the extension is gone.  When the breaker is open,
 * the result is 0 and *probe_at is the end of its cool-down.
 */
int
delivery_breaker_admit(int batch_size, TimestampTz *probe_at)
{
	MemoryContext caller;
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	HeapTuple	row;
	TupleDesc	tupdesc;
	bool		isnull;
	char	   *state;
	bool		changed;
	int			limit;

	*probe_at = 0;
	if (otan_enbek_breaker_failure_threshold == 0)
		return batch_size;

	caller = queue_begin("otan_enbek: checking the circuit breaker");
	if (!queue_lock_extension())
	{
		queue_commit(caller);
		return -1;
	}
	if (!queue_function_exists("delivery_breaker_admit"))
	{
		queue_commit(caller);
		return batch_size;
	}
	values[0] = CStringGetTextDatum(otan_enbek_enbek_url);
	if (SPI_execute_with_args("SELECT * FROM otan_enbek.delivery_breaker_admit($1)",
							  1, argtypes, values, NULL, false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not run otan_enbek.delivery_breaker_admit()");

	row = SPI_tuptable->vals[0];
	tupdesc = SPI_tuptable->tupdesc;
	state = SPI_getvalue(row, tupdesc, 1);
	changed = DatumGetBool(SPI_getbinval(row, tupdesc, 3, &isnull));
	if (strcmp(state, "open") == 0)
	{
		*probe_at = DatumGetTimestampTz(SPI_getbinval(row, tupdesc, 2,
													  &isnull));
		limit = 0;
	}
	else if (strcmp(state, "half_open") == 0)
		limit = 1;
	else
		limit = batch_size;
	if (strcmp(state, "closed") != 0)
		breaker_maybe_failing = true;
	queue_commit(caller);

	if (changed)
		log_transition("half_open", 0, NULL);
	return limit;
}

/* What failed in a transient verdict, for the breaker's last_error. */
static char *
describe_failure(const DeliveryVerdict *verdict)
{
	const char *message = verdict->message ? verdict->message : "no message";

	if (verdict->http_status != 0)
		return psprintf("HTTP %d: %s", verdict->http_status, message);
	return pstrdup(message);
}

/*
 * Reports the verdict of a request to the breaker of the current endpoint.
 * Returns false when the extension is gone.
 */
bool
delivery_breaker_record(const DeliveryItem *item,
						const DeliveryVerdict *verdict)
{
	MemoryContext caller;
	Oid			argtypes[6] = {TEXTOID, INT4OID, BOOLOID, TEXTOID, INT4OID,
		FLOAT8OID};
	Datum		values[6];
	char		nulls[7] = "      ";
	bool		failed;
	char	   *error = NULL;
	HeapTuple	row;
	TupleDesc	tupdesc;
	char	   *state;
	char	   *transition;
	bool		isnull;
	int			failures;

	if (otan_enbek_breaker_failure_threshold == 0 || verdict->internal_error ||
		verdict->kind == VERDICT_INTERRUPTED ||
		verdict->kind == VERDICT_NOT_SENT)
		return true;
	failed = (verdict->kind == VERDICT_TRANSIENT);
	if (!failed && !breaker_maybe_failing)
		return true;
	if (failed)
		error = describe_failure(verdict);

	caller = queue_begin("otan_enbek: recording in the circuit breaker");
	if (!queue_lock_extension())
	{
		queue_commit(caller);
		return false;
	}
	if (!queue_function_exists("delivery_breaker_record"))
	{
		queue_commit(caller);
		return true;
	}
	values[0] = CStringGetTextDatum(otan_enbek_enbek_url);
	values[1] = Int32GetDatum(item->org_id);
	values[2] = BoolGetDatum(failed);
	if (error != NULL)
		values[3] = CStringGetTextDatum(error);
	else
		nulls[3] = 'n';
	values[4] = Int32GetDatum(otan_enbek_breaker_failure_threshold);
	values[5] = Float8GetDatum((double) otan_enbek_breaker_cooldown_s);
	if (SPI_execute_with_args("SELECT * FROM otan_enbek.delivery_breaker_record($1, $2, $3, $4, $5, make_interval(secs => $6))",
							  6, argtypes, values, nulls, false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not run otan_enbek.delivery_breaker_record()");

	row = SPI_tuptable->vals[0];
	tupdesc = SPI_tuptable->tupdesc;
	state = SPI_getvalue(row, tupdesc, 1);
	failures = DatumGetInt32(SPI_getbinval(row, tupdesc, 2, &isnull));
	transition = SPI_getvalue(row, tupdesc, 3);
	breaker_maybe_failing = (strcmp(state, "closed") != 0 || failures > 0);

	/* the strings live in SPI's memory, which queue_commit frees */
	if (transition != NULL)
		transition = MemoryContextStrdup(caller, transition);
	queue_commit(caller);

	if (transition != NULL)
		log_transition(transition, failures, error);
	return true;
}
