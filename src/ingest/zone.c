/*-------------------------------------------------------------------------
 *
 * zone.c
 *	  Conversions between UTC and the local time of an organization's time
 *	  zone, with the zone's name resolved once per ingest.
 *
 * The results are those of the SQL expressions local_time AT TIME ZONE
 * zone and (at AT TIME ZONE zone)::date, which the SQL path of ingest_bytes
 * uses.  timestamp_zone and timestamptz_zone of PostgreSQL 15 look the
 * name up on every call: first among the time zone abbreviations, then in
 * the time zone database.  That lookup was about half of their time in a
 * profiled ingest of 2.5 million events.  Here a name that is not an
 * abbreviation and is found in the time zone database, such as
 * Asia/Almaty, is resolved once and converted with the same functions
 * that timestamp_zone and timestamptz_zone call then.  Any other name
 * (an abbreviation, or a name the database does not know) goes through
 * those two functions on each call, so that it gets their results and
 * errors.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "parser/scansup.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"

#include "ingest/zone.h"

struct IngestZone
{
	text	   *name;
	pg_tz	   *tz;				/* NULL: convert through timestamp_zone */
};

/*
 * Resolves a time zone name.  The name is looked up as PostgreSQL 15's
 * timestamp_zone looks it up, abbreviations first.
 */
IngestZone *
ingest_zone_open(text *name)
{
	IngestZone *zone = palloc(sizeof(IngestZone));
	char		tzname[TZ_STRLEN_MAX + 1];
	int			offset;

	zone->name = name;
	zone->tz = NULL;
	text_to_cstring_buffer(name, tzname, sizeof(tzname));
	if (zone_abbreviation_type(tzname, &offset) < 0)
		zone->tz = pg_tzset(tzname);
	return zone;
}

/*
 * Looks name up among the time zone abbreviations, as timestamp_zone does
 * before it tries the tz database.  Returns TZ, DTZ or DYNTZ for an
 * abbreviation, with its offset in seconds east of UTC (not set for
 * DYNTZ), and -1 for any other name.
 */
int
zone_abbreviation_type(const char *name, int *offset)
{
	char	   *lower_name;
	int			type;
	pg_tz	   *abbrev_tz;

	/* timestamp_zone looks the name up in lower case */
	lower_name = downcase_truncate_identifier(name, strlen(name), false);
	type = DecodeTimezoneAbbrev(0, lower_name, offset, &abbrev_tz);
	pfree(lower_name);
	return (type == TZ || type == DTZ || type == DYNTZ) ? type : -1;
}

/* Returns the UTC time of a local time, as local_time AT TIME ZONE zone. */
TimestampTz
ingest_zone_to_utc(IngestZone *zone, Timestamp local_time)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
	TimestampTz result;

	if (zone->tz == NULL || TIMESTAMP_NOT_FINITE(local_time))
		return DatumGetTimestampTz(DirectFunctionCall2(timestamp_zone,
													   PointerGetDatum(zone->name),
													   TimestampGetDatum(local_time)));
	if (timestamp2tm(local_time, NULL, &tm, &fsec, NULL, NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	tz = DetermineTimeZoneOffset(&tm, zone->tz);
	if (tm2timestamp(&tm, fsec, &tz, &result) != 0 ||
		!IS_VALID_TIMESTAMP(result))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp out of range")));
	return result;
}

/* Returns the local date of a UTC time, as (at AT TIME ZONE zone)::date. */
DateADT
ingest_zone_local_date(IngestZone *zone, TimestampTz at)
{
	struct pg_tm tm;
	fsec_t		fsec;
	int			tz;
	Timestamp	local;

	if (zone->tz != NULL && !TIMESTAMP_NOT_FINITE(at))
	{
		if (timestamp2tm(at, &tz, &tm, &fsec, NULL, zone->tz) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("timestamp out of range")));
		/* the range checks of timestamptz_zone */
		if (tm2timestamp(&tm, fsec, NULL, &local) != 0 ||
			!IS_VALID_TIMESTAMP(local))
			ereport(ERROR,
					(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
					 errmsg("timestamp out of range")));
		return date2j(tm.tm_year, tm.tm_mon, tm.tm_mday) - POSTGRES_EPOCH_JDATE;
	}
	local = DatumGetTimestamp(DirectFunctionCall2(timestamptz_zone,
												  PointerGetDatum(zone->name),
												  TimestampTzGetDatum(at)));
	return DatumGetDateADT(DirectFunctionCall1(timestamp_date,
											   TimestampGetDatum(local)));
}
