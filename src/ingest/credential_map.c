/*-------------------------------------------------------------------------
 *
 * credential_map.c
 *	  The credentials of an organization that apply to one source, in a
 *	  hash table by kind and value, for the streaming ingest.
 *
 * The rule is that of reassign_credential_events: a credential applies on
 * the local dates from valid_from to valid_to, and one limited to the
 * source wins over one for every source.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/date.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "ingest/credential_map.h"
#include "ingest/ingest.h"

/* Key of the credential table: the kind's letter, then the value */
#define CREDENTIAL_KEY_SIZE (1 + INGEST_VALUE_SIZE)

/* One row of otan_enbek.credential */
typedef struct CredentialRule
{
	bool		own_source;		/* limited to the ingest's source */
	DateADT		valid_from;		/* DATEVAL_NOBEGIN when unbounded */
	DateADT		valid_to;		/* DATEVAL_NOEND when unbounded */
	int32		employee_id;
} CredentialRule;

typedef struct CredentialEntry
{
	char		key[CREDENTIAL_KEY_SIZE];
	int			count;
	int			size;
	CredentialRule *rules;
} CredentialEntry;

/* Builds the credential table's key of a kind and a value. */
static bool
credential_key(char *key, const char *kind, const char *value)
{
	size_t		len = strlen(value);

	if (len > INGEST_MAX_VALUE_BYTES)
		return false;
	key[0] = kind[0];
	memcpy(key + 1, value, len + 1);
	return true;
}

/*
 * Reads the credentials of the organization that apply to the source: its
 * own and those for every source.  A value longer than a parser ever
 * returns cannot match and is left out.
 */
HTAB *
credential_map_load(int32 org_id, int32 source_id)
{
	HASHCTL		ctl;
	HTAB	   *table;
	MemoryContext cxt = CurrentMemoryContext;
	Oid			argtypes[2] = {INT4OID, INT4OID};
	Datum		args[2] = {Int32GetDatum(org_id), Int32GetDatum(source_id)};
	uint64		i;

	ctl.keysize = CREDENTIAL_KEY_SIZE;
	ctl.entrysize = sizeof(CredentialEntry);
	ctl.hcxt = cxt;
	table = hash_create("otan_enbek credentials", 1024, &ctl,
						HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);

	SPI_connect();
	if (SPI_execute_with_args("SELECT kind, value, source_id IS NOT NULL,"
							  " valid_from, valid_to, employee_id"
							  " FROM otan_enbek.credential"
							  " WHERE org_id = $1"
							  " AND (source_id IS NULL OR source_id = $2)",
							  2, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading the credentials of organization %d failed",
			 org_id);
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char		key[CREDENTIAL_KEY_SIZE];
		char	   *kind = SPI_getvalue(tuple, desc, 1);
		char	   *value = SPI_getvalue(tuple, desc, 2);
		CredentialEntry *entry;
		CredentialRule *rule;
		bool		isnull;
		bool		found;
		Datum		d;

		if (!credential_key(key, kind, value))
			continue;
		entry = hash_search(table, key, HASH_ENTER, &found);
		if (!found)
		{
			entry->count = 0;
			entry->size = 2;
			entry->rules = MemoryContextAlloc(cxt, sizeof(CredentialRule) * 2);
		}
		else if (entry->count == entry->size)
		{
			entry->size *= 2;
			entry->rules = repalloc(entry->rules,
									sizeof(CredentialRule) * entry->size);
		}
		rule = &entry->rules[entry->count++];
		rule->own_source = DatumGetBool(SPI_getbinval(tuple, desc, 3, &isnull));
		d = SPI_getbinval(tuple, desc, 4, &isnull);
		rule->valid_from = isnull ? DATEVAL_NOBEGIN : DatumGetDateADT(d);
		d = SPI_getbinval(tuple, desc, 5, &isnull);
		rule->valid_to = isnull ? DATEVAL_NOEND : DatumGetDateADT(d);
		rule->employee_id = DatumGetInt32(SPI_getbinval(tuple, desc, 6,
														&isnull));
	}
	SPI_finish();
	return table;
}

/*
 * Finds the employee of a credential on a local date; false when none
 * matches.  A credential limited to the source wins over one for every
 * source, as in reassign_credential_events.
 */
bool
credential_map_lookup(HTAB *map, const char *kind, const char *value,
					  DateADT local_date, int32 *employee_id)
{
	char		key[CREDENTIAL_KEY_SIZE];
	CredentialEntry *entry;
	bool		found = false;
	int			i;

	if (!credential_key(key, kind, value))
		return false;
	entry = hash_search(map, key, HASH_FIND, NULL);
	if (entry == NULL)
		return false;
	for (i = 0; i < entry->count; i++)
	{
		CredentialRule *rule = &entry->rules[i];

		if (local_date < rule->valid_from || local_date > rule->valid_to)
			continue;
		if (rule->own_source)
		{
			*employee_id = rule->employee_id;
			return true;
		}
		if (!found)
		{
			*employee_id = rule->employee_id;
			found = true;
		}
	}
	return found;
}
