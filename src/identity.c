/*-------------------------------------------------------------------------
 *
 * identity.c
 *	  Validation of Kazakhstan's 12-digit identification numbers.
 *
 * An IIN identifies a person and a BIN a legal entity.  Both end in a check
 * digit computed from the first 11 digits, weighted 1..11 and summed modulo
 * 11.  When that gives 10, the weights 3..11,1,2 are used instead, and when
 * that gives 10 again the number is never issued.  Digits 1-6 of an IIN are the birth date
 * (YYMMDD) and digit 7 gives the century of birth and the sex (1-6).  Digits
 * 1-4 of a BIN are the year and month of registration (YYMM).
 *
 * An IIN is personal data, so messages show it masked: the birth date part
 * is replaced by asterisks.  The errors about an IIN also keep the failing
 * statement out of the server log.  They name the schema and the domain, as
 * PostgreSQL's own domain errors do, so that the log hook of privacy.c
 * masks the value wherever else the error repeats it.
 *
 * Every valid IIN passes the BIN check too, because digits 3 and 4 of an
 * IIN are a month, so the log hook masks a valid IIN in the errors about a
 * bin column as well.  It leaves real BINs alone: digit 5 of a BIN, the
 * kind of legal entity, is 4 to 6, which as the tens of a birth day fails
 * the IIN check.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "identity.h"
#include "privacy.h"
#include "message_value.h"

PG_FUNCTION_INFO_V1(otan_enbek_iin_check);
PG_FUNCTION_INFO_V1(otan_enbek_bin_check);
PG_FUNCTION_INFO_V1(otan_enbek_is_valid_iin);
PG_FUNCTION_INFO_V1(otan_enbek_is_valid_bin);
PG_FUNCTION_INFO_V1(otan_enbek_mask_iin);

static const int first_weights[11] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
static const int second_weights[11] = {3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2};

/*
 * Computes the check digit of a 12-digit number from its first 11 digits.
 * Returns -1 when both weightings give 10, which marks a number that is
 * never issued.  The caller has checked that the first 11 characters are
 * digits.
 */
int
kz_id_check_digit(const char *digits)
{
	int			sum = 0;
	int			i;

	for (i = 0; i < 11; i++)
		sum += (digits[i] - '0') * first_weights[i];
	if (sum % 11 != 10)
		return sum % 11;

	sum = 0;
	for (i = 0; i < 11; i++)
		sum += (digits[i] - '0') * second_weights[i];
	if (sum % 11 != 10)
		return sum % 11;
	return -1;
}

/* Tells whether the string is exactly 12 ASCII digits. */
static bool
is_twelve_digits(const char *value, size_t len)
{
	size_t		i;

	if (len != KZ_ID_LENGTH)
		return false;
	for (i = 0; i < len; i++)
		if (value[i] < '0' || value[i] > '9')
			return false;
	return true;
}

/* Tells whether YYMMDD with the given century is a real calendar date. */
static bool
is_valid_birth_date(const char *digits, int century)
{
	static const int month_days[12] =
	{31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int			year = century + (digits[0] - '0') * 10 + (digits[1] - '0');
	int			month = (digits[2] - '0') * 10 + (digits[3] - '0');
	int			day = (digits[4] - '0') * 10 + (digits[5] - '0');
	bool		leap;

	if (month < 1 || month > 12 || day < 1 || day > month_days[month - 1])
		return false;
	leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
	return !(month == 2 && day == 29 && !leap);
}

/*
 * Checks an IIN.  Returns NULL when it is valid, otherwise a static
 * sentence that describes the problem without the value itself.
 */
const char *
kz_iin_problem(const char *value, size_t len)
{
	int			century_digit;
	int			check;

	if (!is_twelve_digits(value, len))
		return "An IIN consists of exactly 12 digits.";

	century_digit = value[6] - '0';
	if (century_digit < 1 || century_digit > 6)
		return "Digit 7 of an IIN gives the century of birth and the sex and must be 1 to 6.";
	if (!is_valid_birth_date(value, 1800 + ((century_digit - 1) / 2) * 100))
		return "Digits 1 to 6 of an IIN must be a valid birth date (YYMMDD).";

	check = kz_id_check_digit(value);
	if (check < 0)
		return "The first 11 digits give no valid check digit, so no such IIN is issued.";
	if (check != value[11] - '0')
		return "The last digit of the IIN does not match the check digit computed from the first 11 digits.";
	return NULL;
}

/*
 * Checks a BIN.  Returns NULL when it is valid, otherwise a static sentence
 * that describes the problem.
 */
const char *
kz_bin_problem(const char *value, size_t len)
{
	int			month;
	int			check;

	if (!is_twelve_digits(value, len))
		return "A BIN consists of exactly 12 digits.";

	month = (value[2] - '0') * 10 + (value[3] - '0');
	if (month < 1 || month > 12)
		return "Digits 3 and 4 of a BIN are the month of registration and must be 01 to 12.";

	check = kz_id_check_digit(value);
	if (check < 0)
		return "The first 11 digits give no valid check digit, so no such BIN is issued.";
	if (check != value[11] - '0')
		return "The last digit of the BIN does not match the check digit computed from the first 11 digits.";
	return NULL;
}

/*
 * Returns the value with all but its last six characters replaced by
 * asterisks, one asterisk per character, in palloc'd memory.  A value of n
 * characters shows its last min(6, n - 6) characters, none when n <= 6, so
 * the first six characters are always masked: for an IIN of 12 ASCII digits
 * these are the birth date (YYMMDD).  Characters are counted in the
 * database encoding, so a fullwidth digit is masked whole, and a value
 * with extra characters around the digits (a space, a 13th digit) never
 * shows a digit of the birth date.
 */
char *
kz_mask_iin(const char *value, size_t len)
{
	const char *end = value + len;
	const char *next = value;
	int			chars = pg_mbstrlen_with_len(value, (int) len);
	int			masked = chars - Min(6, Max(0, chars - 6));
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	for (i = 0; i < masked && next < end; i++)
	{
		appendStringInfoChar(&buf, '*');
		next += pg_mblen(next);
	}
	if (next < end)
		appendBinaryStringInfo(&buf, next, end - next);
	return buf.data;
}

/*
 * Returns an invalid IIN as its error message shows it: masked as
 * kz_mask_iin does, and of a value longer than MESSAGE_VALUE_MAX_CHARS
 * characters only the masked start and "...".
 */
static char *
masked_iin_for_message(const char *value, size_t len)
{
	size_t		shown = message_value_length(value, len);

	if (shown >= len)
		return kz_mask_iin(value, len);
	return psprintf("%s...", kz_mask_iin(value, shown));
}

/*
 * iin_check(text) returns boolean
 *
 * Returns true for a valid IIN and raises an error naming the masked value
 * otherwise.  Used as the check of the domain otan_enbek.iin.  The error
 * hides the statement, which may contain the value, from the server log,
 * and privacy.c masks the value in the context lines, where COPY repeats
 * it whole.
 */
Datum
otan_enbek_iin_check(PG_FUNCTION_ARGS)
{
	text	   *arg = PG_GETARG_TEXT_PP(0);
	const char *value = VARDATA_ANY(arg);
	size_t		len = VARSIZE_ANY_EXHDR(arg);
	const char *problem = kz_iin_problem(value, len);

	if (problem != NULL)
	{
		privacy_note_rejected_iin(value, len);
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("invalid IIN \"%s\"", masked_iin_for_message(value, len)),
				 errdetail("%s", problem),
				 errhint("Copy the IIN again from the employee's identity document; the value is shown with its first six or more characters hidden, because they may contain the birth date."),
				 errhidestmt(true),
				 err_generic_string(PG_DIAG_SCHEMA_NAME, PRIVACY_SCHEMA),
				 err_generic_string(PG_DIAG_DATATYPE_NAME, "iin")));
	}
	PG_RETURN_BOOL(true);
}

/*
 * bin_check(text) returns boolean
 *
 * Returns true for a valid BIN and raises an error naming the value
 * otherwise.  Used as the check of the domain otan_enbek.bin.
 */
Datum
otan_enbek_bin_check(PG_FUNCTION_ARGS)
{
	text	   *arg = PG_GETARG_TEXT_PP(0);
	const char *value = VARDATA_ANY(arg);
	size_t		len = VARSIZE_ANY_EXHDR(arg);
	const char *problem = kz_bin_problem(value, len);

	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("invalid BIN \"%s\"", message_value(value, len)),
				 errdetail("%s", problem),
				 errhint("Copy the BIN again from the organization's registration certificate.")));
	PG_RETURN_BOOL(true);
}

/* is_valid_iin(text) returns boolean, without raising an error */
Datum
otan_enbek_is_valid_iin(PG_FUNCTION_ARGS)
{
	text	   *arg = PG_GETARG_TEXT_PP(0);

	PG_RETURN_BOOL(kz_iin_problem(VARDATA_ANY(arg),
								  VARSIZE_ANY_EXHDR(arg)) == NULL);
}

/* is_valid_bin(text) returns boolean, without raising an error */
Datum
otan_enbek_is_valid_bin(PG_FUNCTION_ARGS)
{
	text	   *arg = PG_GETARG_TEXT_PP(0);

	PG_RETURN_BOOL(kz_bin_problem(VARDATA_ANY(arg),
								  VARSIZE_ANY_EXHDR(arg)) == NULL);
}

/*
 * mask_iin(text) returns text
 *
 * Returns the value masked by kz_mask_iin: an IIN with its birth date
 * hidden, and any other text with all but at most its last six characters
 * hidden.
 */
Datum
otan_enbek_mask_iin(PG_FUNCTION_ARGS)
{
	text	   *arg = PG_GETARG_TEXT_PP(0);

	PG_RETURN_TEXT_P(cstring_to_text(kz_mask_iin(VARDATA_ANY(arg),
												 VARSIZE_ANY_EXHDR(arg))));
}
