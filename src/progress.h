/*-------------------------------------------------------------------------
 *
 * progress.h
 *	  Progress of long operations, readable from other sessions.
 *
 * Each backend owns one slot in shared memory, found by its backend ID.  A
 * run of the extension starts a command in the slot, the C code that does
 * the work advances it, and otan_enbek.progress reads every slot.  Without
 * otan_enbek in shared_preload_libraries there are no slots and every
 * function here does nothing.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_PROGRESS_H
#define OTAN_ENBEK_PROGRESS_H

#include <stdint.h>

/* Requests the slots' shared memory.  _PG_init calls it when preloaded. */
extern void progress_install_hooks(void);

/*
 * Starts a new phase of the backend's current command, when one is running,
 * with the amount of work it has in the given unit (bytes, employees).
 * Names are cut to 31 bytes.
 */
extern void progress_begin_phase(const char *phase, const char *unit,
								 int64_t total);

/*
 * Records that done units of the current phase are finished and sends a
 * NOTICE each time another tenth of the phase is done.
 */
extern void progress_set_done(int64_t done);

/* Adds count finished units to the current phase, as progress_set_done. */
extern void progress_add_done(int64_t count);

#endif							/* OTAN_ENBEK_PROGRESS_H */
