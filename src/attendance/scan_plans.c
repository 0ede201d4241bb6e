/*-------------------------------------------------------------------------
 *
 * scan_plans.c
 *	  The plans of the employees of an attendance scan.
 *
 * att_scan_read_plans reads the plan and the employment dates of each
 * employee that the scan's arguments select.  A receiver keeps one copy of
 * each distinct plan and appends the employee.  The employees are then
 * sorted by employee id, and the index from employee id to place is built
 * (scan_index.c).  A few listed employees get their plans from
 * att_listed_plans (listed_plans.c), the others from the attendance_plans
 * SQL function.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "tcop/dest.h"
#include "utils/array.h"
#include "utils/date.h"
#include "utils/memutils.h"

#include "attendance/attendance.h"
#include "attendance/listed_plans.h"
#include "attendance/scan.h"
#include "attendance/scan_state.h"


/* Receiver of the plan rows */
typedef struct PlanReceiver
{
	DestReceiver pub;
	AttScan    *scan;
	int32		capacity;
	const AttPlanHeader *last_plan; /* the plan of the previous row */
} PlanReceiver;

/*
 * Adds an employee with its plan and employment dates to the scan.
 * Employees with the same schedules share a plan and mostly come one after
 * the other, so the previous employee's plan is compared first.
 */
static void
add_plan_employee(PlanReceiver *r, int32 employee_id, bytea *bytes,
				  DateADT emit_from, DateADT emit_to)
{
	AttScan    *scan = r->scan;
	ScanEmployee *emp;
	Size		len;

	if (scan->nemployees == r->capacity)
	{
		r->capacity *= 2;
		scan->employees = repalloc(scan->employees,
								   r->capacity * sizeof(ScanEmployee));
	}
	emp = &scan->employees[scan->nemployees++];
	emp->employee_id = employee_id;
	att_state_init(&emp->state, scan->cxt);

	len = VARSIZE_ANY_EXHDR(bytes);
	if (r->last_plan != NULL && VARSIZE(r->last_plan) == len + VARHDRSZ &&
		memcmp(VARDATA(r->last_plan), VARDATA_ANY(bytes), len) == 0)
		emp->state.plan = r->last_plan;
	else
	{
		r->last_plan = att_plan_set_intern(&scan->plans, VARDATA_ANY(bytes),
										   len);
		emp->state.plan = r->last_plan;
	}
	emp->state.emit_from = emit_from;
	emp->state.emit_to = emit_to;
}

/* Takes one row of attendance_plans: employee, plan, employment dates. */
static bool
plan_receive(TupleTableSlot *slot, DestReceiver *self)
{
	slot_getallattrs(slot);
	if (slot->tts_isnull[0] || slot->tts_isnull[1])
		elog(ERROR, "attendance_plans returned a null employee or plan");
	add_plan_employee((PlanReceiver *) self,
					  DatumGetInt32(slot->tts_values[0]),
					  DatumGetByteaPP(slot->tts_values[1]),
					  slot->tts_isnull[2] ? DATEVAL_NOBEGIN :
					  DatumGetDateADT(slot->tts_values[2]),
					  slot->tts_isnull[3] ? DATEVAL_NOEND :
					  DatumGetDateADT(slot->tts_values[3]));
	return true;
}

/* Takes the plan of one listed employee from att_listed_plans. */
static void
listed_plan_receive(void *arg, int32 employee_id, bytea *plan,
					DateADT emit_from, DateADT emit_to)
{
	add_plan_employee((PlanReceiver *) arg, employee_id, plan, emit_from,
					  emit_to);
}

static int
employee_cmp(const void *a, const void *b)
{
	int32		x = ((const ScanEmployee *) a)->employee_id;
	int32		y = ((const ScanEmployee *) b)->employee_id;

	if (x < y)
		return -1;
	if (x > y)
		return 1;
	return 0;
}

/* Whether args name a list of employees and no range of ids */
bool
att_scan_few_employees(const AttScanArgs *args)
{
	return args->employee_ids != NULL && !args->has_lo && !args->has_hi;
}

/*
 * Reads the plans of the employees, sorts them by employee id and makes
 * the index from employee id to place (scan_index.c).
 */
void
att_scan_read_plans(AttScan *scan, const AttScanArgs *args)
{
	Oid			types[ATT_SCAN_QUERY_NPARAMS];
	SPIExecuteOptions opts;
	PlanReceiver receiver;
	int			rc;

	memset(&receiver, 0, sizeof(receiver));
	att_scan_init_receiver(&receiver.pub, plan_receive);
	receiver.scan = scan;
	receiver.capacity = 1024;
	scan->employees = MemoryContextAlloc(scan->cxt,
										 receiver.capacity *
										 sizeof(ScanEmployee));

	/*
	 * A few listed employees, as refresh_attendance reads them, get their
	 * plans from single-table reads (listed_plans.c).  In a new session,
	 * planning the SQL of attendance_plans would cost more than the rest of
	 * such a refresh.
	 */
	if (att_scan_few_employees(args))
		att_listed_plans(args->org, args->first_day, args->last_day,
						 GetCurrentTransactionStartTimestamp(),
						 args->employee_ids, listed_plan_receive, &receiver);
	else
	{
		memset(&opts, 0, sizeof(opts));
		opts.params = att_scan_query_params(args, DATEOID,
											DateADTGetDatum(args->first_day),
											DateADTGetDatum(args->last_day),
											types);
		opts.read_only = true;
		opts.dest = &receiver.pub;
		rc = SPI_execute_extended(
								  "SELECT p.employee_id, p.plan, p.emit_from, p.emit_to"
								  " FROM otan_enbek.attendance_plans($1, $2, $3, now(), $4) p"
								  " WHERE ($5 IS NULL OR p.employee_id >= $5)"
								  "   AND ($6 IS NULL OR p.employee_id <= $6)", &opts);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "reading the attendance plans failed: %s",
				 SPI_result_code_string(rc));
	}

	qsort(scan->employees, scan->nemployees, sizeof(ScanEmployee),
		  employee_cmp);
	att_scan_index_employees(scan);
}
