/*-------------------------------------------------------------------------
 *
 * plan_set.h
 *	  A set of distinct plans, each copied and checked once.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_ATTENDANCE_PLAN_SET_H
#define OTAN_ENBEK_ATTENDANCE_PLAN_SET_H

#include "attendance/attendance.h"

#define ATT_PLAN_SET_BUCKETS	64

/* One distinct plan of a set */
typedef struct AttPlanSetEntry
{
	uint32		hash;
	AttPlanHeader *plan;
	struct AttPlanSetEntry *next;
} AttPlanSetEntry;

/* Distinct plans found by the hash of their bytes */
typedef struct AttPlanSet
{
	MemoryContext cxt;			/* holds the copies and the entries */
	AttPlanSetEntry *buckets[ATT_PLAN_SET_BUCKETS];
} AttPlanSet;

extern void att_plan_set_init(AttPlanSet *set, MemoryContext cxt);
extern const AttPlanHeader *att_plan_set_intern(AttPlanSet *set,
												const char *data, Size len);

#endif							/* OTAN_ENBEK_ATTENDANCE_PLAN_SET_H */
