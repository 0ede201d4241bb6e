/*-------------------------------------------------------------------------
 *
 * launcher.c
 *	  Launcher of the delivery workers, one per database with the extension.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "otan_enbek.h"

/* TODO: register the launcher background worker. */
void
otan_enbek_register_launcher(void)
{
}
