/*-------------------------------------------------------------------------
 *
 * refresh_worker.h
 *	  Attendance refreshes run by the background worker of a database.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_REFRESH_WORKER_H
#define OTAN_ENBEK_REFRESH_WORKER_H

#include <signal.h>
#include <stdbool.h>

/* Settings of the refresh by the worker (see refresh_worker.c) */
extern bool otan_enbek_refresh_in_worker;
extern int	otan_enbek_refresh_naptime_s;

/*
 * True while the worker runs refresh_attendance, which the worker's SIGTERM
 * handler then ends at the next interrupt check.
 */
extern volatile sig_atomic_t refresh_in_progress;

/* Defines the settings above.  _PG_init calls it. */
extern void refresh_worker_define_settings(void);

/*
 * Refreshes the pending attendance days of the worker's database when the
 * worker was woken or its naptime has passed.  Returns the milliseconds
 * until the worker should call again, or -1 when the setting is off.
 */
extern long refresh_run_pending(bool woken);

#endif							/* OTAN_ENBEK_REFRESH_WORKER_H */
