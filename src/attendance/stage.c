/*-------------------------------------------------------------------------
 *
 * stage.c
 *	  Punches kept in reading order, then placed by employee at once.
 *
 * Events come in time order, so consecutive punches belong to different
 * employees.  Appending each to its employee's array costs a cache miss on
 * the array's state and another on its end, and the arrays grow by copying.
 * When the events are read from the heap, the punches are kept instead in
 * blocks in reading order, which are written one after the other.  Once
 * every punch is read, att_stage_place counts the punches of each
 * employee, sizes one array for all of them and places each punch at its
 * employee's next slot, a counting sort by employee.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "attendance/attendance.h"
#include "attendance/scan_state.h"

/* Returns a block with room for one more punch. */
static StageBlock *
stage_room(AttScan *scan)
{
	StageBlock *block = scan->stage_tail;

	if (block == NULL || block->n == STAGE_BLOCK_PUNCHES)
	{
		block = MemoryContextAlloc(scan->cxt, sizeof(StageBlock));
		block->next = NULL;
		block->n = 0;
		if (scan->stage_tail != NULL)
			scan->stage_tail->next = block;
		else
			scan->stage_head = block;
		scan->stage_tail = block;
	}
	return block;
}

/* Keeps one punch of the employee at place. */
void
att_stage_punch(AttScan *scan, int32 place, int64 t, int16 dir,
				int64 event_id)
{
	StageBlock *block = stage_room(scan);
	StagedPunch *p = &block->punches[block->n++];

	p->place = place;
	p->dir = dir;
	p->pad = 0;
	p->t = t;
	p->event_id = event_id;
	scan->nstaged++;
}

/* Keeps n punches that another process read. */
void
att_stage_append(AttScan *scan, const StagedPunch *punches, int32 n)
{
	int32		i;

	for (i = 0; i < n; i++)
	{
		if (punches[i].place < 0 || punches[i].place >= scan->nemployees)
			elog(ERROR, "staged punch of place %d, of %d employees",
				 punches[i].place, scan->nemployees);
		att_stage_punch(scan, punches[i].place, punches[i].t,
						punches[i].dir, punches[i].event_id);
	}
}

/*
 * Places the kept punches of the employees from place from up to place to
 * in one array, by employee, and points each employee's state at its part.
 * The punches of other employees are dropped.  Times count from the
 * earliest punch.
 */
void
att_stage_place(AttScan *scan, int32 from, int32 to)
{
	int32		n = scan->nemployees;
	int64	   *next = palloc0(Max(n, 1) * sizeof(int64));
	int64		base = PG_INT64_MAX;
	int64		latest = PG_INT64_MIN;
	int64		total = 0;
	StageBlock *block;
	int32		i;

	for (block = scan->stage_head; block != NULL; block = block->next)
		for (i = 0; i < block->n; i++)
		{
			const StagedPunch *p = &block->punches[i];

			if (p->place < from || p->place >= to)
				continue;
			next[p->place]++;
			base = Min(base, p->t);
			latest = Max(latest, p->t);
		}
	if (base < latest && latest - base > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("punches of one computation span more than 68 years"),
				 errhint("Compute attendance for a shorter period.")));

	for (i = 0; i < n; i++)
		total += next[i];
	scan->placed = MemoryContextAllocHuge(scan->cxt,
										  Max(total, 1) * sizeof(AttPunch));
	total = 0;
	for (i = 0; i < n; i++)
	{
		AttState   *state = &scan->employees[i].state;
		int64		count = next[i];

		if (count > PG_INT32_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("too many punches for one employee: %lld",
							(long long) count),
					 errhint("Compute attendance for a shorter period.")));
		/* the array that att_state_init made is not needed */
		if (state->punches != NULL)
			pfree(state->punches);
		state->punches = scan->placed + total;
		state->npunches = (int32) count;
		state->capacity = (int32) count;
		state->has_base = true;
		state->base = base;
		next[i] = total;
		total += count;
	}

	for (block = scan->stage_head; block != NULL;)
	{
		StageBlock *done = block;

		CHECK_FOR_INTERRUPTS();
		for (i = 0; i < block->n; i++)
		{
			const StagedPunch *p = &block->punches[i];
			AttPunch   *slot;

			if (p->place < from || p->place >= to)
				continue;
			slot = &scan->placed[next[p->place]++];
			slot->t = (int32) (p->t - base);
			slot->dir = p->dir;
			slot->pad = 0;
			slot->event_id = p->event_id;
		}
		block = block->next;
		pfree(done);
	}
	scan->stage_head = scan->stage_tail = NULL;
	scan->nstaged = 0;
	scan->staging = false;
	pfree(next);
}
