/*-------------------------------------------------------------------------
 *
 * notification.c
 *	  The worker's delivery of notifications to the webhook and by e-mail.
 *
 * After each cycle of submissions the worker claims the due rows of
 * otan_enbek.notification_delivery of the configured channels in a short
 * transaction.  It sends each one with no transaction open and records each
 * result in a transaction of its own, as it does for submissions.  A failed
 * attempt is retried with the backoff of submissions (retry_delay doubled
 * per failure in a row, up to retry_max_delay, with jitter) until
 * notification_max_attempts attempts were made.
 *
 * NOTE: requests go out one after the other in the worker that sends the
 * timesheets, so a receiver that does not respond delays the next batch of
 * submissions by up to notification_timeout per claimed notification.  The
 * backoff keeps that to one attempt per notification and retry delay.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "otan_enbek.h"
#include "delivery/delivery.h"
#include "delivery/notification.h"

/* Tells whether the webhook channel is configured. */
static bool
webhook_configured(void)
{
	return otan_enbek_webhook_url != NULL && otan_enbek_webhook_url[0] != '\0';
}

/* Tells whether the e-mail channel is configured. */
static bool
email_configured(void)
{
	return otan_enbek_smtp_url != NULL && otan_enbek_smtp_url[0] != '\0' &&
		otan_enbek_smtp_to != NULL && otan_enbek_smtp_to[0] != '\0';
}

/* Tells whether any channel is configured, so that a cycle has work. */
bool
notification_channels_configured(void)
{
	return webhook_configured() || email_configured();
}

/* The configured channels as a text[] datum. */
static Datum
channel_array(void)
{
	Datum		channels[2];
	int			count = 0;

	if (webhook_configured())
		channels[count++] = CStringGetTextDatum("webhook");
	if (email_configured())
		channels[count++] = CStringGetTextDatum("email");
	return PointerGetDatum(construct_array(channels, count, TEXTOID, -1,
										   false, TYPALIGN_INT));
}

/* Reads a text column of the current SPI row; NULL stays NULL. */
static char *
get_text(HeapTuple tuple, TupleDesc tupdesc, int column)
{
	bool		isnull;
	Datum		value = SPI_getbinval(tuple, tupdesc, column, &isnull);

	return isnull ? NULL : TextDatumGetCString(value);
}

/* Builds a NotificationItem from one row of notification_delivery_claim. */
static NotificationItem *
item_from_row(HeapTuple tuple, TupleDesc tupdesc)
{
	NotificationItem *item = palloc0(sizeof(NotificationItem));
	bool		isnull;

	item->org_id = DatumGetInt32(SPI_getbinval(tuple, tupdesc, 1, &isnull));
	item->notification_id = DatumGetInt64(SPI_getbinval(tuple, tupdesc, 2,
														&isnull));
	item->channel = get_text(tuple, tupdesc, 3);
	item->attempts = DatumGetInt32(SPI_getbinval(tuple, tupdesc, 4, &isnull));
	item->failures = DatumGetInt32(SPI_getbinval(tuple, tupdesc, 5, &isnull));
	item->created_at = DatumGetTimestampTz(SPI_getbinval(tuple, tupdesc, 6,
														 &isnull));
	item->webhook_body = SPI_getvalue(tuple, tupdesc, 7);
	item->subject = get_text(tuple, tupdesc, 8);
	item->body = get_text(tuple, tupdesc, 9);
	return item;
}

/* Reads notification_delivery_next_due for the configured channels. */
static TimestampTz
query_next_due(void)
{
	Oid			argtypes[1] = {TEXTARRAYOID};
	Datum		values[1];
	bool		isnull;
	Datum		value;

	values[0] = channel_array();
	if (SPI_execute_with_args("SELECT otan_enbek.notification_delivery_next_due($1)",
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not run otan_enbek.notification_delivery_next_due()");
	value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
						  &isnull);
	return isnull ? 0 : DatumGetTimestampTz(value);
}

/*
 * Claims up to limit due deliveries, in the caller's memory context.  When
 * none is due, *next_due is when the next one is (0 when none is pending).
 * *extension_missing is set when the extension was dropped.
 */
static List *
claim(int limit, TimestampTz *next_due, bool *extension_missing)
{
	MemoryContext caller = queue_begin("otan_enbek: claiming notifications");
	Oid			argtypes[2] = {INT4OID, TEXTARRAYOID};
	Datum		values[2];
	List	   *items = NIL;
	MemoryContext old;
	uint64		i;

	*next_due = 0;
	*extension_missing = false;
	if (!queue_lock_extension())
	{
		*extension_missing = true;
		queue_commit(caller);
		return NIL;
	}
	if (!queue_function_exists("notification_delivery_claim"))
	{
		queue_commit(caller);
		return NIL;
	}
	values[0] = Int32GetDatum(limit);
	values[1] = channel_array();
	if (SPI_execute_with_args("SELECT * FROM otan_enbek.notification_delivery_claim($1, $2)",
							  2, argtypes, values, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not run otan_enbek.notification_delivery_claim()");

	old = MemoryContextSwitchTo(caller);
	for (i = 0; i < SPI_processed; i++)
		items = lappend(items, item_from_row(SPI_tuptable->vals[i],
											 SPI_tuptable->tupdesc));
	MemoryContextSwitchTo(old);

	if (items == NIL)
		*next_due = query_next_due();
	queue_commit(caller);
	return items;
}

/*
 * Records the result of one attempt.  Returns the new status, or NULL when
 * the extension is gone.
 */
static char *
record(NotificationItem *item, const char *problem)
{
	MemoryContext caller = queue_begin("otan_enbek: recording a notification");
	Oid			argtypes[7] = {INT4OID, INT8OID, TEXTOID, BOOLOID, TEXTOID,
		FLOAT8OID, INT4OID};
	Datum		values[7];
	char		nulls[8] = "       ";
	double		delay_s = 0;
	char	   *status;

	if (!queue_lock_extension())
	{
		queue_commit(caller);
		return NULL;
	}
	if (problem != NULL)
		delay_s = delivery_backoff_seconds(item->failures + 1, -1);
	values[0] = Int32GetDatum(item->org_id);
	values[1] = Int64GetDatum(item->notification_id);
	values[2] = CStringGetTextDatum(item->channel);
	values[3] = BoolGetDatum(problem == NULL);
	if (problem != NULL)
		values[4] = CStringGetTextDatum(problem);
	else
		nulls[4] = 'n';
	values[5] = Float8GetDatum(delay_s);
	values[6] = Int32GetDatum(otan_enbek_notification_max_attempts);
	if (SPI_execute_with_args("SELECT otan_enbek.notification_delivery_record($1, $2, $3, $4, $5, make_interval(secs => $6), $7)",
							  7, argtypes, values, nulls, false, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not run otan_enbek.notification_delivery_record()");
	status = MemoryContextStrdup(caller,
								 SPI_getvalue(SPI_tuptable->vals[0],
											  SPI_tuptable->tupdesc, 1));
	queue_commit(caller);
	return status;
}

/*
 * Sends one notification on its channel.  Returns NULL on success, else
 * what failed; an unexpected error becomes a failure of this attempt.
 */
static char *
send_item(NotificationItem *item)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *volatile problem = NULL;

	PG_TRY();
	{
		if (strcmp(item->channel, "webhook") == 0)
			problem = webhook_post(otan_enbek_webhook_url, item->webhook_body);
		else
			problem = smtp_send(item);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		problem = psprintf("internal error: %s", edata->message);
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return problem;
}

/*
 * Sends up to limit due notifications.  Returns how many were claimed, or
 * -1 when the extension is gone.  When none was, *next_due is when the next
 * one is due (0 when none is pending).
 */
int
notification_run_cycle(int limit, TimestampTz *next_due)
{
	bool		extension_missing;
	List	   *items;
	ListCell   *lc;

	*next_due = 0;
	if (!notification_channels_configured())
		return 0;
	items = claim(limit, next_due, &extension_missing);
	if (extension_missing)
		return -1;

	foreach(lc, items)
	{
		NotificationItem *item = lfirst(lc);
		char	   *problem = send_item(item);
		char	   *status = record(item, problem);

		if (status == NULL)
			return -1;
		if (problem != NULL)
			ereport(strcmp(status, "failed") == 0 ? WARNING : LOG,
					(errmsg("otan_enbek could not deliver notification %lld of organization %d by %s, attempt %d: %s",
							(long long) item->notification_id, item->org_id,
							item->channel, item->attempts, problem),
					 strcmp(status, "failed") == 0 ?
					 errdetail("No further attempt is made: otan_enbek.notification_max_attempts is %d.",
							   otan_enbek_notification_max_attempts) :
					 errdetail("The notification is sent again later.")));
		CHECK_FOR_INTERRUPTS();
	}
	return list_length(items);
}

/*
 * Puts back the deliveries that a stopped worker left sending.  Returns how
 * many there were, or -1 when the extension is gone.
 */
int
notification_requeue(void)
{
	MemoryContext caller = queue_begin("otan_enbek: requeueing notifications");
	bool		isnull;
	int			count;

	if (!queue_lock_extension())
	{
		queue_commit(caller);
		return -1;
	}
	if (!queue_function_exists("notification_delivery_requeue"))
	{
		queue_commit(caller);
		return 0;
	}
	if (SPI_execute("SELECT otan_enbek.notification_delivery_requeue()",
					false, 1) != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not run otan_enbek.notification_delivery_requeue()");
	count = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
										SPI_tuptable->tupdesc, 1, &isnull));
	queue_commit(caller);
	return isnull ? 0 : count;
}
