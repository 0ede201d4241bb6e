/*-------------------------------------------------------------------------
 *
 * message_value.c
 *	  Argument values as error messages show them.
 *
 * An error that quotes a wrong argument helps the caller find it, but an
 * argument can be megabytes long, and the message goes to the server log
 * and to the client in full.  Messages therefore quote the first
 * MESSAGE_VALUE_MAX_CHARS characters of a value and end a longer one with
 * "...".
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "mb/pg_wchar.h"

#include "message_value.h"

/*
 * Returns the number of bytes of a value (in the server encoding) that a
 * message shows: at most MESSAGE_VALUE_MAX_CHARS whole characters.
 */
size_t
message_value_length(const char *value, size_t len)
{
	return (size_t) pg_mbcharcliplen(value, (int) Min(len, (size_t) PG_INT32_MAX),
									 MESSAGE_VALUE_MAX_CHARS);
}

/*
 * Returns a palloc'd copy of a value as a message shows it: the value
 * itself, or its first MESSAGE_VALUE_MAX_CHARS characters and "...".
 */
char *
message_value(const char *value, size_t len)
{
	size_t		shown = message_value_length(value, len);

	if (shown >= len)
		return pnstrdup(value, len);
	return psprintf("%.*s...", (int) shown, value);
}
