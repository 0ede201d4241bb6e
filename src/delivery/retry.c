/*-------------------------------------------------------------------------
 *
 * retry.c
 *	  What the worker does after each verdict: retry, poll, finish.
 *
 * Transient failures are retried with exponential backoff and jitter.  The
 * n-th failure in a row waits retry_delay * 2^(n-1), capped at
 * retry_max_delay.  Of that delay a random part between one half and all is
 * taken, so that submissions that fail together are not retried together.
 * A Retry-After header from Enbek (HTTP 429 or 503) is a minimum.
 *
 * After max_attempts failures of a send in a row the submission fails, and
 * so it does after any failed send once it is max_attempt_age old (counted
 * from its creation, which is its messageDate).  A
 * status query is made only for a submission that Enbek has received
 * (RECEIVED or PROCESSING, or SCSE196 to a re-send).  So no failed status
 * query fails the submission, whatever the failure, because sending the
 * timesheet again would give Enbek a second document.  Status queries go
 * on with the same backoff until Enbek returns a state.  From the
 * max_attempts-th failure in a row the outcome is status_unknown, and
 * otan_enbek.delivery_record notifies HR once that the result is late.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/pg_prng.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "port.h"
#include "utils/timestamp.h"

#include "otan_enbek.h"
#include "delivery/delivery.h"

PG_FUNCTION_INFO_V1(otan_enbek_delivery_retry_delay);

/* Longest Retry-After honoured, in seconds */
#define MAX_RETRY_AFTER_S 86400

static pg_prng_state jitter_state;
static bool jitter_seeded = false;

/*
 * Returns the delay in seconds before the retry that follows the given
 * number of transient failures in a row (1 for the first).  retry_after_s
 * is Enbek's Retry-After, or -1.
 */
double
delivery_backoff_seconds(int failures, int retry_after_s)
{
	double		base = otan_enbek_retry_delay_s;
	double		cap = otan_enbek_retry_max_delay_s;
	double		delay;
	int			i;

	for (i = 1; i < failures && base < cap; i++)
		base *= 2;
	base = Min(base, cap);

	if (!jitter_seeded)
	{
		if (!pg_prng_strong_seed(&jitter_state))
			pg_prng_seed(&jitter_state,
						 (uint64) MyProcPid ^ (uint64) GetCurrentTimestamp());
		jitter_seeded = true;
	}
	delay = base / 2 + pg_prng_double(&jitter_state) * base / 2;

	if (retry_after_s > 0)
		delay = Max(delay, Min(retry_after_s, MAX_RETRY_AFTER_S));
	return delay;
}

/* Returns whether a submission is at least max_attempt_age old. */
static bool
attempt_too_old(const DeliveryItem *item)
{
	if (otan_enbek_max_attempt_age_s <= 0)
		return false;
	return GetCurrentTimestamp() >=
		TimestampTzPlusMilliseconds(item->created_at,
									(int64) otan_enbek_max_attempt_age_s * 1000);
}

/*
 * Decides what becomes of a submission after a verdict, as the outcome that
 * otan_enbek.delivery_record() takes.  *failures is the count of transient
 * failures in a row after this one, and *delay_s the wait before the next
 * request (a retry or a status query).
 */
const char *
delivery_plan_outcome(const DeliveryItem *item, const DeliveryVerdict *verdict,
					  int *failures, double *delay_s)
{
	*failures = 0;
	*delay_s = 0;
	switch (verdict->kind)
	{
		case VERDICT_SENT:
			*delay_s = otan_enbek_status_poll_interval_s;
			return "sent";
		case VERDICT_ACCEPTED:
			return "accepted";
		case VERDICT_RETURNED:
			return "returned";
		case VERDICT_RESEND_DETECTED:
			return "resend";
		case VERDICT_UNKNOWN:
			return item->attempts >= otan_enbek_max_attempts ? "failed" : "requeue";
		case VERDICT_REJECTED_REQUEST:
			if (item->kind == DELIVERY_SEND)
				return "failed";

			/*
			 * A status query that Enbek rejects (a soap:Client fault or an
			 * HTTP status such as 401) is asked again: the document stays
			 * with Enbek, and the cause may be a setting that is corrected.
			 */
			break;
		case VERDICT_INTERRUPTED:
			return "interrupted";
		case VERDICT_NOT_SENT:
			return "release";
		case VERDICT_WRITTEN:
			return "written";
		case VERDICT_TRANSIENT:
			break;
	}

	*failures = item->failures + 1;

	/*
	 * NOTE: a send that Enbek processed but whose response was lost (a
	 * timeout, a dropped connection) is found by the next send (SCSE196).
	 * When every later send is lost too, the submission fails although
	 * Enbek has the document.
	 */
	if (item->kind == DELIVERY_SEND &&
		(*failures >= otan_enbek_max_attempts || attempt_too_old(item)))
		return "failed";
	*delay_s = delivery_backoff_seconds(*failures, verdict->retry_after_s);
	if (item->kind == DELIVERY_STATUS && *failures >= otan_enbek_max_attempts)
		return "status_unknown";
	return "retry";
}

/*
 * SQL function otan_enbek.delivery_retry_delay(failures, retry_after): the
 * delay before the retry after that many transient failures in a row, under
 * the current settings.  The jitter makes each call differ.
 */
Datum
otan_enbek_delivery_retry_delay(PG_FUNCTION_ARGS)
{
	int32		failures;
	int32		retry_after = PG_ARGISNULL(1) ? -1 : PG_GETARG_INT32(1);
	Interval   *result = palloc0(sizeof(Interval));

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("number of failures must not be null"),
				 errhint("Pass the number of transient failures in a row, from 1.")));
	failures = PG_GETARG_INT32(0);
	if (failures < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid number of failures: %d", failures),
				 errhint("The first retry follows failure number 1.")));

	result->time = (int64) (delivery_backoff_seconds(failures, retry_after) *
							USECS_PER_SEC);
	PG_RETURN_INTERVAL_P(result);
}
