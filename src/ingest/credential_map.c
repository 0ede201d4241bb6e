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
#include "common/hashfn.h"
#include "executor/spi.h"
#include "utils/date.h"
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

/* The rules of one kind and value */
typedef struct CredentialEntry
{
	const char *key;			/* the kind's letter, then the value */
	uint32		hash;			/* hash of key */
	char		status;
	int			count;
	int			size;
	CredentialRule *rules;
} CredentialEntry;

/*
 * Open addressing with each key's hash stored, so that a lookup compares
 * strings only when the hashes are equal.  A dynahash table, with its
 * chained buckets, took about 4% of a profiled ingest of 2.5 million
 * events.
 */
#define SH_PREFIX credential_hash
#define SH_ELEMENT_TYPE CredentialEntry
#define SH_KEY_TYPE const char *
#define SH_KEY key
#define SH_HASH_KEY(tb, key) \
	hash_bytes((const unsigned char *) (key), strlen(key))
#define SH_EQUAL(tb, a, b) (strcmp((a), (b)) == 0)
#define SH_STORE_HASH
#define SH_GET_HASH(tb, a) ((a)->hash)
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

struct CredentialMap
{
	credential_hash_hash *table;
};

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
CredentialMap *
credential_map_load(int32 org_id, int32 source_id)
{
	MemoryContext cxt = CurrentMemoryContext;
	CredentialMap *map = palloc(sizeof(CredentialMap));
	Oid			argtypes[2] = {INT4OID, INT4OID};
	Datum		args[2] = {Int32GetDatum(org_id), Int32GetDatum(source_id)};
	uint64		i;

	SPI_connect();
	if (SPI_execute_with_args("SELECT kind, value, source_id IS NOT NULL,"
							  " valid_from, valid_to, employee_id"
							  " FROM otan_enbek.credential"
							  " WHERE org_id = $1"
							  " AND (source_id IS NULL OR source_id = $2)",
							  2, argtypes, args, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "reading the credentials of organization %d failed",
			 org_id);
	map->table = credential_hash_create(cxt, Max(SPI_processed, 16), NULL);
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
		entry = credential_hash_insert(map->table, key, &found);
		if (!found)
		{
			/* the table keeps the pointer, so the key moves to cxt */
			entry->key = MemoryContextStrdup(cxt, key);
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
	return map;
}

/*
 * Finds the employee of a credential on a local date; false when none
 * matches.  A credential limited to the source wins over one for every
 * source, as in reassign_credential_events.
 */
bool
credential_map_lookup(CredentialMap *map, const char *kind, const char *value,
					  DateADT local_date, int32 *employee_id)
{
	char		key[CREDENTIAL_KEY_SIZE];
	CredentialEntry *entry;
	bool		found = false;
	int			i;

	if (!credential_key(key, kind, value))
		return false;
	entry = credential_hash_lookup(map->table, key);
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
