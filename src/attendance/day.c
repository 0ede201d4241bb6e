/*-------------------------------------------------------------------------
 *
 * day.c
 *	  Figures of a finished work day: norm, lateness, early leave, the
 *	  missing-exit policy, finality and the absent flag.
 *
 * engine.c pairs the punches and adds each pair to its day, and the
 * functions here run once every punch is placed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "attendance/attendance.h"
#include "attendance/engine.h"

/*
 * Returns the time from which day k is final: the later of its next local
 * midnight and the end of its last shift plus the shift's window_after.
 */
static int64
window_end_of(const Engine *e, int32 k)
{
	const AttPlanDay *d = &e->days[k];
	int64		window_end = midnight_of(e, k + 1);

	if (d->nshifts > 0)
	{
		const AttPlanShift *last = &e->shifts[d->first_shift + d->nshifts - 1];

		window_end = Max(window_end, d->midnight + last->end + last->window_after);
	}
	return window_end;
}

/*
 * Returns the scheduled seconds of day k: its shifts less their breaks, and
 * less the deducted break when the shifts are long enough to earn it.  A
 * reduced week (work_schedule.week_hours below 40) needs no cut here,
 * because the schedule check keeps its shifts within the reduced hours.
 */
static int32
norm_of(const Engine *e, int32 k)
{
	const AttPlanDay *d = &e->days[k];
	const AttPlanShift *first = &e->shifts[d->first_shift];
	int64		norm = 0;
	int32		s;

	if (d->kind != ATT_KIND_WORK || d->nshifts == 0)
		return 0;
	if (first->kind == ATT_SHIFT_FLEXIBLE)
		return first->daily_norm;
	for (s = 0; s < d->nshifts; s++)
	{
		norm += first[s].end - first[s].start;
		if (first[s].flags & ATT_SHIFT_HAS_BREAK)
			norm -= first[s].break_end - first[s].break_start;
	}
	if ((first->flags & ATT_SHIFT_HAS_DEDUCT) && norm >= first->break_after)
		norm -= Min(norm, first->break_deduct);
	return (int32) norm;
}

/*
 * Applies missing_exit_policy close_at_shift_end to an entry of day k still
 * open after the last punch.  Once the day is final, the entry is paired
 * with the end of the day's last shift if it came before that end.  The
 * day keeps the missing_exit flag.
 */
void
att_close_missing_exit(Engine *e, int32 k)
{
	const AttPlanDay *d = &e->days[k];
	DayWork    *w = &e->work[k];
	int64		shift_end;

	if (!w->has_open || d->nshifts == 0 ||
		!(e->plan->flags & ATT_PLAN_CLOSE_MISSING_EXIT) ||
		window_end_of(e, k) > e->plan->as_of)
		return;
	shift_end = d->midnight + e->shifts[d->first_shift + d->nshifts - 1].end;
	w->anomalies |= ATT_ANOM_MISSING_EXIT;
	if (w->open_entry < shift_end)
	{
		att_record_pair(e, k, w->open_entry, shift_end);
		if (e->trace)
			att_trace_note(e->trace, e->plan->first_day + k, "missing_exit",
						   "The open entry is closed at the shift end by missing_exit_policy close_at_shift_end.");
		w->has_open = false;
	}
}

/*
 * Fills the figures of day k that depend on its shifts: the deducted break,
 * the norm of a flexible shift, lateness and early leave.  A flexible
 * shift is late and left early against its core hours only, and its worked
 * time beyond the daily norm is overtime.
 */
static void
finish_shift_figures(const Engine *e, int32 k, AttDayResult *r)
{
	const AttPlanDay *d = &e->days[k];
	const DayWork *w = &e->work[k];
	const AttPlanShift *first = &e->shifts[d->first_shift];
	const AttPlanShift *last = first + d->nshifts - 1;
	bool		flexible = first->kind == ATT_SHIFT_FLEXIBLE;
	bool		has_due = !flexible || (first->flags & ATT_SHIFT_HAS_CORE);
	int64		due_start = d->midnight + (flexible ? first->core_start : first->start);
	int64		due_end = d->midnight + (flexible ? first->core_end : last->end);

	if ((first->flags & ATT_SHIFT_HAS_DEDUCT) &&
		w->present >= first->break_after)
		r->worked -= Min(r->worked, first->break_deduct);
	if (d->kind != ATT_KIND_WORK)
		return;
	if (flexible && r->worked > first->daily_norm)
	{
		int32		excess = r->worked - first->daily_norm;

		r->worked = first->daily_norm;
		if ((first->flags & ATT_SHIFT_ALLOW_OVERTIME) &&
			excess >= first->min_overtime)
			r->overtime += excess;
	}

	r->has_shift = true;
	r->shift_start = d->midnight + first->start;
	r->shift_end = d->midnight + last->end;
	r->due_start = due_start;
	r->due_end = due_end;
	if (has_due && w->punch_count > 0 && w->first_dir == ATT_DIR_IN)
	{
		int64		late = w->first_in - due_start;

		r->has_late = true;
		r->late = late > first->grace_late ? (int32) late : 0;
	}
	if (has_due && w->punch_count > 0 && w->last_dir == ATT_DIR_OUT)
	{
		int64		early = due_end - w->last_out;

		r->has_early_leave = true;
		r->early_leave = early > last->grace_early ? (int32) early : 0;
	}
}

/*
 * Flags a day outside the employment dates for HR to review and keeps only
 * its punches and time present.  Without an employment contract the day
 * has no norm and no work time.  So its hours count neither as worked time
 * nor toward the overtime limits of the employed days.
 */
static void
clear_work_figures(AttDayResult *r)
{
	r->anomalies |= ATT_ANOM_OUTSIDE_EMPLOYMENT;
	r->worked = 0;
	r->norm = 0;
	r->early_arrival = 0;
	r->overtime = 0;
	r->night = 0;
	r->has_late = false;
	r->late = 0;
	r->has_early_leave = false;
	r->early_leave = 0;
}

/* Fills the result figures of plan day k from its running figures. */
void
att_finish_day(const Engine *e, int32 k, bool employed, AttDayResult *r)
{
	const AttPlanDay *d = &e->days[k];
	const DayWork *w = &e->work[k];
	int64		window_end = window_end_of(e, k);

	memset(r, 0, sizeof(*r));
	r->work_day = e->plan->first_day + k;
	r->schedule_id = d->schedule_id;
	r->kind = d->kind;
	r->anomalies = w->anomalies;
	r->punch_count = w->punch_count;
	r->present = (int32) w->present;
	r->worked = (int32) w->worked;
	r->norm = norm_of(e, k);
	r->early_arrival = (int32) w->early_arrival;
	r->overtime = (int32) w->overtime;
	r->night = (int32) w->night;
	r->has_first_in = w->has_first_in;
	r->first_in = w->first_in;
	r->has_last_out = w->has_last_out;
	r->last_out = w->last_out;
	if (w->has_open)
		r->anomalies |= ATT_ANOM_MISSING_EXIT;

	if (d->nshifts > 0)
		finish_shift_figures(e, k, r);
	/*
	 * NOTE: an exit outside every window can still join this day's open entry
	 * up to MAX_UNSCHEDULED_PAIR_SEC later, after the day is already final.
	 */
	r->is_final = window_end <= e->plan->as_of;

	if (d->kind == ATT_KIND_WORK && r->is_final && w->punch_count == 0 &&
		w->present == 0 && employed)
		r->anomalies |= ATT_ANOM_ABSENT;
	if (d->schedule_id == 0)
		r->anomalies |= ATT_ANOM_NO_SCHEDULE;
	if (!employed)
		clear_work_figures(r);
}
