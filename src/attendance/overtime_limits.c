/*-------------------------------------------------------------------------
 *
 * overtime_limits.c
 *	  Overtime limit flags of the days that attendance_write_days writes.
 *
 * The Labour Code of Kazakhstan limits overtime to 2 hours a day (1 hour on
 * heavy or harmful work), 12 hours a calendar month and 120 hours a calendar
 * year.  attendance_flag_overtime_limits sets the flags on stored rows with
 * running totals over whole years.  The writer sets the same flags on the
 * rows it forms, so that they need no UPDATE.  The days of each employee
 * come in date order, and the totals start from the overtime stored in the
 * month and year of first_day before it.  The test
 * attendance_write_limits.sql compares the two ways.
 *
 * Stored days after the period are not read.  compute_attendance flags the
 * ones whose totals the period can change with
 * attendance_flag_overtime_limits.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"

#include "attendance/overtime_limits.h"

#define DAY_LIMIT_SEC			(2 * 3600)
#define HEAVY_DAY_LIMIT_SEC		(1 * 3600)
#define MONTH_LIMIT_SEC			(12 * 3600)
#define YEAR_LIMIT_SEC			(120 * 3600)

static const char *const limit_names[] = {
	"overtime_day_limit", "overtime_month_limit", "overtime_year_limit"
};

/*
 * Overtime of each employee stored in first_day's year before first_day:
 * the part in first_day's month, and the whole.
 */
static const char *const carry_query =
"SELECT d.employee_id,"
"       coalesce(sum(d.overtime_sec) FILTER (WHERE d.work_day >= $3), 0)::bigint,"
"       sum(d.overtime_sec)::bigint"
" FROM otan_enbek.attendance_day d"
" WHERE d.org_id = $1 AND d.work_day >= $2 AND d.work_day < $4"
"   AND d.overtime_sec > 0"
"   AND ($5::integer IS NULL OR d.employee_id >= $5)"
"   AND ($6::integer IS NULL OR d.employee_id <= $6)"
"   AND ($7::integer[] IS NULL OR d.employee_id = ANY ($7))"
" GROUP BY d.employee_id ORDER BY d.employee_id";

static const char *const heavy_query =
"SELECT ws.schedule_id FROM otan_enbek.work_schedule ws"
" WHERE ws.org_id = $1 AND ws.heavy_work ORDER BY ws.schedule_id";

static DateADT
make_date_adt(int year, int month, int day)
{
	return date2j(year, month, day) - POSTGRES_EPOCH_JDATE;
}

/* Reads the heavy work schedules of the organization. */
static void
load_heavy_schedules(AttOvertimeLimits *limits, int32 org,
					 MemoryContext cxt)
{
	Oid			types[1] = {INT4OID};
	Datum		values[1];
	uint64		i;

	values[0] = Int32GetDatum(org);
	if (SPI_execute_with_args(heavy_query, 1, types, values, NULL, true,
							  0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the heavy work schedules");
	limits->nheavy = (int) SPI_processed;
	limits->heavy_schedules = MemoryContextAlloc(cxt, sizeof(int32) *
												 Max(limits->nheavy, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		bool		isnull;

		limits->heavy_schedules[i] =
			DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i],
										SPI_tuptable->tupdesc, 1, &isnull));
	}
}

/* Reads the overtime stored before first_day in its month and year. */
static void
load_carries(AttOvertimeLimits *limits, const AttScanArgs *args,
			 MemoryContext cxt)
{
	Oid			types[7] = {INT4OID, DATEOID, DATEOID, DATEOID, INT4OID,
	INT4OID, INT4ARRAYOID};
	Datum		values[7];
	char		nulls[7] = {' ', ' ', ' ', ' ', ' ', ' ', ' '};
	uint64		i;

	values[0] = Int32GetDatum(args->org);
	values[1] = DateADTGetDatum(make_date_adt(limits->first_year, 1, 1));
	values[2] = DateADTGetDatum(make_date_adt(limits->first_year,
											  limits->first_month, 1));
	values[3] = DateADTGetDatum(args->first_day);
	values[4] = Int32GetDatum(args->lo);
	nulls[4] = args->has_lo ? ' ' : 'n';
	values[5] = Int32GetDatum(args->hi);
	nulls[5] = args->has_hi ? ' ' : 'n';
	values[6] = PointerGetDatum(args->employee_ids);
	nulls[6] = args->employee_ids != NULL ? ' ' : 'n';
	if (SPI_execute_with_args(carry_query, 7, types, values, nulls, true,
							  0) != SPI_OK_SELECT)
		elog(ERROR, "could not read the overtime stored before the period");

	limits->ncarries = (int) SPI_processed;
	limits->carry_employees = MemoryContextAlloc(cxt, sizeof(int32) *
												 Max(limits->ncarries, 1));
	limits->carry_month_sec = MemoryContextAlloc(cxt, sizeof(int64) *
												 Max(limits->ncarries, 1));
	limits->carry_year_sec = MemoryContextAlloc(cxt, sizeof(int64) *
												Max(limits->ncarries, 1));
	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tuple = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;

		limits->carry_employees[i] =
			DatumGetInt32(SPI_getbinval(tuple, desc, 1, &isnull));
		limits->carry_month_sec[i] =
			DatumGetInt64(SPI_getbinval(tuple, desc, 2, &isnull));
		limits->carry_year_sec[i] =
			DatumGetInt64(SPI_getbinval(tuple, desc, 3, &isnull));
	}
}

/*
 * Prepares the limits of the days of args: reads the organization's heavy
 * work schedules and, unless first_day is 1 January, the overtime stored
 * earlier in its year.  The arrays live in the current memory context.
 */
void
att_limits_init(AttOvertimeLimits *limits, const AttScanArgs *args)
{
	MemoryContext cxt = CurrentMemoryContext;
	int			day;

	memset(limits, 0, sizeof(AttOvertimeLimits));
	limits->first_day = args->first_day;
	j2date(args->first_day + POSTGRES_EPOCH_JDATE, &limits->first_year,
		   &limits->first_month, &day);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	load_heavy_schedules(limits, args->org, cxt);
	if (limits->first_month != 1 || day != 1)
		load_carries(limits, args, cxt);
	SPI_finish();
}

static int
compare_int32(const void *a, const void *b)
{
	int32		x = *(const int32 *) a;
	int32		y = *(const int32 *) b;

	return (x > y) - (x < y);
}

/* Starts the totals of an employee at a day of the given year and month. */
static void
start_employee(AttOvertimeLimits *limits, int32 employee_id, int year,
			   int month)
{
	int32	   *found = NULL;

	limits->month_sec = 0;
	limits->year_sec = 0;
	if (limits->ncarries > 0)
		found = bsearch(&employee_id, limits->carry_employees,
						limits->ncarries, sizeof(int32), compare_int32);
	if (found != NULL && year == limits->first_year)
	{
		int			k = found - limits->carry_employees;

		limits->year_sec = limits->carry_year_sec[k];
		if (month == limits->first_month)
			limits->month_sec = limits->carry_month_sec[k];
	}
	limits->started = true;
	limits->employee_id = employee_id;
}

/*
 * Adds a day of an employee to the running totals and returns its limit
 * mask (ATT_LIMIT_* bits).  Days must come in employee id order and, for
 * each employee, in date order, as att_scan_days hands them on.
 */
uint32
att_limits_next(AttOvertimeLimits *limits, int32 employee_id,
				const AttDayResult *r)
{
	int			year;
	int			month;
	int			day;
	uint32		mask = 0;
	int32		day_limit = DAY_LIMIT_SEC;

	j2date(r->work_day + POSTGRES_EPOCH_JDATE, &year, &month, &day);
	if (!limits->started || employee_id != limits->employee_id)
	{
		if (limits->started && employee_id < limits->employee_id)
			elog(ERROR, "attendance days of employee %d came after employee %d",
				 employee_id, limits->employee_id);
		start_employee(limits, employee_id, year, month);
	}
	else
	{
		if (r->work_day <= limits->last_day)
			elog(ERROR, "attendance days of employee %d are not in date order",
				 employee_id);
		if (year != limits->year)
			limits->year_sec = 0;
		if (year != limits->year || month != limits->month)
			limits->month_sec = 0;
	}
	limits->year = year;
	limits->month = month;
	limits->last_day = r->work_day;

	if (r->overtime <= 0)
		return 0;
	limits->month_sec += r->overtime;
	limits->year_sec += r->overtime;

	if (r->schedule_id != 0 && limits->nheavy > 0 &&
		bsearch(&r->schedule_id, limits->heavy_schedules, limits->nheavy,
				sizeof(int32), compare_int32) != NULL)
		day_limit = HEAVY_DAY_LIMIT_SEC;
	if (r->overtime > day_limit)
		mask |= ATT_LIMIT_DAY;
	if (limits->month_sec > MONTH_LIMIT_SEC)
		mask |= ATT_LIMIT_MONTH;
	if (limits->year_sec > YEAR_LIMIT_SEC)
		mask |= ATT_LIMIT_YEAR;
	return mask;
}

/*
 * Builds the anomalies text[] of a day: the engine's anomalies, then the
 * limit flags of limit_mask, in the order attendance_flag_overtime_limits
 * appends them.  The array is allocated in the current memory context.
 */
Datum
att_limits_anomalies(uint32 anomalies, uint32 limit_mask)
{
	Datum		names[ATT_ANOM_COUNT + lengthof(limit_names)];
	int			n = 0;
	int			bit;

	for (bit = 0; bit < ATT_ANOM_COUNT; bit++)
		if (anomalies & (1u << bit))
			names[n++] = CStringGetTextDatum(att_anomaly_name(bit));
	for (bit = 0; bit < (int) lengthof(limit_names); bit++)
		if (limit_mask & (1u << bit))
			names[n++] = CStringGetTextDatum(limit_names[bit]);
	return PointerGetDatum(construct_array(names, n, TEXTOID, -1, false,
										   TYPALIGN_INT));
}
