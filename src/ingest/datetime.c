/*-------------------------------------------------------------------------
 *
 * datetime.c
 *	  Strict parsing of the date-times that access-control devices write.
 *
 * Two forms are read: the device form "YYYY-MM-DD HH:MM:SS" of ZKTeco logs,
 * always a local time, and ISO 8601 date-times with an optional fraction
 * and offset, as Hikvision and CSV files carry them.  Every field is range
 * checked and the date must exist in the Gregorian calendar, so that
 * 2021-02-29 is rejected here rather than by the server later.
 *
 * Plain C without PostgreSQL headers (see ingest.h).
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest/ingest.h"

/* Largest UTC offset accepted, in seconds (ISO 8601 profiles allow 18:00) */
#define MAX_OFFSET_SEC (18 * 3600)

/* Reads exactly n digits at s[*pos] into *value and advances *pos. */
static bool
read_digits(const char *s, size_t len, size_t *pos, int n, int *value)
{
	int			v = 0;
	int			i;

	if (*pos + (size_t) n > len)
		return false;
	for (i = 0; i < n; i++)
	{
		char		c = s[*pos + i];

		if (c < '0' || c > '9')
			return false;
		v = v * 10 + (c - '0');
	}
	*pos += n;
	*value = v;
	return true;
}

/* Reads one expected character at s[*pos] and advances *pos. */
static bool
read_char(const char *s, size_t len, size_t *pos, char expected)
{
	if (*pos >= len || s[*pos] != expected)
		return false;
	(*pos)++;
	return true;
}

/* Tells whether the fields form a real date and a time of day. */
static bool
is_valid_date_time(const IngestTime *t)
{
	static const int month_days[12] =
	{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			days;

	if (t->year < 1 || t->month < 1 || t->month > 12 || t->day < 1)
		return false;
	days = month_days[t->month - 1];
	if (t->month == 2 &&
		((t->year % 4 == 0 && t->year % 100 != 0) || t->year % 400 == 0))
		days = 29;
	if (t->day > days)
		return false;
	return t->hour <= 23 && t->minute <= 59 && t->second <= 59;
}

/* Reads "YYYY-MM-DD" at s[*pos]. */
static bool
read_date(const char *s, size_t len, size_t *pos, IngestTime *t)
{
	return read_digits(s, len, pos, 4, &t->year) &&
		read_char(s, len, pos, '-') &&
		read_digits(s, len, pos, 2, &t->month) &&
		read_char(s, len, pos, '-') &&
		read_digits(s, len, pos, 2, &t->day);
}

/*
 * Parses "YYYY-MM-DD HH:MM:SS", the whole slice, into a local time.
 */
bool
ingest_parse_device_time(const char *s, size_t len, IngestTime *time)
{
	IngestTime	t;
	size_t		pos = 0;

	memset(&t, 0, sizeof(t));
	if (!read_date(s, len, &pos, &t) ||
		!read_char(s, len, &pos, ' ') ||
		!read_digits(s, len, &pos, 2, &t.hour) ||
		!read_char(s, len, &pos, ':') ||
		!read_digits(s, len, &pos, 2, &t.minute) ||
		!read_char(s, len, &pos, ':') ||
		!read_digits(s, len, &pos, 2, &t.second) ||
		pos != len || !is_valid_date_time(&t))
		return false;
	*time = t;
	return true;
}

/* Reads an optional fraction of a second (1 to 6 digits) after '.' or ','. */
static bool
read_fraction(const char *s, size_t len, size_t *pos, int *microsecond)
{
	int			digits = 0;
	int			v = 0;

	*microsecond = 0;
	if (*pos >= len || (s[*pos] != '.' && s[*pos] != ','))
		return true;
	(*pos)++;
	while (*pos < len && s[*pos] >= '0' && s[*pos] <= '9')
	{
		if (++digits > 6)
			return false;
		v = v * 10 + (s[*pos] - '0');
		(*pos)++;
	}
	if (digits == 0)
		return false;
	while (digits++ < 6)
		v *= 10;
	*microsecond = v;
	return true;
}

/* Reads an optional offset: Z, +HH, +HH:MM or +HHMM (or with '-'). */
static bool
read_offset(const char *s, size_t len, size_t *pos, IngestTime *t)
{
	int			sign;
	int			hours;
	int			minutes = 0;

	t->has_offset = false;
	t->utc_offset_sec = 0;
	if (*pos >= len)
		return true;
	if (s[*pos] == 'Z' || s[*pos] == 'z')
	{
		(*pos)++;
		t->has_offset = true;
		return true;
	}
	if (s[*pos] != '+' && s[*pos] != '-')
		return false;
	sign = s[*pos] == '-' ? -1 : 1;
	(*pos)++;
	if (!read_digits(s, len, pos, 2, &hours))
		return false;
	if (*pos < len)
	{
		if (s[*pos] == ':')
			(*pos)++;
		if (!read_digits(s, len, pos, 2, &minutes) || minutes > 59)
			return false;
	}
	if (hours * 3600 + minutes * 60 > MAX_OFFSET_SEC)
		return false;
	t->has_offset = true;
	t->utc_offset_sec = sign * (hours * 3600 + minutes * 60);
	return true;
}

/*
 * Parses an ISO 8601 date-time, the whole slice:
 * YYYY-MM-DD, then 'T' or a space, then HH:MM with optional :SS and a
 * fraction of up to 6 digits, then an optional Z or +HH[:MM] offset.
 */
bool
ingest_parse_iso8601(const char *s, size_t len, IngestTime *time)
{
	IngestTime	t;
	size_t		pos = 0;

	memset(&t, 0, sizeof(t));
	if (!read_date(s, len, &pos, &t))
		return false;
	if (pos >= len || (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' '))
		return false;
	pos++;
	if (!read_digits(s, len, &pos, 2, &t.hour) ||
		!read_char(s, len, &pos, ':') ||
		!read_digits(s, len, &pos, 2, &t.minute))
		return false;
	if (pos < len && s[pos] == ':')
	{
		pos++;
		if (!read_digits(s, len, &pos, 2, &t.second) ||
			!read_fraction(s, len, &pos, &t.microsecond))
			return false;
	}
	if (!read_offset(s, len, &pos, &t) || pos != len ||
		!is_valid_date_time(&t))
		return false;
	*time = t;
	return true;
}

/*
 * Writes a time as YYYY-MM-DDTHH:MM:SS, with .ffffff when it has a
 * fraction and +HH:MM when it has an offset.  Returns the length written,
 * as snprintf does.
 */
int
ingest_format_time(char *dst, size_t dst_size, const IngestTime *time)
{
	int			n;
	int			offset = abs(time->utc_offset_sec);

	n = snprintf(dst, dst_size, "%04d-%02d-%02dT%02d:%02d:%02d",
				 time->year, time->month, time->day,
				 time->hour, time->minute, time->second);
	if (time->microsecond != 0 && n >= 0 && (size_t) n < dst_size)
		n += snprintf(dst + n, dst_size - n, ".%06d", time->microsecond);
	if (time->has_offset && n >= 0 && (size_t) n < dst_size)
		n += snprintf(dst + n, dst_size - n, "%c%02d:%02d",
					  time->utc_offset_sec < 0 ? '-' : '+',
					  offset / 3600, offset % 3600 / 60);
	return n;
}
