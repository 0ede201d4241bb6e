/*-------------------------------------------------------------------------
 *
 * wake.c
 *	  Waking the delivery worker when a transaction that queued work commits.
 *
 * otan_enbek.wake_delivery() arms a transaction callback; when the
 * transaction commits, the callback sets the latch of the database's worker,
 * or requests one from the launcher.  Waking at commit, not at the call, is
 * what lets the worker see the new rows at once, and a transaction that
 * rolls back wakes no worker.  An idle worker therefore runs no SQL: it sleeps
 * until it is woken or until its next retry or status query is due.
 *
 * DROP EXTENSION wakes the worker the same way, through an object access
 * hook, so that it notices the extension is gone and exits (it would
 * otherwise keep the database busy and block DROP DATABASE).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"

#include "otan_enbek.h"
#include "delivery/delivery.h"

PG_FUNCTION_INFO_V1(otan_enbek_wake_delivery);
PG_FUNCTION_INFO_V1(otan_enbek_delivery_worker_info);

static bool wake_pending = false;
static bool callback_registered = false;
static object_access_hook_type prev_object_access_hook = NULL;

/* Wakes the worker at commit; drops the wake-up at abort. */
static void
wake_xact_callback(XactEvent event, void *arg pg_attribute_unused())
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
			if (wake_pending)
			{
				wake_pending = false;
				delivery_registry_wake(MyDatabaseId);
			}
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			wake_pending = false;
			break;

			/*
			 * NOTE: a prepared transaction wakes no worker when it is
			 * committed later.  Its rows are sent at the worker's next
			 * wake-up.
			 */
		case XACT_EVENT_PREPARE:
			wake_pending = false;
			break;
		default:
			break;
	}
}

/* Arms the wake-up of this database's worker for the end of the transaction. */
void
delivery_wake_at_commit(void)
{
	if (!delivery_registry_available())
		return;
	if (!callback_registered)
	{
		RegisterXactCallback(wake_xact_callback, NULL);
		callback_registered = true;
	}
	wake_pending = true;
}

/*
 * Wakes the worker when this extension is dropped, so that it exits.  The
 * extension's row still exists when OAT_DROP is reported.
 */
static void
delivery_object_access(ObjectAccessType access, Oid classId, Oid objectId,
					   int subId, void *arg)
{
	if (prev_object_access_hook)
		prev_object_access_hook(access, classId, objectId, subId, arg);

	if (access == OAT_DROP && classId == ExtensionRelationId &&
		objectId == get_extension_oid(DELIVERY_EXTENSION_NAME, true))
		delivery_wake_at_commit();
}

/* Installs the object access hook; called once in the postmaster. */
void
delivery_install_drop_hook(void)
{
	prev_object_access_hook = object_access_hook;
	object_access_hook = delivery_object_access;
}

/*
 * SQL function otan_enbek.wake_delivery(): wakes this database's worker when
 * the calling transaction commits.  Raises an error when the library is not
 * preloaded, because no worker would ever send the submission.
 */
Datum
otan_enbek_wake_delivery(PG_FUNCTION_ARGS)
{
	delivery_require_preloaded();
	delivery_wake_at_commit();
	PG_RETURN_VOID();
}

/*
 * SQL function otan_enbek.delivery_worker_info(): whether the library is
 * preloaded, the pid and state of this database's worker, and what keeps
 * the endpoint from being used (NULL when nothing does).
 */
Datum
otan_enbek_delivery_worker_info(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};
	const char *problem;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	values[0] = BoolGetDatum(delivery_registry_available());
	if (delivery_registry_available())
	{
		int			pid;
		const char *state = delivery_registry_state(MyDatabaseId, &pid);

		if (pid != 0)
			values[1] = Int32GetDatum(pid);
		else
			nulls[1] = true;
		values[2] = CStringGetTextDatum(state);
	}
	else
	{
		nulls[1] = true;
		values[2] = CStringGetTextDatum("not loaded");
	}

	problem = delivery_endpoint_problem(otan_enbek_enbek_url);
	if (problem != NULL)
		values[3] = CStringGetTextDatum(problem);
	else
		nulls[3] = true;

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
