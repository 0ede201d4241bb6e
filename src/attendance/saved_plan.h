/*-------------------------------------------------------------------------
 *
 * saved_plan.h
 *	  SPI queries whose plans are kept for the rest of the session.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_ATTENDANCE_SAVED_PLAN_H
#define OTAN_ENBEK_ATTENDANCE_SAVED_PLAN_H

#include "postgres.h"

#include "executor/spi.h"

extern ParamListInfo att_make_params(int n, const Oid *types,
									 const Datum *values, const bool *nulls);
extern int	att_execute_saved(const char *sql, int nargs, const Oid *types,
							  const SPIExecuteOptions *options);
extern int	att_execute_saved_pruned(const char *sql, int nargs,
									 const Oid *types,
									 const SPIExecuteOptions *options);

#endif							/* OTAN_ENBEK_ATTENDANCE_SAVED_PLAN_H */
