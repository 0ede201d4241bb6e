/*-------------------------------------------------------------------------
 *
 * listed_pack.c
 *	  Classifies the plan days of listed employees and packs their plans.
 *
 * The rules of attendance_plans (sql/install/42_attendance.sql) are
 * repeated in classify_day, so a change there must be made here too.  The
 * pgTAP test attendance_listed_plans compares the plans of both for every
 * kind of schedule.  Each plan is packed by attendance_plan, the C
 * function that the SQL of attendance_plans calls, so both paths pack and
 * check plans the same way.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
#include "utils/typcache.h"

#include "attendance/attendance.h"
#include "attendance/listed_plans_int.h"

/* plan.c */
extern Datum otan_enbek_attendance_plan(PG_FUNCTION_ARGS);

/* Returns the schedule with the id, or NULL when it has no rules. */
static const ListedSchedule *
find_schedule(const ListedContext *cxt, int32 schedule_id)
{
	int			i;

	for (i = 0; i < cxt->nschedules; i++)
		if (cxt->schedules[i].schedule_id == schedule_id)
			return &cxt->schedules[i];
	return NULL;
}

/* Whether the schedule has a rule for the day number */
static bool
has_day_no(const ListedSchedule *s, int32 day_no)
{
	int			i;

	for (i = 0; i < s->nrules; i++)
		if (s->rules[i].day_no == day_no)
			return true;
	return false;
}

/*
 * Classifies a plan day as attendance_plans' classified CTE does.  Returns
 * its kind and sets *rule_day_no to the day number whose rules give its
 * shifts, or 0 for none.  s is the day's schedule, NULL when the day has
 * none or its schedule has no rules, and scheduled is true when the day has
 * a schedule.
 */
static int16
classify_day(const PlanDate *pd, const ListedSchedule *s, bool scheduled,
			 int32 *rule_day_no)
{
	int32		cycle_day = 0;

	*rule_day_no = 0;
	if (s != NULL && s->rotation && s->has_cycle)
	{
		/* the day of the rotation cycle, 1 on the anchor, also before it */
		cycle_day = 1 + ((pd->day - s->anchor) % s->cycle_days +
						 s->cycle_days) % s->cycle_days;
	}
	if (s != NULL && s->rotation)
	{
		if (cycle_day > 0 && has_day_no(s, cycle_day))
			*rule_day_no = cycle_day;
	}
	else if (s != NULL && has_day_no(s, pd->iso_day))
		*rule_day_no = pd->iso_day;
	else if (s != NULL && pd->kind == CAL_WORKING)
		*rule_day_no = s->first_day_no;

	if (pd->kind == CAL_HOLIDAY)
		return ATT_KIND_HOLIDAY;
	if (!scheduled)
	{
		/* calendar-day mode */
		if (pd->kind == CAL_WORKING ||
			(pd->kind == CAL_NONE && pd->iso_day <= 5))
			return ATT_KIND_WORK;
		return pd->kind == CAL_DAY_OFF ? ATT_KIND_DAY_OFF : ATT_KIND_WEEKEND;
	}
	if (s != NULL && s->rotation)
		return *rule_day_no != 0 ? ATT_KIND_WORK : ATT_KIND_WEEKEND;
	if (s != NULL && has_day_no(s, pd->iso_day))
		return pd->kind == CAL_DAY_OFF ? ATT_KIND_DAY_OFF : ATT_KIND_WORK;
	if (s != NULL && pd->kind == CAL_WORKING)
		return ATT_KIND_WORK;
	return ATT_KIND_WEEKEND;
}

/* Returns the row type descriptor of an otan_enbek composite type. */
static TupleDesc
composite_desc(const char *name)
{
	Oid			nsp = get_namespace_oid("otan_enbek", false);
	Oid			type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
									   CStringGetDatum(name),
									   ObjectIdGetDatum(nsp));

	if (!OidIsValid(type))
		elog(ERROR, "type otan_enbek.%s not found", name);
	return lookup_rowtype_tupdesc_copy(type, -1);
}

/* Returns an array of the composites of desc. */
static Datum
composite_array(TupleDesc desc, Datum *elems, int n)
{
	if (n == 0)
		return PointerGetDatum(construct_empty_array(desc->tdtypeid));
	return PointerGetDatum(construct_array(elems, n, desc->tdtypeid, -1,
										   false, TYPALIGN_DOUBLE));
}

/* Reads the descriptors of the composite types that attendance_plan reads. */
void
att_listed_read_types(ListedContext *cxt)
{
	cxt->day_desc = composite_desc("attendance_plan_day");
	cxt->shift_desc = composite_desc("attendance_plan_shift");
}

/*
 * Packs the plan of one sequence of day schedules with attendance_plan.
 * scheduled[d] is false on a day without any schedule.
 */
bytea *
att_listed_pack_plan(ListedContext *cxt, const int32 *schedules,
					 const bool *scheduled)
{
	Datum	   *day_elems = palloc(cxt->ndays * sizeof(Datum));
	Datum	   *shift_elems = NULL;
	int			nshifts = 0;
	int			max_shifts = 0;
	Datum		days;
	Datum		shifts;
	Datum		plan;
	int32		d;

	for (d = 0; d < cxt->ndays; d++)
	{
		const PlanDate *pd = &cxt->dates[d];
		const ListedSchedule *s = scheduled[d] ?
			find_schedule(cxt, schedules[d]) : NULL;
		int32		rule_day_no;
		int16		kind = classify_day(pd, s, scheduled[d], &rule_day_no);
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		int			i;

		values[0] = DateADTGetDatum(pd->day);
		values[1] = CStringGetTextDatum(att_kind_name(kind));
		values[2] = Int32GetDatum(schedules[d]);
		nulls[2] = !scheduled[d];
		values[3] = Int32GetDatum(pd->utc_offset);
		day_elems[d] = HeapTupleGetDatum(heap_form_tuple(cxt->day_desc, values,
														 nulls));

		for (i = 0; rule_day_no != 0 && i < s->nrules; i++)
		{
			const ListedRule *r = &s->rules[i];
			Datum		sv[1 + SHIFT_FIELDS];
			bool		sn[1 + SHIFT_FIELDS];

			if (r->day_no != rule_day_no)
				continue;
			sv[0] = DateADTGetDatum(pd->day);
			sn[0] = false;
			memcpy(sv + 1, r->values, sizeof(r->values));
			memcpy(sn + 1, r->nulls, sizeof(r->nulls));
			if (nshifts == max_shifts)
			{
				max_shifts = Max(16, max_shifts * 2);
				shift_elems = shift_elems == NULL ?
					palloc(max_shifts * sizeof(Datum)) :
					repalloc(shift_elems, max_shifts * sizeof(Datum));
			}
			shift_elems[nshifts++] =
				HeapTupleGetDatum(heap_form_tuple(cxt->shift_desc, sv, sn));
		}
	}

	days = composite_array(cxt->day_desc, day_elems, cxt->ndays);
	shifts = composite_array(cxt->shift_desc, shift_elems, nshifts);
	plan = DirectFunctionCall8(otan_enbek_attendance_plan,
							   DateADTGetDatum(cxt->first_day),
							   DateADTGetDatum(cxt->last_day),
							   TimestampTzGetDatum(cxt->as_of),
							   Int32GetDatum(cxt->dedup_window_sec),
							   days, shifts,
							   BoolGetDatum(cxt->split_at_midnight),
							   BoolGetDatum(cxt->close_missing_exit));
	return DatumGetByteaP(plan);
}

