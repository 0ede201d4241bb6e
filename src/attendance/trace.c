/*-------------------------------------------------------------------------
 *
 * trace.c
 *	  Steps of the attendance engine, written out to explain each figure.
 *
 * When otan_enbek.explain_attendance runs the engine, engine.c calls these
 * functions for every punch (kept, dropped as a duplicate, ignored), every
 * pair with what it added to its day, and every figure of a day with how
 * it was obtained.  Each call appends one JSON object, preceded by a comma
 * unless it is the first, so the caller wraps the text in brackets to get
 * a JSON array.  Times are seconds since 2000-01-01 00:00 UTC and days are
 * PostgreSQL dates as integers (days since 2000-01-01); the SQL function
 * turns both into local times.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/json.h"

#include "attendance/attendance.h"

static const char *const direction_names[] = {"none", "in", "out"};

/* Starts an object of the given step, with its day (null when unknown). */
static void
begin_step(StringInfo trace, const char *step, DateADT day)
{
	if (trace->len > 0)
		appendStringInfoChar(trace, ',');
	appendStringInfo(trace, "{\"step\":\"%s\",\"day\":", step);
	if (DATE_NOT_FINITE(day))
		appendStringInfoString(trace, "null");
	else
		appendStringInfo(trace, "%d", (int) day);
}

/* Appends a figure of a day and how it was obtained. */
static void
figure(StringInfo trace, DateADT day, const char *name, int64 seconds,
	   bool known, const char *how)
{
	begin_step(trace, "figure", day);
	appendStringInfo(trace, ",\"figure\":\"%s\",\"seconds\":", name);
	if (known)
		appendStringInfo(trace, INT64_FORMAT, seconds);
	else
		appendStringInfoString(trace, "null");
	appendStringInfoString(trace, ",\"how\":");
	escape_json(trace, how);
	appendStringInfoChar(trace, '}');
}

/*
 * Appends a punch: kept, dropped_duplicate (of kept_event_id), ignored as a
 * zero-length pair, or outside the plan's days.
 */
void
att_trace_punch(StringInfo trace, int64 event_id, int64 t, int16 dir,
				bool inferred, DateADT day, const char *action,
				int64 kept_event_id)
{
	begin_step(trace, "punch", day);
	appendStringInfo(trace,
					 ",\"event_id\":" INT64_FORMAT ",\"at\":" INT64_FORMAT
					 ",\"direction\":\"%s\",\"inferred\":%s,\"action\":\"%s\"",
					 event_id, t, direction_names[dir],
					 inferred ? "true" : "false", action);
	if (kept_event_id != 0)
		appendStringInfo(trace, ",\"kept_event_id\":" INT64_FORMAT,
						 kept_event_id);
	appendStringInfoChar(trace, '}');
}

/* Appends a pair [a, b) and the seconds it added to the figures of day. */
void
att_trace_pair(StringInfo trace, DateADT day, int64 a, int64 b,
			   int64 present, int64 worked, int64 early_arrival,
			   int64 overtime, int64 night)
{
	begin_step(trace, "pair", day);
	appendStringInfo(trace,
					 ",\"from\":" INT64_FORMAT ",\"to\":" INT64_FORMAT
					 ",\"present\":" INT64_FORMAT ",\"worked\":" INT64_FORMAT
					 ",\"early_arrival\":" INT64_FORMAT
					 ",\"overtime\":" INT64_FORMAT ",\"night\":" INT64_FORMAT "}",
					 a, b, present, worked, early_arrival, overtime, night);
}

/* Appends a note on a figure of day. */
void
att_trace_note(StringInfo trace, DateADT day, const char *name,
			   const char *how)
{
	figure(trace, day, name, 0, false, how);
}

/* Appends the shifts of a day with the rules that apply to them. */
static void
trace_shifts(StringInfo trace, const AttDayResult *r, const AttPlanDay *d,
			 const AttPlanShift *shifts)
{
	int32		s;

	for (s = 0; s < d->nshifts; s++)
	{
		const AttPlanShift *shift = &shifts[s];

		begin_step(trace, "shift", r->work_day);
		appendStringInfo(trace,
						 ",\"from\":" INT64_FORMAT ",\"to\":" INT64_FORMAT,
						 d->midnight + shift->start, d->midnight + shift->end);
		if (shift->flags & ATT_SHIFT_HAS_BREAK)
			appendStringInfo(trace,
							 ",\"break_from\":" INT64_FORMAT
							 ",\"break_to\":" INT64_FORMAT,
							 d->midnight + shift->break_start,
							 d->midnight + shift->break_end);
		if (shift->flags & ATT_SHIFT_HAS_DEDUCT)
			appendStringInfo(trace, ",\"break_after\":%d,\"break_deduct\":%d",
							 shift->break_after, shift->break_deduct);
		appendStringInfo(trace,
						 ",\"grace_late\":%d,\"grace_early\":%d"
						 ",\"window_before\":%d,\"window_after\":%d"
						 ",\"min_overtime\":%d,\"allow_overtime\":%s"
						 ",\"count_early_arrival\":%s}",
						 shift->grace_late, shift->grace_early,
						 shift->window_before, shift->window_after,
						 shift->min_overtime,
						 (shift->flags & ATT_SHIFT_ALLOW_OVERTIME) ? "true" : "false",
						 (shift->flags & ATT_SHIFT_COUNT_EARLY) ? "true" : "false");
	}
}

/* Appends how worked time was obtained. */
static void
trace_worked(StringInfo trace, const AttDayResult *r, const AttPlanDay *d,
			 const AttPlanShift *shifts, int64 present)
{
	const char *explanation;

	if (d->nshifts == 0)
		explanation = "No shift applies (calendar-day mode): all time present is worked.";
	else if (d->kind != ATT_KIND_WORK)
		explanation = "Work on a day off or holiday: all time present less the breaks of the day's shifts.";
	else if (shifts->kind == ATT_SHIFT_FLEXIBLE)
		explanation = psprintf("Sum of the pairs' time inside the flexible band, less its breaks, up to the daily norm of %d s; the rest is overtime.",
					   shifts->daily_norm);
	else
		explanation = "Sum of the pairs' time inside the shifts, less their breaks.";
	if (d->nshifts > 0 && (shifts->flags & ATT_SHIFT_HAS_DEDUCT))
		explanation = psprintf("%s %s", explanation,
					   present >= shifts->break_after ?
					   psprintf("Less a break of %d s, because %lld s present reach the %d s after which it is deducted.",
								shifts->break_deduct, (long long) present,
								shifts->break_after) :
					   psprintf("No break deducted: %lld s present are less than %d s.",
								(long long) present, shifts->break_after));
	figure(trace, r->work_day, "worked", r->worked, true, explanation);
}

/* Appends how lateness and early leave were obtained. */
static void
trace_late_early(StringInfo trace, const AttDayResult *r,
				 const AttPlanShift *first, const AttPlanShift *last)
{
	bool		flexible = first->kind == ATT_SHIFT_FLEXIBLE;
	const char *start_name = flexible ? "core start" : "shift start";
	const char *end_name = flexible ? "core end" : "shift end";

	if (!r->has_shift)
		figure(trace, r->work_day, "late", 0, false,
			   "No lateness: the day is not a work day with shifts.");
	else if (!r->has_late)
		figure(trace, r->work_day, "late", 0, false,
			   "No lateness: the day's first punch is not an entry, or a flexible shift has no core hours.");
	else if (r->first_in <= r->due_start)
		figure(trace, r->work_day, "late", r->late, true,
			   psprintf("The first entry came %lld s before the %s.",
						(long long) (r->due_start - r->first_in), start_name));
	else
		figure(trace, r->work_day, "late", r->late, true,
			   psprintf("The first entry came %lld s after the %s; the grace is %d s, so %s.",
						(long long) (r->first_in - r->due_start), start_name,
						first->grace_late,
						r->late > 0 ? "the whole lateness counts" : "it counts as 0"));
	if (!r->has_shift)
		figure(trace, r->work_day, "early_leave", 0, false,
			   "No early leave: the day is not a work day with shifts.");
	else if (!r->has_early_leave)
		figure(trace, r->work_day, "early_leave", 0, false,
			   "No early leave: the day's last punch is not an exit, or a flexible shift has no core hours.");
	else if (r->last_out >= r->due_end)
		figure(trace, r->work_day, "early_leave", r->early_leave, true,
			   psprintf("The last exit came %lld s after the %s.",
						(long long) (r->last_out - r->due_end), end_name));
	else
		figure(trace, r->work_day, "early_leave", r->early_leave, true,
			   psprintf("The last exit came %lld s before the %s; the grace is %d s, so %s.",
						(long long) (r->due_end - r->last_out), end_name,
						last->grace_early,
						r->early_leave > 0 ? "the whole early leave counts" : "it counts as 0"));
}

/* Appends the zero figures of a day outside the employment dates, with why. */
static void
trace_outside(StringInfo trace, const AttDayResult *r)
{
	static const char *const cleared[] = {
		"worked", "late", "early_leave", "early_arrival", "overtime", "night",
		"norm"
	};
	const char *explanation = "None: the day is outside the employment dates, so it has no norm and the time of its pairs is not work time.";
	size_t		i;

	for (i = 0; i < lengthof(cleared); i++)
		figure(trace, r->work_day, cleared[i], 0,
			   strcmp(cleared[i], "late") != 0 &&
			   strcmp(cleared[i], "early_leave") != 0, explanation);
}

/* Appends the figures of a finished day and how each was obtained. */
void
att_trace_day(StringInfo trace, const AttDayResult *r, const AttPlanDay *d,
			  const AttPlanShift *shifts, int64 present)
{
	DateADT		day = r->work_day;

	trace_shifts(trace, r, d, shifts);
	figure(trace, day, "present", r->present, true,
		   "Sum of the pairs of the day.");
	if (r->anomalies & ATT_ANOM_OUTSIDE_EMPLOYMENT)
		trace_outside(trace, r);
	else
	{
		trace_worked(trace, r, d, shifts, present);
		if (d->nshifts > 0)
			trace_late_early(trace, r, shifts, shifts + d->nshifts - 1);
		figure(trace, day, "early_arrival", r->early_arrival, true,
			   "Time of the pairs before the first shift's start, on a work day.");
		figure(trace, day, "overtime", r->overtime, true,
			   "Time of the pairs after the last shift's end (and before the first shift's start when the schedule counts early arrival), each part counted only when it reaches the schedule's minimum and the schedule allows overtime.");
		figure(trace, day, "night", r->night, true,
			   "Time of the pairs between 22:00 and 06:00 local time, less breaks.");
		figure(trace, day, "norm", r->norm, true,
			   r->norm > 0 ?
			   "Length of the day's shifts less their breaks and any deducted break." :
			   "No norm: the day is not a work day with shifts.");
	}
	figure(trace, day, "is_final", r->is_final ? 1 : 0, true,
		   r->is_final ?
		   "The day's attribution window has closed." :
		   "The day's attribution window has not closed yet: punches may still come, and the day is never marked absent.");
	if (r->anomalies & ATT_ANOM_ABSENT)
		att_trace_note(trace, day, "absent",
					   "A final work day without any punch within the employment dates.");
	if (r->anomalies & ATT_ANOM_OUTSIDE_WINDOW)
		att_trace_note(trace, day, "outside_window",
					   "A punch of the day lies in no shift's attribution window, so no shift explains its time.");
}
