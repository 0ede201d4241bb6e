/*-------------------------------------------------------------------------
 *
 * profile.c
 *	  The registry of delivery profiles, and what a profile is given.
 *
 * A profile is a row of delivery_profiles below.  To add one, write its
 * deliver function (see profile.h), add it here, and allow its name in the
 * CHECK constraints of org_delivery.profile and submission.profile.  The
 * README section "Adding a delivery profile" describes the steps.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "delivery/profile.h"

static const DeliveryProfile delivery_profiles[] = {
	{"soap", true, NULL, delivery_exchange_many},
	{"file", false, file_profile_deliver, NULL},
};

/*
 * Returns the profiles that do not use otan_enbek.enbek_url as a SQL array
 * literal, such as {file}, or NULL when every profile uses it.  The worker
 * claims only these while the endpoint cannot be used.
 */
const char *
delivery_profiles_without_endpoint(void)
{
	static char *literal = NULL;
	StringInfoData buffer;

	if (literal != NULL)
		return literal[0] == '\0' ? NULL : literal;

	initStringInfo(&buffer);
	for (size_t i = 0; i < lengthof(delivery_profiles); i++)
	{
		if (delivery_profiles[i].uses_endpoint)
			continue;
		appendStringInfoString(&buffer, buffer.len == 0 ? "{" : ",");
		appendStringInfoString(&buffer, delivery_profiles[i].name);
	}
	if (buffer.len > 0)
		appendStringInfoChar(&buffer, '}');
	literal = MemoryContextStrdup(TopMemoryContext, buffer.data);
	pfree(buffer.data);
	return literal[0] == '\0' ? NULL : literal;
}

/*
 * A transient verdict for a submission whose profile is missing from this
 * library (a newer version created it), so that it fails after
 * max_attempts unless a library with the profile is installed meanwhile.
 */
static DeliveryVerdict *
unknown_profile_verdict(DeliveryItem *item, const char *name)
{
	DeliveryVerdict *verdict;

	ereport(WARNING,
			(errmsg("otan_enbek submission %lld has the unknown delivery profile \"%s\"",
					(long long) item->submission_id, name)));
	verdict = palloc0(sizeof(DeliveryVerdict));
	verdict->kind = VERDICT_TRANSIENT;
	verdict->retry_after_s = -1;
	verdict->message = psprintf("unknown delivery profile \"%s\"", name);
	verdict->detail = psprintf("{\"request\": \"send\", \"internal_error\": true}");
	return verdict;
}

/* Returns the profile name of a claimed submission. */
static const char *
profile_name_of(const DeliveryItem *item)
{
	return item->target ? item->target->profile : "soap";
}

/*
 * Delivers claimed submissions with their profiles and returns one verdict
 * per item, in the order of items.  The submissions of a profile with
 * deliver_many go to it together.
 */
DeliveryVerdict **
delivery_profile_deliver_many(DeliveryItem **items, int count)
{
	DeliveryVerdict **verdicts = palloc0(sizeof(DeliveryVerdict *) * count);
	DeliveryItem **group = palloc(sizeof(DeliveryItem *) * count);
	int		   *positions = palloc(sizeof(int) * count);
	int			i;

	for (size_t p = 0; p < lengthof(delivery_profiles); p++)
	{
		const DeliveryProfile *profile = &delivery_profiles[p];
		DeliveryVerdict **group_verdicts;
		int			n = 0;

		for (i = 0; i < count; i++)
			if (strcmp(profile_name_of(items[i]), profile->name) == 0)
			{
				group[n] = items[i];
				positions[n++] = i;
			}
		if (n == 0)
			continue;
		if (profile->deliver_many != NULL)
		{
			group_verdicts = profile->deliver_many(group, n);
			for (i = 0; i < n; i++)
				verdicts[positions[i]] = group_verdicts[i];
		}
		else
			for (i = 0; i < n; i++)
				verdicts[positions[i]] = profile->deliver(group[i]);
	}

	for (i = 0; i < count; i++)
		if (verdicts[i] == NULL)
			verdicts[i] = unknown_profile_verdict(items[i],
												  profile_name_of(items[i]));
	pfree(group);
	pfree(positions);
	return verdicts;
}

/* Reads a text column of the current SPI row into context; NULL stays NULL. */
static char *
copy_text(HeapTuple tuple, TupleDesc tupdesc, int column,
		  MemoryContext context)
{
	bool		isnull;
	Datum		value = SPI_getbinval(tuple, tupdesc, column, &isnull);

	if (isnull)
		return NULL;
	return MemoryContextStrdup(context, TextDatumGetCString(value));
}

/* Reads an integer column that delivery_target() never returns as NULL. */
static int32
get_int32(HeapTuple tuple, TupleDesc tupdesc, int column)
{
	bool		isnull;
	Datum		value = SPI_getbinval(tuple, tupdesc, column, &isnull);

	if (isnull)
		elog(ERROR, "otan_enbek.delivery_target returned NULL in column %d",
			 column);
	return DatumGetInt32(value);
}

/*
 * Loads item->target with otan_enbek.delivery_target(), allocated in
 * context.  Runs in the claim's transaction, with SPI connected.
 */
void
delivery_target_load(DeliveryItem *item, MemoryContext context)
{
	Oid			argtypes[2] = {INT4OID, INT8OID};
	Datum		values[2];
	DeliveryTarget *target;
	HeapTuple	tuple;
	TupleDesc	tupdesc;

	values[0] = Int32GetDatum(item->org_id);
	values[1] = Int64GetDatum(item->submission_id);
	if (SPI_execute_with_args("SELECT * FROM otan_enbek.delivery_target($1, $2)",
							  2, argtypes, values, NULL, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not read otan_enbek.delivery_target(%d, %lld)",
			 item->org_id, (long long) item->submission_id);

	tuple = SPI_tuptable->vals[0];
	tupdesc = SPI_tuptable->tupdesc;
	target = MemoryContextAllocZero(context, sizeof(DeliveryTarget));
	target->profile = copy_text(tuple, tupdesc, 1, context);
	target->sender_id = copy_text(tuple, tupdesc, 2, context);
	target->file_dir = copy_text(tuple, tupdesc, 3, context);
	target->bin = copy_text(tuple, tupdesc, 4, context);
	target->period = copy_text(tuple, tupdesc, 5, context);
	target->timesheet_id = get_int32(tuple, tupdesc, 6);
	target->part_no = get_int32(tuple, tupdesc, 7);
	target->part_count = get_int32(tuple, tupdesc, 8);
	target->document_sha256 = copy_text(tuple, tupdesc, 9, context);
	if (target->profile == NULL)
		target->profile = MemoryContextStrdup(context, "soap");
	item->target = target;
}
