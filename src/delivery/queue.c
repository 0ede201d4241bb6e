/*-------------------------------------------------------------------------
 *
 * queue.c
 *	  The worker's transactions: claim due submissions, record outcomes.
 *
 * Each function here runs one short transaction and calls one of the SQL
 * functions of the install script through SPI (delivery_claim,
 * delivery_record, delivery_requeue), which hold the rules of the
 * submission's states.  No transaction is ever open while a request is on
 * the network: a claim commits before the first request, and each response is
 * recorded in its own transaction as soon as it arrives.
 *
 * Each transaction first takes a share lock on the extension: DROP
 * EXTENSION takes an exclusive one, so the extension cannot disappear in the
 * middle of a transaction.  When it is gone, the functions report it and
 * the worker exits.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/value.h"
#include "pgstat.h"
#include "storage/lmgr.h"
#include "utils/builtins.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "delivery/delivery.h"
#include "delivery/profile.h"

/*
 * Starts a transaction with SPI connected and a snapshot pushed.  Returns
 * the caller's memory context, which queue_commit restores.
 */
MemoryContext
queue_begin(const char *activity)
{
	MemoryContext caller = CurrentMemoryContext;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, activity);
	return caller;
}

/*
 * Locks the extension against DROP EXTENSION for the rest of the
 * transaction.  Returns false when it no longer exists.
 */
bool
queue_lock_extension(void)
{
	Oid			extension = get_extension_oid(DELIVERY_EXTENSION_NAME, true);

	if (!OidIsValid(extension))
		return false;
	LockDatabaseObject(ExtensionRelationId, extension, 0, AccessShareLock);

	/* a DROP that committed while we waited for the lock */
	return get_extension_oid(DELIVERY_EXTENSION_NAME, true) == extension;
}

/*
 * Tells whether the extension's schema has a function of that name.  A
 * database still at an older version of the extension lacks the functions
 * of newer features until ALTER EXTENSION UPDATE, and the worker then runs
 * without those features.
 */
bool
queue_function_exists(const char *name)
{
	List	   *names = list_make2(makeString(DELIVERY_EXTENSION_NAME),
								   makeString(pstrdup(name)));

	return FuncnameGetCandidates(names, -1, NIL, false, false, false,
								 true) != NULL;
}

/* Commits the transaction that queue_begin started. */
void
queue_commit(MemoryContext caller)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(true);
	pgstat_report_activity(STATE_IDLE, NULL);
	MemoryContextSwitchTo(caller);
}

/* Reads a text column of the current SPI row; NULL stays NULL. */
static char *
get_text(HeapTuple tuple, TupleDesc tupdesc, int column)
{
	bool		isnull;
	Datum		value = SPI_getbinval(tuple, tupdesc, column, &isnull);

	return isnull ? NULL : TextDatumGetCString(value);
}

/* Reads a column that otan_enbek.delivery_claim() never returns as NULL. */
static Datum
get_column(HeapTuple tuple, TupleDesc tupdesc, int column)
{
	bool		isnull;
	Datum		value = SPI_getbinval(tuple, tupdesc, column, &isnull);

	if (isnull)
		elog(ERROR, "otan_enbek.delivery_claim returned NULL in column %d",
			 column);
	return value;
}

/*
 * Builds a DeliveryItem from one row of otan_enbek.delivery_claim(), in the
 * current memory context.
 */
static DeliveryItem *
item_from_row(HeapTuple tuple, TupleDesc tupdesc)
{
	DeliveryItem *item = palloc0(sizeof(DeliveryItem));
	char	   *request = get_text(tuple, tupdesc, 3);

	item->org_id = DatumGetInt32(get_column(tuple, tupdesc, 1));
	item->submission_id = DatumGetInt64(get_column(tuple, tupdesc, 2));
	item->kind = strcmp(request, "send") == 0 ? DELIVERY_SEND : DELIVERY_STATUS;
	item->message_id = SPI_getvalue(tuple, tupdesc, 4);
	item->request_id = SPI_getvalue(tuple, tupdesc, 5);
	item->service_id = get_text(tuple, tupdesc, 6);
	item->document = get_text(tuple, tupdesc, 7);
	item->created_at = DatumGetTimestampTz(get_column(tuple, tupdesc, 8));
	item->attempts = DatumGetInt32(get_column(tuple, tupdesc, 9));
	item->failures = DatumGetInt32(get_column(tuple, tupdesc, 10));
	return item;
}

/*
 * Tells whether the function exists, such as
 * otan_enbek.delivery_target(integer,bigint).  A database still at version
 * 1.0 of the extension lacks the functions of the delivery profiles until
 * ALTER EXTENSION otan_enbek UPDATE.
 */
static bool
function_exists(const char *signature)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	bool		isnull;

	values[0] = CStringGetTextDatum(signature);
	if (SPI_execute_with_args("SELECT to_regprocedure($1) IS NOT NULL",
							  1, argtypes, values, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not look up function %s", signature);
	return DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0],
									  SPI_tuptable->tupdesc, 1, &isnull));
}

/*
 * Reads otan_enbek.delivery_next_due() of the profiles (NULL: every
 * profile); 0 when nothing is in delivery.
 */
static TimestampTz
query_next_due(const char *profiles)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		values[1];
	char		nulls[2] = " ";
	int			rc;
	bool		isnull;
	Datum		value;

	if (profiles == NULL)
		rc = SPI_execute("SELECT otan_enbek.delivery_next_due()", true, 1);
	else
	{
		values[0] = CStringGetTextDatum(profiles);
		rc = SPI_execute_with_args("SELECT otan_enbek.delivery_next_due($1::text[])",
								   1, argtypes, values, nulls, true, 1);
	}
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not read otan_enbek.delivery_next_due()");
	value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1,
						  &isnull);
	return isnull ? 0 : DatumGetTimestampTz(value);
}

/*
 * Claims up to batch_size due submissions of the profiles, a SQL array
 * literal such as {file} (NULL: every profile), and marks them sending.
 * Returns them as a list of DeliveryItem with their target, allocated in
 * the caller's memory context.  When none is due, *next_due receives the
 * time the next one will be (0 when none is in delivery).
 * *extension_missing is set when the extension was dropped.
 */
List *
delivery_queue_claim(int batch_size, const char *profiles,
					 TimestampTz *next_due, bool *extension_missing)
{
	MemoryContext caller = queue_begin("otan_enbek: claiming submissions");
	List	   *items = NIL;
	Oid			argtypes[2] = {INT4OID, TEXTOID};
	Datum		values[2];
	char		nulls[3] = "  ";
	MemoryContext old;
	uint64		i;
	ListCell   *lc;
	int			rc;

	*next_due = 0;
	*extension_missing = false;
	if (!queue_lock_extension())
	{
		*extension_missing = true;
		queue_commit(caller);
		return NIL;
	}

	/* a database at version 1.0 has no profiles but soap */
	if (profiles != NULL &&
		!function_exists("otan_enbek.delivery_claim(integer,text[])"))
	{
		queue_commit(caller);
		return NIL;
	}

	values[0] = Int32GetDatum(batch_size);
	values[1] = profiles ? CStringGetTextDatum(profiles) : (Datum) 0;
	if (profiles == NULL)
		rc = SPI_execute_with_args("SELECT * FROM otan_enbek.delivery_claim($1)",
								   1, argtypes, values, NULL, false, 0);
	else
		rc = SPI_execute_with_args("SELECT * FROM otan_enbek.delivery_claim($1, $2::text[])",
								   2, argtypes, values, nulls, false, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "could not run otan_enbek.delivery_claim()");

	/* The items outlive the transaction: build them in the caller's context */
	old = MemoryContextSwitchTo(caller);
	for (i = 0; i < SPI_processed; i++)
		items = lappend(items, item_from_row(SPI_tuptable->vals[i],
											 SPI_tuptable->tupdesc));
	MemoryContextSwitchTo(old);

	if (items != NIL &&
		function_exists("otan_enbek.delivery_target(integer,bigint)"))
		foreach(lc, items)
			delivery_target_load(lfirst(lc), caller);

	if (items == NIL)
		*next_due = query_next_due(profiles);

	queue_commit(caller);
	return items;
}

/*
 * Puts back in the queue the submissions left in state sending by a worker
 * that stopped.  Returns how many there were, or -1 when the extension is
 * gone.
 */
int
delivery_queue_requeue(void)
{
	MemoryContext caller = queue_begin("otan_enbek: requeueing submissions");
	bool		isnull;
	int			count = 0;
	int			rc;

	if (!queue_lock_extension())
	{
		queue_commit(caller);
		return -1;
	}

	rc = SPI_execute("SELECT otan_enbek.delivery_requeue()", false, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "could not run otan_enbek.delivery_requeue()");
	count = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
										SPI_tuptable->tupdesc, 1, &isnull));
	queue_commit(caller);
	return isnull ? 0 : count;
}

/* Datum of a text parameter, or a NULL flag when the string is NULL. */
static Datum
text_param(const char *value, char *null_flag)
{
	if (value == NULL)
	{
		*null_flag = 'n';
		return (Datum) 0;
	}
	*null_flag = ' ';
	return CStringGetTextDatum(value);
}

/*
 * Records with otan_enbek.delivery_record_written() that a profile wrote
 * the document for manual upload.
 */
static void
record_written(DeliveryItem *item, DeliveryVerdict *verdict)
{
	Oid			argtypes[5] = {INT4OID, INT8OID, TEXTOID, INT4OID, TEXTOID};
	Datum		values[5];
	char		nulls[6] = "     ";

	values[0] = Int32GetDatum(item->org_id);
	values[1] = Int64GetDatum(item->submission_id);
	values[2] = text_param(verdict->message, &nulls[2]);
	values[3] = Int32GetDatum(verdict->duration_ms);
	values[4] = text_param(verdict->detail, &nulls[4]);
	if (SPI_execute_with_args("SELECT otan_enbek.delivery_record_written($1, $2, $3, $4, $5::jsonb)",
							  5, argtypes, values, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not run otan_enbek.delivery_record_written()");
}

/*
 * Records the outcome of one request with otan_enbek.delivery_record():
 * the response or error, and the submission's new state.  Returns false when
 * the extension is gone.
 */
bool
delivery_queue_record(DeliveryItem *item, DeliveryVerdict *verdict,
					  const char *outcome, int failures, double delay_s)
{
	MemoryContext caller = queue_begin("otan_enbek: recording a response");
	Oid			argtypes[12] = {INT4OID, INT8OID, TEXTOID, TEXTOID, INT4OID,
		TEXTOID, TEXTOID, INT4OID, TEXTOID, TEXTOID, INT4OID, FLOAT8OID};
	Datum		values[12];
	char		nulls[13] = "            ";

	if (!queue_lock_extension())
	{
		queue_commit(caller);
		return false;
	}

	if (strcmp(outcome, "written") == 0)
	{
		record_written(item, verdict);
		queue_commit(caller);
		return true;
	}

	values[0] = Int32GetDatum(item->org_id);
	values[1] = Int64GetDatum(item->submission_id);
	values[2] = CStringGetTextDatum(item->kind == DELIVERY_SEND ?
									"send" : "status");
	values[3] = CStringGetTextDatum(outcome);
	values[4] = Int32GetDatum(verdict->http_status);
	if (verdict->http_status == 0)
		nulls[4] = 'n';
	values[5] = text_param(verdict->code, &nulls[5]);
	values[6] = text_param(verdict->message, &nulls[6]);
	values[7] = Int32GetDatum(verdict->duration_ms);
	values[8] = text_param(verdict->detail, &nulls[8]);
	values[9] = text_param(delivery_reasons_json(verdict->reasons), &nulls[9]);
	values[10] = Int32GetDatum(failures);
	values[11] = Float8GetDatum(delay_s);

	if (SPI_execute_with_args("SELECT otan_enbek.delivery_record($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb, $11, make_interval(secs => $12))",
							  12, argtypes, values, nulls, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not run otan_enbek.delivery_record()");
	queue_commit(caller);
	return true;
}
