/*-------------------------------------------------------------------------
 *
 * listed_plans.h
 *	  Work plans of a list of employees, built from single-table reads.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_ATTENDANCE_LISTED_PLANS_H
#define OTAN_ENBEK_ATTENDANCE_LISTED_PLANS_H

#include "postgres.h"

#include "utils/array.h"
#include "utils/date.h"
#include "utils/timestamp.h"

/* Receives the plan of one employee and its employment dates */
typedef void (*AttListedPlanSink) (void *arg, int32 employee_id, bytea *plan,
								   DateADT emit_from, DateADT emit_to);

extern void att_listed_plans(int32 org, DateADT first_day, DateADT last_day,
							 TimestampTz as_of, ArrayType *employee_ids,
							 AttListedPlanSink emit, void *arg);

#endif							/* OTAN_ENBEK_ATTENDANCE_LISTED_PLANS_H */
