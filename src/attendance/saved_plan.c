/*-------------------------------------------------------------------------
 *
 * saved_plan.c
 *	  SPI queries whose plans are kept for the rest of the session.
 *
 * A refresh of a few employee-days runs the same few queries each time,
 * and planning them costs more than running them.  att_execute_saved
 * prepares a query on its first call in a session, keeps the prepared
 * statement (SPI_keepplan) and runs it again on every later call with the
 * same text.  The statement is prepared with CURSOR_OPT_GENERIC_PLAN, so a
 * session plans each query once, without the parameters' values.  A query
 * run this way must therefore have a good plan without constant folding of
 * its parameters.
 *
 * The kept statements are cached plans of PostgreSQL's plan cache, which
 * replans them whenever something they depend on changes: a table, index
 * or partition of skud_event, or the statistics.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "nodes/parsenodes.h"
#include "utils/memutils.h"

#include "attendance/saved_plan.h"

/* A statement kept for the session, found by its query text */
typedef struct SavedPlan
{
	char	   *sql;
	int			nargs;
	SPIPlanPtr	plan;
	struct SavedPlan *next;
} SavedPlan;

/* The session's statements, in a list because there are few */
static SavedPlan *saved_plans = NULL;

/* Returns the kept statement of a query, preparing it on first use. */
static SPIPlanPtr
saved_plan(const char *sql, int nargs, const Oid *types)
{
	SavedPlan  *entry;
	SPIPlanPtr	plan;

	for (entry = saved_plans; entry != NULL; entry = entry->next)
		if (entry->nargs == nargs && strcmp(entry->sql, sql) == 0)
			return entry->plan;

	plan = SPI_prepare_cursor(sql, nargs, unconstify(Oid *, types),
							  CURSOR_OPT_GENERIC_PLAN);
	if (plan == NULL)
		elog(ERROR, "preparing an attendance query failed: %s",
			 SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "keeping an attendance query's plan failed");
	entry = MemoryContextAlloc(TopMemoryContext, sizeof(SavedPlan));
	entry->sql = MemoryContextStrdup(TopMemoryContext, sql);
	entry->nargs = nargs;
	entry->plan = plan;
	entry->next = saved_plans;
	saved_plans = entry;
	return plan;
}

/*
 * Runs a query with the parameters and destination of options through the
 * session's kept statement of its text.  The caller must be connected to
 * SPI.  Returns the SPI result code.
 */
int
att_execute_saved(const char *sql, int nargs, const Oid *types,
				  const SPIExecuteOptions *options)
{
	return SPI_execute_plan_extended(saved_plan(sql, nargs, types), options);
}
