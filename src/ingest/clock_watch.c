/*-------------------------------------------------------------------------
 *
 * clock_watch.c
 *	  Finds the records written after a device's clock was set back.
 *
 * A device writes its log in the order of its own clock.  Some exports
 * group the log by person, so the order holds for each person's records
 * of a device, not between persons.  In a ZKTeco log or a Hikvision
 * InfoList, take a record whose time is earlier than the latest earlier
 * record of the same device and credential.  It shows that the clock went
 * back between them, because it was reset, lost its battery or was
 * synchronized after running fast.  A step back of CLOCK_JUMP_MIN_SEC or less is not counted,
 * because some controllers write two readers' records a few seconds out of
 * order.  The record keeps its time and gets clock_jump_sec, how far behind
 * it is.  Each later record of that person and device gets it too, until
 * the device's time passes the latest time again.
 *
 * CSV files are exports of other systems, in an order that need not be a
 * device's, so they are not watched.
 *
 * NOTE: two cases with a valid time are marked too.  A backlog that a
 * controller replays late, listed after newer records of the same content,
 * is marked when the list is in serialNo order.  A local time repeated
 * when the zone's clocks go back (no offset in the record) is marked as
 * well as flagged ambiguous_time.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "ingest/ingest_pg.h"

/* Steps back of up to this many seconds are not counted. */
#define CLOCK_JUMP_MIN_SEC 60

/* The largest UTC offset in use (+14:00), which bounds a local time's UTC */
#define MAX_UTC_OFFSET_SEC (14 * SECS_PER_HOUR)

/* A device and a credential of a content */
typedef struct ClockKey
{
	bool		has_device;
	char		device[INGEST_VALUE_SIZE];
	IngestCredentialKind kind;
	char		credential[INGEST_VALUE_SIZE];
} ClockKey;

typedef struct ClockEntry
{
	ClockKey	key;
	int64		latest;			/* seconds since 2000 of the latest record */
} ClockEntry;

struct ClockWatch
{
	IngestFormat format;
	HTAB	   *entries;
	int64		not_after;		/* seconds since 2000 of the latest time that
								 * ingest accepts */
	ClockKey	key;			/* lookup key, zeroed once and then reused */
};

/*
 * Sets *seconds to the seconds since 2000-01-01 of a record's time: UTC when
 * the record carries an offset, else the device's local time.  Returns
 * false when the time is outside the range of a timestamp.
 */
static bool
record_seconds(const IngestRecord *record, int64 *seconds)
{
	Timestamp	local_time;

	if (!ingest_record_local_time(record, &local_time))
		return false;
	*seconds = local_time / USECS_PER_SEC;
	if (record->time.has_offset)
		*seconds -= record->time.utc_offset_sec;
	return true;
}

/*
 * Starts watching the records of one content, in the current memory
 * context.  Returns NULL for a format whose order is not the device's.
 */
ClockWatch *
clock_watch_start(IngestFormat format)
{
	ClockWatch *watch;
	HASHCTL		ctl;

	if (format == INGEST_FORMAT_CSV)
		return NULL;
	watch = palloc0(sizeof(ClockWatch));
	watch->format = format;
	ctl.keysize = sizeof(ClockKey);
	ctl.entrysize = sizeof(ClockEntry);
	ctl.hcxt = CurrentMemoryContext;
	watch->entries = hash_create("otan_enbek clock watch", 256, &ctl,
								 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	/* ingest rejects times more than one day after the transaction's start */
	watch->not_after = GetCurrentTransactionStartTimestamp() / USECS_PER_SEC +
		SECS_PER_DAY;
	return watch;
}

/*
 * Sets the clock_jump_sec of a record that was read: the seconds by which
 * it is behind the latest earlier record of its device and credential,
 * when more than CLOCK_JUMP_MIN_SEC, else 0.
 */
void
clock_watch_record(ClockWatch *watch, IngestRecord *record)
{
	ClockEntry *entry;
	int64		seconds;
	bool		found;

	record->clock_jump_sec = 0;
	if (watch == NULL || record->reject_reason[0] != '\0' ||
		record->credential[0] == '\0')
		return;

	/*
	 * strncpy zeroes each array after its string, as HASH_BLOBS needs.  A
	 * Hikvision response comes from one controller, whose readers share its
	 * clock, so its device key "doorNo:cardReaderNo" is not part of the key.
	 */
	watch->key.has_device = record->has_device &&
		watch->format != INGEST_FORMAT_HIKVISION;
	strncpy(watch->key.device, watch->key.has_device ? record->device : "",
			INGEST_VALUE_SIZE);
	watch->key.kind = record->credential_kind;
	strncpy(watch->key.credential, record->credential, INGEST_VALUE_SIZE);

	/*
	 * A record that ingest rejects as more than a day in the future is left
	 * out, so that it does not mark the valid records after it.  NOTE: the
	 * zone of a local time is not known here.  So a local time counts as
	 * rejected only when it is late even at UTC+14:00, and a record up to
	 * 14 hours past the limit can still mark later records.
	 */
	if (!record_seconds(record, &seconds) ||
		seconds > watch->not_after +
		(record->time.has_offset ? 0 : MAX_UTC_OFFSET_SEC))
		return;
	entry = hash_search(watch->entries, &watch->key, HASH_ENTER, &found);
	if (!found)
	{
		entry->latest = seconds;
		return;
	}
	if (entry->latest - seconds > CLOCK_JUMP_MIN_SEC)
		record->clock_jump_sec = (int32) Min(entry->latest - seconds,
											 (int64) PG_INT32_MAX);
	if (seconds > entry->latest)
		entry->latest = seconds;
}

/* Frees the watch of a content. */
void
clock_watch_end(ClockWatch *watch)
{
	if (watch == NULL)
		return;
	hash_destroy(watch->entries);
	pfree(watch);
}
