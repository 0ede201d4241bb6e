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
							  const char *phase, bool watch_clocks);
extern bool ingest_record_local_time(const IngestRecord *record,
									 Timestamp *result);
extern Datum ingest_raw_text(const IngestRecord *record, bool rejected);
extern void ingest_check_utf8(const char *buf, size_t len);

/* Records written after a device's clock was set back: clock_watch.c */
typedef struct ClockWatch ClockWatch;

extern ClockWatch *clock_watch_start(IngestFormat format);
extern void clock_watch_record(ClockWatch *watch, IngestRecord *record);
extern void clock_watch_end(ClockWatch *watch);

#endif							/* OTAN_ENBEK_INGEST_PG_H */
