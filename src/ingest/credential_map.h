/*-------------------------------------------------------------------------
 *
 * credential_map.h
 *	  The credentials of an organization for one source, by kind and value.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_CREDENTIAL_MAP_H
#define OTAN_ENBEK_CREDENTIAL_MAP_H

#include "postgres.h"

#include "utils/date.h"

/* The credentials of one ingest, by kind and value */
typedef struct CredentialMap CredentialMap;

extern CredentialMap *credential_map_load(int32 org_id, int32 source_id);
extern bool credential_map_lookup(CredentialMap *map, const char *kind,
								  const char *value, DateADT local_date,
								  int32 *employee_id);

#endif							/* OTAN_ENBEK_CREDENTIAL_MAP_H */
