/*-------------------------------------------------------------------------
 *
 * ingest_pg.h
 *	  Server-side helpers around the event parsers, shared by parse_events
 *	  and the streaming ingest (parse_events.c, store_events.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_INGEST_PG_H
#define OTAN_ENBEK_INGEST_PG_H

#include "postgres.h"

#include "datatype/timestamp.h"

#include "ingest/ingest.h"

extern void ingest_run_parser(text *format_name, const char *buf, size_t len,
							  IngestRecordCallback callback, void *arg,
							  const char *phase);
extern bool ingest_record_local_time(const IngestRecord *record,
									 Timestamp *result);
extern Datum ingest_raw_text(const IngestRecord *record, bool rejected);
extern void ingest_check_utf8(const char *buf, size_t len);

#endif							/* OTAN_ENBEK_INGEST_PG_H */
