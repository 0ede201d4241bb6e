/*-------------------------------------------------------------------------
 *
 * event_writer.h
 *	  Batched insertion of new events into the partitioned skud_event.
 *
 * The caller fills the writer's slot with the columns of one event and
 * calls event_writer_add.  The writer routes the row to its partition,
 * drops it when its unique key (org_id, source_id, external_id,
 * occurred_at) is stored already or was added before in the same ingest,
 * and inserts the others in batches, as COPY does.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_EVENT_WRITER_H
#define OTAN_ENBEK_EVENT_WRITER_H

#include "postgres.h"

#include "executor/tuptable.h"

typedef struct EventWriter EventWriter;

extern EventWriter *event_writer_open(void);
extern AttrNumber event_writer_column(EventWriter *writer, const char *name,
									  Oid type);
extern TupleTableSlot *event_writer_next_slot(EventWriter *writer);
extern bool event_writer_add(EventWriter *writer);
extern int64 event_writer_close(EventWriter *writer);

#endif							/* OTAN_ENBEK_EVENT_WRITER_H */
