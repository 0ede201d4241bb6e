/*-------------------------------------------------------------------------
 *
 * scan_points.c
 *	  The access points of the organization of an attendance scan.
 *
 * The access points of the organization are read into a hash table by
 * (source, device) before the events.  att_scan_add_event (scan_events.c)
 * looks up the point of each event: an event of a point that does not count
 * is skipped, and the point's clock skew moves the event's time.  An event
 * without direction takes the point's direction when that is in or out.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "attendance/attendance.h"
#include "attendance/saved_plan.h"
#include "attendance/scan_state.h"


static uint32
point_hash(int32 source_id, const char *device, int len)
{
	return hash_combine(murmurhash32((uint32) source_id),
						hash_bytes((const unsigned char *) device, len));
}

/* Reads the organization's access points into their hash table. */
void
att_scan_read_points(AttScan *scan, Datum org)
{
	static const Oid types[] = {INT4OID};
	bool		isnull = false;
	SPIExecuteOptions opts;
	uint64		i;
	int			rc;

	memset(&opts, 0, sizeof(opts));
	opts.params = att_make_params(1, types, &org, NULL);
	opts.read_only = true;
	rc = att_execute_saved("SELECT ap.source_id, ap.device, ap.direction,"
						   " ap.counts_for_attendance, ap.clock_skew_sec"
						   " FROM otan_enbek.access_point ap"
						   " WHERE ap.org_id = $1", 1, types, &opts);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the access points failed: %s",
			 SPI_result_code_string(rc));

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		ScanPoint  *p = MemoryContextAllocZero(scan->cxt, sizeof(ScanPoint));
		text	   *device;
		char	   *dir;

		p->source_id = DatumGetInt32(SPI_getbinval(tuple, desc, 1, &isnull));
		device = DatumGetTextPP(SPI_getbinval(tuple, desc, 2, &isnull));
		p->device_len = VARSIZE_ANY_EXHDR(device);
		p->device = MemoryContextAlloc(scan->cxt, p->device_len + 1);
		memcpy(p->device, VARDATA_ANY(device), p->device_len);
		dir = TextDatumGetCString(SPI_getbinval(tuple, desc, 3, &isnull));
		p->direction = strcmp(dir, "in") == 0 ? ATT_DIR_IN :
			strcmp(dir, "out") == 0 ? ATT_DIR_OUT : ATT_DIR_NONE;
		p->counts = DatumGetBool(SPI_getbinval(tuple, desc, 4, &isnull));
		p->skew_sec = DatumGetInt32(SPI_getbinval(tuple, desc, 5, &isnull));
		p->hash = point_hash(p->source_id, p->device, p->device_len);
		p->next = scan->points[p->hash % POINT_BUCKETS];
		scan->points[p->hash % POINT_BUCKETS] = p;
		scan->has_points = true;
	}
	SPI_freetuptable(SPI_tuptable);
}

/* Returns the access point of an event's source and device, or NULL. */
const ScanPoint *
att_scan_find_point(const AttScan *scan, int32 source_id, text *device)
{
	const char *s = VARDATA_ANY(device);
	int			len = VARSIZE_ANY_EXHDR(device);
	uint32		hash = point_hash(source_id, s, len);
	const ScanPoint *p;

	for (p = scan->points[hash % POINT_BUCKETS]; p != NULL; p = p->next)
		if (p->hash == hash && p->source_id == source_id &&
			p->device_len == len && memcmp(p->device, s, len) == 0)
			return p;
	return NULL;
}
