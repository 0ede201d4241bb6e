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
 * its parameters.  att_execute_saved_pruned plans a query's first run with
 * the values, for a query on skud_event, whose generic plan includes every
 * partition of the table.
 *
 * The kept statements are cached plans of PostgreSQL's plan cache, which
 * replans them whenever something they depend on changes: a table, index
 * or partition of skud_event, or the statistics.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "nodes/params.h"
#include "nodes/parsenodes.h"
#include "utils/guc.h"
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

/*
 * Builds the parameter list of a query from n values of the given types.
 * nulls marks the NULL values, or is NULL when there are none.
 */
ParamListInfo
att_make_params(int n, const Oid *types, const Datum *values,
				const bool *nulls)
{
	ParamListInfo params = makeParamList(n);
	int			i;

	for (i = 0; i < n; i++)
	{
		params->params[i].value = values[i];
		params->params[i].isnull = nulls != NULL && nulls[i];
		params->params[i].ptype = types[i];
		/* constants, so that a custom plan folds the NULL tests */
		params->params[i].pflags = PARAM_FLAG_CONST;
	}
	return params;
}

/* Returns the session's entry of a query, or NULL. */
static SavedPlan *
find_saved_plan(const char *sql, int nargs)
{
	SavedPlan  *entry;

	for (entry = saved_plans; entry != NULL; entry = entry->next)
		if (entry->nargs == nargs && strcmp(entry->sql, sql) == 0)
			return entry;
	return NULL;
}

/*
 * Returns the kept statement of a query, preparing it with cursor_options
 * on first use.
 */
static SPIPlanPtr
saved_plan(const char *sql, int nargs, const Oid *types, int cursor_options)
{
	SavedPlan  *entry = find_saved_plan(sql, nargs);
	SPIPlanPtr	plan;

	if (entry != NULL)
		return entry->plan;

	plan = SPI_prepare_cursor(sql, nargs, unconstify(Oid *, types),
							  cursor_options);
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
	return SPI_execute_plan_extended(saved_plan(sql, nargs, types,
												CURSOR_OPT_GENERIC_PLAN),
									 options);
}

/*
 * Runs a query on the partitioned skud_event as att_execute_saved does,
 * except on its first run in the session, which plans it with the
 * parameters' values.  For a query whose parameters bound occurred_at, the
 * planner then opens only the partitions within the bounds.  A generic plan
 * opens every partition: planning the event query of a refresh in a new
 * session took about 0.35 ms of CPU time a partition (log_planner_stats
 * with 28 partitions on the two-core bench machine, so an estimate).  A
 * session that runs the query again pays that once, on its second run, and
 * then keeps the generic plan.
 */
int
att_execute_saved_pruned(const char *sql, int nargs, const Oid *types,
						 const SPIExecuteOptions *options)
{
	SPIPlanPtr	plan;
	int			nest_level;
	int			rc;

	if (find_saved_plan(sql, nargs) != NULL)
		return att_execute_saved(sql, nargs, types, options);

	plan = SPI_prepare_cursor(sql, nargs, unconstify(Oid *, types),
							  CURSOR_OPT_CUSTOM_PLAN);
	if (plan == NULL)
		elog(ERROR, "preparing an attendance query failed: %s",
			 SPI_result_code_string(SPI_result));

	/*
	 * plan_cache_mode overrides the statement's cursor options, and
	 * refresh_attendance sets it to force_generic_plan for its own
	 * statements, so it is set to auto for this run.  An error undoes the
	 * setting with the transaction or subtransaction.
	 */
	nest_level = NewGUCNestLevel();
	(void) set_config_option("plan_cache_mode", "auto", PGC_USERSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	rc = SPI_execute_plan_extended(plan, options);
	AtEOXact_GUC(true, nest_level);
	SPI_freeplan(plan);

	/*
	 * Prepares and keeps the statement now.  The plan cache plans it, with
	 * a generic plan, on the next run.
	 */
	(void) saved_plan(sql, nargs, types, CURSOR_OPT_GENERIC_PLAN);
	return rc;
}
