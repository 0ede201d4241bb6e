/*-------------------------------------------------------------------------
 *
 * utility.c
 *	  Stopping a database's delivery worker before commands that need the
 *	  database without connections.
 *
 * DROP DATABASE, CREATE DATABASE ... TEMPLATE, ALTER DATABASE ... RENAME TO
 * and ALTER DATABASE ... SET TABLESPACE fail while another process is
 * connected to the database, and PostgreSQL 15 makes only autovacuum
 * workers leave.  A ProcessUtility hook terminates the delivery worker of
 * the database first and waits up to WORKER_EXIT_WAIT_MS for it to exit.
 * A starting worker may connect before the command locks the database.
 * Its registry slot is marked so that it exits when it attaches, and the
 * command waits for other connections until it has exited.
 * The launcher starts the worker again after DELIVERY_RESTART_DELAY_MS if
 * the database still exists, so a command that fails for another reason
 * pauses delivery for that long only.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "tcop/utility.h"

#include "delivery/delivery.h"

/* Maximum wait in milliseconds for the worker to exit */
#define WORKER_EXIT_WAIT_MS 5000

static ProcessUtility_hook_type prev_process_utility = NULL;

/* Name of the template database of CREATE DATABASE, or NULL. */
static const char *
template_name(CreatedbStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->options)
	{
		DefElem    *option = lfirst(lc);

		if (strcmp(option->defname, "template") == 0 && option->arg != NULL)
			return defGetString(option);
	}
	return NULL;
}

/*
 * Tells whether ALTER DATABASE moves the database to another tablespace,
 * which PostgreSQL rejects while other processes are connected to it.
 */
static bool
sets_tablespace(AlterDatabaseStmt *stmt)
{
	ListCell   *lc;

	foreach(lc, stmt->options)
	{
		DefElem    *option = lfirst(lc);

		if (strcmp(option->defname, "tablespace") == 0)
			return true;
	}
	return false;
}

/*
 * Terminates the delivery worker of a database, if one runs, and waits for
 * it to exit.  The worker puts back what it was sending before it exits.
 * One that is starting exits when it attaches.
 */
static void
stop_worker_of(const char *dbname)
{
	Oid			dboid = get_database_oid(dbname, true);
	pid_t		pid;
	int			waited_ms;

	if (!OidIsValid(dboid))
		return;
	pid = delivery_registry_stop(dboid);
	if (pid == 0 || kill(pid, SIGTERM) != 0)
		return;

	ereport(DEBUG1,
			(errmsg_internal("otan_enbek stops the delivery worker (pid %d) of database \"%s\"",
							 (int) pid, dbname)));
	for (waited_ms = 0; waited_ms < WORKER_EXIT_WAIT_MS; waited_ms += 100)
	{
		int			running_pid;

		(void) delivery_registry_state(dboid, &running_pid);
		if (running_pid != pid)
			break;
		CHECK_FOR_INTERRUPTS();
		pg_usleep(100 * 1000L);
	}
}

/* Stops the worker of the database a command needs alone, then runs it. */
static void
delivery_process_utility(PlannedStmt *pstmt, const char *queryString,
						 bool readOnlyTree, ProcessUtilityContext context,
						 ParamListInfo params, QueryEnvironment *queryEnv,
						 DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (IsA(parsetree, DropdbStmt))
		stop_worker_of(((DropdbStmt *) parsetree)->dbname);
	else if (IsA(parsetree, CreatedbStmt))
	{
		const char *template_db = template_name((CreatedbStmt *) parsetree);

		if (template_db != NULL)
			stop_worker_of(template_db);
	}
	else if (IsA(parsetree, RenameStmt) &&
			 ((RenameStmt *) parsetree)->renameType == OBJECT_DATABASE)
		stop_worker_of(((RenameStmt *) parsetree)->subname);
	else if (IsA(parsetree, AlterDatabaseStmt) &&
			 sets_tablespace((AlterDatabaseStmt *) parsetree))
		stop_worker_of(((AlterDatabaseStmt *) parsetree)->dbname);

	if (prev_process_utility)
		prev_process_utility(pstmt, queryString, readOnlyTree, context,
							 params, queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context,
								params, queryEnv, dest, qc);
}

/* Installs the ProcessUtility hook; called once in the postmaster. */
void
delivery_install_utility_hook(void)
{
	prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = delivery_process_utility;
}
