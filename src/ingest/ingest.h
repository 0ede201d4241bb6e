/*-------------------------------------------------------------------------
 *
 * ingest.h
 *	  Parsers of access-control event files: the record they produce and
 *	  their entry points.
 *
 * The parsers are plain C11 without PostgreSQL headers, so that a fuzzing
 * harness or a command-line tool can link them without a server.  Each one
 * takes a buffer and its length, never reads past them, allocates nothing
 * and hands every record to a callback:
 *
 *	- a record that was read carries its time, credential and device;
 *	- a record that could not be read carries a reject reason (a sentence);
 *	- blank lines are skipped and produce no record.
 *
 * When the content as a whole cannot be read (JSON that does not parse, a
 * CSV file without the required header), the parser fills an IngestError
 * and returns false.  The Hikvision parser validates the whole document and
 * the CSV parser checks the header before the first record.  Only content
 * with more lines than an int32 counts fails after records were passed on,
 * so a caller that must store nothing on failure collects the records
 * before it stores them.
 *
 * Text is expected to be UTF-8.  The parsers do not validate it: they split
 * only at ASCII bytes, so valid UTF-8 in gives valid UTF-8 out.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_INGEST_H
#define OTAN_ENBEK_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Maximum length of a record (a line, a CSV record or a JSON object) */
#define INGEST_MAX_RECORD_BYTES 8192

/* Maximum lengths of a credential or device key, and of an external id */
#define INGEST_MAX_VALUE_BYTES 64
#define INGEST_MAX_EXTERNAL_ID_BYTES 128

/* Buffer sizes: the limits above plus room for the terminating NUL */
#define INGEST_VALUE_SIZE (INGEST_MAX_VALUE_BYTES + 1)

/*
 * A derived external id escapes the device and the credential, so each can
 * double in length.  The kind, the time, the tag and the separators fit in
 * the other 96 bytes.
 */
#define INGEST_EXTERNAL_ID_SIZE (4 * INGEST_MAX_VALUE_BYTES + 96)
#define INGEST_REASON_SIZE 256

typedef enum IngestFormat
{
	INGEST_FORMAT_ZKTECO,
	INGEST_FORMAT_HIKVISION,
	INGEST_FORMAT_CSV
} IngestFormat;

/* List of the format names, as an error message shows it */
#define INGEST_FORMAT_NAMES "zkteco, hikvision and csv"

typedef enum IngestCredentialKind
{
	INGEST_CREDENTIAL_PERSON,	/* user id on the device: a ZKTeco PIN, a
								 * Hikvision employee number */
	INGEST_CREDENTIAL_CARD		/* card number */
} IngestCredentialKind;

typedef enum IngestDirection
{
	INGEST_DIRECTION_NONE,
	INGEST_DIRECTION_IN,
	INGEST_DIRECTION_OUT
} IngestDirection;

/*
 * Date and time as the record states it.  Without an offset it is a local
 * time of the device's site; with one, utc_offset_sec is east of UTC (an
 * offset of +05:00 is 18000).
 */
typedef struct IngestTime
{
	int			year;
	int			month;
	int			day;
	int			hour;
	int			minute;
	int			second;
	int			microsecond;
	bool		has_offset;
	int			utc_offset_sec;
} IngestTime;

/*
 * One record.  The strings are NUL-terminated; raw points into the parsed
 * buffer and is not.  When reject_reason is non-empty the record could not
 * be read, and only record_no and raw are meaningful.
 */
typedef struct IngestRecord
{
	int32_t		record_no;		/* line of the record's start, or 1-based
								 * position in a Hikvision InfoList */
	const char *raw;			/* the record as read, without its line end */
	size_t		raw_len;
	char		reject_reason[INGEST_REASON_SIZE];

	char		external_id[INGEST_EXTERNAL_ID_SIZE];
	IngestTime	time;
	bool		has_device;
	char		device[INGEST_VALUE_SIZE];
	IngestCredentialKind credential_kind;
	char		credential[INGEST_VALUE_SIZE];	/* empty for events without
												 * one, such as door alarms */
	IngestDirection direction;
	bool		has_device_state;
	int			device_state;
	bool		counts_for_attendance;
	int32_t		clock_jump_sec; /* seconds behind the latest earlier record
								 * of the same device and credential, 0 when
								 * not behind; set by the server's clock
								 * watch (clock_watch.c), not the parsers */
} IngestRecord;

/* Error that makes the whole content unreadable */
typedef struct IngestError
{
	char		message[INGEST_REASON_SIZE];	/* lower case, no period */
	char		detail[INGEST_REASON_SIZE];		/* a sentence */
} IngestError;

typedef void (*IngestRecordCallback) (const IngestRecord *record, void *arg);

/* Parsers: zkteco.c, hikvision.c, csv.c */
extern bool ingest_parse_zkteco(const char *buf, size_t len,
								IngestRecordCallback callback, void *arg,
								IngestError *error);
extern bool ingest_parse_hikvision(const char *buf, size_t len,
								   IngestRecordCallback callback, void *arg,
								   IngestError *error);
extern bool ingest_parse_csv(const char *buf, size_t len,
							 IngestRecordCallback callback, void *arg,
							 IngestError *error);

/* Format names and dispatch: record.c */
extern bool ingest_format_from_name(const char *name, size_t len,
									IngestFormat *format);
extern bool ingest_parse(IngestFormat format, const char *buf, size_t len,
						 IngestRecordCallback callback, void *arg,
						 IngestError *error);

/* Helpers shared by the parsers: record.c */
extern void ingest_record_start(IngestRecord *record, int32_t record_no,
								const char *raw, size_t raw_len);
extern void ingest_reject(IngestRecord *record, const char *format,...)
			__attribute__((format(printf, 2, 3)));
extern void ingest_error(IngestError *error, const char *message,
						 const char *detail_format,...)
			__attribute__((format(printf, 3, 4)));
extern size_t ingest_skip_bom(const char *buf, size_t len);
extern bool ingest_is_blank(const char *s, size_t len);
extern void ingest_trim(const char **s, size_t *len);
extern bool ingest_copy_value(char *dst, const char *src, size_t len);
extern void ingest_quote(char *dst, size_t dst_size,
						 const char *src, size_t len);
extern bool ingest_parse_uint(const char *s, size_t len, int64_t max,
							  int64_t *value);
extern void ingest_derive_external_id(IngestRecord *record, const char *tag);
extern const char *ingest_credential_kind_name(IngestCredentialKind kind);
extern const char *ingest_direction_name(IngestDirection direction);

/* Date-time parsing: datetime.c */
extern bool ingest_parse_device_time(const char *s, size_t len,
									 IngestTime *time);
extern bool ingest_parse_iso8601(const char *s, size_t len, IngestTime *time);
extern int	ingest_format_time(char *dst, size_t dst_size,
							   const IngestTime *time);

/* The byte where content stops being UTF-8: utf8.c */
extern size_t ingest_describe_invalid_utf8(const char *buf, size_t len,
										   size_t start, char *detail,
										   size_t detail_size);

#endif							/* OTAN_ENBEK_INGEST_H */
