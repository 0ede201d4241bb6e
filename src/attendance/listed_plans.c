/*-------------------------------------------------------------------------
 *
 * listed_plans.c
 *	  Work plans of a list of employees, built from single-table reads.
 *
 * att_listed_plans gives the rows that otan_enbek.attendance_plans gives
 * for a list of employees, without its month-wide SQL.  A refresh of a few
 * employee-days needs the plans of a few employees, and in a new session
 * planning that SQL costs more than the rest of the refresh.  Here five
 * small queries read the organization, the employees, their dated
 * schedule assignments, the schedules' rules and the calendar of the plan
 * days.  The queries keep their plans for the session (saved_plan.c).
 * The days are then classified in C with the rules of attendance_plans,
 * and each distinct sequence of schedules is packed by attendance_plan,
 * the same C function that the SQL calls, so both paths pack and check
 * plans the same way.
 *
 * The days are classified and the plans packed in listed_pack.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/qunique.h"
#include "port/pg_bitutils.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"

#include "attendance/attendance.h"
#include "attendance/listed_plans.h"
#include "attendance/listed_plans_int.h"
#include "attendance/saved_plan.h"

PG_FUNCTION_INFO_V1(otan_enbek_attendance_listed_plans);

/*
 * Shifts of the given schedules in seconds from midnight, with the
 * expressions of attendance_plans' rule CTE, followed by the schedule's
 * kind and rotation.
 */
#define RULE_SQL \
	"SELECT t.schedule_id, t.day_no, t.start_sec, t.end_sec," \
	" CASE WHEN t.bs < t.be THEN t.bs END," \
	" CASE WHEN t.bs < t.be THEN t.be END," \
	" t.grace_late_min * 60, t.grace_early_min * 60," \
	" t.window_before_min * 60, t.window_after_min * 60," \
	" t.min_overtime_sec, t.allow_overtime, t.count_early_arrival," \
	" t.break_after_min * 60, t.break_deduct_min * 60," \
	" t.core_start_sec, t.core_end_sec, t.daily_norm_min * 60," \
	" t.kind, t.rotation_anchor, t.rotation_days" \
	" FROM (SELECT u.*," \
	"   CASE WHEN u.bs0 IS NOT NULL" \
	"        THEN greatest(u.bs0, u.start_sec) END AS bs," \
	"   CASE WHEN u.bs0 IS NOT NULL" \
	"        THEN least(u.bs0 + u.break_len, u.end_sec) END AS be" \
	" FROM (SELECT r.schedule_id, r.day_no::integer AS day_no," \
	"   ws.grace_late_min, ws.grace_early_min," \
	"   ws.window_before_min, ws.window_after_min, ws.min_overtime_sec," \
	"   ws.allow_overtime, ws.count_early_arrival, ws.break_after_min," \
	"   ws.break_deduct_min, ws.daily_norm_min, ws.kind, ws.rotation_anchor," \
	"   ws.rotation_days," \
	"   extract(epoch FROM ws.core_start)::integer" \
	"     + CASE WHEN ws.core_start < r.start_time THEN 86400 ELSE 0 END" \
	"     AS core_start_sec," \
	"   extract(epoch FROM ws.core_end)::integer" \
	"     + CASE WHEN ws.core_end <= r.start_time THEN 86400 ELSE 0 END" \
	"     AS core_end_sec," \
	"   extract(epoch FROM r.start_time)::integer AS start_sec," \
	"   extract(epoch FROM r.end_time)::integer" \
	"     + CASE WHEN r.end_time <= r.start_time THEN 86400 ELSE 0 END" \
	"     AS end_sec," \
	"   extract(epoch FROM r.break_start)::integer" \
	"     + CASE WHEN r.break_start < r.start_time THEN 86400 ELSE 0 END" \
	"     AS bs0," \
	"   (extract(epoch FROM r.break_end - r.break_start)::integer + 86400)" \
	"     % 86400 AS break_len" \
	"   FROM otan_enbek.work_schedule_rule r" \
	"   JOIN otan_enbek.work_schedule ws" \
	"     ON ws.org_id = r.org_id AND ws.schedule_id = r.schedule_id" \
	"   WHERE r.org_id = $1 AND r.schedule_id = ANY ($2)) u) t" \
	" ORDER BY t.schedule_id, t.day_no"

/*
 * Maximum number of employee ids that the query of the assignments filters
 * by.  The assignments of a longer list are matched in C (apply_assignments).
 */
#define LISTED_FILTER_MAX_IDS	64

/* Columns of RULE_SQL */
#define RULE_SCHEDULE		0
#define RULE_DAY_NO			1
#define RULE_SHIFT			2	/* first of SHIFT_FIELDS */
#define RULE_KIND			(RULE_SHIFT + SHIFT_FIELDS)
#define RULE_ANCHOR			(RULE_KIND + 1)
#define RULE_CYCLE_DAYS		(RULE_KIND + 2)

/*
 * The plan days with their calendar kind, ISO day of the week and the UTC
 * offset of their local midnight, as attendance_plans' calendar CTE.
 */
#define CALENDAR_SQL \
	"SELECT pd.day, coalesce(oc.kind, c.kind)," \
	" extract(isodow FROM pd.day)::integer," \
	" (extract(epoch FROM pd.day::timestamp)" \
	"  - extract(epoch FROM timezone($4, pd.day::timestamp)))::integer" \
	" FROM (SELECT $2 - 2 + g.i AS day" \
	"       FROM generate_series(0, $3 - $2 + 4) AS g(i)) pd" \
	" LEFT JOIN otan_enbek.calendar_day c ON c.day = pd.day" \
	" LEFT JOIN otan_enbek.org_calendar_day oc" \
	"        ON oc.org_id = $1 AND oc.day = pd.day" \
	" ORDER BY pd.day"

/*
 * An employee and the schedule of each plan day.  A day without a schedule
 * has scheduled false and schedule 0.
 */
typedef struct ListedEmployee
{
	int32		employee_id;
	DateADT		emit_from;
	DateADT		emit_to;
	int32	   *schedules;
	bool	   *scheduled;
	bytea	   *plan;
} ListedEmployee;

/* Runs a saved query with the given parameters, none of them NULL. */
static void
run_saved(const char *sql, int nargs, const Oid *types, Datum *values)
{
	SPIExecuteOptions opts;
	int			rc;

	memset(&opts, 0, sizeof(opts));
	opts.params = att_make_params(nargs, types, values, NULL);
	opts.read_only = true;
	rc = att_execute_saved(sql, nargs, types, &opts);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "reading the attendance plans failed: %s",
			 SPI_result_code_string(rc));
}

/* Returns column col (from 1) of row row of the last query's result. */
static Datum
column(uint64 row, int col, bool *isnull)
{
	return SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, col,
						 isnull);
}

/*
 * Reads the organization's settings.  Returns false when the organization
 * does not exist, which gives no plans, as in attendance_plans.
 */
static bool
read_organization(ListedContext *cxt)
{
	static const Oid types[] = {INT4OID};
	Datum		values[1];
	bool		isnull;
	Datum		value;

	values[0] = Int32GetDatum(cxt->org);
	run_saved("SELECT o.time_zone, o.default_schedule_id, o.dedup_window_sec,"
			  " o.calendar_pair_policy = 'split_at_midnight',"
			  " o.missing_exit_policy = 'close_at_shift_end'"
			  " FROM otan_enbek.organization o WHERE o.org_id = $1",
			  1, types, values);
	if (SPI_processed == 0)
		return false;
	cxt->time_zone = DatumGetTextPCopy(column(0, 1, &isnull));
	value = column(0, 2, &isnull);
	cxt->has_default_schedule = !isnull;
	cxt->default_schedule = isnull ? 0 : DatumGetInt32(value);
	cxt->dedup_window_sec = DatumGetInt32(column(0, 3, &isnull));
	value = column(0, 4, &isnull);
	cxt->split_at_midnight = !isnull && DatumGetBool(value);
	value = column(0, 5, &isnull);
	cxt->close_missing_exit = !isnull && DatumGetBool(value);
	SPI_freetuptable(SPI_tuptable);
	return true;
}

/*
 * Reads the listed employees employed on some day of the calendar months of
 * the period, with their employment dates clipped to it, in employee_id
 * order.
 */
static ListedEmployee *
read_employees(ListedContext *cxt, ArrayType *employee_ids, int *nemployees)
{
	static const Oid types[] = {INT4OID, DATEOID, DATEOID, INT4ARRAYOID};
	Datum		values[4];
	ListedEmployee *employees;
	uint64		i;

	values[0] = Int32GetDatum(cxt->org);
	values[1] = DateADTGetDatum(cxt->first_day);
	values[2] = DateADTGetDatum(cxt->last_day);
	values[3] = PointerGetDatum(employee_ids);
	run_saved("SELECT x.employee_id, x.schedule_id,"
			  " greatest($2, x.contract_start),"
			  " least($3, x.dismissed_on, x.contract_end)"
			  " FROM otan_enbek.employee x"
			  " WHERE x.org_id = $1 AND x.employee_id = ANY ($4)"
			  "   AND (x.contract_start IS NULL OR x.contract_start <"
			  "        (date_trunc('month', $3::timestamp)"
			  "         + interval '1 month')::date)"
			  "   AND coalesce(least(x.dismissed_on, x.contract_end), $2)"
			  "       >= date_trunc('month', $2::timestamp)::date"
			  " ORDER BY x.employee_id",
			  4, types, values);

	*nemployees = (int) SPI_processed;
	employees = palloc0(Max(SPI_processed, 1) * sizeof(ListedEmployee));
	for (i = 0; i < SPI_processed; i++)
	{
		ListedEmployee *e = &employees[i];
		bool		isnull;
		Datum		schedule;
		bool		has_schedule;
		int32		schedule_id;
		int32		d;

		e->employee_id = DatumGetInt32(column(i, 1, &isnull));
		/* the schedule of a day without a dated assignment */
		schedule = column(i, 2, &isnull);
		has_schedule = !isnull || cxt->has_default_schedule;
		schedule_id = !isnull ? DatumGetInt32(schedule) :
			has_schedule ? cxt->default_schedule : 0;
		e->emit_from = DatumGetDateADT(column(i, 3, &isnull));
		e->emit_to = DatumGetDateADT(column(i, 4, &isnull));
		e->schedules = palloc(cxt->ndays * sizeof(int32));
		e->scheduled = palloc(cxt->ndays * sizeof(bool));
		for (d = 0; d < cxt->ndays; d++)
		{
			e->schedules[d] = schedule_id;
			e->scheduled[d] = has_schedule;
		}
	}
	SPI_freetuptable(SPI_tuptable);
	return employees;
}

/* Compares an employee_id with a ListedEmployee's, for bsearch. */
static int
employee_id_cmp(const void *key, const void *elem)
{
	int32		id = *(const int32 *) key;
	int32		other = ((const ListedEmployee *) elem)->employee_id;

	return (id > other) - (id < other);
}

/*
 * Applies the dated schedule assignments (employee_schedule) that cover
 * plan days.  The assignments of one employee never overlap.  employees
 * must be in employee_id order.
 *
 * The generic plan evaluates employee_id = ANY ($4) by a linear search of
 * the array for each assignment of the organization, a time that grows
 * with the product of both counts.  For a long list the query reads the
 * organization's assignments without that filter, and each is matched to
 * its employee by a binary search.
 */
static void
apply_assignments(ListedContext *cxt, ArrayType *employee_ids,
				  ListedEmployee *employees, int nemployees)
{
	static const Oid types[] = {INT4OID, DATEOID, DATEOID, INT4ARRAYOID};
	Datum		values[4];
	DateADT		plan_first = cxt->first_day - PLAN_MARGIN_DAYS;
	uint64		i;

	values[0] = Int32GetDatum(cxt->org);
	values[1] = DateADTGetDatum(plan_first);
	values[2] = DateADTGetDatum(cxt->last_day + PLAN_MARGIN_DAYS);
	values[3] = PointerGetDatum(employee_ids);
	if (ArrayGetNItems(ARR_NDIM(employee_ids), ARR_DIMS(employee_ids)) <=
		LISTED_FILTER_MAX_IDS)
		run_saved("SELECT a.employee_id, a.schedule_id, a.valid_from,"
				  " a.valid_to"
				  " FROM otan_enbek.employee_schedule a"
				  " WHERE a.org_id = $1 AND a.employee_id = ANY ($4)"
				  "   AND a.valid_from <= $3"
				  "   AND (a.valid_to IS NULL OR a.valid_to >= $2)",
				  4, types, values);
	else
		run_saved("SELECT a.employee_id, a.schedule_id, a.valid_from,"
				  " a.valid_to"
				  " FROM otan_enbek.employee_schedule a"
				  " WHERE a.org_id = $1"
				  "   AND a.valid_from <= $3"
				  "   AND (a.valid_to IS NULL OR a.valid_to >= $2)",
				  3, types, values);

	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int32		employee_id = DatumGetInt32(column(i, 1, &isnull));
		int32		schedule_id = DatumGetInt32(column(i, 2, &isnull));
		DateADT		valid_from = DatumGetDateADT(column(i, 3, &isnull));
		Datum		to = column(i, 4, &isnull);
		DateADT		valid_to = isnull ? DATEVAL_NOEND : DatumGetDateADT(to);
		ListedEmployee *e;
		int32		d;

		e = bsearch(&employee_id, employees, nemployees,
					sizeof(ListedEmployee), employee_id_cmp);
		if (e == NULL)
			continue;
		for (d = 0; d < cxt->ndays; d++)
			if (plan_first + d >= valid_from && plan_first + d <= valid_to)
			{
				e->schedules[d] = schedule_id;
				e->scheduled[d] = true;
			}
	}
	SPI_freetuptable(SPI_tuptable);
}

/* Starts the entry of a schedule from the first row of its rules. */
static void
start_schedule(ListedSchedule *s, uint64 row, int32 schedule_id)
{
	bool		isnull;
	Datum		anchor;
	Datum		cycle;
	char	   *kind;

	memset(s, 0, sizeof(*s));
	s->schedule_id = schedule_id;
	kind = TextDatumGetCString(column(row, RULE_KIND + 1, &isnull));
	s->rotation = strcmp(kind, "rotation") == 0;
	anchor = column(row, RULE_ANCHOR + 1, &isnull);
	s->has_cycle = !isnull;
	s->anchor = isnull ? 0 : DatumGetDateADT(anchor);
	cycle = column(row, RULE_CYCLE_DAYS + 1, &isnull);
	s->has_cycle = s->has_cycle && !isnull;
	s->cycle_days = isnull ? 0 : DatumGetInt32(cycle);
	s->first_day_no = DatumGetInt32(column(row, RULE_DAY_NO + 1, &isnull));
	s->rules = palloc(SPI_processed * sizeof(ListedRule));
}

/* Compares two int4 Datums, for qsort. */
static int
schedule_datum_cmp(const void *a, const void *b)
{
	int32		x = DatumGetInt32(*(const Datum *) a);
	int32		y = DatumGetInt32(*(const Datum *) b);

	return (x > y) - (x < y);
}

/* Reads the rules of the schedules that the employees' days use. */
static void
read_rules(ListedContext *cxt, ListedEmployee *employees, int nemployees)
{
	static const Oid types[] = {INT4OID, INT4ARRAYOID};
	Datum		values[2];
	Datum	   *ids = palloc(Max(nemployees * cxt->ndays, 1) * sizeof(Datum));
	int			nids = 0;
	uint64		i;
	int			k;
	int32		d;

	/*
	 * The ids are made distinct, because the query searches the array
	 * linearly for each rule of the organization.
	 */
	for (k = 0; k < nemployees; k++)
		for (d = 0; d < cxt->ndays; d++)
			if (employees[k].scheduled[d] &&
				(nids == 0 ||
				 DatumGetInt32(ids[nids - 1]) != employees[k].schedules[d]))
				ids[nids++] = Int32GetDatum(employees[k].schedules[d]);
	qsort(ids, nids, sizeof(Datum), schedule_datum_cmp);
	nids = qunique(ids, nids, sizeof(Datum), schedule_datum_cmp);
	values[0] = Int32GetDatum(cxt->org);
	values[1] = PointerGetDatum(construct_array(ids, nids, INT4OID, 4, true,
												TYPALIGN_INT));
	run_saved(RULE_SQL, 2, types, values);

	cxt->schedules = palloc0(Max(SPI_processed, 1) * sizeof(ListedSchedule));
	cxt->nschedules = 0;
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;
		int32		schedule_id = DatumGetInt32(column(i, RULE_SCHEDULE + 1,
													   &isnull));
		ListedSchedule *s;
		ListedRule *r;
		int			f;

		s = cxt->nschedules > 0 ? &cxt->schedules[cxt->nschedules - 1] : NULL;
		if (s == NULL || s->schedule_id != schedule_id)
		{
			s = &cxt->schedules[cxt->nschedules++];
			start_schedule(s, i, schedule_id);
		}
		r = &s->rules[s->nrules++];
		r->day_no = DatumGetInt32(column(i, RULE_DAY_NO + 1, &isnull));
		for (f = 0; f < SHIFT_FIELDS; f++)
			r->values[f] = column(i, RULE_SHIFT + 1 + f, &r->nulls[f]);
	}
	SPI_freetuptable(SPI_tuptable);
}

/* Reads the calendar kind, day of the week and UTC offset of each day. */
static void
read_calendar(ListedContext *cxt)
{
	static const Oid types[] = {INT4OID, DATEOID, DATEOID, TEXTOID};
	Datum		values[4];
	uint64		i;

	values[0] = Int32GetDatum(cxt->org);
	values[1] = DateADTGetDatum(cxt->first_day);
	values[2] = DateADTGetDatum(cxt->last_day);
	values[3] = PointerGetDatum(cxt->time_zone);
	run_saved(CALENDAR_SQL, 4, types, values);
	if (SPI_processed != (uint64) cxt->ndays)
		elog(ERROR, "the calendar of the attendance plans has " UINT64_FORMAT
			 " days, expected %d", SPI_processed, cxt->ndays);

	cxt->dates = palloc(cxt->ndays * sizeof(PlanDate));
	for (i = 0; i < SPI_processed; i++)
	{
		PlanDate   *pd = &cxt->dates[i];
		bool		isnull;
		Datum		kind;

		pd->day = DatumGetDateADT(column(i, 1, &isnull));
		kind = column(i, 2, &isnull);
		pd->kind = CAL_NONE;
		if (!isnull)
		{
			char	   *name = TextDatumGetCString(kind);

			if (strcmp(name, "holiday") == 0)
				pd->kind = CAL_HOLIDAY;
			else if (strcmp(name, "day_off") == 0)
				pd->kind = CAL_DAY_OFF;
			else if (strcmp(name, "working") == 0)
				pd->kind = CAL_WORKING;
			else
				elog(ERROR, "invalid calendar day kind \"%s\"", name);
		}
		pd->iso_day = DatumGetInt32(column(i, 3, &isnull));
		pd->utc_offset = DatumGetInt32(column(i, 4, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
}

/* Returns whether two employees have the same schedule on every plan day. */
static bool
same_schedules(const ListedContext *cxt, const ListedEmployee *a,
			   const ListedEmployee *b)
{
	return memcmp(a->schedules, b->schedules,
				  cxt->ndays * sizeof(int32)) == 0 &&
		memcmp(a->scheduled, b->scheduled, cxt->ndays * sizeof(bool)) == 0;
}

/*
 * Packs the plan of each distinct sequence of day schedules once, in
 * employee order, and gives it to every employee with that sequence.  The
 * first employee of each sequence is found through a hash of the
 * sequence, so that a list of many employees with different schedules
 * takes time linear in its length.
 */
static void
share_plans(ListedContext *cxt, ListedEmployee *employees, int nemployees)
{
	uint32		nbuckets = pg_nextpower2_32((uint32) Max(nemployees, 1));
	int		   *bucket_first = palloc(nbuckets * sizeof(int));
	int		   *next_in_bucket = palloc(Max(nemployees, 1) * sizeof(int));
	int			i;

	memset(bucket_first, 0xFF, nbuckets * sizeof(int));
	for (i = 0; i < nemployees; i++)
	{
		ListedEmployee *e = &employees[i];
		uint32		hash;
		int			k;

		hash = hash_combine(hash_bytes((const unsigned char *) e->schedules,
									   (int) (cxt->ndays * sizeof(int32))),
							hash_bytes((const unsigned char *) e->scheduled,
									   (int) (cxt->ndays * sizeof(bool))));
		for (k = bucket_first[hash & (nbuckets - 1)]; k >= 0;
			 k = next_in_bucket[k])
			if (same_schedules(cxt, &employees[k], e))
			{
				e->plan = employees[k].plan;
				break;
			}
		if (e->plan != NULL)
			continue;
		e->plan = att_listed_pack_plan(cxt, e->schedules, e->scheduled);
		next_in_bucket[i] = bucket_first[hash & (nbuckets - 1)];
		bucket_first[hash & (nbuckets - 1)] = i;
	}
	pfree(bucket_first);
	pfree(next_in_bucket);
}

/*
 * Reads the plans of the listed employees employed during first_day to
 * last_day, as attendance_plans(org, first_day, last_day, as_of,
 * employee_ids) gives them, and hands each to emit.  Employees with the
 * same schedule on every plan day share one packed plan.  The caller must
 * be connected to SPI; the plans are allocated in the current memory
 * context.
 */
void
att_listed_plans(int32 org, DateADT first_day, DateADT last_day,
				 TimestampTz as_of, ArrayType *employee_ids,
				 AttListedPlanSink emit, void *arg)
{
	ListedContext cxt;
	ListedEmployee *employees;
	int			nemployees;
	int			i;

	memset(&cxt, 0, sizeof(cxt));
	cxt.org = org;
	cxt.first_day = first_day;
	cxt.last_day = last_day;
	cxt.as_of = as_of;
	if (DATE_NOT_FINITE(first_day) || DATE_NOT_FINITE(last_day) ||
		last_day < first_day ||
		last_day - first_day + 1 > ATT_PLAN_MAX_DAYS - 2 * PLAN_MARGIN_DAYS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid period of attendance plans"),
				 errdetail("A period has finite dates, the first not after the last, and at most %d days.",
						   ATT_PLAN_MAX_DAYS - 2 * PLAN_MARGIN_DAYS)));
	cxt.ndays = last_day - first_day + 1 + 2 * PLAN_MARGIN_DAYS;
	if (!read_organization(&cxt))
		return;
	employees = read_employees(&cxt, employee_ids, &nemployees);
	if (nemployees == 0)
		return;
	apply_assignments(&cxt, employee_ids, employees, nemployees);
	read_rules(&cxt, employees, nemployees);
	read_calendar(&cxt);
	att_listed_read_types(&cxt);

	share_plans(&cxt, employees, nemployees);
	for (i = 0; i < nemployees; i++)
	{
		ListedEmployee *e = &employees[i];

		emit(arg, e->employee_id, e->plan, e->emit_from, e->emit_to);
	}
}

/* Puts one plan row into the tuplestore of attendance_listed_plans. */
static void
store_plan(void *arg, int32 employee_id, bytea *plan, DateADT emit_from,
		   DateADT emit_to)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) arg;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	values[0] = Int32GetDatum(employee_id);
	values[1] = PointerGetDatum(plan);
	values[2] = DateADTGetDatum(emit_from);
	values[3] = DateADTGetDatum(emit_to);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/*
 * attendance_listed_plans(org, first_day, last_day, as_of, employee_ids):
 * the plans that refresh_attendance builds for a list of employees.
 */
Datum
otan_enbek_attendance_listed_plans(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	for (i = 0; i <= 4; i++)
		if (PG_ARGISNULL(i))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("organization, period, as_of and employee ids must not be null")));
	InitMaterializedSRF(fcinfo, 0);
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	att_listed_plans(PG_GETARG_INT32(0), PG_GETARG_DATEADT(1),
					 PG_GETARG_DATEADT(2), PG_GETARG_TIMESTAMPTZ(3),
					 PG_GETARG_ARRAYTYPE_P(4), store_plan, rsinfo);
	SPI_finish();
	return (Datum) 0;
}
