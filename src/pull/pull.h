/*-------------------------------------------------------------------------
 *
 * pull.h
 *	  Pull of events from network sources by the background worker.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_PULL_H
#define OTAN_ENBEK_PULL_H

#include <signal.h>
#include <stdbool.h>

/* Settings of the pull by the worker (see pull_worker.c) */
extern bool otan_enbek_pull_in_worker;
extern int	otan_enbek_pull_naptime_s;

/*
 * True while the worker runs the pull of an organization, so that its
 * SIGTERM handler can abort a request that waits for a source.
 */
extern volatile sig_atomic_t pull_in_progress;

/* Defines the settings above.  _PG_init calls it. */
extern void pull_define_settings(void);

/*
 * Runs the pulls that are due in the worker's database and returns the
 * milliseconds until the worker should call again, or -1 when pulling in
 * the worker is off.
 */
extern long pull_run_due_sources(const char *dbname);

#endif							/* OTAN_ENBEK_PULL_H */
