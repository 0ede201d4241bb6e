/*-------------------------------------------------------------------------
 *
 * delivery.h
 *	  Delivery of signed timesheets to Enbek by background workers.
 *
 * A launcher (launcher.c) starts one delivery worker (worker.c) per
 * database that has the extension.  Shared memory (registry.c) maps each
 * database to its worker so that a committing transaction can wake the
 * right one (wake.c).  A worker claims due submissions (queue.c), delivers
 * them with the functions of their profiles (profile.c), and records each
 * outcome, retrying transient failures with backoff (retry.c).  The profile
 * soap sends requests several at a time (exchange.c: envelope.c builds
 * each, wssecurity.c signs its body, http.c sends them, soap_response.c and
 * verdict.c read the responses), and the profile file writes files
 * (file_profile.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_DELIVERY_H
#define OTAN_ENBEK_DELIVERY_H

#include "datatype/timestamp.h"
#include "nodes/pg_list.h"

/* Name of the extension, as in pg_extension, and of its library */
#define DELIVERY_EXTENSION_NAME "otan_enbek"

/* Channel of the NOTIFY sent for each final outcome of a submission */
#define DELIVERY_NOTIFY_CHANNEL "otan_enbek"

/* Namespaces of the SOAP envelope, the gateway's types and the timesheet */
#define SOAP_ENVELOPE_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define SYNC_CHANNEL_NS "http://bip.bee.kz/SyncChannel/v10/Types"
#define TIMESHEET_NS "urn:otan-enbek:timesheet:v1"

/* Largest response read from Enbek; a longer one is treated as malformed */
#define DELIVERY_MAX_RESPONSE_BYTES (1024 * 1024)

/* Delay before the launcher starts again a worker that stopped on an error */
#define DELIVERY_RESTART_DELAY_MS 10000

/* What a request to Enbek is for */
typedef enum DeliveryRequestKind
{
	DELIVERY_SEND,				/* SendMessage with the signed timesheet */
	DELIVERY_STATUS				/* status query for a timesheet already sent */
} DeliveryRequestKind;

struct DeliveryTarget;			/* profile.h */

/* One claimed submission and the request to make for it */
typedef struct DeliveryItem
{
	int32		org_id;
	int64		submission_id;
	DeliveryRequestKind kind;
	char	   *message_id;		/* the timesheet's message id (a UUID) */
	char	   *request_id;		/* message id of this request */
	char	   *service_id;		/* serviceId of the timesheet */
	char	   *document;		/* signed document; NULL for a status query */
	TimestampTz created_at;		/* messageDate of the timesheet */
	int			attempts;		/* send attempts, this one included */
	int			failures;		/* transient failures in a row so far */
	struct DeliveryTarget *target;	/* profile and settings of delivery */
} DeliveryItem;

/* A reason Enbek gave for returning a document */
typedef struct DeliveryReason
{
	char	   *code;
	char	   *message;		/* may be NULL */
	char	   *iin;			/* may be NULL */
} DeliveryReason;

/* The HTTP exchange with Enbek, as http.c reports it */
typedef struct DeliveryHttpResponse
{
	bool		completed;		/* a whole HTTP response was received */
	long		http_status;	/* 0 when no response was received */
	char	   *body;			/* NUL-terminated; body_len excludes the NUL */
	size_t		body_len;
	int			retry_after_s;	/* Retry-After in seconds, -1 when absent */
	int			duration_ms;
	bool		timed_out;
	bool		interrupted;	/* aborted because the worker is stopping */
	bool		too_large;		/* the response exceeded the size limit */
	int			curl_code;
	char	   *error;			/* libcurl's message when not completed */
} DeliveryHttpResponse;

/* How a SOAP response reads, before the HTTP status is taken into account */
typedef enum SoapResponseKind
{
	SOAP_RESPONSE,				/* a SendMessageResponse */
	SOAP_FAULT_CLIENT,			/* a soap:Fault blaming the request */
	SOAP_FAULT_SERVER,			/* a soap:Fault blaming the server */
	SOAP_MALFORMED				/* not XML, or not the expected structure */
} SoapResponseKind;

/* The parts of a SOAP response that delivery uses */
typedef struct SoapResponse
{
	SoapResponseKind kind;
	char	   *status_code;	/* responseInfo/status/code */
	char	   *status_message; /* responseInfo/status/message, may be NULL */
	char	   *state;			/* ts:state, NULL when there is no data */
	List	   *reasons;		/* of DeliveryReason, one per ts:error */
	char	   *fault_code;
	char	   *fault_string;
	char	   *problem;		/* why a malformed response was rejected */
} SoapResponse;

/*
 * What a response means for the submission.  The worker turns a transient
 * verdict into a retry or, for a send past the limit, a failure (retry.c).
 */
typedef enum DeliveryVerdictKind
{
	VERDICT_SENT,				/* Enbek is checking it: ask the status later */
	VERDICT_ACCEPTED,
	VERDICT_RETURNED,			/* rejected, with reasons */
	VERDICT_RESEND_DETECTED,	/* SCSE196: ask the status now */
	VERDICT_UNKNOWN,			/* Enbek has no record of it: send it again */
	VERDICT_TRANSIENT,			/* try again later */
	VERDICT_REJECTED_REQUEST,	/* the request itself was rejected */
	VERDICT_INTERRUPTED,		/* the worker stopped during the request */
	VERDICT_NOT_SENT,			/* the worker stopped before the request */
	VERDICT_WRITTEN				/* written for manual upload (profile file) */
} DeliveryVerdictKind;

typedef struct DeliveryVerdict
{
	DeliveryVerdictKind kind;
	int			http_status;	/* 0 when there was no HTTP response */
	char	   *code;			/* Enbek status code or fault code */
	char	   *message;		/* Enbek's message, fault string or error */
	char	   *state;			/* ts:state */
	List	   *reasons;		/* of DeliveryReason */
	int			retry_after_s;	/* -1 when the response gave none */
	int			duration_ms;
	char	   *detail;			/* JSON object with the other facts */
	bool		internal_error; /* raised before or after the request */
} DeliveryVerdict;

/*
 * The attendance refreshes of a database's worker since it started
 * (attendance/refresh_worker.c), kept in its registry slot.
 */
typedef struct WorkerRefreshStats
{
	uint64		looks;			/* looks that found pending days */
	uint64		refreshes;		/* organizations refreshed */
	uint64		failures;		/* refreshes rolled back */
	uint64		rows;			/* attendance_day rows written or deleted */
	TimestampTz last_at;		/* end of the last look with pending days */
	int64		last_us;		/* its duration in microseconds */
	int			last_rows;		/* the rows it wrote or deleted */
} WorkerRefreshStats;

/* registry.c: which worker serves which database */
extern void delivery_registry_install_hooks(void);
extern bool delivery_registry_available(void);
extern void delivery_require_preloaded(void);
extern void delivery_registry_wake(Oid dboid);
extern bool delivery_registry_attach(Oid dboid, uint64 *wake_count);
extern void delivery_registry_detach(Oid dboid, bool restart,
									 uint64 wake_count);
extern uint64 delivery_registry_wake_count(Oid dboid);
extern void delivery_registry_set_launcher(bool running);
extern void delivery_registry_request_rescan(void);
extern bool delivery_registry_take_rescan(void);
extern void delivery_registry_forget_starting(void);
extern List *delivery_registry_request(List *dboids);
extern void delivery_registry_drop_missing(List *dboids);
extern bool delivery_registry_any_due(TimestampTz now);
extern Oid	delivery_registry_next_to_start(TimestampTz now, long *wait_ms);
extern void delivery_registry_mark_start_failed(Oid dboid);
extern const char *delivery_registry_state(Oid dboid, int *pid);
extern pid_t delivery_registry_stop(Oid dboid);
extern void delivery_registry_set_refresh_stats(Oid dboid,
												const WorkerRefreshStats *stats);
extern bool delivery_registry_refresh_stats(Oid dboid,
											WorkerRefreshStats *stats);

/* wake.c: wake the worker when a transaction commits */
extern void delivery_wake_at_commit(void);
extern void delivery_install_drop_hook(void);

/* utility.c: stop a worker before DROP DATABASE */
extern void delivery_install_utility_hook(void);

/* worker.c */
extern PGDLLEXPORT void otan_enbek_delivery_worker_main(Datum main_arg);

/* launcher.c */
extern PGDLLEXPORT void otan_enbek_launcher_main(Datum main_arg);

/* queue.c: the SQL side of a cycle */
extern MemoryContext queue_begin(const char *activity);
extern bool queue_lock_extension(void);
extern void queue_commit(MemoryContext caller);
extern bool queue_function_exists(const char *name);
extern int	delivery_queue_requeue(void);
extern List *delivery_queue_claim(int batch_size, const char *profiles,
								  TimestampTz *next_due,
								  bool *extension_missing);
extern bool delivery_queue_record(DeliveryItem *item, DeliveryVerdict *verdict,
								  const char *outcome, int failures,
								  double delay_s);

/* exchange.c: the requests of a batch and their verdicts */
extern void delivery_transport_init(void);
extern DeliveryVerdict **delivery_exchange_many(DeliveryItem **items, int count);

/* http.c */
extern const char *delivery_endpoint_problem(const char *url);
extern void delivery_http_post_many(const char *url, int count,
									const char *const *bodies,
									DeliveryHttpResponse *responses);

/* soap_response.c */
extern SoapResponse *soap_parse_response(const char *body, size_t len,
									 const char *request_id,
									 const char *message_id);

/* verdict.c: from HTTP status and SOAP response to a verdict */
extern DeliveryVerdict *delivery_judge(DeliveryRequestKind kind,
									   const DeliveryHttpResponse *response,
									   const char *request_id,
									   const char *message_id);
extern const char *delivery_verdict_name(DeliveryVerdictKind kind);
extern DeliveryVerdict *delivery_verdict_not_sent(DeliveryItem *item);
extern char *delivery_reasons_json(List *reasons);

/* breaker.c: the circuit breaker of the endpoint */
extern int	delivery_breaker_admit(int batch_size, TimestampTz *probe_at);
extern bool delivery_breaker_record(const DeliveryItem *item,
									const DeliveryVerdict *verdict);

/* retry.c */
extern double delivery_backoff_seconds(int failures, int retry_after_s);
extern const char *delivery_plan_outcome(const DeliveryItem *item,
										 const DeliveryVerdict *verdict,
										 int *failures, double *delay_s);

#endif							/* OTAN_ENBEK_DELIVERY_H */
