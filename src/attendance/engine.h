/*-------------------------------------------------------------------------
 *
 * engine.h
 *	  State of the attendance engine shared by engine.c and day.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_ATTENDANCE_ENGINE_H
#define OTAN_ENBEK_ATTENDANCE_ENGINE_H

#include "attendance/attendance.h"

/* Running figures of one plan day */
typedef struct DayWork
{
	int64		open_entry;		/* time of the entry waiting for an exit */
	int64		first_in;
	int64		last_out;
	int64		present;
	int64		worked;
	int64		early_arrival;
	int64		overtime;
	int64		night;
	int32		punch_count;
	uint32		anomalies;
	int16		first_dir;
	int16		last_dir;
	bool		has_open;
	bool		has_first_in;
	bool		has_last_out;
} DayWork;

typedef struct Engine
{
	const AttPlanHeader *plan;
	const AttPlanDay *days;
	const AttPlanShift *shifts;
	int32		ndays;
	DayWork    *work;
	StringInfo	trace;			/* NULL unless explaining */
} Engine;

/*
 * Returns the local midnight of day index k, extrapolated by whole days
 * outside the plan.
 */
static inline int64
midnight_of(const Engine *e, int32 k)
{
	if (k < 0)
		return e->days[0].midnight + (int64) k * ATT_SECS_PER_DAY;
	if (k >= e->ndays)
		return e->days[e->ndays - 1].midnight +
			(int64) (k - e->ndays + 1) * ATT_SECS_PER_DAY;
	return e->days[k].midnight;
}

/* engine.c */
extern void att_record_pair(Engine *e, int32 k, int64 a, int64 b);

/* day.c */
extern void att_close_missing_exit(Engine *e, int32 k);
extern void att_finish_day(const Engine *e, int32 k, bool employed,
						   AttDayResult *r);

#endif							/* OTAN_ENBEK_ATTENDANCE_ENGINE_H */
