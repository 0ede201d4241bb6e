/*-------------------------------------------------------------------------
 *
 * scan.h
 *	  Attendance of many employees in one pass over their events.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_ATTENDANCE_SCAN_H
#define OTAN_ENBEK_ATTENDANCE_SCAN_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "fmgr.h"
#include "utils/array.h"

#include "attendance/attendance.h"

/*
 * Rows that a parallel worker forms for the caller: each day as a minimal
 * tuple of desc, the employee id followed by the ATT_FIGURES_NATTS fields
 * of att_day_values.  The leader hands each such row to store with the
 * sink's argument, instead of handing the day to the sink.
 */
typedef struct AttRowForm
{
	TupleDesc	desc;
	void		(*store) (void *arg, MinimalTuple row);
} AttRowForm;

/* Which employees and events att_scan_days reads */
typedef struct AttScanArgs
{
	int32		org;
	DateADT		first_day;
	DateADT		last_day;
	TimestampTz fetch_from;		/* events in [fetch_from, fetch_to) */
	TimestampTz fetch_to;
	ArrayType  *employee_ids;	/* NULL for every employee */
	bool		has_lo;			/* employee ids from lo */
	bool		has_hi;			/* employee ids up to hi */
	int32		lo;
	int32		hi;
	int			worker_percent; /* share of the employees that a parallel
								 * worker may compute, 0 for none */
	const AttRowForm *rows;		/* the worker forms rows, or NULL */
} AttScanArgs;

/* Receives one computed day of an employee */
typedef void (*AttDaySink) (void *arg, int32 employee_id,
							const AttDayResult *r, const int64 *ids);

/* A parallel worker computing part of the employees (parallel.c) */
typedef struct AttParallel AttParallel;

extern PGDLLIMPORT int otan_enbek_attendance_parallel_min_employees;

/* parallel.c */
extern void att_parallel_define_settings(void);

/* compute_days.c */
extern void att_scan_args(FunctionCallInfo fcinfo, AttScanArgs *args);

/* scan.c */
extern void att_scan_days(const AttScanArgs *args, AttDaySink sink,
						  void *arg);

#endif							/* OTAN_ENBEK_ATTENDANCE_SCAN_H */
