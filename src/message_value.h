/*-------------------------------------------------------------------------
 *
 * message_value.h
 *	  Argument values as error messages show them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef MESSAGE_VALUE_H
#define MESSAGE_VALUE_H

#include <stddef.h>

/* Characters of a value that an error message shows before "..." */
#define MESSAGE_VALUE_MAX_CHARS 64

extern size_t message_value_length(const char *value, size_t len);
extern char *message_value(const char *value, size_t len);

#endif							/* MESSAGE_VALUE_H */
