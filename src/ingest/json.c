/*-------------------------------------------------------------------------
 *
 * json.c
 *	  A small strict JSON reader (RFC 8259) for the event parsers.
 *
 * Strict means: one value with only whitespace around it, no comments, no
 * trailing commas, no control characters inside strings, valid escapes
 * (\u escapes of surrogates must form a pair), numbers as the grammar
 * defines them.  Nesting deeper than the caller's limit is an error, so
 * that a hostile document cannot exhaust the stack.  Duplicate member
 * names are allowed; the reader of a member takes the last one.
 *
 * Plain C without PostgreSQL headers (see ingest.h).
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "ingest/json.h"

typedef struct Validator
{
	const char *buf;
	size_t		len;
	size_t		pos;
	int			depth;
	int			max_depth;
	const char *error;			/* first error, or NULL */
} Validator;

static const char too_deep_message[] = "nesting is too deep";

static bool validate_value(Validator *v);

/* Tells whether c is JSON whitespace. */
static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void
skip_space(const char *buf, size_t len, size_t *pos)
{
	while (*pos < len && is_space(buf[*pos]))
		(*pos)++;
}

/* Records the first error and returns false. */
static bool
fail(Validator *v, const char *message)
{
	if (v->error == NULL)
		v->error = message;
	return false;
}

/* Returns the value of a hex digit, or -1. */
static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads 4 hex digits at buf[pos]; returns -1 when they are not. */
static long
read_hex4(const char *buf, size_t len, size_t pos)
{
	long		value = 0;
	int			i;

	if (pos + 4 > len)
		return -1;
	for (i = 0; i < 4; i++)
	{
		int			d = hex_value(buf[pos + i]);

		if (d < 0)
			return -1;
		value = value * 16 + d;
	}
	return value;
}

/* Validates a \u escape at v->pos (just after the 'u'). */
static bool
validate_unicode_escape(Validator *v)
{
	long		code = read_hex4(v->buf, v->len, v->pos);

	if (code < 0)
		return fail(v, "invalid \\u escape");
	v->pos += 4;
	if (code >= 0xDC00 && code <= 0xDFFF)
		return fail(v, "unpaired low surrogate in \\u escape");
	if (code >= 0xD800 && code <= 0xDBFF)
	{
		long		low;

		if (v->pos + 2 > v->len || v->buf[v->pos] != '\\' ||
			v->buf[v->pos + 1] != 'u')
			return fail(v, "unpaired high surrogate in \\u escape");
		low = read_hex4(v->buf, v->len, v->pos + 2);
		if (low < 0xDC00 || low > 0xDFFF)
			return fail(v, "unpaired high surrogate in \\u escape");
		v->pos += 6;
	}
	return true;
}

/* Validates a string starting at the opening quote. */
static bool
validate_string(Validator *v)
{
	v->pos++;					/* opening quote */
	while (v->pos < v->len)
	{
		unsigned char c = (unsigned char) v->buf[v->pos];

		if (c == '"')
		{
			v->pos++;
			return true;
		}
		if (c < 0x20)
			return fail(v, "control character in string");
		v->pos++;
		if (c != '\\')
			continue;
		if (v->pos >= v->len)
			break;
		c = (unsigned char) v->buf[v->pos++];
		if (c == 'u')
		{
			if (!validate_unicode_escape(v))
				return false;
		}
		else if (strchr("\"\\/bfnrt", c) == NULL || c == '\0')
			return fail(v, "invalid escape in string");
	}
	return fail(v, "unterminated string");
}

/* Reads one or more digits; false when there is none. */
static bool
skip_digits(Validator *v)
{
	size_t		start = v->pos;

	while (v->pos < v->len && v->buf[v->pos] >= '0' && v->buf[v->pos] <= '9')
		v->pos++;
	return v->pos > start;
}

/* Validates a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool
validate_number(Validator *v)
{
	if (v->pos < v->len && v->buf[v->pos] == '-')
		v->pos++;
	if (v->pos < v->len && v->buf[v->pos] == '0')
		v->pos++;
	else if (!skip_digits(v))
		return fail(v, "invalid number");
	if (v->pos < v->len && v->buf[v->pos] == '.')
	{
		v->pos++;
		if (!skip_digits(v))
			return fail(v, "invalid number");
	}
	if (v->pos < v->len && (v->buf[v->pos] == 'e' || v->buf[v->pos] == 'E'))
	{
		v->pos++;
		if (v->pos < v->len && (v->buf[v->pos] == '+' || v->buf[v->pos] == '-'))
			v->pos++;
		if (!skip_digits(v))
			return fail(v, "invalid number");
	}
	return true;
}

/* Validates a literal: true, false or null. */
static bool
validate_literal(Validator *v, const char *word)
{
	size_t		n = strlen(word);

	if (v->pos + n > v->len || memcmp(v->buf + v->pos, word, n) != 0)
		return fail(v, "unexpected character");
	v->pos += n;
	return true;
}

/*
 * Validates the members of an object or the elements of an array, starting
 * at the opening bracket.
 */
static bool
validate_container(Validator *v, char close)
{
	bool		first = true;

	if (++v->depth > v->max_depth)
		return fail(v, too_deep_message);
	v->pos++;					/* opening bracket */
	for (;;)
	{
		skip_space(v->buf, v->len, &v->pos);
		if (v->pos >= v->len)
			return fail(v, "unexpected end of content");
		if (v->buf[v->pos] == close && first)
			break;
		if (!first)
		{
			if (v->buf[v->pos] == close)
				break;
			if (v->buf[v->pos] != ',')
				return fail(v, close == '}' ? "expected ',' or '}'" :
							"expected ',' or ']'");
			v->pos++;
			skip_space(v->buf, v->len, &v->pos);
		}
		first = false;
		if (close == '}')
		{
			if (v->pos >= v->len || v->buf[v->pos] != '"')
				return fail(v, "expected a member name in double quotes");
			if (!validate_string(v))
				return false;
			skip_space(v->buf, v->len, &v->pos);
			if (v->pos >= v->len || v->buf[v->pos] != ':')
				return fail(v, "expected ':' after a member name");
			v->pos++;
		}
		if (!validate_value(v))
			return false;
	}
	v->pos++;					/* closing bracket */
	v->depth--;
	return true;
}

/* Validates one value after optional whitespace. */
static bool
validate_value(Validator *v)
{
	skip_space(v->buf, v->len, &v->pos);
	if (v->pos >= v->len)
		return fail(v, "unexpected end of content");
	switch (v->buf[v->pos])
	{
		case '{':
			return validate_container(v, '}');
		case '[':
			return validate_container(v, ']');
		case '"':
			return validate_string(v);
		case 't':
			return validate_literal(v, "true");
		case 'f':
			return validate_literal(v, "false");
		case 'n':
			return validate_literal(v, "null");
		default:
			if (v->buf[v->pos] == '-' ||
				(v->buf[v->pos] >= '0' && v->buf[v->pos] <= '9'))
				return validate_number(v);
			return fail(v, "unexpected character");
	}
}

/*
 * Checks that the buffer is exactly one JSON value with optional whitespace
 * around it, nested at most max_depth levels.  On failure fills *error.
 */
bool
json_validate(const char *buf, size_t len, int max_depth,
			  JsonSyntaxError *error)
{
	Validator	v = {buf, len, 0, 0, max_depth, NULL};
	size_t		i;

	if (validate_value(&v))
	{
		skip_space(buf, len, &v.pos);
		if (v.pos == len)
			return true;
		fail(&v, "unexpected text after the value");
	}
	error->message = v.error;
	error->too_deep = v.error == too_deep_message;
	error->offset = v.pos;
	error->line = 1;
	for (i = 0; i < v.pos && i < len; i++)
		if (buf[i] == '\n')
			error->line++;
	return false;
}

/*
 * Finds the end of the value that starts at buf[pos] and sets *value.
 * Containers are skipped by counting brackets outside strings, which is
 * exact on validated input; on other input the result stays in bounds.
 */
static bool
scan_value(const char *buf, size_t len, size_t pos, JsonValue *value)
{
	size_t		start = pos;
	int			depth = 0;
	bool		in_string = false;

	if (pos >= len)
		return false;
	switch (buf[pos])
	{
		case '{':
			value->type = JSON_OBJECT;
			break;
		case '[':
			value->type = JSON_ARRAY;
			break;
		case '"':
			value->type = JSON_STRING;
			break;
		case 't':
			value->type = JSON_TRUE;
			break;
		case 'f':
			value->type = JSON_FALSE;
			break;
		case 'n':
			value->type = JSON_NULL;
			break;
		default:
			value->type = JSON_NUMBER;
			break;
	}

	if (value->type == JSON_OBJECT || value->type == JSON_ARRAY ||
		value->type == JSON_STRING)
	{
		for (; pos < len; pos++)
		{
			char		c = buf[pos];

			if (in_string)
			{
				if (c == '\\')
					pos++;
				else if (c == '"')
				{
					in_string = false;
					if (depth == 0)
						break;
				}
			}
			else if (c == '"')
				in_string = true;
			else if (c == '{' || c == '[')
				depth++;
			else if ((c == '}' || c == ']') && --depth == 0)
				break;
		}
		if (pos >= len)
			return false;
		pos++;
	}
	else
	{
		while (pos < len && !is_space(buf[pos]) && buf[pos] != ',' &&
			   buf[pos] != '}' && buf[pos] != ']')
			pos++;
	}
	value->text = buf + start;
	value->len = pos - start;
	return true;
}

/* Reads the top-level value of a validated document. */
bool
json_read_document(const char *buf, size_t len, JsonValue *root)
{
	size_t		pos = 0;

	skip_space(buf, len, &pos);
	return scan_value(buf, len, pos, root);
}

/*
 * Reads the next element of an array.  *cursor is 0 before the first call;
 * returns false after the last element.
 */
bool
json_array_next(const JsonValue *array, size_t *cursor, JsonValue *element)
{
	const char *buf = array->text;
	size_t		len = array->len;
	size_t		pos = *cursor == 0 ? 1 : *cursor;

	if (array->type != JSON_ARRAY || len < 2)
		return false;
	len--;						/* the closing bracket */
	skip_space(buf, len, &pos);
	if (pos < len && buf[pos] == ',' && *cursor != 0)
	{
		pos++;
		skip_space(buf, len, &pos);
	}
	if (pos >= len || !scan_value(buf, len, pos, element))
		return false;
	*cursor = (size_t) (element->text + element->len - buf);
	return true;
}

/*
 * Reads the next member of an object: its name (a string value, quotes
 * included) and its value.  *cursor is 0 before the first call; returns
 * false after the last member.
 */
bool
json_object_next(const JsonValue *object, size_t *cursor,
				 JsonValue *key, JsonValue *value)
{
	const char *buf = object->text;
	size_t		len = object->len;
	size_t		pos = *cursor == 0 ? 1 : *cursor;

	if (object->type != JSON_OBJECT || len < 2)
		return false;
	len--;						/* the closing brace */
	skip_space(buf, len, &pos);
	if (pos < len && buf[pos] == ',' && *cursor != 0)
	{
		pos++;
		skip_space(buf, len, &pos);
	}
	if (pos >= len || buf[pos] != '"' || !scan_value(buf, len, pos, key))
		return false;
	pos = (size_t) (key->text + key->len - buf);
	skip_space(buf, len, &pos);
	if (pos >= len || buf[pos] != ':')
		return false;
	pos++;
	skip_space(buf, len, &pos);
	if (pos >= len || !scan_value(buf, len, pos, value))
		return false;
	*cursor = (size_t) (value->text + value->len - buf);
	return true;
}

/* Appends a code point as UTF-8; false when dst is full. */
static bool
put_utf8(char *dst, size_t dst_size, size_t *n, unsigned long code)
{
	unsigned char bytes[4];
	int			count;
	int			i;

	if (code < 0x80)
	{
		bytes[0] = (unsigned char) code;
		count = 1;
	}
	else if (code < 0x800)
	{
		bytes[0] = (unsigned char) (0xC0 | (code >> 6));
		bytes[1] = (unsigned char) (0x80 | (code & 0x3F));
		count = 2;
	}
	else if (code < 0x10000)
	{
		bytes[0] = (unsigned char) (0xE0 | (code >> 12));
		bytes[1] = (unsigned char) (0x80 | ((code >> 6) & 0x3F));
		bytes[2] = (unsigned char) (0x80 | (code & 0x3F));
		count = 3;
	}
	else
	{
		bytes[0] = (unsigned char) (0xF0 | (code >> 18));
		bytes[1] = (unsigned char) (0x80 | ((code >> 12) & 0x3F));
		bytes[2] = (unsigned char) (0x80 | ((code >> 6) & 0x3F));
		bytes[3] = (unsigned char) (0x80 | (code & 0x3F));
		count = 4;
	}
	if (*n + count >= dst_size)
		return false;
	for (i = 0; i < count; i++)
		dst[(*n)++] = (char) bytes[i];
	return true;
}

/* Returns the character that a one-letter escape stands for. */
static char
simple_escape(char c)
{
	switch (c)
	{
		case 'b':
			return '\b';
		case 'f':
			return '\f';
		case 'n':
			return '\n';
		case 'r':
			return '\r';
		case 't':
			return '\t';
	}
	return c;					/* '"', '\\' and '/' stand for themselves */
}

/*
 * Decodes a string value into dst as NUL-terminated UTF-8 and sets
 * *out_len.  A decoded string may itself contain NUL (from \u0000), so
 * callers that need C strings check *out_len against strlen.  Returns false
 * when the value is not a string or does not fit in dst_size - 1 bytes.
 */
bool
json_string_decode(const JsonValue *value, char *dst, size_t dst_size,
				   size_t *out_len)
{
	const char *s = value->text;
	size_t		len = value->len;
	size_t		pos = 1;
	size_t		n = 0;

	if (value->type != JSON_STRING || len < 2 || dst_size == 0)
		return false;
	len--;						/* the closing quote */
	while (pos < len)
	{
		char		c = s[pos++];

		if (c != '\\')
		{
			if (n + 1 >= dst_size)
				return false;
			dst[n++] = c;
			continue;
		}
		if (pos >= len)
			return false;
		c = s[pos++];
		if (c == 'u')
		{
			long		code = read_hex4(s, len, pos);

			if (code < 0)
				return false;
			pos += 4;
			if (code >= 0xD800 && code <= 0xDBFF)
			{
				long		low = (pos + 6 <= len && s[pos] == '\\' &&
								   s[pos + 1] == 'u') ?
				read_hex4(s, len, pos + 2) : -1;

				if (low < 0xDC00 || low > 0xDFFF)
					return false;
				code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
				pos += 6;
			}
			if (!put_utf8(dst, dst_size, &n, (unsigned long) code))
				return false;
		}
		else
		{
			if (n + 1 >= dst_size)
				return false;
			dst[n++] = simple_escape(c);
		}
	}
	dst[n] = '\0';
	*out_len = n;
	return true;
}

/* Tells whether a member name (a string value) equals name. */
bool
json_key_equals(const JsonValue *key, const char *name)
{
	char		decoded[128];
	size_t		n;

	/* the common case: no escapes, compare the text between the quotes */
	if (key->type == JSON_STRING && key->len == strlen(name) + 2 &&
		memcmp(key->text + 1, name, key->len - 2) == 0)
		return true;
	if (key->type != JSON_STRING || memchr(key->text, '\\', key->len) == NULL)
		return false;
	return json_string_decode(key, decoded, sizeof(decoded), &n) &&
		n == strlen(name) && memcmp(decoded, name, n) == 0;
}

/*
 * Reads a number that is an integer (no fraction, no exponent) and fits in
 * int64.  Returns false otherwise.
 */
bool
json_integer(const JsonValue *value, int64_t *result)
{
	const char *s = value->text;
	size_t		len = value->len;
	size_t		i = 0;
	bool		negative = false;
	uint64_t	v = 0;
	uint64_t	limit;

	if (value->type != JSON_NUMBER || len == 0)
		return false;
	if (s[0] == '-')
	{
		negative = true;
		i = 1;
	}
	if (i == len)
		return false;
	limit = negative ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;
	for (; i < len; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (limit - (uint64_t) (s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t) (s[i] - '0');
	}
	if (negative)
		*result = v == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) v;
	else
		*result = (int64_t) v;
	return true;
}

/* Returns the type's name for messages: "an object", "a string"... */
const char *
json_type_name(JsonType type)
{
	switch (type)
	{
		case JSON_OBJECT:
			return "an object";
		case JSON_ARRAY:
			return "an array";
		case JSON_STRING:
			return "a string";
		case JSON_NUMBER:
			return "a number";
		case JSON_TRUE:
		case JSON_FALSE:
			return "a boolean";
		case JSON_NULL:
			return "null";
	}
	return "a value";
}
