/*-------------------------------------------------------------------------
 *
 * worker.c
 *	  The delivery worker of one database: its life and its main loop.
 *
 * Each cycle claims up to otan_enbek.batch_size due submissions in a short
 * transaction, sends them with no transaction open, up to
 * otan_enbek.max_in_flight requests at a time (exchange.c, http.c), and
 * records each response in a new transaction (queue.c).  A circuit breaker
 * (breaker.c) stops the requests to Enbek while the endpoint keeps
 * failing.  Then the worker sends the due notifications to the webhook and
 * by e-mail (notification.c) in the same way.  Between cycles the worker
 * sleeps on its latch until a committed wake-up (wake.c), a reload, or the
 * earliest next_attempt_at of the submissions and notifications still in
 * delivery.  While there is nothing to deliver it runs no SQL for delivery.  Between cycles it also
 * runs the pulls of network sources that are due (pull_worker.c), which
 * look for due sources at least every otan_enbek.pull_naptime unless
 * otan_enbek.pull_in_worker is off, and, with otan_enbek.refresh_in_worker
 * on, it refreshes the attendance days that ingest marked
 * (attendance/refresh_worker.c) on each wake-up and every
 * otan_enbek.refresh_naptime.
 *
 * At start the worker puts back in the queue the submissions that a worker
 * of the database claimed and never recorded (it crashed, or the server
 * stopped during a request): nothing is lost, and a re-send is recognised
 * by Enbek from the message id (SCSE196) and resolved by a status query.
 *
 * The worker exits with status 0 when its database has no extension, when
 * delivery is disabled, and on SIGTERM; it exits with 1 on an error, and the
 * launcher starts it again after a delay.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "otan_enbek.h"
#include "attendance/refresh_worker.h"
#include "delivery/delivery.h"
#include "delivery/notification.h"
#include "delivery/profile.h"
#include "pull/pull.h"

/* Why the worker exits with status 0 */
typedef enum WorkerStop
{
	STOP_NONE,
	STOP_NO_EXTENSION,			/* freed slot: started again on request */
	STOP_DISABLED,				/* freed slot: the launcher scans again */
	STOP_TERMINATED				/* slot requested: started after a delay */
} WorkerStop;

/* Counts of outcomes in one batch, for its log line */
typedef struct BatchCounts
{
	int			accepted;
	int			returned;
	int			sent;
	int			retried;
	int			unknown;
	int			failed;
	int			other;
} BatchCounts;

static Oid	worker_dboid = InvalidOid;
static char *worker_dbname = NULL;
static uint64 worker_wake_count = 0;
static WorkerStop worker_stop = STOP_NONE;

/*
 * SIGTERM handler: requests the worker's exit between steps and, during an
 * attendance refresh or a pull, also at the next interrupt check, as die()
 * does for a backend.  A pull's request to a source is aborted at once, and
 * its transaction is rolled back, so the next pull fetches the same events
 * again.  A delivery is not cut off, so that the worker records the
 * responses to the requests it sent.
 */
static void
worker_handle_sigterm(SIGNAL_ARGS)
{
	int			save_errno = errno;

	ShutdownRequestPending = true;
	if (refresh_in_progress || pull_in_progress)
	{
		InterruptPending = true;
		ProcDiePending = true;
	}
	SetLatch(MyLatch);
	errno = save_errno;
}

/*
 * Releases the registry slot; a non-zero code means an error.  A worker
 * that stops because delivery is off also requests a scan.  The launcher
 * may read the configuration only after delivery is on again, and then it
 * does not detect the switch that would make it scan.
 */
static void
worker_detach(int code, Datum arg pg_attribute_unused())
{
	bool		restart = (code != 0 || worker_stop == STOP_TERMINATED);

	if (worker_stop == STOP_DISABLED)
		delivery_registry_request_rescan();
	delivery_registry_detach(worker_dboid, restart, worker_wake_count);
}

/* Logs why the worker stops and exits with status 0. */
static void
worker_exit(WorkerStop stop)
{
	worker_stop = stop;
	switch (stop)
	{
		case STOP_NO_EXTENSION:
			ereport(LOG,
					(errmsg("otan_enbek delivery worker stopped: the extension is not installed in database \"%s\"",
							worker_dbname)));
			break;
		case STOP_DISABLED:
			ereport(LOG,
					(errmsg("otan_enbek delivery worker stopped: otan_enbek.delivery_enabled is off")));
			break;
		case STOP_TERMINATED:
		case STOP_NONE:
			ereport(LOG,
					(errmsg("otan_enbek delivery worker stopped")));
			break;
	}
	proc_exit(0);
}

/*
 * Tells whether the extension exists in this database, and keeps the
 * database's name for log messages.
 */
static bool
extension_installed(void)
{
	bool		installed;

	StartTransactionCommand();
	worker_dbname = MemoryContextStrdup(TopMemoryContext,
										get_database_name(MyDatabaseId));
	installed = OidIsValid(get_extension_oid(DELIVERY_EXTENSION_NAME, true));
	CommitTransactionCommand();
	return installed;
}

/*
 * Handles SIGTERM and SIGHUP between steps.  Exits on SIGTERM and when a
 * reload switched delivery off.
 */
static void
worker_handle_signals(void)
{
	if (ShutdownRequestPending)
		worker_exit(STOP_TERMINATED);
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
		if (!otan_enbek_delivery_enabled)
			worker_exit(STOP_DISABLED);
	}
}

/*
 * Tells whether the endpoint can be used.  An empty URL disables delivery
 * quietly; any other unusable URL is reported once per value.
 */
static bool
endpoint_usable(void)
{
	static char *reported_url = NULL;
	const char *problem = delivery_endpoint_problem(otan_enbek_enbek_url);

	if (problem == NULL)
		return true;
	if (otan_enbek_enbek_url[0] != '\0' &&
		(reported_url == NULL || strcmp(reported_url, otan_enbek_enbek_url) != 0))
	{
		ereport(WARNING,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("otan_enbek delivery is paused: %s", problem),
				 errdetail("Timesheets are sent over HTTPS only, with the server's certificate verified, because the request carries the sender password and personal data."),
				 errhint("Set otan_enbek.enbek_url to the https:// address of the Enbek endpoint and reload the configuration; submissions stay queued until then.")));
		if (reported_url != NULL)
			pfree(reported_url);
		reported_url = MemoryContextStrdup(TopMemoryContext,
										   otan_enbek_enbek_url);
	}
	return false;
}

/* Adds one outcome to the counts of a batch. */
static void
count_outcome(BatchCounts *counts, const char *outcome)
{
	if (strcmp(outcome, "accepted") == 0)
		counts->accepted++;
	else if (strcmp(outcome, "returned") == 0)
		counts->returned++;
	else if (strcmp(outcome, "sent") == 0 || strcmp(outcome, "resend") == 0)
		counts->sent++;
	else if (strcmp(outcome, "retry") == 0)
		counts->retried++;
	else if (strcmp(outcome, "status_unknown") == 0)
		counts->unknown++;
	else if (strcmp(outcome, "failed") == 0)
		counts->failed++;
	else
		counts->other++;
}

/* Appends "N what" to a summary when N is not zero. */
static void
append_count(StringInfo summary, int count, const char *what)
{
	if (count == 0)
		return;
	if (summary->len > 0)
		appendStringInfoString(summary, ", ");
	appendStringInfo(summary, "%d %s", count, what);
}

/* Logs the outcomes of a batch. */
static void
log_batch(int size, BatchCounts *counts)
{
	StringInfoData summary;

	initStringInfo(&summary);
	append_count(&summary, counts->accepted, "accepted");
	append_count(&summary, counts->returned, "returned");
	append_count(&summary, counts->sent, "being checked by Enbek");
	append_count(&summary, counts->retried, "to retry");
	append_count(&summary, counts->unknown,
				 "with the outcome unknown after max_attempts failed status queries");
	append_count(&summary, counts->failed, "failed");
	append_count(&summary, counts->other, "put back in the queue");
	ereport(LOG,
			(errmsg("otan_enbek delivery in database \"%s\": batch of %d, %s",
					worker_dbname, size, summary.data)));
	pfree(summary.data);
}

/* Records the verdict of one claimed submission and returns its outcome. */
static const char *
record_item(DeliveryItem *item, DeliveryVerdict *verdict)
{
	const char *outcome;
	int			failures = item->failures;
	double		delay_s = 0;

	outcome = delivery_plan_outcome(item, verdict, &failures, &delay_s);
	ereport(DEBUG1,
			(errmsg_internal("otan_enbek submission %lld (%s, attempt %d): %s, HTTP %d, code %s, %d ms",
							 (long long) item->submission_id,
							 item->kind == DELIVERY_SEND ? "send" : "status query",
							 item->attempts, outcome, verdict->http_status,
							 verdict->code ? verdict->code : "none",
							 verdict->duration_ms)));
	if (!delivery_queue_record(item, verdict, outcome, failures, delay_s) ||
		!delivery_breaker_record(item, verdict))
		worker_exit(STOP_NO_EXTENSION);
	return outcome;
}

/*
 * Delivers the claimed submissions with their profiles, the requests of the
 * profile soap otan_enbek.max_in_flight at a time, and returns their
 * verdicts in the order of items.  After a shutdown request nothing is
 * delivered, and each verdict puts its submission back in the queue.
 */
static DeliveryVerdict **
deliver_items(DeliveryItem **items, int count)
{
	DeliveryVerdict **verdicts;
	int			i;

	if (!ShutdownRequestPending)
		return delivery_profile_deliver_many(items, count);

	verdicts = palloc(sizeof(DeliveryVerdict *) * count);
	for (i = 0; i < count; i++)
		verdicts[i] = delivery_verdict_not_sent(items[i]);
	return verdicts;
}

/*
 * Runs one cycle: claims the due submissions of the profiles (a SQL array
 * literal, NULL for every profile), delivers them together, then records
 * each outcome in its own transaction.  Returns the number claimed; when it
 * is zero, *next_due is the earliest next_attempt_at of those profiles'
 * submissions in delivery (0 when there are none).
 */
static int
run_cycle(const char *profiles, TimestampTz *next_due)
{
	bool		extension_missing = false;
	List	   *claimed;
	DeliveryItem **items;
	DeliveryVerdict **verdicts;
	int			count;
	int			i;
	int			limit;
	TimestampTz probe_at = 0;
	BatchCounts counts = {0};

	/* a wake-up after this point starts a new worker if this one exits */
	worker_wake_count = delivery_registry_wake_count(worker_dboid);

	/*
	 * While the circuit breaker is open, only the profiles that do not send
	 * to the endpoint are claimed.  When there are none, the worker sleeps
	 * until the breaker's probe is due.
	 */
	limit = otan_enbek_batch_size;
	if (profiles == NULL)
	{
		limit = delivery_breaker_admit(otan_enbek_batch_size, &probe_at);
		if (limit < 0)
			worker_exit(STOP_NO_EXTENSION);
		if (limit == 0)
		{
			profiles = delivery_profiles_without_endpoint();
			*next_due = probe_at;
			if (profiles == NULL)
				return 0;
			limit = otan_enbek_batch_size;
		}
	}
	claimed = delivery_queue_claim(limit, profiles, next_due,
								   &extension_missing);
	if (extension_missing)
		worker_exit(STOP_NO_EXTENSION);
	/* an open breaker's probe is due even when no file is */
	if (probe_at != 0 && (*next_due == 0 || probe_at < *next_due))
		*next_due = probe_at;
	count = list_length(claimed);
	if (count == 0)
		return 0;

	items = palloc(sizeof(DeliveryItem *) * count);
	for (i = 0; i < count; i++)
		items[i] = list_nth(claimed, i);
	verdicts = deliver_items(items, count);

	for (i = 0; i < count; i++)
	{
		count_outcome(&counts, record_item(items[i], verdicts[i]));
		CHECK_FOR_INTERRUPTS();
	}

	log_batch(count, &counts);
	return count;
}

/*
 * Time in milliseconds from now until next_due.  A submission that is due
 * but was not claimed is locked by another transaction: look again in a
 * second rather than spin.
 */
static long
milliseconds_until(TimestampTz next_due)
{
	long		ms = TimestampDifferenceMilliseconds(GetCurrentTimestamp(),
													 next_due);

	return ms > 0 ? ms : 1000;
}

/*
 * The worker's main loop: a delivery cycle on every wake-up by the latch
 * or at the queue's next due time, the due pulls, the pending attendance
 * refreshes, then sleep.  It returns only through worker_exit or an
 * error.
 */
static void
worker_loop(void)
{
	MemoryContext cycle_context;
	bool		deliver = true;
	bool		woken = true;
	TimestampTz delivery_at = 0;	/* next_due of the last cycle, 0: none */

	cycle_context = AllocSetContextCreate(TopMemoryContext,
										  "otan_enbek delivery cycle",
										  ALLOCSET_DEFAULT_SIZES);
	for (;;)
	{
		long		timeout_ms = -1;
		const char *profiles = NULL;
		bool		usable = false;
		long		pull_ms;
		long		refresh_ms;
		int			events;

		worker_handle_signals();

		/*
		 * Without a usable endpoint only the profiles that do not send to it
		 * (file) are delivered, and the others stay queued.
		 */
		if (deliver)
		{
			usable = endpoint_usable();
			if (!usable)
				profiles = delivery_profiles_without_endpoint();
		}
		if (deliver)
		{
			MemoryContext old = MemoryContextSwitchTo(cycle_context);
			TimestampTz next_due = 0;
			TimestampTz notification_due = 0;
			int			claimed = 0;
			int			notified = 0;

			if (usable || profiles != NULL)
				claimed = run_cycle(profiles, &next_due);
			if (notification_channels_configured())
				notified = notification_run_cycle(otan_enbek_batch_size,
												  &notification_due);
			if (notified < 0)
				worker_exit(STOP_NO_EXTENSION);

			MemoryContextSwitchTo(old);
			MemoryContextReset(cycle_context);

			/* Claim again at once: more may be due, or due now (SCSE196). */
			if (claimed > 0 || notified > 0)
				continue;

			if (notification_due != 0 &&
				(next_due == 0 || notification_due < next_due))
				next_due = notification_due;
			delivery_at = next_due;
		}
		if (delivery_at != 0)
			timeout_ms = milliseconds_until(delivery_at);

		/*
		 * The pulls of network sources (pull_worker.c) have a timer of their
		 * own, which wakes the worker without a delivery cycle.
		 */
		pull_ms = pull_run_due_sources(worker_dbname);
		if (pull_ms >= 0 && (timeout_ms < 0 || pull_ms < timeout_ms))
			timeout_ms = pull_ms;
		refresh_ms = refresh_run_pending(woken);
		if (refresh_ms >= 0 && (timeout_ms < 0 || refresh_ms < timeout_ms))
			timeout_ms = refresh_ms;

		events = WaitLatch(MyLatch,
						   WL_LATCH_SET | WL_EXIT_ON_PM_DEATH |
						   (timeout_ms >= 0 ? WL_TIMEOUT : 0),
						   timeout_ms, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		woken = (events & WL_LATCH_SET) != 0;
		deliver = woken ||
			(delivery_at != 0 && GetCurrentTimestamp() >= delivery_at);
	}
}

/* Entry point of a delivery worker; main_arg is the database's OID. */
void
otan_enbek_delivery_worker_main(Datum main_arg)
{
	int			requeued;

	worker_dboid = DatumGetObjectId(main_arg);

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, worker_handle_sigterm);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnectionByOid(worker_dboid, InvalidOid, 0);

	if (!delivery_registry_attach(worker_dboid, &worker_wake_count))
	{
		ereport(DEBUG1,
				(errmsg_internal("otan_enbek delivery worker for database %u exits: another worker serves the database, no registry slot is free, or a command needs the database alone",
								 worker_dboid)));
		proc_exit(0);
	}
	before_shmem_exit(worker_detach, 0);

	if (!extension_installed())
	{
		worker_stop = STOP_NO_EXTENSION;
		ereport(DEBUG1,
				(errmsg_internal("otan_enbek is not installed in database \"%s\"",
								 worker_dbname)));
		proc_exit(0);
	}
	if (!otan_enbek_delivery_enabled)
		worker_exit(STOP_DISABLED);

	ereport(LOG,
			(errmsg("otan_enbek delivery worker started for database \"%s\"",
					worker_dbname)));

	delivery_transport_init();

	requeued = delivery_queue_requeue();
	if (requeued < 0)
		worker_exit(STOP_NO_EXTENSION);
	if (requeued > 0)
		ereport(LOG,
				(errmsg("otan_enbek put back in the queue %d submissions that a stopped worker had claimed",
						requeued)));

	requeued = notification_requeue();
	if (requeued < 0)
		worker_exit(STOP_NO_EXTENSION);
	if (requeued > 0)
		ereport(LOG,
				(errmsg("otan_enbek put back in the queue %d notification deliveries that a stopped worker had claimed",
						requeued)));

	worker_loop();
}
