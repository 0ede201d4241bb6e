/*-------------------------------------------------------------------------
 *
 * plan.c
 *	  Work plans: what each local date of a period expects of an employee.
 *
 * A work plan lists, for every local date of a period and a few days of
 * context around it, the day kind, the schedule, the UTC offset of the date
 * in the organization's time zone and the shifts.  The SQL side builds one
 * plan for each distinct schedule assignment with otan_enbek.attendance_plan
 * and hands it to the attendance_days aggregate, which reads it in place.
 * A plan is one flat bytea, so it is copied and serialized as one block.
 *
 * Each date carries the UTC offset of its own local midnight, so the engine
 * converts times without a time zone lookup per punch.  This assumes that
 * the offset changes only at midnight and never back and forth within a day
 * (no daylight saving time), which holds for Kazakhstan: its last change,
 * from UTC+6 to UTC+5 in Almaty on 2024-03-01, happened at midnight.  A
 * shift that crosses such a change is placed with the offset of its start
 * date.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "attendance/attendance.h"

PG_FUNCTION_INFO_V1(otan_enbek_attendance_plan);

/* Fields of otan_enbek.attendance_plan_day */
enum
{
	PD_WORK_DAY = 1,
	PD_DAY_KIND,
	PD_SCHEDULE_ID,
	PD_UTC_OFFSET,
	PD_NATTS = PD_UTC_OFFSET
};

/* Fields of otan_enbek.attendance_plan_shift */
enum
{
	PS_WORK_DAY = 1,
	PS_START,
	PS_END,
	PS_BREAK_START,
	PS_BREAK_END,
	PS_GRACE_LATE,
	PS_GRACE_EARLY,
	PS_WINDOW_BEFORE,
	PS_WINDOW_AFTER,
	PS_MIN_OVERTIME,
	PS_ALLOW_OVERTIME,
	PS_COUNT_EARLY,
	PS_NATTS_1_0 = PS_COUNT_EARLY,	/* the type as version 1.0 created it */
	PS_BREAK_AFTER,
	PS_BREAK_DEDUCT,
	PS_CORE_START,
	PS_CORE_END,
	PS_DAILY_NORM,
	PS_NATTS = PS_DAILY_NORM
};

/* A shift read from SQL, with the date it belongs to */
typedef struct ShiftInput
{
	DateADT		day;
	AttPlanShift shift;
} ShiftInput;

static const char *const kind_names[] = {NULL, "work", "weekend", "holiday", "day_off"};

/* Returns the attendance_day.day_kind word of a kind code. */
const char *
att_kind_name(int16 kind)
{
	if (kind < ATT_KIND_WORK || kind > ATT_KIND_DAY_OFF)
		elog(ERROR, "invalid attendance day kind %d", kind);
	return kind_names[kind];
}

/* Returns the kind code of a day_kind word, or raises an error. */
static int16
kind_code(const char *name)
{
	int16		kind;

	for (kind = ATT_KIND_WORK; kind <= ATT_KIND_DAY_OFF; kind++)
		if (strcmp(name, kind_names[kind]) == 0)
			return kind;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid day kind \"%s\" in attendance plan", name),
			 errhint("Use work, weekend, holiday or day_off.")));
	return 0;					/* not reached */
}

/* Reads a field of a composite value and raises an error if it is NULL. */
static Datum
required_field(HeapTupleHeader tuple, int attno, const char *what,
			   const char *field)
{
	bool		isnull;
	Datum		value = GetAttributeByNum(tuple, attno, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s of attendance plan has a null %s", what, field)));
	return value;
}

/* Reads an optional integer field, or returns -1 when it is NULL. */
static int32
optional_int_field(HeapTupleHeader tuple, int attno)
{
	bool		isnull;
	Datum		value = GetAttributeByNum(tuple, attno, &isnull);

	return isnull ? -1 : DatumGetInt32(value);
}

/*
 * Deconstructs an array of composites and checks that their type has
 * min_natts to max_natts fields.  Returns the number of elements and sets
 * *natts to the type's number of fields.
 */
static int
composite_elements(ArrayType *array, const char *type_name, int min_natts,
				   int max_natts, Datum **elems, int *natts)
{
	Oid			elemtype = ARR_ELEMTYPE(array);
	TupleDesc	tupdesc;
	bool	   *nulls;
	int			n;
	int			i;

	tupdesc = lookup_rowtype_tupdesc(elemtype, -1);
	*natts = tupdesc->natts;
	if (tupdesc->natts < min_natts || tupdesc->natts > max_natts)
		elog(ERROR, "%s has %d fields, expected %d to %d", type_name,
			 tupdesc->natts, min_natts, max_natts);
	ReleaseTupleDesc(tupdesc);

	deconstruct_array(array, elemtype, -1, false, TYPALIGN_DOUBLE,
					  elems, &nulls, &n);
	for (i = 0; i < n; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("attendance plan contains a null %s", type_name)));
	return n;
}

/* qsort comparator: shifts by date, then by start */
static int
shift_input_cmp(const void *a, const void *b)
{
	const ShiftInput *x = a;
	const ShiftInput *y = b;

	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	if (x->shift.start != y->shift.start)
		return x->shift.start < y->shift.start ? -1 : 1;
	return 0;
}

/* qsort comparator: dates in ascending order */
static int
dateadt_qsort_cmp(const void *a, const void *b)
{
	DateADT		x = *(const DateADT *) a;
	DateADT		y = *(const DateADT *) b;

	return x < y ? -1 : (x > y ? 1 : 0);
}

/* Raises an error that names the field unless low <= value <= high. */
static void
check_range(int32 value, int32 low, int32 high, DateADT day, const char *field)
{
	if (value < low || value > high)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s %d for %s in attendance plan", field, value,
						DatumGetCString(DirectFunctionCall1(date_out,
															DateADTGetDatum(day)))),
				 errdetail("The value must be between %d and %d.", low, high)));
}

/*
 * Reads the fields of a flexible shift, when daily_norm_sec is set: the
 * norm and the optional core hours, which must lie within the band.
 */
static void
read_flexible(HeapTupleHeader tuple, ShiftInput *out)
{
	AttPlanShift *s = &out->shift;
	int32		norm = optional_int_field(tuple, PS_DAILY_NORM);
	int32		core_start = optional_int_field(tuple, PS_CORE_START);
	int32		core_end = optional_int_field(tuple, PS_CORE_END);

	if (norm < 0)
	{
		if (core_start >= 0 || core_end >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("shift of attendance plan has core hours but no daily_norm_sec"),
					 errhint("Core hours belong to flexible shifts, which need a daily norm.")));
		return;
	}
	check_range(norm, 1, s->end - s->start, out->day, "daily_norm_sec");
	s->kind = ATT_SHIFT_FLEXIBLE;
	s->daily_norm = norm;
	if ((core_start < 0) != (core_end < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("core hours of attendance plan have only one end"),
				 errhint("Give both core_start_sec and core_end_sec, or neither.")));
	if (core_start >= 0)
	{
		check_range(core_start, s->start, s->end - 1, out->day, "core_start_sec");
		check_range(core_end, core_start + 1, s->end, out->day, "core_end_sec");
		s->core_start = core_start;
		s->core_end = core_end;
		s->flags |= ATT_SHIFT_HAS_CORE;
	}
}

/*
 * Reads one otan_enbek.attendance_plan_shift value of natts fields and
 * checks it.
 */
static void
read_shift(HeapTupleHeader tuple, int natts, ShiftInput *out)
{
	AttPlanShift *s = &out->shift;
	int32		break_start;
	int32		break_end;

	out->day = DatumGetDateADT(required_field(tuple, PS_WORK_DAY, "shift", "work_day"));
	memset(s, 0, sizeof(*s));
	s->kind = ATT_SHIFT_FIXED;
	s->start = DatumGetInt32(required_field(tuple, PS_START, "shift", "start_sec"));
	s->end = DatumGetInt32(required_field(tuple, PS_END, "shift", "end_sec"));
	s->grace_late = DatumGetInt32(required_field(tuple, PS_GRACE_LATE, "shift", "grace_late_sec"));
	s->grace_early = DatumGetInt32(required_field(tuple, PS_GRACE_EARLY, "shift", "grace_early_sec"));
	s->window_before = DatumGetInt32(required_field(tuple, PS_WINDOW_BEFORE, "shift", "window_before_sec"));
	s->window_after = DatumGetInt32(required_field(tuple, PS_WINDOW_AFTER, "shift", "window_after_sec"));
	s->min_overtime = DatumGetInt32(required_field(tuple, PS_MIN_OVERTIME, "shift", "min_overtime_sec"));
	if (DatumGetBool(required_field(tuple, PS_ALLOW_OVERTIME, "shift", "allow_overtime")))
		s->flags |= ATT_SHIFT_ALLOW_OVERTIME;
	if (DatumGetBool(required_field(tuple, PS_COUNT_EARLY, "shift", "count_early_arrival")))
		s->flags |= ATT_SHIFT_COUNT_EARLY;

	check_range(s->start, 0, ATT_SECS_PER_DAY - 1, out->day, "shift start_sec");
	check_range(s->end, s->start + 1, s->start + ATT_SECS_PER_DAY, out->day,
				"shift end_sec");
	check_range(s->grace_late, 0, ATT_SECS_PER_DAY, out->day, "grace_late_sec");
	check_range(s->grace_early, 0, ATT_SECS_PER_DAY, out->day, "grace_early_sec");
	check_range(s->window_before, 0, ATT_SECS_PER_DAY / 2, out->day, "window_before_sec");
	check_range(s->window_after, 0, ATT_SECS_PER_DAY / 2, out->day, "window_after_sec");
	check_range(s->min_overtime, 0, ATT_SECS_PER_DAY, out->day, "min_overtime_sec");

	break_start = optional_int_field(tuple, PS_BREAK_START);
	break_end = optional_int_field(tuple, PS_BREAK_END);
	if ((break_start < 0) != (break_end < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("shift break of attendance plan has only one end"),
				 errhint("Give both break_start_sec and break_end_sec, or neither.")));
	if (break_start >= 0)
	{
		check_range(break_start, s->start, s->end - 1, out->day, "break_start_sec");
		check_range(break_end, break_start + 1, s->end, out->day, "break_end_sec");
		s->break_start = break_start;
		s->break_end = break_end;
		s->flags |= ATT_SHIFT_HAS_BREAK;
	}
	if (natts >= PS_BREAK_DEDUCT)
	{
		int32		after = optional_int_field(tuple, PS_BREAK_AFTER);
		int32		deduct = optional_int_field(tuple, PS_BREAK_DEDUCT);

		if ((after < 0) != (deduct < 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("break after hours of attendance plan has only one of its two values"),
					 errhint("Give both break_after_sec and break_deduct_sec, or neither.")));
		if (after >= 0)
		{
			check_range(after, 1, ATT_SECS_PER_DAY, out->day, "break_after_sec");
			check_range(deduct, 1, ATT_SECS_PER_DAY / 2, out->day, "break_deduct_sec");
			s->break_after = after;
			s->break_deduct = deduct;
			s->flags |= ATT_SHIFT_HAS_DEDUCT;
		}
	}
	if (natts >= PS_DAILY_NORM)
		read_flexible(tuple, out);
}

/*
 * Checks the scalar arguments of attendance_plan: none is NULL, the
 * de-duplication window is within a day, and the dates are finite.
 */
static void
check_plan_arguments(FunctionCallInfo fcinfo)
{
	int32		dedup;
	int			i;

	for (i = 0; i < 5; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("argument %d of attendance_plan must not be null", i + 1)));
	dedup = PG_GETARG_INT32(3);
	if (dedup < 0 || dedup > 86400)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid de-duplication window %d s", dedup),
				 errdetail("The window must be between 0 and 86400 seconds.")));
	if (TIMESTAMP_NOT_FINITE(PG_GETARG_TIMESTAMPTZ(2)) ||
		DATE_NOT_FINITE(PG_GETARG_DATEADT(0)) ||
		DATE_NOT_FINITE(PG_GETARG_DATEADT(1)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("attendance plan dates must be finite")));
}

/* Converts a timestamp to whole seconds since 2000-01-01, rounding down. */
static int64
as_of_seconds(TimestampTz as_of)
{
	return (as_of >= 0 ? as_of : as_of - (USECS_PER_SEC - 1)) / USECS_PER_SEC;
}

/*
 * Returns the sorted dates of the plan's days, after checking that they are
 * consecutive and cover the period.
 */
static DateADT *
read_plan_dates(Datum *day_elems, int ndays, DateADT period_first,
				DateADT period_last)
{
	DateADT    *dates = palloc(ndays * sizeof(DateADT));
	int			i;

	for (i = 0; i < ndays; i++)
		dates[i] = DatumGetDateADT(required_field(DatumGetHeapTupleHeader(day_elems[i]),
												  PD_WORK_DAY, "day", "work_day"));
	qsort(dates, ndays, sizeof(DateADT), dateadt_qsort_cmp);
	for (i = 1; i < ndays; i++)
		if (dates[i] != dates[i - 1] + 1)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("days of attendance plan are not consecutive dates"),
					 errdetail("A date is missing or repeated after %s.",
							   DatumGetCString(DirectFunctionCall1(date_out,
																   DateADTGetDatum(dates[i - 1]))))));
	if (period_first > period_last || period_first < dates[0] ||
		period_last > dates[ndays - 1])
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period of attendance plan is not within its days")));
	return dates;
}

/* Fills the plan's days from the attendance_plan_day values. */
static void
fill_plan_days(AttPlanHeader *plan, Datum *day_elems, DateADT first_day)
{
	AttPlanDay *pdays = (AttPlanDay *) att_plan_days(plan);
	int			i;

	for (i = 0; i < plan->ndays; i++)
	{
		HeapTupleHeader tuple = DatumGetHeapTupleHeader(day_elems[i]);
		DateADT		day = DatumGetDateADT(required_field(tuple, PD_WORK_DAY,
														 "day", "work_day"));
		AttPlanDay *d = &pdays[day - first_day];
		bool		isnull;
		Datum		schedule;

		d->kind = kind_code(TextDatumGetCString(required_field(tuple, PD_DAY_KIND,
															   "day", "day_kind")));
		d->utc_offset = DatumGetInt32(required_field(tuple, PD_UTC_OFFSET,
													 "day", "utc_offset_sec"));
		check_range(d->utc_offset, -18 * 3600, 18 * 3600, day, "utc_offset_sec");
		schedule = GetAttributeByNum(tuple, PD_SCHEDULE_ID, &isnull);
		d->schedule_id = isnull ? 0 : DatumGetInt32(schedule);
		/* the engine stores a day without a schedule as schedule_id 0 */
		if (!isnull && d->schedule_id <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid schedule_id %d for %s in attendance plan",
							d->schedule_id,
							DatumGetCString(DirectFunctionCall1(date_out,
																DateADTGetDatum(day)))),
					 errdetail("Schedule ids are 1 or more, as work_schedule requires."),
					 errhint("Give a day without a schedule a NULL schedule_id.")));
		d->midnight = (int64) day * ATT_SECS_PER_DAY - d->utc_offset;
		d->first_shift = 0;
		d->nshifts = 0;
	}
}

/*
 * Fills the plan's shifts from the attendance_plan_shift values, sorted by
 * date and start, and links each day to its shifts.  The shifts of one date
 * must not overlap.
 */
static void
fill_plan_shifts(AttPlanHeader *plan, Datum *shift_elems, int natts,
				 DateADT first_day)
{
	AttPlanDay *pdays = (AttPlanDay *) att_plan_days(plan);
	AttPlanShift *pshifts = (AttPlanShift *) att_plan_shifts(plan);
	int			nshifts = plan->nshifts;
	ShiftInput *shifts = palloc(Max(nshifts, 1) * sizeof(ShiftInput));
	DateADT		last_day = first_day + plan->ndays - 1;
	int			i;

	for (i = 0; i < nshifts; i++)
		read_shift(DatumGetHeapTupleHeader(shift_elems[i]), natts, &shifts[i]);
	qsort(shifts, nshifts, sizeof(ShiftInput), shift_input_cmp);

	for (i = 0; i < nshifts; i++)
	{
		AttPlanDay *d;

		if (shifts[i].day < first_day || shifts[i].day > last_day)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("shift of attendance plan falls on a date outside its days")));
		d = &pdays[shifts[i].day - first_day];
		if (d->nshifts == 0)
			d->first_shift = i;
		else if (shifts[i].shift.start < pshifts[i - 1].end)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("shifts of %s overlap in attendance plan",
							DatumGetCString(DirectFunctionCall1(date_out,
																DateADTGetDatum(shifts[i].day)))),
					 errhint("Give the parts of a day separate, non-overlapping times.")));
		if (d->nshifts >= ATT_MAX_SHIFTS_PER_DAY)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("a day of attendance plan has more than %d shifts",
							ATT_MAX_SHIFTS_PER_DAY)));
		d->nshifts++;
		pshifts[i] = shifts[i].shift;
	}
}

/*
 * Packs a work plan from its days and shifts, both given as arrays of
 * composites (otan_enbek.attendance_plan_day and attendance_plan_shift).
 * The days must be consecutive dates, in any order, that cover the period.
 * The shifts of one date must not overlap.  The optional seventh and eighth
 * arguments are the organization's policies: split_at_midnight and
 * close_missing_exit (both false when absent or NULL).
 */
Datum
otan_enbek_attendance_plan(PG_FUNCTION_ARGS)
{
	Datum	   *day_elems;
	Datum	   *shift_elems = NULL;
	int			ndays;
	int			nshifts = 0;
	int			day_natts;
	int			shift_natts = PS_NATTS;
	DateADT    *dates;
	AttPlanHeader *plan;
	Size		size;

	check_plan_arguments(fcinfo);
	ndays = composite_elements(PG_GETARG_ARRAYTYPE_P(4),
							   "otan_enbek.attendance_plan_day", PD_NATTS,
							   PD_NATTS, &day_elems, &day_natts);
	if (!PG_ARGISNULL(5))
		nshifts = composite_elements(PG_GETARG_ARRAYTYPE_P(5),
									 "otan_enbek.attendance_plan_shift",
									 PS_NATTS_1_0, PS_NATTS, &shift_elems,
									 &shift_natts);
	if (ndays < 1 || ndays > ATT_PLAN_MAX_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("attendance plan has %d days", ndays),
				 errdetail("A plan has between 1 and %d days.", ATT_PLAN_MAX_DAYS)));
	if (nshifts > ndays * ATT_MAX_SHIFTS_PER_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("attendance plan has %d shifts for %d days", nshifts, ndays),
				 errdetail("A day has at most %d shifts.", ATT_MAX_SHIFTS_PER_DAY)));

	dates = read_plan_dates(day_elems, ndays, PG_GETARG_DATEADT(0),
							PG_GETARG_DATEADT(1));

	size = att_plan_size(ndays, nshifts);
	plan = palloc0(size);
	SET_VARSIZE(plan, size);
	plan->version = ATT_PLAN_VERSION;
	plan->first_day = dates[0];
	plan->ndays = ndays;
	plan->nshifts = nshifts;
	plan->period_first = PG_GETARG_DATEADT(0);
	plan->period_last = PG_GETARG_DATEADT(1);
	plan->dedup_window_sec = PG_GETARG_INT32(3);
	plan->as_of = as_of_seconds(PG_GETARG_TIMESTAMPTZ(2));
	if (PG_NARGS() > 6 && !PG_ARGISNULL(6) && PG_GETARG_BOOL(6))
		plan->flags |= ATT_PLAN_SPLIT_AT_MIDNIGHT;
	if (PG_NARGS() > 7 && !PG_ARGISNULL(7) && PG_GETARG_BOOL(7))
		plan->flags |= ATT_PLAN_CLOSE_MISSING_EXIT;

	fill_plan_days(plan, day_elems, dates[0]);
	fill_plan_shifts(plan, shift_elems, shift_natts, dates[0]);

	att_plan_check(plan, size);
	PG_RETURN_BYTEA_P(plan);
}

/* Raises the error for a plan whose bytes cannot be a valid plan. */
static void
invalid_plan(const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
			 errmsg("invalid attendance plan"),
			 errdetail("%s", detail),
			 errhint("Build plans with otan_enbek.attendance_plan().")));
}

/*
 * Checks a packed plan before the engine reads it: the version, the sizes
 * of its arrays, and the values the engine relies on.  Plans come from SQL
 * as plain bytea values, so nothing in them is trusted.  The plan must be
 * 8-byte aligned and uncompressed.
 */
void
att_plan_check(const AttPlanHeader *plan, Size size)
{
	const AttPlanDay *days;
	const AttPlanShift *shifts;
	int32		i;
	int32		next_shift = 0;

	if (size < ATT_PLAN_HEADER_SIZE || VARSIZE(plan) != size)
		invalid_plan("The value is shorter than a plan header.");
	if (plan->version != ATT_PLAN_VERSION)
		invalid_plan(psprintf("The plan has layout version %u; this build reads version %d.",
							  plan->version, ATT_PLAN_VERSION));
	if (plan->ndays < 1 || plan->ndays > ATT_PLAN_MAX_DAYS ||
		plan->nshifts < 0 || plan->nshifts > plan->ndays * ATT_MAX_SHIFTS_PER_DAY)
		invalid_plan("The numbers of days and shifts are out of range.");
	if (size != att_plan_size(plan->ndays, plan->nshifts))
		invalid_plan("The length does not match the numbers of days and shifts.");
	if (DATE_NOT_FINITE(plan->first_day) ||
		plan->first_day > PG_INT32_MAX - ATT_PLAN_MAX_DAYS ||
		plan->period_first < plan->first_day ||
		plan->period_last < plan->period_first ||
		plan->period_last >= plan->first_day + plan->ndays)
		invalid_plan("The period is not within the plan's days.");
	if (plan->dedup_window_sec < 0 || plan->dedup_window_sec > ATT_SECS_PER_DAY)
		invalid_plan("The de-duplication window is out of range.");
	if ((plan->flags & ~(ATT_PLAN_SPLIT_AT_MIDNIGHT | ATT_PLAN_CLOSE_MISSING_EXIT)) != 0)
		invalid_plan("The plan has unknown flags.");

	days = att_plan_days(plan);
	shifts = att_plan_shifts(plan);
	for (i = 0; i < plan->ndays; i++)
	{
		const AttPlanDay *d = &days[i];
		int32		j;

		if (d->kind < ATT_KIND_WORK || d->kind > ATT_KIND_DAY_OFF ||
			d->utc_offset < -18 * 3600 || d->utc_offset > 18 * 3600 ||
			d->midnight != (int64) (plan->first_day + i) * ATT_SECS_PER_DAY - d->utc_offset)
			invalid_plan(psprintf("Day %d has an invalid kind, offset or midnight.", i));
		if (d->nshifts < 0 || d->nshifts > ATT_MAX_SHIFTS_PER_DAY ||
			(d->nshifts > 0 && d->first_shift != next_shift))
			invalid_plan(psprintf("Day %d has an invalid shift range.", i));
		for (j = 0; j < d->nshifts; j++)
		{
			const AttPlanShift *s = &shifts[next_shift + j];

			if ((s->kind != ATT_SHIFT_FIXED && s->kind != ATT_SHIFT_FLEXIBLE) ||
				s->start < 0 || s->start >= ATT_SECS_PER_DAY ||
				s->end <= s->start || s->end > s->start + ATT_SECS_PER_DAY ||
				(j > 0 && s->start < shifts[next_shift + j - 1].end) ||
				s->window_before < 0 || s->window_before > ATT_SECS_PER_DAY / 2 ||
				s->window_after < 0 || s->window_after > ATT_SECS_PER_DAY / 2 ||
				s->grace_late < 0 || s->grace_early < 0 || s->min_overtime < 0)
				invalid_plan(psprintf("Shift %d of day %d is invalid.", j, i));
			if ((s->flags & ATT_SHIFT_HAS_BREAK) &&
				(s->break_start < s->start || s->break_end <= s->break_start ||
				 s->break_end > s->end))
				invalid_plan(psprintf("The break of shift %d of day %d is outside the shift.", j, i));
			if (s->kind == ATT_SHIFT_FLEXIBLE &&
				(s->daily_norm <= 0 || s->daily_norm > s->end - s->start ||
				 ((s->flags & ATT_SHIFT_HAS_CORE) &&
				  (s->core_start < s->start || s->core_end <= s->core_start ||
				   s->core_end > s->end))))
				invalid_plan(psprintf("The flexible shift %d of day %d is invalid.", j, i));
			if ((s->flags & ATT_SHIFT_HAS_DEDUCT) &&
				(s->break_after <= 0 || s->break_deduct <= 0))
				invalid_plan(psprintf("The deducted break of shift %d of day %d is invalid.", j, i));
		}
		next_shift += d->nshifts;
	}
	if (next_shift != plan->nshifts)
		invalid_plan("Shifts are not all assigned to days.");
}
