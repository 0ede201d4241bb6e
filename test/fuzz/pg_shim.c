/*
 * pg_shim.c
 *	  The few server functions that src/delivery/soap_response.c,
 *	  src/delivery/xmldsig.c and src/identity.c call, so that a fuzzing
 *	  harness can link the unchanged file without a server.
 *
 * Memory comes from one arena that the harness frees after each input, as a
 * memory context reset would.  The database encoding is taken to be UTF8,
 * as in the extension's tests.  ereport(ERROR) jumps to the innermost
 * PG_TRY like the server's, and aborts the process when there is none;
 * lower levels are dropped.
 */
#include "postgres.h"

#include <stdarg.h>

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "nodes/pg_list.h"
#include "utils/memutils.h"

#include "pg_shim.h"

/* Header of an arena allocation; the chunks form a singly linked list */
typedef struct ShimChunk
{
	struct ShimChunk *next;
	max_align_t data[FLEXIBLE_ARRAY_MEMBER];
} ShimChunk;

static ShimChunk *arena = NULL;

sigjmp_buf *PG_exception_stack = NULL;
ErrorContextCallback *error_context_stack = NULL;

static int	shim_elevel;
static int	shim_sqlerrcode;
char		shim_error_message[512];
int			shim_error_sqlerrcode;

void
shim_arena_reset(void)
{
	while (arena != NULL)
	{
		ShimChunk  *next = arena->next;

		free(arena);
		arena = next;
	}
}

void *
palloc_extended(Size size, int flags)
{
	ShimChunk  *chunk = malloc(offsetof(ShimChunk, data) + size + 1);

	if (chunk == NULL)
	{
		if (flags & MCXT_ALLOC_NO_OOM)
			return NULL;
		abort();
	}
	chunk->next = arena;
	arena = chunk;
	if (flags & MCXT_ALLOC_ZERO)
		memset(chunk->data, 0, size);
	return chunk->data;
}

void *
palloc(Size size)
{
	return palloc_extended(size, 0);
}

void *
palloc0(Size size)
{
	return palloc_extended(size, MCXT_ALLOC_ZERO);
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *out;

	len = strnlen(in, len);
	out = palloc(len + 1);
	memcpy(out, in, len);
	out[len] = '\0';
	return out;
}

char *
pstrdup(const char *in)
{
	return pnstrdup(in, strlen(in));
}

char *
psprintf(const char *fmt,...)
{
	va_list		args;
	int			n;
	char	   *out;

	va_start(args, fmt);
	n = vsnprintf(NULL, 0, fmt, args);
	va_end(args);
	if (n < 0)
		abort();
	out = palloc(n + 1);
	va_start(args, fmt);
	vsnprintf(out, n + 1, fmt, args);
	va_end(args);
	return out;
}

/* The C library's snprintf, for code that port.h maps to pg_snprintf */
int
pg_snprintf(char *str, size_t count, const char *fmt,...)
{
	va_list		args;
	int			n;

	va_start(args, fmt);
	n = vsnprintf(str, count, fmt, args);
	va_end(args);
	return n;
}

/* As pg_utf_mblen: the length that a UTF-8 lead byte announces */
static int
utf8_length(unsigned char lead)
{
	if (lead < 0x80)
		return 1;
	if ((lead & 0xe0) == 0xc0)
		return 2;
	if ((lead & 0xf0) == 0xe0)
		return 3;
	if ((lead & 0xf8) == 0xf0)
		return 4;
	return 1;
}

int
pg_mblen(const char *mbstr)
{
	return utf8_length((unsigned char) *mbstr);
}

/* As PostgreSQL 15's: the characters in limit bytes, up to a NUL */
int
pg_mbstrlen_with_len(const char *mbstr, int limit)
{
	int			len = 0;

	while (limit > 0 && *mbstr != '\0')
	{
		int			l = pg_mblen(mbstr);

		limit -= l;
		mbstr += l;
		len++;
	}
	return len;
}

/* As PostgreSQL 15's: the bytes of at most limit whole characters */
int
pg_mbcharcliplen(const char *mbstr, int len, int limit)
{
	int			clen = 0;
	int			nch = 0;

	while (len > 0 && *mbstr != '\0')
	{
		int			l = pg_mblen(mbstr);

		nch++;
		if (nch > limit)
			break;
		clen += l;
		len -= l;
		mbstr += l;
	}
	return clen;
}

int
pg_mbcliplen(const char *mbstr, int len, int limit)
{
	int			clen = 0;

	while (len > 0 && *mbstr != '\0')
	{
		int			l = utf8_length((unsigned char) *mbstr);

		if (clen + l > limit)
			break;
		clen += l;
		if (clen == limit)
			break;
		len -= l;
		mbstr += l;
	}
	return clen;
}

/* As pg_utf8_islegal: RFC 3629 validity of the l bytes at s */
static bool
utf8_is_legal(const unsigned char *s, int l)
{
	unsigned char low = 0x80;
	unsigned char high = 0xbf;
	int			i;

	if (l == 1)
		return s[0] < 0x80;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return false;
	if (s[0] == 0xe0)
		low = 0xa0;
	else if (s[0] == 0xed)
		high = 0x9f;
	else if (s[0] == 0xf0)
		low = 0x90;
	else if (s[0] == 0xf4)
		high = 0x8f;
	if (s[1] < low || s[1] > high)
		return false;
	for (i = 2; i < l; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return false;
	return true;
}

/*
 * As pg_any_to_server from UTF8 into a UTF8 database: the text is checked
 * like pg_verify_mbstr does, and returned as it is.
 */
char *
pg_any_to_server(const char *s, int len, int encoding)
{
	const unsigned char *p = (const unsigned char *) s;
	int			i = 0;

	if (encoding != PG_UTF8)
		abort();
	while (i < len)
	{
		int			l = utf8_length(p[i]);

		if (p[i] == 0 || (p[i] >= 0x80 && l == 1) || i + l > len ||
			!utf8_is_legal(p + i, l))
			ereport(ERROR,
					(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
					 errmsg("invalid byte sequence for encoding \"UTF8\"")));
		i += l;
	}
	return (char *) s;
}

int
pg_strcasecmp(const char *s1, const char *s2)
{
	for (;;)
	{
		unsigned char ch1 = (unsigned char) *s1++;
		unsigned char ch2 = (unsigned char) *s2++;

		if (ch1 != ch2)
		{
			if (ch1 >= 'A' && ch1 <= 'Z')
				ch1 += 'a' - 'A';
			if (ch2 >= 'A' && ch2 <= 'Z')
				ch2 += 'a' - 'A';
			if (ch1 != ch2)
				return (int) ch1 - (int) ch2;
		}
		if (ch1 == 0)
			return 0;
	}
}

/* As PostgreSQL 15's lappend, with the cells kept in a separate array */
List *
lappend(List *list, void *datum)
{
	if (list == NIL)
	{
		list = palloc0(offsetof(List, initial_elements));
		list->type = T_List;
		list->max_length = 4;
		list->elements = palloc(list->max_length * sizeof(ListCell));
	}
	else if (list->length == list->max_length)
	{
		ListCell   *cells = palloc(2 * list->max_length * sizeof(ListCell));

		memcpy(cells, list->elements, list->length * sizeof(ListCell));
		list->elements = cells;
		list->max_length *= 2;
	}
	list->elements[list->length].ptr_value = datum;
	list->length++;
	return list;
}

void
initStringInfo(StringInfo str)
{
	str->maxlen = 1024;
	str->data = palloc(str->maxlen);
	resetStringInfo(str);
}

void
resetStringInfo(StringInfo str)
{
	str->data[0] = '\0';
	str->len = 0;
	str->cursor = 0;
}

void
enlargeStringInfo(StringInfo str, int needed)
{
	char	   *data;

	if (needed < 0 || (Size) needed >= MaxAllocSize - (Size) str->len)
		abort();
	needed += str->len + 1;
	if (needed <= str->maxlen)
		return;
	while (str->maxlen < needed)
		str->maxlen *= 2;
	data = palloc(str->maxlen);
	memcpy(data, str->data, str->len + 1);
	str->data = data;
}

void
appendBinaryStringInfo(StringInfo str, const char *data, int datalen)
{
	enlargeStringInfo(str, datalen);
	memcpy(str->data + str->len, data, datalen);
	str->len += datalen;
	str->data[str->len] = '\0';
}

void
appendStringInfoChar(StringInfo str, char ch)
{
	appendBinaryStringInfo(str, &ch, 1);
}

text *
cstring_to_text(const char *s)
{
	int			len = strlen(s);
	text	   *result = palloc(len + VARHDRSZ);

	SET_VARSIZE(result, len + VARHDRSZ);
	memcpy(VARDATA(result), s, len);
	return result;
}

/* Only plain values, in a short or a 4-byte header, occur here. */
struct varlena *
pg_detoast_datum_packed(struct varlena *datum)
{
	if (VARATT_IS_COMPRESSED(datum) || VARATT_IS_EXTERNAL(datum))
		abort();
	return datum;
}

bool
errstart(int elevel, const char *domain)
{
	(void) domain;
	if (elevel < ERROR)
		return false;
	shim_elevel = elevel;
	shim_sqlerrcode = ERRCODE_INTERNAL_ERROR;
	shim_error_message[0] = '\0';
	return true;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

int
errcode(int sqlerrcode)
{
	shim_sqlerrcode = sqlerrcode;
	return 0;
}

int
errmsg(const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	vsnprintf(shim_error_message, sizeof(shim_error_message), fmt, args);
	va_end(args);
	return 0;
}

/* errdetail, errhint and the fields below are not kept. */
int
errdetail(const char *fmt,...)
{
	(void) fmt;
	return 0;
}

int
errhint(const char *fmt,...)
{
	(void) fmt;
	return 0;
}

int
errhidestmt(bool hide_stmt)
{
	(void) hide_stmt;
	return 0;
}

int
err_generic_string(int field, const char *str)
{
	(void) field;
	(void) str;
	return 0;
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	(void) filename;
	(void) lineno;
	(void) funcname;
	shim_error_sqlerrcode = shim_sqlerrcode;
	if (shim_elevel >= ERROR)
		pg_re_throw();
}

void
pg_re_throw(void)
{
	if (PG_exception_stack == NULL)
	{
		fprintf(stderr, "pg_shim: ERROR outside PG_TRY: %s\n",
				shim_error_message);
		abort();
	}
	siglongjmp(*PG_exception_stack, 1);
}
