/*-------------------------------------------------------------------------
 *
 * scan_state.h
 *	  The employees, plans and access points of one att_scan_days call,
 *	  shared by the files of the scan, the ways of reading events and the
 *	  parallel worker.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_ATTENDANCE_SCAN_STATE_H
#define OTAN_ENBEK_ATTENDANCE_SCAN_STATE_H

#include "access/relscan.h"
#include "common/hashfn.h"
#include "nodes/params.h"
#include "nodes/pg_list.h"
#include "tcop/dest.h"

#include "attendance/attendance.h"
#include "attendance/plan_set.h"
#include "attendance/scan.h"

/* An employee with a plan, and the punches read so far */
typedef struct ScanEmployee
{
	int32		employee_id;
	AttState	state;
} ScanEmployee;

/* Entry of the hash table from employee id to ScanEmployee */
typedef struct EmployeeEntry
{
	int32		employee_id;
	int32		index;
	char		status;
} EmployeeEntry;

#define SH_PREFIX		emptab
#define SH_ELEMENT_TYPE	EmployeeEntry
#define SH_KEY_TYPE		int32
#define SH_KEY			employee_id
#define SH_HASH_KEY(tb, key)	murmurhash32((uint32) (key))
#define SH_EQUAL(tb, a, b)	((a) == (b))
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

/* An access point of the organization */
typedef struct ScanPoint
{
	int32		source_id;
	uint32		hash;
	char	   *device;
	int			device_len;
	int16		direction;		/* ATT_DIR_IN, ATT_DIR_OUT or ATT_DIR_NONE */
	bool		counts;
	int32		skew_sec;
	struct ScanPoint *next;
} ScanPoint;

#define POINT_BUCKETS	256

/*
 * A punch read from the heap, kept in reading order until every punch is
 * read (stage.c).  place is the employee's place in AttScan.employees.
 */
typedef struct StagedPunch
{
	int32		place;
	int16		dir;
	int16		pad;
	int64		t;				/* seconds since 2000 UTC */
	int64		event_id;
} StagedPunch;

#define STAGE_BLOCK_PUNCHES	65536

typedef struct StageBlock
{
	struct StageBlock *next;
	int32		n;
	StagedPunch punches[STAGE_BLOCK_PUNCHES];
} StageBlock;

typedef struct AttScan
{
	MemoryContext cxt;			/* holds everything below */
	ScanEmployee *employees;	/* in employee id order */
	int32		nemployees;
	emptab_hash *by_id;			/* places by employee id, when place_of_id
								 * is NULL */
	AttPlanSet	plans;			/* the distinct plans of the employees */
	ScanPoint  *points[POINT_BUCKETS];
	bool		has_points;
	bool		staging;		/* punches go to the blocks below */
	StageBlock *stage_head;
	StageBlock *stage_tail;
	int64		nstaged;
	AttPunch   *placed;			/* the punches of every employee, when
								 * placed from the blocks */
	int32	   *place_of_id;	/* places by employee id minus min_id (-1
								 * for none), or NULL for sparse ids */
	int32		min_id;
	uint32		id_span;		/* entries of place_of_id */
} AttScan;

/* scan.c */
/* Parameters of the plan and event queries */
#define ATT_SCAN_QUERY_NPARAMS	6

extern ParamListInfo att_scan_query_params(const AttScanArgs *args,
										   Oid bound_type, Datum from,
										   Datum to, Oid *types);
extern void att_scan_init_receiver(DestReceiver *pub,
								   bool (*receive) (TupleTableSlot *slot,
													DestReceiver *self));
extern AttScan *att_scan_create(void);
extern AttScan *att_scan_begin(const AttScanArgs *args);
extern void att_scan_emit(AttScan *scan, int32 from, int32 to,
						  AttDaySink sink, void *arg, AttParallel *par,
						  const bool *stop);
extern void att_scan_end(AttScan *scan);

/* scan_plans.c */
extern bool att_scan_few_employees(const AttScanArgs *args);
extern void att_scan_read_plans(AttScan *scan, const AttScanArgs *args);

/* scan_points.c */
extern void att_scan_read_points(AttScan *scan, Datum org);
extern const ScanPoint *att_scan_find_point(const AttScan *scan,
											int32 source_id, text *device);

/* scan_index.c */
extern int32 att_scan_find_employee(const AttScan *scan, int32 employee_id);
extern void att_scan_index_employees(AttScan *scan);

/* scan_events.c */
extern void att_scan_add_event(AttScan *scan, int32 employee_id,
							   TimestampTz ts, text *direction,
							   bool has_event_id, int64 event_id,
							   int32 source_id, text *device);
extern void att_scan_read_events(AttScan *scan, const AttScanArgs *args);

/* scan_share.c */
extern char *att_scan_serialize(const AttScan *scan, Size *len);
extern AttScan *att_scan_restore(const char *data, Size len);

/* stage.c */
extern void att_stage_punch(AttScan *scan, int32 place, int64 t, int16 dir,
							int64 event_id);
extern void att_stage_append(AttScan *scan, const StagedPunch *punches,
							 int32 n);
extern void att_stage_place(AttScan *scan, int32 from, int32 to);

/* heap_events.c */
extern bool att_event_partitions(TimestampTz from, TimestampTz to,
								 MemoryContext cxt, List **parts);
extern void att_read_heap_events(AttScan *scan, const AttScanArgs *args,
								 Oid relid, ParallelTableScanDesc pscan);

/* parallel.c */
extern AttParallel *att_parallel_begin(AttScan *scan,
									   const AttScanArgs *args,
									   List *parts, int32 split);
extern ParallelTableScanDesc att_parallel_scan_desc(AttParallel *par,
													int part);
extern void att_parallel_exchange(AttParallel *par, AttScan *scan);
extern void att_parallel_drain(AttParallel *par);
extern void att_parallel_finish(AttParallel *par, AttDaySink sink,
								void *arg);

/* Where the parallel worker sends its days (parallel_days.c) */
typedef struct AttWorkerOut
{
	struct shm_mq_handle *mqh;	/* the queue to the leader */
	TupleDesc	desc;			/* of the rows it forms, or NULL */
	bool		leader_gone;	/* the leader has detached */
} AttWorkerOut;

/* parallel_days.c */
extern void att_worker_send_day(void *arg, int32 employee_id,
								const AttDayResult *r, const int64 *ids);
extern void att_worker_send_row(void *arg, int32 employee_id,
								const AttDayResult *r, const int64 *ids);
extern TupleDesc att_worker_row_desc(int natts, const Oid *types,
									 const int32 *typmods);
extern void att_leader_deliver(const AttRowForm *rows, const char *data,
							   Size nbytes, AttDaySink sink, void *arg);

#endif							/* OTAN_ENBEK_ATTENDANCE_SCAN_STATE_H */
