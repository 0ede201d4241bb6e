/*-------------------------------------------------------------------------
 *
 * json.h
 *	  A small strict JSON reader (RFC 8259) for the event parsers.
 *
 * json_validate checks a whole document once, with a limit on nesting.
 * The other functions walk a validated document without building a tree:
 * a JsonValue is a slice of the buffer, and objects and arrays are read
 * member by member.  Every function checks the buffer's bounds, so even on
 * a document that was not validated they fail instead of reading past it.
 *
 * Plain C without PostgreSQL headers (see ingest.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_INGEST_JSON_H
#define OTAN_ENBEK_INGEST_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum JsonType
{
	JSON_OBJECT,
	JSON_ARRAY,
	JSON_STRING,
	JSON_NUMBER,
	JSON_TRUE,
	JSON_FALSE,
	JSON_NULL
} JsonType;

/* A value: its type and its text, quotes and brackets included */
typedef struct JsonValue
{
	JsonType	type;
	const char *text;
	size_t		len;
} JsonValue;

/* Error of json_validate: what was found, and where */
typedef struct JsonSyntaxError
{
	const char *message;		/* a phrase, such as "unexpected end of
								 * content" */
	size_t		offset;			/* byte offset in the buffer */
	int			line;			/* 1-based line of that byte */
	bool		too_deep;		/* nesting exceeded the limit */
} JsonSyntaxError;

extern bool json_validate(const char *buf, size_t len, int max_depth,
						  JsonSyntaxError *error);
extern bool json_read_document(const char *buf, size_t len, JsonValue *root);
extern bool json_object_next(const JsonValue *object, size_t *cursor,
							 JsonValue *key, JsonValue *value);
extern bool json_array_next(const JsonValue *array, size_t *cursor,
							JsonValue *element);
extern bool json_key_equals(const JsonValue *key, const char *name);
extern bool json_string_decode(const JsonValue *value, char *dst,
							   size_t dst_size, size_t *out_len);
extern bool json_integer(const JsonValue *value, int64_t *result);
extern const char *json_type_name(JsonType type);

#endif							/* OTAN_ENBEK_INGEST_JSON_H */
