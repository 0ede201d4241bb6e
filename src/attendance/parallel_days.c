/*-------------------------------------------------------------------------
 *
 * parallel_days.c
 *	  The days that the parallel worker of an attendance computation sends
 *	  to the leader.
 *
 * The worker sends each day of its employees as one message of its queue
 * to the leader, in one of two forms.  By default a message is a DayMessage
 * followed by the day's kept event ids, and the leader hands the day to
 * the caller's sink as if it had computed it.  When the caller gives an
 * AttRowForm, the worker forms the day's row itself, as a minimal tuple of
 * the caller's descriptor, and the leader only hands the row on.  The
 * leader of attendance_compute_days also reads every row of the result
 * once the function returns, so forming the worker's rows in the worker
 * takes that work off the busier process.
 *
 * A worker whose leader has detached from the queue stops sending and
 * computing: the leader detaches only when it gives up the computation (an
 * error or a cancel), and it then ends the worker.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tupdesc.h"
#include "storage/shm_mq.h"

#include "attendance/attendance.h"
#include "attendance/scan.h"
#include "attendance/scan_state.h"

/* Header of a day message; the day's event ids follow it */
typedef struct DayMessage
{
	int32		employee_id;
	int32		nids;
	AttDayResult day;			/* first_event is 0 */
} DayMessage;

/* Sends one message, or nothing once the leader has detached. */
static void
send_message(AttWorkerOut *out, shm_mq_iovec *iov, int iovcnt)
{
	if (out->leader_gone)
		return;
	if (shm_mq_sendv(out->mqh, iov, iovcnt, false, false) != SHM_MQ_SUCCESS)
	{
		out->leader_gone = true;
		ereport(DEBUG1,
				(errmsg_internal("the leader of the attendance computation detached from its queue")));
	}
}

/* Sends one day of the worker's employees as a DayMessage. */
void
att_worker_send_day(void *arg, int32 employee_id, const AttDayResult *r,
					const int64 *ids)
{
	AttWorkerOut *out = (AttWorkerOut *) arg;
	DayMessage	msg;
	shm_mq_iovec iov[2];

	memset(&msg, 0, sizeof(msg));
	msg.employee_id = employee_id;
	msg.nids = r->punch_count;
	msg.day = *r;
	msg.day.first_event = 0;
	iov[0].data = (const char *) &msg;
	iov[0].len = sizeof(msg);
	iov[1].data = (const char *) (ids + r->first_event);
	iov[1].len = (Size) r->punch_count * sizeof(int64);
	send_message(out, iov, 2);
}

/*
 * Sends one day of the worker's employees as a row of out->desc.  The sink
 * is called in the memory context of one employee, which frees the row.
 */
void
att_worker_send_row(void *arg, int32 employee_id, const AttDayResult *r,
					const int64 *ids)
{
	AttWorkerOut *out = (AttWorkerOut *) arg;
	Datum		values[1 + ATT_FIGURES_NATTS];
	bool		nulls[1 + ATT_FIGURES_NATTS];
	MinimalTuple row;
	shm_mq_iovec iov;

	if (out->leader_gone)
		return;
	values[0] = Int32GetDatum(employee_id);
	nulls[0] = false;
	att_day_values(r, ids, values + 1, nulls + 1);
	row = heap_form_minimal_tuple(out->desc, values, nulls);
	iov.data = (const char *) row;
	iov.len = row->t_len;
	send_message(out, &iov, 1);
}

/*
 * Builds, in the worker, the descriptor of the rows from the column types
 * that the leader shared.
 */
TupleDesc
att_worker_row_desc(int natts, const Oid *types, const int32 *typmods)
{
	TupleDesc	desc;
	int			i;

	if (natts != 1 + ATT_FIGURES_NATTS)
		elog(ERROR, "attendance rows of %d columns cannot be formed", natts);
	desc = CreateTemplateTupleDesc(natts);
	for (i = 0; i < natts; i++)
		TupleDescInitEntry(desc, (AttrNumber) (i + 1), NULL, types[i],
						   typmods[i], 0);
	return desc;
}

/*
 * Hands one message of the worker to the caller: the row to rows->store
 * when rows is given, else the day to sink.  The data need not be aligned.
 */
void
att_leader_deliver(const AttRowForm *rows, const char *data, Size nbytes,
				   AttDaySink sink, void *arg)
{
	if (rows != NULL)
	{
		MinimalTuple row;
		uint32		len;

		if (nbytes < SizeofMinimalTupleHeader)
			elog(ERROR, "attendance row message of %zu bytes is too short",
				 nbytes);
		memcpy(&len, data, sizeof(uint32));
		if (len != nbytes)
			elog(ERROR, "attendance row message of %zu bytes is malformed",
				 nbytes);
		if (data == (const char *) MAXALIGN(data))
			row = (MinimalTuple) data;
		else
		{
			row = palloc(nbytes);
			memcpy(row, data, nbytes);
		}
		rows->store(arg, row);
	}
	else
	{
		DayMessage	msg;
		int64	   *ids;

		if (nbytes < sizeof(DayMessage))
			elog(ERROR, "attendance day message of %zu bytes is too short",
				 nbytes);
		memcpy(&msg, data, sizeof(DayMessage));
		if (msg.nids < 0 ||
			nbytes != sizeof(DayMessage) + (Size) msg.nids * sizeof(int64))
			elog(ERROR, "attendance day message of %zu bytes is malformed",
				 nbytes);
		ids = palloc(Max(msg.nids, 1) * sizeof(int64));
		memcpy(ids, data + sizeof(DayMessage), msg.nids * sizeof(int64));
		sink(arg, msg.employee_id, &msg.day, ids);
	}
}
