/*-------------------------------------------------------------------------
 *
 * scan_share.c
 *	  The employees, plans and access points of a scan, copied for the
 *	  parallel worker.
 *
 * The leader has read the plans of every employee and the access points
 * before it starts the worker.  Reading them again in the worker took
 * about as long as in the leader (90 ms for the benchmark's 20,000
 * employees), and the worker joined the parallel read of the events that
 * much later.  att_scan_serialize copies them into one
 * buffer that the leader puts into the worker's shared memory, and
 * att_scan_restore builds the worker's scan from it.
 *
 * The buffer contains a ShareHeader, the employees, each distinct plan once,
 * and the access points with their device names, each part starting at a
 * MAXALIGN boundary.  Its size grows with the distinct plans times the days
 * of the period: a year of plans that differ for every employee takes tens
 * of megabytes.  Such a copy can exceed a small dynamic shared memory, such
 * as the 64 MB /dev/shm of a container.  So above SHARE_MAX_BYTES no copy
 * is made, and the leader computes alone.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"

#include "attendance/attendance.h"
#include "attendance/scan_state.h"

/* Maximum size in bytes of the plans copied for the worker */
#define SHARE_MAX_BYTES		(32 * 1024 * 1024)

typedef struct ShareHeader
{
	int32		nemployees;
	int32		nplans;
	int32		npoints;
} ShareHeader;

/* An employee, with the number of its plan in the buffer */
typedef struct SharedEmployee
{
	int32		employee_id;
	int32		plan_no;
	DateADT		emit_from;
	DateADT		emit_to;
} SharedEmployee;

/* Entry of the table from a plan's address to its number */
typedef struct PlanNumber
{
	const AttPlanHeader *plan;
	int32		plan_no;
} PlanNumber;

/* Appends len bytes at the next MAXALIGN boundary of buf. */
static void
append_aligned(StringInfo buf, const void *data, Size len)
{
	while (buf->len != (int) MAXALIGN(buf->len))
		appendStringInfoCharMacro(buf, '\0');
	appendBinaryStringInfo(buf, data, (int) len);
}

/*
 * Returns the position of the next part of len bytes, at a MAXALIGN
 * boundary, and raises an error when the part would end past total.
 */
static Size
next_part(Size pos, Size len, Size total)
{
	pos = MAXALIGN(pos);
	if (pos + len > total)
		elog(ERROR, "shared attendance scan of %zu bytes is truncated",
			 total);
	return pos;
}

/*
 * Copies the employees, plans and access points of scan into one buffer,
 * allocated in the current memory context, and stores its size in len.
 * Returns NULL when the plans would take more than SHARE_MAX_BYTES.
 */
char *
att_scan_serialize(const AttScan *scan, Size *len)
{
	StringInfoData buf;
	ShareHeader header;
	SharedEmployee *employees;
	HASHCTL		ctl;
	HTAB	   *numbers;
	const AttPlanHeader *last_plan = NULL;
	int32		last_no = -1;
	int32		i;

	memset(&header, 0, sizeof(header));
	header.nemployees = scan->nemployees;
	employees = palloc(Max(scan->nemployees, 1) * sizeof(SharedEmployee));

	memset(&ctl, 0, sizeof(ctl));
	ctl.keysize = sizeof(const AttPlanHeader *);
	ctl.entrysize = sizeof(PlanNumber);
	ctl.hcxt = CurrentMemoryContext;
	numbers = hash_create("attendance plans to share", 64, &ctl,
						  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);

	/*
	 * The plans and points go into buf first: numbering the plans gives
	 * the employees their plan numbers.
	 */
	initStringInfo(&buf);
	for (i = 0; i < scan->nemployees; i++)
	{
		const AttState *state = &scan->employees[i].state;

		/* employees with the same schedules mostly come one after another */
		if (state->plan != last_plan)
		{
			bool		found;
			PlanNumber *entry = hash_search(numbers, &state->plan,
											HASH_ENTER, &found);

			if (!found)
			{
				if (buf.len + VARSIZE(state->plan) > SHARE_MAX_BYTES)
				{
					hash_destroy(numbers);
					pfree(buf.data);
					pfree(employees);
					return NULL;
				}
				entry->plan_no = header.nplans++;
				append_aligned(&buf, state->plan, VARSIZE(state->plan));
			}
			last_plan = state->plan;
			last_no = entry->plan_no;
		}
		employees[i].employee_id = scan->employees[i].employee_id;
		employees[i].plan_no = last_no;
		employees[i].emit_from = state->emit_from;
		employees[i].emit_to = state->emit_to;
	}
	hash_destroy(numbers);

	for (i = 0; i < POINT_BUCKETS; i++)
	{
		const ScanPoint *p;

		for (p = scan->points[i]; p != NULL; p = p->next)
		{
			append_aligned(&buf, p, sizeof(ScanPoint));
			append_aligned(&buf, p->device, p->device_len);
			header.npoints++;
		}
	}

	/* header and employees, then the plans and points gathered above */
	{
		StringInfoData out;

		initStringInfo(&out);
		append_aligned(&out, &header, sizeof(header));
		append_aligned(&out, employees,
					   (Size) scan->nemployees * sizeof(SharedEmployee));
		append_aligned(&out, buf.data, buf.len);
		pfree(buf.data);
		pfree(employees);
		*len = out.len;
		return out.data;
	}
}

/*
 * Builds a scan from a buffer of att_scan_serialize, in a memory context
 * of the scan's own, as att_scan_begin would have read it.
 */
AttScan *
att_scan_restore(const char *data, Size len)
{
	ShareHeader header;
	const SharedEmployee *employees;
	const AttPlanHeader **plans;
	AttScan    *scan;
	Size		pos;
	int32		i;

	pos = next_part(0, sizeof(header), len);
	memcpy(&header, data + pos, sizeof(header));
	pos = next_part(pos + sizeof(header),
					(Size) header.nemployees * sizeof(SharedEmployee), len);
	employees = (const SharedEmployee *) (data + pos);
	pos += (Size) header.nemployees * sizeof(SharedEmployee);

	scan = att_scan_create();
	plans = palloc(Max(header.nplans, 1) * sizeof(AttPlanHeader *));
	for (i = 0; i < header.nplans; i++)
	{
		Size		size;
		AttPlanHeader *plan;

		pos = next_part(pos, VARHDRSZ, len);
		size = VARSIZE(data + pos);
		pos = next_part(pos, size, len);
		plan = MemoryContextAlloc(scan->cxt, size);
		memcpy(plan, data + pos, size);
		plans[i] = plan;
		pos += size;
	}

	scan->employees = MemoryContextAllocZero(scan->cxt,
											 Max(header.nemployees, 1) *
											 sizeof(ScanEmployee));
	scan->nemployees = header.nemployees;
	for (i = 0; i < header.nemployees; i++)
	{
		ScanEmployee *emp = &scan->employees[i];

		if (employees[i].plan_no < 0 || employees[i].plan_no >= header.nplans)
			elog(ERROR, "shared attendance scan names plan %d of %d",
				 employees[i].plan_no, header.nplans);
		emp->employee_id = employees[i].employee_id;
		emp->state.plan = plans[employees[i].plan_no];
		emp->state.emit_from = employees[i].emit_from;
		emp->state.emit_to = employees[i].emit_to;
	}
	pfree(plans);

	for (i = 0; i < header.npoints; i++)
	{
		ScanPoint  *p = MemoryContextAlloc(scan->cxt, sizeof(ScanPoint));

		pos = next_part(pos, sizeof(ScanPoint), len);
		memcpy(p, data + pos, sizeof(ScanPoint));
		pos = next_part(pos + sizeof(ScanPoint), p->device_len, len);
		p->device = MemoryContextAlloc(scan->cxt, p->device_len + 1);
		memcpy(p->device, data + pos, p->device_len);
		p->device[p->device_len] = '\0';
		pos += p->device_len;
		p->next = scan->points[p->hash % POINT_BUCKETS];
		scan->points[p->hash % POINT_BUCKETS] = p;
		scan->has_points = true;
	}

	att_scan_index_employees(scan);
	return scan;
}
