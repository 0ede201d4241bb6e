/*-------------------------------------------------------------------------
 *
 * zone.h
 *	  Conversions between UTC and the local time of an organization's time
 *	  zone, with the zone's name resolved once per ingest.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_ZONE_H
#define OTAN_ENBEK_ZONE_H

#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/date.h"

typedef struct IngestZone IngestZone;

extern IngestZone *ingest_zone_open(text *name);
extern TimestampTz ingest_zone_to_utc(IngestZone *zone, Timestamp local_time);
extern DateADT ingest_zone_local_date(IngestZone *zone, TimestampTz at);
extern int	zone_abbreviation_type(const char *name, int *offset);

#endif							/* OTAN_ENBEK_ZONE_H */
