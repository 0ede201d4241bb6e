/*-------------------------------------------------------------------------
 *
 * attendance.h
 *	  Work plans, punches and day figures of the attendance engine.
 *
 * The engine has these parts.  plan.c packs and checks the work plan of a
 * period, which describes what each local date expects.  aggregate.c
 * collects an employee's punches in the attendance_days aggregate.
 * engine.c turns a plan and the punches into pairs per work day, and day.c
 * finishes the figures of each day.  trace.c writes the steps out for
 * otan_enbek.explain_attendance.
 *
 * Times inside the engine are whole seconds since 2000-01-01 00:00 UTC (the
 * PostgreSQL epoch); sub-second parts of event times are dropped.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_ATTENDANCE_H
#define OTAN_ENBEK_ATTENDANCE_H

#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/date.h"
#include "utils/timestamp.h"

/* Version of the packed plan layout, raised whenever a field changes */
#define ATT_PLAN_VERSION	2

/* Limits that keep a plan small enough to be copied per group. */
#define ATT_PLAN_MAX_DAYS	1000
#define ATT_MAX_SHIFTS_PER_DAY	8

/* Day kinds, in the words of attendance_day.day_kind */
#define ATT_KIND_WORK		1
#define ATT_KIND_WEEKEND	2
#define ATT_KIND_HOLIDAY	3
#define ATT_KIND_DAY_OFF	4

/* Punch directions */
#define ATT_DIR_NONE		0
#define ATT_DIR_IN			1
#define ATT_DIR_OUT			2

/* Plan flags: the organization's policies */
#define ATT_PLAN_SPLIT_AT_MIDNIGHT	0x0001
#define ATT_PLAN_CLOSE_MISSING_EXIT	0x0002

/* Shift flags */
#define ATT_SHIFT_ALLOW_OVERTIME	0x0001
#define ATT_SHIFT_COUNT_EARLY		0x0002
#define ATT_SHIFT_HAS_BREAK			0x0004
#define ATT_SHIFT_HAS_DEDUCT		0x0008
#define ATT_SHIFT_HAS_CORE			0x0010

/*
 * Shift kinds.  A fixed shift is due from start to end.  A flexible shift
 * is a band from start to end in which daily_norm seconds are due, with
 * optional core hours in which the employee must be present.
 */
#define ATT_SHIFT_FIXED		0
#define ATT_SHIFT_FLEXIBLE	1

/* Anomaly flags of a day, in the order they are listed in anomalies[] */
#define ATT_ANOM_MISSING_ENTRY			0x0001
#define ATT_ANOM_MISSING_EXIT			0x0002
#define ATT_ANOM_CONSECUTIVE_ENTRIES	0x0004
#define ATT_ANOM_DIRECTION_INFERRED		0x0008
#define ATT_ANOM_ABSENT					0x0010
#define ATT_ANOM_NO_SCHEDULE			0x0020
#define ATT_ANOM_OUTSIDE_EMPLOYMENT		0x0040
#define ATT_ANOM_ZERO_LENGTH_PAIR		0x0080
#define ATT_ANOM_GAP					0x0100
#define ATT_ANOM_OUTSIDE_WINDOW			0x0200
#define ATT_ANOM_COUNT					10

#define ATT_SECS_PER_DAY	86400

/*
 * Header of a packed plan (a bytea).  The day array follows the header and
 * the shift array follows the days.  All three are 8-byte aligned.
 */
typedef struct AttPlanHeader
{
	int32		vl_len_;		/* varlena header, do not touch directly */
	uint16		version;		/* ATT_PLAN_VERSION */
	uint16		flags;			/* ATT_PLAN_* flags */
	DateADT		first_day;		/* local date of day 0 */
	int32		ndays;
	int32		nshifts;
	DateADT		period_first;	/* dates whose figures are returned */
	DateADT		period_last;
	int32		dedup_window_sec;
	int64		as_of;			/* days whose window ends by then are final */
} AttPlanHeader;

/* One local date of a plan */
typedef struct AttPlanDay
{
	int64		midnight;		/* local midnight, seconds since 2000 UTC */
	int32		utc_offset;		/* seconds east of UTC on that date */
	int32		schedule_id;	/* 0 when no schedule applies */
	int16		first_shift;	/* index of the day's first shift */
	int16		nshifts;
	int16		kind;			/* ATT_KIND_* */
	int16		pad;
} AttPlanDay;

/*
 * One shift of a date.  Times are seconds from the date's local midnight,
 * and the end passes 86400 for a shift that ends the next day.  On a work
 * day the shifts are due.  On other days they only guide the attribution of
 * punches, and their break is still not working time.
 */
typedef struct AttPlanShift
{
	int32		start;
	int32		end;
	int32		break_start;	/* valid with ATT_SHIFT_HAS_BREAK */
	int32		break_end;
	int32		grace_late;
	int32		grace_early;
	int32		window_before;
	int32		window_after;
	int32		min_overtime;
	int32		break_after;	/* with ATT_SHIFT_HAS_DEDUCT: presence that */
	int32		break_deduct;	/* costs break_deduct seconds of worked time */
	int32		core_start;		/* with ATT_SHIFT_HAS_CORE, like start */
	int32		core_end;
	int32		daily_norm;		/* seconds due on a flexible shift's day */
	int16		kind;			/* ATT_SHIFT_* kind */
	int16		flags;			/* ATT_SHIFT_* flags */
} AttPlanShift;

#define ATT_PLAN_HEADER_SIZE	MAXALIGN(sizeof(AttPlanHeader))

static inline const AttPlanDay *
att_plan_days(const AttPlanHeader *plan)
{
	return (const AttPlanDay *) ((const char *) plan + ATT_PLAN_HEADER_SIZE);
}

static inline const AttPlanShift *
att_plan_shifts(const AttPlanHeader *plan)
{
	return (const AttPlanShift *) ((const char *) att_plan_days(plan) +
								   plan->ndays * sizeof(AttPlanDay));
}

static inline Size
att_plan_size(int32 ndays, int32 nshifts)
{
	return ATT_PLAN_HEADER_SIZE + ndays * sizeof(AttPlanDay) +
		nshifts * sizeof(AttPlanShift);
}

/* A punch as the aggregate keeps it: 16 bytes */
typedef struct AttPunch
{
	int64		event_id;
	int32		t;				/* seconds after the state's base time */
	int16		dir;			/* ATT_DIR_* */
	int16		pad;
} AttPunch;

/* Transition state of the attendance_days aggregate */
typedef struct AttState
{
	const AttPlanHeader *plan;	/* NULL until the plan row is seen */
	DateADT		emit_from;		/* employment dates within the period */
	DateADT		emit_to;
	bool		has_base;
	int64		base;			/* seconds since 2000 UTC of t = 0 */
	int32		npunches;
	int32		capacity;
	AttPunch   *punches;
} AttState;

/* Figures of one work day, as engine.c computes them */
typedef struct AttDayResult
{
	DateADT		work_day;
	int32		schedule_id;
	int16		kind;
	bool		is_final;
	bool		has_shift;
	bool		has_first_in;
	bool		has_last_out;
	bool		has_late;
	bool		has_early_leave;
	int64		shift_start;
	int64		shift_end;
	int64		due_start;		/* lateness is counted from here */
	int64		due_end;		/* early leave is counted to here */
	int64		first_in;
	int64		last_out;
	int32		present;
	int32		worked;
	int32		late;
	int32		early_leave;
	int32		early_arrival;
	int32		overtime;
	int32		night;
	int32		norm;			/* scheduled seconds of a work day */
	int32		punch_count;
	uint32		anomalies;		/* ATT_ANOM_* bits */
	int32		first_event;	/* slice of AttResult.event_ids */
} AttDayResult;

/* Everything the engine returns for one employee */
typedef struct AttResult
{
	int32		ndays;
	AttDayResult *days;
	int64	   *event_ids;		/* kept punches, grouped by day in time order */
} AttResult;

/* Fields of otan_enbek.attendance_day_figures */
#define ATT_FIGURES_NATTS	19

/* Whole seconds since 2000 UTC of a timestamp, rounded down */
static inline int64
att_timestamp_seconds(TimestampTz ts)
{
	return ts >= 0 ? ts / USECS_PER_SEC :
		-((-ts + USECS_PER_SEC - 1) / USECS_PER_SEC);
}

/* aggregate.c */
extern void att_state_init(AttState *state, MemoryContext cxt);
extern void att_state_append(AttState *state, int64 t, int16 dir,
							 int64 event_id);
extern void att_day_values(const AttDayResult *r, const int64 *ids,
						   Datum *values, bool *nulls);

/* plan.c */
extern void att_plan_check(const AttPlanHeader *plan, Size size);
extern const char *att_kind_name(int16 kind);

/* engine.c */
extern void att_compute(const AttPlanHeader *plan, DateADT emit_from,
						DateADT emit_to, int64 base, const AttPunch *punches,
						int32 npunches, AttResult *result, StringInfo trace);
extern const char *att_anomaly_name(int bit_no);

/* trace.c */
extern void att_trace_punch(StringInfo trace, int64 event_id, int64 t,
							int16 dir, bool inferred, DateADT day,
							const char *action, int64 kept_event_id);
extern void att_trace_pair(StringInfo trace, DateADT day, int64 a, int64 b,
						   int64 present, int64 worked, int64 early_arrival,
						   int64 overtime, int64 night);
extern void att_trace_note(StringInfo trace, DateADT day, const char *figure,
						   const char *how);
extern void att_trace_day(StringInfo trace, const AttDayResult *r,
						  const AttPlanDay *d, const AttPlanShift *shifts,
						  int64 present);

#endif							/* OTAN_ENBEK_ATTENDANCE_H */
