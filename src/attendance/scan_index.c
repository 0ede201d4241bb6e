/*-------------------------------------------------------------------------
 *
 * scan_index.c
 *	  Places of the employees of an attendance scan by employee id.
 *
 * Every event looks up its employee's place in AttScan.employees by
 * employee id: in an array when the ids are dense, and in a hash table
 * otherwise.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "attendance/scan_state.h"


/*
 * Maximum number of ids per employee that the array from employee id to
 * place may span (build_place_index).
 */
#define PLACE_INDEX_SPREAD	4

/* Returns the place of an employee in the scan, or -1 for none. */
int32
att_scan_find_employee(const AttScan *scan, int32 employee_id)
{
	EmployeeEntry *entry;

	if (scan->place_of_id != NULL)
	{
		uint32		offset = (uint32) employee_id - (uint32) scan->min_id;

		return offset < scan->id_span ? scan->place_of_id[offset] : -1;
	}
	entry = emptab_lookup(scan->by_id, employee_id);
	return entry == NULL ? -1 : entry->index;
}

/*
 * Makes the array from employee id to place when the ids span at most
 * PLACE_INDEX_SPREAD times as many values as there are employees, and
 * returns whether it did.  Every event looks up its employee, and the array
 * (4 bytes per id) stays in the CPU cache more often than the hash table
 * (12 bytes per entry, with free entries), whose misses took most of the
 * time of att_scan_add_event.
 */
static bool
build_place_index(AttScan *scan)
{
	int32		min_id;
	int32		max_id;
	uint64		span;
	int32		i;

	if (scan->nemployees == 0)
		return false;
	/* the employees are sorted by id */
	min_id = scan->employees[0].employee_id;
	max_id = scan->employees[scan->nemployees - 1].employee_id;
	span = (uint64) ((int64) max_id - min_id) + 1;
	if (span > (uint64) scan->nemployees * PLACE_INDEX_SPREAD)
		return false;
	scan->place_of_id = MemoryContextAlloc(scan->cxt, span * sizeof(int32));
	memset(scan->place_of_id, 0xFF, span * sizeof(int32));
	for (i = 0; i < scan->nemployees; i++)
		scan->place_of_id[scan->employees[i].employee_id - min_id] = i;
	scan->min_id = min_id;
	scan->id_span = (uint32) span;
	return true;
}

/*
 * Makes the array or, for sparse ids, the hash table from employee id to
 * place.  The employees must be sorted by id, so that two plans of one
 * employee are neighbours.
 */
void
att_scan_index_employees(AttScan *scan)
{
	int32		i;

	for (i = 1; i < scan->nemployees; i++)
	{
		int32		id = scan->employees[i].employee_id;
		int32		previous = scan->employees[i - 1].employee_id;

		if (id == previous)
			elog(ERROR, "employee %d has two attendance plans", id);
		if (id < previous)
			elog(ERROR, "employees of the attendance scan are not sorted by id at place %d",
				 i);
	}
	if (build_place_index(scan))
		return;

	scan->by_id = emptab_create(scan->cxt, Max(scan->nemployees, 16), NULL);
	for (i = 0; i < scan->nemployees; i++)
	{
		bool		found;
		EmployeeEntry *entry = emptab_insert(scan->by_id,
											 scan->employees[i].employee_id,
											 &found);

		entry->index = i;
	}
}
