/*-------------------------------------------------------------------------
 *
 * engine.c
 *	  Attendance rules: from one employee's punches to figures per work day.
 *
 * The punches are sorted by time and walked once:
 *
 * 1. De-duplication: a punch is dropped when it comes less than the
 *    organization's window after the previous kept punch and repeats its
 *    direction, or when either of the two has no direction.  An exit and an
 *    entry at the same second are both kept.
 * 2. Attribution: a punch belongs to the day whose window (first shift start
 *    minus window_before to last shift end plus window_after) contains it.
 *    Where windows overlap, the day with the nearest shift start wins.  A
 *    punch in no window belongs to its local calendar date, except that an
 *    exit (or a punch without direction) joins the latest open entry of an
 *    earlier date when it comes at most MAX_UNSCHEDULED_PAIR_SEC after it,
 *    so that a pair belongs to its entry's day.
 * 3. Direction: the event's or the access point's when known (resolved in
 *    SQL); otherwise the opposite of the previous punch of the same day, and
 *    an entry for the day's first punch (flagged direction_inferred).
 * 4. Pairing: an exit closes the open entry of its day.  An exit at the
 *    same second as the open entry is ignored and the entry stays open
 *    (zero_length_pair).  An entry while another is open leaves the first
 *    one unpaired (consecutive_entries).  An exit without an open entry is
 *    missing_entry, and an entry still open at the end is missing_exit.
 *    Unpaired punches add no time, unless the organization closes a missing
 *    exit at the end of the day's last shift.  An entry after an exit that
 *    leaves scheduled time (outside breaks) uncovered flags a gap.
 *
 * Each pair adds to its day: present time; on a work day the time inside
 * the shifts less the break (worked), before the first shift (early
 * arrival) and after the last shift (overtime, each part counted only when
 * it reaches min_overtime and the schedule allows overtime; early arrival
 * only with count_early_arrival); on other days everything but the break
 * is worked.  Night time is 22:00-06:00 local, less any break.  A
 * schedule with a break after N hours takes its minutes off the worked
 * time of a day with at least N hours present.  In calendar-day mode an
 * organization may split a pair at local midnight between the two dates.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "attendance/attendance.h"
#include "attendance/engine.h"
#include "utils/datetime.h"

/*
 * Longest pair whose exit falls in no window and joins the entry of an
 * earlier date.  It exceeds the 12-hour maximum shift of the Labour Code
 * with room for overtime, and stays short of a whole day so that a
 * forgotten exit does not swallow the next day's punches.
 */
#define MAX_UNSCHEDULED_PAIR_SEC	(16 * 3600)

#define NIGHT_START_SEC		(22 * 3600)
#define NIGHT_END_SEC		(6 * 3600)

/* A punch being processed: absolute time and the day it was given */
typedef struct Punch
{
	int64		t;				/* seconds since 2000 UTC */
	int64		event_id;
	int32		day;			/* plan day index, -1 when dropped */
	int16		raw_dir;		/* as received */
	int16		dir;			/* after inference */
} Punch;


static const char *const anomaly_names[ATT_ANOM_COUNT] = {
	"missing_entry", "missing_exit", "consecutive_entries",
	"direction_inferred", "absent", "no_schedule", "outside_employment",
	"zero_length_pair", "gap", "outside_window"
};

/* Returns the name of the anomaly flag with bit number bit_no. */
const char *
att_anomaly_name(int bit_no)
{
	Assert(bit_no >= 0 && bit_no < ATT_ANOM_COUNT);
	return anomaly_names[bit_no];
}

static inline int64
floor_div(int64 a, int64 b)
{
	return a >= 0 ? a / b : -((-a + b - 1) / b);
}

/* Length of the intersection of [a, b) and [x, y) */
static inline int64
overlap(int64 a, int64 b, int64 x, int64 y)
{
	int64		lo = Max(a, x);
	int64		hi = Min(b, y);

	return hi > lo ? hi - lo : 0;
}

/* Returns the index of the local date of t, which may be outside the plan. */
static int32
calendar_day(const Engine *e, int64 t)
{
	int64		k = floor_div(t - e->days[0].midnight, ATT_SECS_PER_DAY);

	/* a date is not always 86400 s long when the offset changes */
	if (k < -2 || k > e->ndays + 1)
		return k < 0 ? -3 : e->ndays + 2;
	while (t < midnight_of(e, (int32) k))
		k--;
	while (t >= midnight_of(e, (int32) k + 1))
		k++;
	return (int32) k;
}

/*
 * Returns the day whose attribution window contains t, the one with the
 * nearest shift start when several do, or -1.  A window reaches at most
 * 12 h before its date and 60 h after its midnight (a 24-hour shift starting
 * late in the day plus 12 h), so days k-2 .. k+1 of the calendar date k are
 * enough.
 */
static int32
window_day(const Engine *e, int64 t, int32 k)
{
	int32		best = -1;
	int64		best_distance = 0;
	int32		c;

	for (c = Max(k - 2, 0); c <= Min(k + 1, e->ndays - 1); c++)
	{
		const AttPlanDay *d = &e->days[c];
		const AttPlanShift *first;
		const AttPlanShift *last;
		int32		j;

		if (d->nshifts == 0)
			continue;
		first = &e->shifts[d->first_shift];
		last = first + d->nshifts - 1;
		if (t < d->midnight + first->start - first->window_before ||
			t > d->midnight + last->end + last->window_after)
			continue;
		for (j = 0; j < d->nshifts; j++)
		{
			int64		distance = t - (d->midnight + first[j].start);

			if (distance < 0)
				distance = -distance;
			if (best < 0 || distance < best_distance)
			{
				best = c;
				best_distance = distance;
			}
		}
	}
	return best;
}

/* Night seconds of [a, b), less the breaks of day k's shifts. */
static int64
night_seconds(const Engine *e, int32 k, int64 a, int64 b)
{
	const AttPlanDay *d = &e->days[k];
	const AttPlanShift *shifts = &e->shifts[d->first_shift];
	int32		last = calendar_day(e, b) + 1;
	int64		total = 0;
	int32		j;

	for (j = calendar_day(e, a); j <= last; j++)
	{
		/* 22:00 of the previous date to 06:00 of date j, each by its offset */
		int64		ns = midnight_of(e, j - 1) + NIGHT_START_SEC;
		int64		ne = midnight_of(e, j) + NIGHT_END_SEC;
		int32		s;

		total += overlap(a, b, ns, ne);
		for (s = 0; s < d->nshifts; s++)
			if (shifts[s].flags & ATT_SHIFT_HAS_BREAK)
				total -= overlap(Max(a, ns), Min(b, ne),
								 d->midnight + shifts[s].break_start,
								 d->midnight + shifts[s].break_end);
	}
	return total;
}

/*
 * Seconds of [a, b) in which day k requires presence: inside its shifts,
 * less their breaks.  Of a flexible shift only the core hours count.
 */
static int64
scheduled_seconds(const Engine *e, int32 k, int64 a, int64 b)
{
	const AttPlanDay *d = &e->days[k];
	int64		total = 0;
	int32		s;

	for (s = 0; s < d->nshifts; s++)
	{
		const AttPlanShift *shift = &e->shifts[d->first_shift + s];
		int64		lo = d->midnight + shift->start;
		int64		hi = d->midnight + shift->end;

		if (shift->kind == ATT_SHIFT_FLEXIBLE)
		{
			if (!(shift->flags & ATT_SHIFT_HAS_CORE))
				continue;
			lo = d->midnight + shift->core_start;
			hi = d->midnight + shift->core_end;
		}
		total += overlap(a, b, lo, hi);
		if (shift->flags & ATT_SHIFT_HAS_BREAK)
			total -= overlap(a, b, Max(lo, d->midnight + shift->break_start),
							 Min(hi, d->midnight + shift->break_end));
	}
	return total;
}

/* Adds a pair [a, b) to the figures of day k. */
static void
add_pair(Engine *e, int32 k, int64 a, int64 b)
{
	const AttPlanDay *d = &e->days[k];
	DayWork    *w = &e->work[k];
	int64		in_break = 0;
	int64		in_shift = 0;
	int32		s;

	/* calendar-day mode with the split-at-midnight policy */
	if (d->nshifts == 0 && (e->plan->flags & ATT_PLAN_SPLIT_AT_MIDNIGHT) &&
		k + 1 < e->ndays && b > e->days[k + 1].midnight &&
		a < e->days[k + 1].midnight)
	{
		int64		midnight = e->days[k + 1].midnight;

		add_pair(e, k + 1, midnight, b);
		b = midnight;
	}

	w->present += b - a;
	w->night += night_seconds(e, k, a, b);
	if (d->nshifts == 0)
	{
		w->worked += b - a;
		return;
	}

	for (s = 0; s < d->nshifts; s++)
	{
		const AttPlanShift *shift = &e->shifts[d->first_shift + s];
		int64		br = 0;

		if (shift->flags & ATT_SHIFT_HAS_BREAK)
			br = overlap(a, b, d->midnight + shift->break_start,
						 d->midnight + shift->break_end);
		in_shift += overlap(a, b, d->midnight + shift->start,
							d->midnight + shift->end) - br;
		in_break += br;
	}

	if (d->kind == ATT_KIND_WORK)
	{
		const AttPlanShift *first = &e->shifts[d->first_shift];
		const AttPlanShift *last = first + d->nshifts - 1;
		int64		before = overlap(a, b, PG_INT64_MIN, d->midnight + first->start);
		int64		after = overlap(a, b, d->midnight + last->end, PG_INT64_MAX);

		w->worked += in_shift;
		w->early_arrival += before;
		if ((first->flags & ATT_SHIFT_ALLOW_OVERTIME) &&
			(first->flags & ATT_SHIFT_COUNT_EARLY) &&
			before > 0 && before >= first->min_overtime)
			w->overtime += before;
		if ((last->flags & ATT_SHIFT_ALLOW_OVERTIME) &&
			after > 0 && after >= last->min_overtime)
			w->overtime += after;
	}
	else
		w->worked += (b - a) - in_break;	/* all of it counts off-schedule */
}

/*
 * Adds a pair [a, b) to day k and, when explaining, writes what it added
 * to each day it touched (the next one too, when split at midnight).
 */
void
att_record_pair(Engine *e, int32 k, int64 a, int64 b)
{
	DayWork		before[2];
	int32		j;

	if (e->trace == NULL)
	{
		add_pair(e, k, a, b);
		return;
	}
	before[0] = e->work[k];
	if (k + 1 < e->ndays)
		before[1] = e->work[k + 1];
	add_pair(e, k, a, b);
	for (j = 0; j < 2 && k + j < e->ndays; j++)
	{
		const DayWork *w = &e->work[k + j];

		if (w->present == before[j].present)
			continue;
		att_trace_pair(e->trace, e->plan->first_day + k + j, a, b,
					   w->present - before[j].present,
					   w->worked - before[j].worked,
					   w->early_arrival - before[j].early_arrival,
					   w->overtime - before[j].overtime,
					   w->night - before[j].night);
	}
}

/*
 * Finds the day a kept punch belongs to (see the file header), infers its
 * direction if needed and pairs it.  Sets p->day to -1 when the day is
 * outside the plan.
 */
static void
place_punch(Engine *e, Punch *p)
{
	int32		k_cal = calendar_day(e, p->t);
	int32		k = window_day(e, p->t, k_cal);
	bool		in_window = (k >= 0);
	DayWork    *w;

	if (k < 0)
	{
		int32		best = -1;
		int32		c;

		k = k_cal;
		for (c = Max(k_cal - 2, 0); p->raw_dir != ATT_DIR_IN &&
			 c <= Min(k_cal, e->ndays - 1); c++)
			if (e->work[c].has_open &&
				(best < 0 || e->work[c].open_entry > e->work[best].open_entry))
				best = c;
		if (best >= 0 &&
			(best == k_cal ||
			 p->t - e->work[best].open_entry <= MAX_UNSCHEDULED_PAIR_SEC))
			k = best;
	}
	if (k < 0 || k >= e->ndays)
	{
		p->day = -1;
		if (e->trace)
			att_trace_punch(e->trace, p->event_id, p->t, p->raw_dir, false,
							DATEVAL_NOBEGIN, "outside_plan", 0);
		return;
	}

	w = &e->work[k];
	p->day = k;
	/* Flag a punch in no window that is given to a day with shifts. */
	if (!in_window && e->days[k].nshifts > 0)
		w->anomalies |= ATT_ANOM_OUTSIDE_WINDOW;
	p->dir = p->raw_dir;
	if (p->dir == ATT_DIR_NONE)
	{
		p->dir = (w->punch_count > 0 && w->last_dir == ATT_DIR_IN) ?
			ATT_DIR_OUT : ATT_DIR_IN;
		w->anomalies |= ATT_ANOM_DIRECTION_INFERRED;
	}

	if (p->dir == ATT_DIR_OUT && w->has_open && w->open_entry == p->t)
	{
		/* The exit is noise: it is counted, and the entry stays open. */
		w->anomalies |= ATT_ANOM_ZERO_LENGTH_PAIR;
		w->punch_count++;
		if (e->trace)
			att_trace_punch(e->trace, p->event_id, p->t, p->dir,
							p->raw_dir == ATT_DIR_NONE, e->plan->first_day + k,
							"ignored_zero_length", 0);
		return;
	}
	if (e->trace)
		att_trace_punch(e->trace, p->event_id, p->t, p->dir,
						p->raw_dir == ATT_DIR_NONE, e->plan->first_day + k,
						"kept", 0);
	if (w->punch_count++ == 0)
		w->first_dir = p->dir;
	w->last_dir = p->dir;

	if (p->dir == ATT_DIR_IN)
	{
		if (w->has_open)
			w->anomalies |= ATT_ANOM_CONSECUTIVE_ENTRIES;
		else if (w->has_last_out && e->days[k].kind == ATT_KIND_WORK &&
				 scheduled_seconds(e, k, w->last_out, p->t) > 0)
			w->anomalies |= ATT_ANOM_GAP;
		w->has_open = true;
		w->open_entry = p->t;
		if (!w->has_first_in)
		{
			w->has_first_in = true;
			w->first_in = p->t;
		}
	}
	else
	{
		if (w->has_open)
		{
			att_record_pair(e, k, w->open_entry, p->t);
			w->has_open = false;
		}
		else
			w->anomalies |= ATT_ANOM_MISSING_ENTRY;
		w->has_last_out = true;
		w->last_out = p->t;
	}
}

/* Sort order of punches: time, then event id */
static inline int
punch_cmp(const Punch *a, const Punch *b)
{
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	if (a->event_id != b->event_id)
		return a->event_id < b->event_id ? -1 : 1;
	return 0;
}

#define ST_SORT sort_punches
#define ST_ELEMENT_TYPE Punch
#define ST_COMPARE(a, b) punch_cmp(a, b)
#define ST_SCOPE static
#define ST_DEFINE
#include "lib/sort_template.h"

/* Copies the punches to absolute times and sorts them unless in order. */
static Punch *
sorted_punches(int64 base, const AttPunch *punches, int32 n)
{
	Punch	   *p = palloc(Max(n, 1) * sizeof(Punch));
	bool		sorted = true;
	int32		i;

	for (i = 0; i < n; i++)
	{
		p[i].t = base + punches[i].t;
		p[i].event_id = punches[i].event_id;
		p[i].raw_dir = punches[i].dir;
		p[i].dir = punches[i].dir;
		p[i].day = -1;
		if (i > 0 && sorted && punch_cmp(&p[i - 1], &p[i]) > 0)
			sorted = false;
	}
	if (!sorted)
		sort_punches(p, n);
	return p;
}

/* Tells whether punch p repeats the previous kept punch. */
static inline bool
is_repeat(const Punch *kept, const Punch *p, int32 window)
{
	return p->t - kept->t < window &&
		(p->raw_dir == kept->raw_dir ||
		 p->raw_dir == ATT_DIR_NONE || kept->raw_dir == ATT_DIR_NONE);
}

/* Returns year * 12 + month - 1 of a finite date. */
static int
month_number(DateADT day)
{
	int			year;
	int			month;
	int			mday;

	j2date(day + POSTGRES_EPOCH_JDATE, &year, &month, &mday);
	return year * 12 + month - 1;
}

/*
 * Tells whether day lies in a calendar month that has a day of
 * [emit_from, emit_to].  The employment dates come clipped to the period.
 * A date is clipped only to the period's first or last day, so for a day
 * of the period the test gives the same result as with the real dates.
 */
static bool
in_employment_months(DateADT day, DateADT emit_from, DateADT emit_to)
{
	int			month = month_number(day);

	return (DATE_NOT_FINITE(emit_from) || month_number(emit_from) <= month) &&
		(DATE_NOT_FINITE(emit_to) || month <= month_number(emit_to));
}

/*
 * Computes the figures of one employee's days of the plan's period.  Days
 * within [emit_from, emit_to] (the employment dates) are returned even
 * without punches.  Other days of the period are returned only when they
 * have punches and lie in a calendar month of the employment, so that
 * whether such a day has a row depends on the day alone, not on the
 * period computed.
 * Allocates the result in the current memory context.  When trace is not
 * NULL, appends to it, as JSON objects separated by commas, every step that
 * explains the figures (see trace.c).
 */
void
att_compute(const AttPlanHeader *plan, DateADT emit_from, DateADT emit_to,
			int64 base, const AttPunch *punches, int32 npunches,
			AttResult *result, StringInfo trace)
{
	Engine		e;
	Punch	   *p = sorted_punches(base, punches, npunches);
	int32	   *slot;
	int32		kept = -1;
	int32		first = plan->period_first - plan->first_day;
	int32		last = plan->period_last - plan->first_day;
	int32		nevents = 0;
	int32		i;
	int32		k;

	e.plan = plan;
	e.days = att_plan_days(plan);
	e.shifts = att_plan_shifts(plan);
	e.ndays = plan->ndays;
	e.work = palloc0(plan->ndays * sizeof(DayWork));
	e.trace = trace;

	for (i = 0; i < npunches; i++)
	{
		if (kept >= 0 && is_repeat(&p[kept], &p[i], plan->dedup_window_sec))
		{
			if (trace)
				att_trace_punch(trace, p[i].event_id, p[i].t, p[i].raw_dir,
								false, p[kept].day >= 0 ?
								plan->first_day + p[kept].day : DATEVAL_NOBEGIN,
								"dropped_duplicate", p[kept].event_id);
			continue;
		}
		kept = i;
		place_punch(&e, &p[i]);
	}
	for (k = 0; k < plan->ndays; k++)
		att_close_missing_exit(&e, k);

	/* Days of the period to return, and where their event ids go. */
	result->days = palloc((last - first + 1) * sizeof(AttDayResult));
	result->ndays = 0;
	slot = palloc(plan->ndays * sizeof(int32));
	for (k = 0; k < plan->ndays; k++)
	{
		DateADT		day = plan->first_day + k;
		bool		employed = day >= emit_from && day <= emit_to;
		AttDayResult *r;

		slot[k] = -1;
		if (k < first || k > last ||
			(!employed && (e.work[k].punch_count == 0 ||
						   !in_employment_months(day, emit_from, emit_to))))
			continue;
		r = &result->days[result->ndays];
		att_finish_day(&e, k, employed, r);
		if (trace)
			att_trace_day(trace, r, &e.days[k], &e.shifts[e.days[k].first_shift],
						  e.work[k].present);
		r->first_event = nevents;
		slot[k] = nevents;
		nevents += r->punch_count;
		result->ndays++;
	}

	result->event_ids = palloc(Max(nevents, 1) * sizeof(int64));
	for (i = 0; i < npunches; i++)
		if (p[i].day >= 0 && slot[p[i].day] >= 0)
			result->event_ids[slot[p[i].day]++] = p[i].event_id;
}
