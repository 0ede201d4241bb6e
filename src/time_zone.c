/*-------------------------------------------------------------------------
 *
 * time_zone.c
 *	  Rejection of time zone names that PostgreSQL reads in two ways.
 *
 * A few names of the tz database, such as CET, EET, MET and WET, are also
 * time zone abbreviations of the timezone_abbreviations setting.
 * PostgreSQL 15's AT TIME ZONE and timezone() look a name up among the
 * abbreviations first, so they read CET as the fixed offset UTC+1.  SET
 * TimeZone and pg_timezone_names read it as the tz database zone, which
 * observes summer time at UTC+2.  The project converts an organization's
 * local times with AT TIME ZONE in SQL and with the same lookup in C
 * (src/ingest/zone.c), so such a name would put every summer time an hour
 * off from the devices' clocks.  A name is accepted only when both
 * readings give the same offset at every instant.  That is so when the tz
 * database zone has had a single UTC offset, equal to the abbreviation's:
 * UTC, GMT, and EST in tz databases that keep it as a fixed zone.
 *
 * NOTE: the abbreviations are those of the timezone_abbreviations setting
 * of the session that stores the name.  A session with another setting
 * may read an accepted name otherwise: the Australia set reads EST as
 * UTC+10.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "pgtime.h"
#include "utils/builtins.h"
#include "utils/datetime.h"

#include "ingest/zone.h"
#include "message_value.h"

PG_FUNCTION_INFO_V1(otan_enbek_time_zone_abbreviation_check);

/* Formats seconds east of UTC as UTC+hh:mm or UTC-hh:mm. */
static char *
format_utc_offset(int seconds_east)
{
	int			minutes = Abs(seconds_east) / 60;

	return psprintf("UTC%c%02d:%02d", seconds_east < 0 ? '-' : '+',
					minutes / 60, minutes % 60);
}

/*
 * time_zone_abbreviation_check(zone text) raises an error when AT TIME
 * ZONE reads zone as an abbreviation whose offset differs, at some instant,
 * from the tz database zone of that name, and returns true otherwise.
 * Names missing from the tz database also return true, because
 * time_zone_check reports them.
 */
Datum
otan_enbek_time_zone_abbreviation_check(PG_FUNCTION_ARGS)
{
	text	   *zone = PG_GETARG_TEXT_PP(0);
	char	   *name = text_to_cstring(zone);
	int			type;
	int			abbrev_offset;
	pg_tz	   *tz;
	long int	zone_offset;

	if (strlen(name) > TZ_STRLEN_MAX)
		PG_RETURN_BOOL(true);

	type = zone_abbreviation_type(name, &abbrev_offset);
	if (type < 0)
		PG_RETURN_BOOL(true);
	tz = pg_tzset(name);
	if (tz == NULL)
		PG_RETURN_BOOL(true);

	/*
	 * Both offsets are in seconds east of UTC.  A dynamic abbreviation
	 * follows another zone's history, so it is never taken to agree.
	 */
	if (type != DYNTZ && pg_get_timezone_offset(tz, &zone_offset) &&
		zone_offset == abbrev_offset)
		PG_RETURN_BOOL(true);

	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("time zone \"%s\" is also a time zone abbreviation",
					message_value(name, strlen(name))),
			 type == DYNTZ ?
			 errdetail("AT TIME ZONE reads \"%s\" as an abbreviation whose offset follows another zone. "
					   "The tz database zone of that name does not always have the same offset.",
					   name) :
			 errdetail("AT TIME ZONE reads \"%s\" as the abbreviation for %s at all times of the year. "
					   "The tz database zone of that name has another offset at some times, such as in summer.",
					   name, format_utc_offset(abbrev_offset)),
			 errhint("Use the tz database name of a place in the zone, such as Europe/Paris for CET, "
					 "Europe/Athens for EET or Europe/Lisbon for WET.")));
	PG_RETURN_BOOL(false);		/* not reached */
}
