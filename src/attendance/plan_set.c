/*-------------------------------------------------------------------------
 *
 * plan_set.c
 *	  A set of distinct plans, each copied and checked once.
 *
 * Most employees share their plan with others: the same schedules give
 * the same bytes.  A computation keeps one copy of each distinct plan,
 * found by the hash of its bytes, and checks the bytes before their first
 * use.  The aggregate keeps a set per query, the scan one per scan.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"

#include "attendance/attendance.h"
#include "attendance/plan_set.h"

/* Makes an empty set whose copies live in cxt. */
void
att_plan_set_init(AttPlanSet *set, MemoryContext cxt)
{
	memset(set, 0, sizeof(AttPlanSet));
	set->cxt = cxt;
}

/*
 * Returns the set's copy of the plan in data[0..len): an earlier copy with
 * the same bytes when there is one, else a new copy, checked first.
 */
const AttPlanHeader *
att_plan_set_intern(AttPlanSet *set, const char *data, Size len)
{
	uint32		hash = hash_bytes((const unsigned char *) data, (int) len);
	AttPlanSetEntry **bucket = &set->buckets[hash % ATT_PLAN_SET_BUCKETS];
	AttPlanSetEntry *entry;
	AttPlanHeader *plan;

	for (entry = *bucket; entry != NULL; entry = entry->next)
		if (entry->hash == hash && VARSIZE(entry->plan) == len + VARHDRSZ &&
			memcmp(VARDATA(entry->plan), data, len) == 0)
			return entry->plan;

	plan = MemoryContextAlloc(set->cxt, len + VARHDRSZ);
	SET_VARSIZE(plan, len + VARHDRSZ);
	memcpy(VARDATA(plan), data, len);
	att_plan_check(plan, len + VARHDRSZ);

	entry = MemoryContextAlloc(set->cxt, sizeof(AttPlanSetEntry));
	entry->hash = hash;
	entry->plan = plan;
	entry->next = *bucket;
	*bucket = entry;
	return plan;
}
