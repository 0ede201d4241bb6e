/*-------------------------------------------------------------------------
 *
 * hikvision.c
 *	  Parser of Hikvision ISAPI access-control event search responses
 *	  (POST /ISAPI/AccessControl/AcsEvent?format=json).
 *
 * The response is {"AcsEvent": {..., "InfoList": [event, ...]}}; each
 * entry of InfoList is one record, numbered by its 1-based position.  A
 * response without InfoList (the device returns "NO MATCH") has no records.
 * The fields read from an event:
 *
 *	major, minor		event type; see is_valid_pass for what counts
 *	time				ISO 8601, normally with the device's UTC offset
 *	serialNo			the device's event number: the external id
 *	employeeNoString	user id on the device: a credential of kind person
 *	employeeNo			the same as a number, on older firmware
 *	cardNo				card number: credential of kind card when the event
 *						has no employee number
 *	doorNo, cardReaderNo	the device key "doorNo:cardReaderNo"
 *	attendanceStatus	checkIn, breakIn, overtimeIn: in; checkOut,
 *						breakOut, overtimeOut: out; absent or other: none
 *
 * Events other than valid passes (denials, door and alarm events) are kept
 * with counts_for_attendance false; those without any credential get an
 * empty one.  An event without serialNo gets an id derived from device,
 * credential, time and "major/minor".
 *
 * Plain C without PostgreSQL headers (see ingest.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include "ingest/ingest.h"
#include "ingest/json.h"

/* Nesting limit of the JSON reader; a response nests 3 levels */
#define MAX_JSON_DEPTH 32

/* Major event type "event", under which passes and denials are reported */
#define MAJOR_EVENT 5

/* Values of one InfoList entry, as found */
typedef struct HikEvent
{
	JsonValue	major;
	JsonValue	minor;
	JsonValue	time;
	JsonValue	serial_no;
	JsonValue	employee_no_string;
	JsonValue	employee_no;
	JsonValue	card_no;
	JsonValue	door_no;
	JsonValue	card_reader_no;
	JsonValue	attendance_status;
} HikEvent;

/*
 * Tells whether a minor code of major 5 reports a successful pass by an
 * authenticated person.  The codes are the access-control MINOR_*_PASS
 * constants of Hikvision's HCNetSDK, as its C# binding CHCNetSDK.cs defines
 * them: card, fingerprint, face, employee number and their combinations.
 * Failures, time-outs, denials, door, alarm and remote-open events are not
 * in the list, and neither are visitor checks (ID card, QR code).
 */
static bool
is_valid_pass(int64_t minor)
{
	switch (minor)
	{
		case 0x01:				/* valid card */
		case 0x02:				/* card and password */
		case 0x10:				/* multiple authentication completed */
		case 0x26:				/* fingerprint */
		case 0x28:				/* card and fingerprint */
		case 0x2b:				/* card, fingerprint and password */
		case 0x2e:				/* fingerprint and password */
		case 0x36:				/* face and fingerprint */
		case 0x39:				/* face and password */
		case 0x3c:				/* face and card */
		case 0x3f:				/* face, password and fingerprint */
		case 0x42:				/* face, card and fingerprint */
		case 0x45:				/* employee number and fingerprint */
		case 0x48:				/* employee number, fingerprint, password */
		case 0x4b:				/* face */
		case 0x4d:				/* employee number and face */
		case 0x65:				/* employee number and password */
		case 0x99:				/* combined authentication */
			return true;
	}
	return false;
}

/* Collects the members of an entry that the parser reads. */
static void
collect_members(const JsonValue *entry, HikEvent *event)
{
	static const struct
	{
		const char *name;
		size_t		offset;
	}			members[] =
	{
		{"major", offsetof(HikEvent, major)},
		{"minor", offsetof(HikEvent, minor)},
		{"time", offsetof(HikEvent, time)},
		{"serialNo", offsetof(HikEvent, serial_no)},
		{"employeeNoString", offsetof(HikEvent, employee_no_string)},
		{"employeeNo", offsetof(HikEvent, employee_no)},
		{"cardNo", offsetof(HikEvent, card_no)},
		{"doorNo", offsetof(HikEvent, door_no)},
		{"cardReaderNo", offsetof(HikEvent, card_reader_no)},
		{"attendanceStatus", offsetof(HikEvent, attendance_status)},
	};
	size_t		cursor = 0;
	JsonValue	key;
	JsonValue	value;
	size_t		i;

	/* JSON_NULL marks a member that is absent, like an explicit null */
	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		((JsonValue *) ((char *) event + members[i].offset))->type = JSON_NULL;

	while (json_object_next(entry, &cursor, &key, &value))
	{
		for (i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		{
			if (json_key_equals(&key, members[i].name))
			{
				*(JsonValue *) ((char *) event + members[i].offset) = value;
				break;
			}
		}
	}
}

/*
 * Reads an integer member into *result.  Rejects the record when it is
 * missing (if required) or not an integer between 0 and max; returns
 * whether a value was read.
 */
static bool
read_integer(const JsonValue *value, const char *name, bool required,
			 int64_t max, IngestRecord *record, int64_t *result)
{
	if (value->type == JSON_NULL)
	{
		if (required)
			ingest_reject(record, "The event has no %s.", name);
		return false;
	}
	if (value->type != JSON_NUMBER)
	{
		ingest_reject(record, "The %s is %s, not a number.", name,
					  json_type_name(value->type));
		return false;
	}
	if (!json_integer(value, result) || *result < 0 || *result > max)
	{
		char		quoted[64];

		ingest_quote(quoted, sizeof(quoted), value->text, value->len);
		ingest_reject(record, "The %s %s is not an integer between 0 and %lld.",
					  name, quoted, (long long) max);
		return false;
	}
	return true;
}

/*
 * Decodes a string member into dst (INGEST_VALUE_SIZE bytes).  Returns
 * false when it is absent or empty.  Rejects the record when the member is
 * not a string, is too long, or contains a NUL or control character.
 */
static bool
read_string(const JsonValue *value, const char *name, IngestRecord *record,
			char *dst)
{
	size_t		len;
	size_t		i;

	if (value->type == JSON_NULL)
		return false;
	if (value->type != JSON_STRING)
	{
		ingest_reject(record, "The %s is %s, not a string.", name,
					  json_type_name(value->type));
		return false;
	}
	if (!json_string_decode(value, dst, INGEST_VALUE_SIZE, &len))
	{
		ingest_reject(record, "The %s is longer than %d bytes.", name,
					  INGEST_MAX_VALUE_BYTES);
		return false;
	}
	for (i = 0; i < len; i++)
	{
		if ((unsigned char) dst[i] < 0x20 || dst[i] == 0x7F)
		{
			ingest_reject(record, "The %s contains a control character.",
						  name);
			return false;
		}
	}
	return len > 0;
}

/* Reads the time, which is required. */
static void
read_time(const JsonValue *value, IngestRecord *record)
{
	char		text[INGEST_VALUE_SIZE];
	char		quoted[64];

	if (value->type == JSON_NULL)
	{
		ingest_reject(record, "The event has no time.");
		return;
	}
	if (!read_string(value, "time", record, text))
	{
		/* read_string rejects a bad value but returns false for "" too */
		if (record->reject_reason[0] == '\0')
			ingest_reject(record, "The event's time is empty.");
		return;
	}
	if (!ingest_parse_iso8601(text, strlen(text), &record->time))
	{
		ingest_quote(quoted, sizeof(quoted), text, strlen(text));
		ingest_reject(record,
					  "The time \"%s\" is invalid: expected ISO 8601 such as 2023-06-09T19:05:47+07:00.",
					  quoted);
	}
}

/*
 * Reads the credential: employeeNoString, else employeeNo (a number or a
 * string), else cardNo.  Leaves the credential empty when there is none.
 */
static void
read_credential(const HikEvent *event, IngestRecord *record)
{
	int64_t		number;

	record->credential_kind = INGEST_CREDENTIAL_PERSON;
	if (read_string(&event->employee_no_string, "employeeNoString", record,
					record->credential))
		return;
	if (event->employee_no.type == JSON_NUMBER)
	{
		if (read_integer(&event->employee_no, "employeeNo", false, INT64_MAX,
						 record, &number))
			snprintf(record->credential, sizeof(record->credential), "%lld",
					 (long long) number);
		return;
	}
	if (read_string(&event->employee_no, "employeeNo", record,
					record->credential))
		return;
	if (read_string(&event->card_no, "cardNo", record, record->credential))
		record->credential_kind = INGEST_CREDENTIAL_CARD;
}

/* Reads doorNo and cardReaderNo into the device key "doorNo:cardReaderNo". */
static void
read_device(const HikEvent *event, IngestRecord *record)
{
	int64_t		door = 0;
	int64_t		reader = 0;
	bool		has_door;
	bool		has_reader;
	char		door_text[24] = "";
	char		reader_text[24] = "";

	has_door = read_integer(&event->door_no, "doorNo", false, INT32_MAX,
							record, &door);
	has_reader = read_integer(&event->card_reader_no, "cardReaderNo", false,
							  INT32_MAX, record, &reader);
	if (!has_door && !has_reader)
		return;
	if (has_door)
		snprintf(door_text, sizeof(door_text), "%lld", (long long) door);
	if (has_reader)
		snprintf(reader_text, sizeof(reader_text), "%lld", (long long) reader);
	record->has_device = true;
	snprintf(record->device, sizeof(record->device), "%s:%s",
			 door_text, reader_text);
}

/* Maps attendanceStatus to a direction. */
static void
read_direction(const JsonValue *value, IngestRecord *record)
{
	char		status[INGEST_VALUE_SIZE];

	record->direction = INGEST_DIRECTION_NONE;
	if (!read_string(value, "attendanceStatus", record, status))
		return;
	if (strcmp(status, "checkIn") == 0 || strcmp(status, "breakIn") == 0 ||
		strcmp(status, "overtimeIn") == 0)
		record->direction = INGEST_DIRECTION_IN;
	else if (strcmp(status, "checkOut") == 0 ||
			 strcmp(status, "breakOut") == 0 ||
			 strcmp(status, "overtimeOut") == 0)
		record->direction = INGEST_DIRECTION_OUT;
}

/* Reads one InfoList entry into the record, or rejects it. */
static void
parse_event(const JsonValue *entry, IngestRecord *record)
{
	HikEvent	event;
	int64_t		major = 0;
	int64_t		minor = 0;
	int64_t		serial_no = 0;
	bool		has_serial_no;
	char		tag[48];

	if (entry->type != JSON_OBJECT)
	{
		ingest_reject(record, "The InfoList entry is %s, not an object.",
					  json_type_name(entry->type));
		return;
	}
	if (entry->len > INGEST_MAX_RECORD_BYTES)
	{
		ingest_reject(record, "The event is longer than %d bytes.",
					  INGEST_MAX_RECORD_BYTES);
		return;
	}

	collect_members(entry, &event);
	read_integer(&event.major, "major", true, INT32_MAX, record, &major);
	read_integer(&event.minor, "minor", true, INT32_MAX, record, &minor);
	read_time(&event.time, record);
	has_serial_no = read_integer(&event.serial_no, "serialNo", false,
								 INT64_MAX, record, &serial_no);
	read_credential(&event, record);
	read_device(&event, record);
	read_direction(&event.attendance_status, record);
	if (record->reject_reason[0] != '\0')
		return;

	record->counts_for_attendance = major == MAJOR_EVENT &&
		is_valid_pass(minor);
	if (record->counts_for_attendance && record->credential[0] == '\0')
	{
		ingest_reject(record,
					  "The pass event has no employeeNoString, employeeNo or cardNo.");
		return;
	}

	if (has_serial_no)
		snprintf(record->external_id, sizeof(record->external_id), "%lld",
				 (long long) serial_no);
	else
	{
		snprintf(tag, sizeof(tag), "%lld/%lld",
				 (long long) major, (long long) minor);
		ingest_derive_external_id(record, tag);
	}
}

/*
 * Finds AcsEvent.InfoList in a validated document.  Sets *list to JSON_NULL
 * when the response has no InfoList; returns false with an error when the
 * document is not a search response.
 */
static bool
find_info_list(const JsonValue *root, JsonValue *list, IngestError *error)
{
	JsonValue	acs_event = {JSON_NULL, NULL, 0};
	JsonValue	key;
	JsonValue	value;
	size_t		cursor = 0;

	list->type = JSON_NULL;
	if (root->type != JSON_OBJECT)
	{
		ingest_error(error, "content is not a Hikvision AcsEvent search response",
					 "The JSON document is %s, not an object with an AcsEvent member.",
					 json_type_name(root->type));
		return false;
	}
	while (json_object_next(root, &cursor, &key, &value))
		if (json_key_equals(&key, "AcsEvent"))
			acs_event = value;
	if (acs_event.type != JSON_OBJECT)
	{
		ingest_error(error, "content is not a Hikvision AcsEvent search response",
					 acs_event.type == JSON_NULL ?
					 "The JSON object has no AcsEvent member." :
					 "The AcsEvent member is not an object.");
		return false;
	}

	cursor = 0;
	while (json_object_next(&acs_event, &cursor, &key, &value))
		if (json_key_equals(&key, "InfoList"))
			*list = value;
	if (list->type != JSON_NULL && list->type != JSON_ARRAY)
	{
		ingest_error(error, "content is not a Hikvision AcsEvent search response",
					 "AcsEvent.InfoList is %s, not an array.",
					 json_type_name(list->type));
		return false;
	}
	return true;
}

/*
 * Parses a Hikvision AcsEvent search response.  The whole document is
 * validated first, so nothing reaches the callback when it is not valid
 * JSON or not a search response.
 */
bool
ingest_parse_hikvision(const char *buf, size_t len,
					   IngestRecordCallback callback, void *arg,
					   IngestError *error)
{
	size_t		bom = ingest_skip_bom(buf, len);
	JsonSyntaxError syntax;
	JsonValue	root;
	JsonValue	list;
	JsonValue	entry;
	IngestRecord record;
	size_t		cursor = 0;
	int32_t		position = 0;

	error->message[0] = '\0';
	buf += bom;
	len -= bom;
	if (!json_validate(buf, len, MAX_JSON_DEPTH, &syntax))
	{
		if (syntax.too_deep)
			ingest_error(error, "content is not valid JSON",
						 "Values are nested deeper than %d levels at byte %zu (line %d).",
						 MAX_JSON_DEPTH, syntax.offset + bom, syntax.line);
		else
			ingest_error(error, "content is not valid JSON",
						 "Syntax error at byte %zu (line %d): %s.",
						 syntax.offset + bom, syntax.line, syntax.message);
		return false;
	}
	if (!json_read_document(buf, len, &root) ||
		!find_info_list(&root, &list, error))
	{
		if (error->message[0] == '\0')
			ingest_error(error, "content is not valid JSON",
						 "The document could not be read.");
		return false;
	}
	if (list.type == JSON_NULL)
		return true;

	while (json_array_next(&list, &cursor, &entry))
	{
		if (position == INT32_MAX)
		{
			ingest_error(error, "content has too many events",
						 "Positions in InfoList are limited to %d.", INT32_MAX);
			return false;
		}
		position++;
		ingest_record_start(&record, position, entry.text, entry.len);
		parse_event(&entry, &record);
		callback(&record, arg);
	}
	return true;
}
