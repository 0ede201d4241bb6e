/*-------------------------------------------------------------------------
 *
 * privacy.h
 *	  Keeping full IINs out of errors and the server log.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_PRIVACY_H
#define OTAN_ENBEK_PRIVACY_H

#include <stddef.h>

/* The extension's schema, which its tables' constraint errors name */
#define PRIVACY_SCHEMA "otan_enbek"

extern void privacy_install_log_hook(void);
extern void privacy_note_rejected_iin(const char *value, size_t len);

#endif							/* OTAN_ENBEK_PRIVACY_H */
