/*-------------------------------------------------------------------------
 *
 * overtime_limits.h
 *	  Overtime limit flags of the days that attendance_write_days writes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_ATTENDANCE_OVERTIME_LIMITS_H
#define OTAN_ENBEK_ATTENDANCE_OVERTIME_LIMITS_H

#include "attendance/scan.h"

/* Bits of a limit mask, in the order the flags follow the anomalies */
#define ATT_LIMIT_DAY		0x1
#define ATT_LIMIT_MONTH		0x2
#define ATT_LIMIT_YEAR		0x4

/*
 * Running overtime totals of one employee at a time, with the totals
 * stored before the period and the organization's heavy work schedules
 */
typedef struct AttOvertimeLimits
{
	DateADT		first_day;
	int			first_year;
	int			first_month;
	int			ncarries;
	int32	   *carry_employees;	/* sorted employee ids */
	int64	   *carry_month_sec;	/* overtime of first_day's month before it */
	int64	   *carry_year_sec;		/* overtime of first_day's year before it */
	int			nheavy;
	int32	   *heavy_schedules;	/* sorted schedule ids */
	bool		started;
	int32		employee_id;	/* employee of the previous day */
	DateADT		last_day;		/* previous day */
	int			year;			/* calendar year and month of the totals */
	int			month;
	int64		month_sec;
	int64		year_sec;
} AttOvertimeLimits;

extern void att_limits_init(AttOvertimeLimits *limits,
							const AttScanArgs *args);
extern uint32 att_limits_next(AttOvertimeLimits *limits, int32 employee_id,
							  const AttDayResult *r);
extern Datum att_limits_anomalies(uint32 anomalies, uint32 limit_mask);

#endif							/* OTAN_ENBEK_ATTENDANCE_OVERTIME_LIMITS_H */
