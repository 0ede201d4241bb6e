/*-------------------------------------------------------------------------
 *
 * listed_plans_int.h
 *	  What listed_plans.c reads and listed_pack.c classifies and packs.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_ATTENDANCE_LISTED_PLANS_INT_H
#define OTAN_ENBEK_ATTENDANCE_LISTED_PLANS_INT_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "utils/date.h"
#include "utils/timestamp.h"

/* Days of context that a plan has before and after its period */
#define PLAN_MARGIN_DAYS	2

/* Fields of an attendance_plan_shift after work_day, as a rule has them */
#define SHIFT_FIELDS		16

/* Kinds of a calendar day */
typedef enum CalendarKind
{
	CAL_NONE,					/* not listed: the Monday-to-Friday rule */
	CAL_HOLIDAY,
	CAL_DAY_OFF,
	CAL_WORKING
} CalendarKind;

/* One plan day of the calendar */
typedef struct PlanDate
{
	DateADT		day;
	CalendarKind kind;
	int32		iso_day;		/* 1 (Monday) to 7 */
	int32		utc_offset;
} PlanDate;

/* One shift rule of a schedule */
typedef struct ListedRule
{
	int32		day_no;
	Datum		values[SHIFT_FIELDS];
	bool		nulls[SHIFT_FIELDS];
} ListedRule;

/* A schedule with its rules, in day_no order */
typedef struct ListedSchedule
{
	int32		schedule_id;
	bool		rotation;
	bool		has_cycle;		/* rotation_anchor and rotation_days set */
	DateADT		anchor;
	int32		cycle_days;
	int32		first_day_no;
	int			nrules;
	ListedRule *rules;
} ListedSchedule;

/* What the plans of all listed employees share */
typedef struct ListedContext
{
	int32		org;
	DateADT		first_day;
	DateADT		last_day;
	TimestampTz as_of;
	int32		ndays;
	PlanDate   *dates;
	int			nschedules;
	ListedSchedule *schedules;
	/* organization settings */
	text	   *time_zone;
	bool		has_default_schedule;
	int32		default_schedule;
	int32		dedup_window_sec;
	bool		split_at_midnight;
	bool		close_missing_exit;
	/* the composite types that attendance_plan reads */
	TupleDesc	day_desc;
	TupleDesc	shift_desc;
} ListedContext;

extern void att_listed_read_types(ListedContext *cxt);
extern bytea *att_listed_pack_plan(ListedContext *cxt, const int32 *schedules,
								   const bool *scheduled);

#endif							/* OTAN_ENBEK_ATTENDANCE_LISTED_PLANS_INT_H */
