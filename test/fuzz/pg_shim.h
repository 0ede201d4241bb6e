/*
 * pg_shim.h
 *	  What the fuzzing harnesses of server code use from pg_shim.c.
 */
#ifndef FUZZ_PG_SHIM_H
#define FUZZ_PG_SHIM_H

/*
 * port.h maps the printf family to PostgreSQL's own implementation in
 * libpgport.  The harnesses do not link libpgport, so they use the C
 * library's functions.
 */
#undef vsnprintf
#undef snprintf
#undef fprintf

/* Frees everything palloc'd since the last reset. */
extern void shim_arena_reset(void);

/* errmsg and SQLSTATE of the last ereport(ERROR) */
extern char shim_error_message[512];
extern int	shim_error_sqlerrcode;

#endif							/* FUZZ_PG_SHIM_H */
