/*
 * fuzz_identity.c
 *	  libFuzzer harness of the IIN and BIN checks (src/identity.c), linked
 *	  with message_value.c and pg_shim.c.
 *
 * The input is the value.  kz_iin_problem, kz_bin_problem and
 * kz_id_check_digit are compared with a model written here from the
 * published rules:
 *
 * - A number is 12 ASCII digits.  Its check digit, the last, is the sum
 *   of the first 11 digits weighted 1..11, modulo 11.  When that is 10,
 *   the weights are 3..11,1,2, and when it is 10 again, no number exists.
 * - IIN: digit 7 is 1 to 6 and gives the century of birth (1, 2: 1800s;
 *   3, 4: 1900s; 5, 6: 2000s), and digits 1 to 6 are that birth date as
 *   YYMMDD, checked here with the C library's timegm.
 * - BIN: digits 3 and 4 are the month of registration, 01 to 12.
 *
 * The harness also checks the two claims of identity.c's header: a valid
 * IIN passes the BIN check, and a valid BIN whose digit 5 is 4 to 6 fails
 * the IIN check.  For an input that is valid UTF-8 without NUL, which text
 * in a UTF8 database always is, it calls the SQL functions through fmgr
 * and checks mask_iin and the error messages of iin_check and bin_check:
 * the first six characters of an IIN never show.
 */
#include "postgres.h"

#include <time.h>

#include "fmgr.h"

#include "identity.h"
#include "message_value.h"
#include "privacy.h"

#include "pg_shim.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

extern Datum otan_enbek_iin_check(PG_FUNCTION_ARGS);
extern Datum otan_enbek_bin_check(PG_FUNCTION_ARGS);
extern Datum otan_enbek_is_valid_iin(PG_FUNCTION_ARGS);
extern Datum otan_enbek_is_valid_bin(PG_FUNCTION_ARGS);
extern Datum otan_enbek_mask_iin(PG_FUNCTION_ARGS);

/* The rules of the model, in the order identity.c checks them. */
typedef enum Verdict
{
	VALID,
	NOT_TWELVE_DIGITS,
	BAD_CENTURY,				/* IIN digit 7 */
	BAD_DATE,					/* IIN birth date or BIN month */
	NO_CHECK_DIGIT,
	WRONG_CHECK_DIGIT,
	UNKNOWN_PROBLEM,			/* a sentence the harness does not know */
} Verdict;

/* The value that iin_check passed to privacy.c, checked by the harness. */
static const char *noted_value;
static size_t noted_length;

/* Records the value in place of privacy.c, which needs a server. */
void
privacy_note_rejected_iin(const char *value, size_t len)
{
	noted_value = value;
	noted_length = len;
}

static void
fail(const char *what, const char *value, size_t length)
{
	fprintf(stderr, "fuzz: broken identity promise: %s (value \"%.*s\")\n",
			what, (int) length, value);
	abort();
}

/* Computes the check digit by the published rule, or -1 when none exists. */
static int
model_check_digit(const char *digits)
{
	for (int pass = 0; pass < 2; pass++)
	{
		int			sum = 0;

		/* Weights 1..11 in the first pass, 3..11,1,2 in the second. */
		for (int i = 0; i < 11; i++)
			sum += (digits[i] - '0') * ((i + 2 * pass) % 11 + 1);
		if (sum % 11 < 10)
			return sum % 11;
	}
	return -1;
}

static bool
model_is_twelve_digits(const char *value, size_t length)
{
	if (length != 12)
		return false;
	for (size_t i = 0; i < length; i++)
		if (value[i] < '0' || value[i] > '9')
			return false;
	return true;
}

/* Returns whether the date exists, which timegm shows by not normalizing it. */
static bool
model_is_date(int year, int month, int day)
{
	struct tm	tm = {0};
	struct tm	back;
	time_t		seconds;

	tm.tm_year = year - 1900;
	tm.tm_mon = month - 1;
	tm.tm_mday = day;
	tm.tm_hour = 12;
	seconds = timegm(&tm);
	if (gmtime_r(&seconds, &back) == NULL)
		return false;
	return back.tm_year == year - 1900 && back.tm_mon == month - 1 &&
		back.tm_mday == day;
}

static int
two_digits(const char *p)
{
	return (p[0] - '0') * 10 + (p[1] - '0');
}

static Verdict
model_check_value(const char *value, int check_digit)
{
	if (check_digit < 0)
		return NO_CHECK_DIGIT;
	if (check_digit != value[11] - '0')
		return WRONG_CHECK_DIGIT;
	return VALID;
}

static Verdict
model_iin(const char *value, size_t length)
{
	int			century_digit;
	int			year;
	int			month;

	if (!model_is_twelve_digits(value, length))
		return NOT_TWELVE_DIGITS;
	century_digit = value[6] - '0';
	if (century_digit < 1 || century_digit > 6)
		return BAD_CENTURY;
	year = 1700 + 100 * ((century_digit + 1) / 2) + two_digits(value);
	month = two_digits(value + 2);
	if (month < 1 || month > 12 ||
		!model_is_date(year, month, two_digits(value + 4)))
		return BAD_DATE;
	return model_check_value(value, model_check_digit(value));
}

static Verdict
model_bin(const char *value, size_t length)
{
	int			month;

	if (!model_is_twelve_digits(value, length))
		return NOT_TWELVE_DIGITS;
	month = two_digits(value + 2);
	if (month < 1 || month > 12)
		return BAD_DATE;
	return model_check_value(value, model_check_digit(value));
}

/* Returns the rule that a problem sentence of identity.c names. */
static Verdict
verdict_of(const char *problem)
{
	if (problem == NULL)
		return VALID;
	if (strstr(problem, "exactly 12 digits"))
		return NOT_TWELVE_DIGITS;
	if (strstr(problem, "Digit 7 of an IIN"))
		return BAD_CENTURY;
	if (strstr(problem, "birth date") || strstr(problem, "month of registration"))
		return BAD_DATE;
	if (strstr(problem, "no valid check digit"))
		return NO_CHECK_DIGIT;
	if (strstr(problem, "does not match the check digit"))
		return WRONG_CHECK_DIGIT;
	return UNKNOWN_PROBLEM;
}

static void
check_rules(const char *value, size_t length)
{
	Verdict		iin = model_iin(value, length);
	Verdict		bin = model_bin(value, length);

	if (verdict_of(kz_iin_problem(value, length)) != iin)
		fail("kz_iin_problem disagrees with the model", value, length);
	if (verdict_of(kz_bin_problem(value, length)) != bin)
		fail("kz_bin_problem disagrees with the model", value, length);
	if (model_is_twelve_digits(value, length) &&
		kz_id_check_digit(value) != model_check_digit(value))
		fail("kz_id_check_digit disagrees with the model", value, length);
	if (iin == VALID && bin != VALID)
		fail("a valid IIN fails the BIN check", value, length);
	if (bin == VALID && value[4] >= '4' && value[4] <= '6' && iin == VALID)
		fail("a valid BIN of a legal entity passes the IIN check", value, length);
}

/* Returns whether the bytes are valid UTF-8 (RFC 3629) without NUL. */
static bool
is_text(const unsigned char *s, size_t length)
{
	size_t		i = 0;

	while (i < length)
	{
		unsigned char lead = s[i];
		int			extra;
		uint32_t	code;

		if (lead == 0)
			return false;
		if (lead < 0x80)
			extra = 0;
		else if (lead >= 0xf0)
			extra = 3;
		else if (lead >= 0xe0)
			extra = 2;
		else if (lead >= 0xc0)
			extra = 1;
		else
			extra = -1;
		if (extra < 0 || lead > 0xf4 || i + extra >= length)
			return false;
		code = extra == 0 ? lead : lead & (0x3f >> extra);
		for (int k = 1; k <= extra; k++)
		{
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			code = (code << 6) | (s[i + k] & 0x3f);
		}
		if ((extra == 1 && code < 0x80) || (extra == 2 && code < 0x800) ||
			(extra == 3 && code < 0x10000) || code > 0x10ffff ||
			(code >= 0xd800 && code <= 0xdfff))
			return false;
		i += extra + 1;
	}
	return true;
}

/* Stores the byte offset of each character, then length; returns the count. */
static int
character_offsets(const char *value, size_t length, size_t *offsets)
{
	int			count = 0;

	for (size_t i = 0; i < length; i++)
		if (((unsigned char) value[i] & 0xc0) != 0x80)
			offsets[count++] = i;
	offsets[count] = length;
	return count;
}

/*
 * Builds the value as mask_iin should return it: one asterisk for each
 * character but the last min(6, characters - 6), which stay as they are.
 */
static char *
expected_mask(const char *value, size_t length, size_t *offsets)
{
	int			characters = character_offsets(value, length, offsets);
	int			shown = 0;
	int			masked;
	size_t		tail;
	char	   *mask;

	if (characters > 12)
		shown = 6;
	else if (characters > 6)
		shown = characters - 6;
	masked = characters - shown;
	tail = length - offsets[masked];
	mask = palloc(masked + tail + 1);

	memset(mask, '*', masked);
	memcpy(mask + masked, value + offsets[masked], tail);
	mask[masked + tail] = '\0';
	return mask;
}

/* Calls a function of one text argument through fmgr. */
static Datum
call(PGFunction function, const char *value, size_t length)
{
	LOCAL_FCINFO(fcinfo, 1);
	struct varlena *argument;

	/* A stored value of up to 126 bytes has a short header, as in a tuple. */
	if (length + 1 <= VARATT_SHORT_MAX)
	{
		argument = palloc(length + 1);
		SET_VARSIZE_SHORT(argument, length + 1);
		memcpy(VARDATA_SHORT(argument), value, length);
	}
	else
	{
		argument = palloc(length + VARHDRSZ);
		SET_VARSIZE(argument, length + VARHDRSZ);
		memcpy(VARDATA(argument), value, length);
	}
	InitFunctionCallInfoData(*fcinfo, NULL, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = PointerGetDatum(argument);
	fcinfo->args[0].isnull = false;
	return function(fcinfo);
}

/* Calls a check function; returns the errmsg it raised, or NULL. */
static const char *
call_check(PGFunction function, const char *value, size_t length)
{
	const char *volatile message = NULL;

	PG_TRY();
	{
		if (!DatumGetBool(call(function, value, length)))
			fail("a check returned false instead of raising", value, length);
	}
	PG_CATCH();
	{
		if (shim_error_sqlerrcode != ERRCODE_CHECK_VIOLATION)
			fail("a check raised another error than check_violation",
				 value, length);
		message = pstrdup(shim_error_message);
	}
	PG_END_TRY();
	return message;
}

static void
check_mask(const char *value, size_t length, size_t *offsets)
{
	char	   *expected = expected_mask(value, length, offsets);
	text	   *result = (text *) DatumGetPointer(call(otan_enbek_mask_iin,
													   value, length));
	size_t		result_length = VARSIZE_ANY_EXHDR(result);

	if (result_length != strlen(expected) ||
		memcmp(VARDATA_ANY(result), expected, result_length) != 0)
		fail("mask_iin returns another mask than expected", value, length);
}

/*
 * Checks the SQL functions.  iin_check and bin_check raise an error exactly
 * for invalid values.  Their message quotes at most MESSAGE_VALUE_MAX_CHARS
 * characters of the value, and iin_check masks them.
 */
static void
check_sql_functions(const char *value, size_t length, size_t *offsets)
{
	int			characters = character_offsets(value, length, offsets);
	bool		long_value = characters > MESSAGE_VALUE_MAX_CHARS;
	size_t		shown = long_value ? offsets[MESSAGE_VALUE_MAX_CHARS] : length;
	bool		iin_valid = model_iin(value, length) == VALID;
	bool		bin_valid = model_bin(value, length) == VALID;
	const char *message;
	char	   *expected;

	if (DatumGetBool(call(otan_enbek_is_valid_iin, value, length)) != iin_valid)
		fail("is_valid_iin disagrees with the model", value, length);
	if (DatumGetBool(call(otan_enbek_is_valid_bin, value, length)) != bin_valid)
		fail("is_valid_bin disagrees with the model", value, length);

	noted_value = NULL;
	message = call_check(otan_enbek_iin_check, value, length);
	if ((message == NULL) != iin_valid)
		fail("iin_check disagrees with the model", value, length);
	if (message != NULL)
	{
		expected = psprintf("invalid IIN \"%s%s\"",
							expected_mask(value, shown, offsets),
							long_value ? "..." : "");
		if (strcmp(message, expected) != 0)
			fail("iin_check's message is not the masked value", value, length);
		for (int i = 0; i < 6 && i < characters; i++)
			if (message[strlen("invalid IIN \"") + i] != '*')
				fail("iin_check's message shows the birth date", value, length);
		if (noted_value == NULL || noted_length != length ||
			memcmp(noted_value, value, length) != 0)
			fail("iin_check did not pass the value to privacy.c", value, length);
	}

	message = call_check(otan_enbek_bin_check, value, length);
	if ((message == NULL) != bin_valid)
		fail("bin_check disagrees with the model", value, length);
	expected = psprintf("invalid BIN \"%.*s%s\"", (int) shown, value,
						long_value ? "..." : "");
	if (message != NULL && strcmp(message, expected) != 0)
		fail("bin_check's message is not the value", value, length);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *value = (const char *) data;
	size_t	   *offsets;

	check_rules(value, size);
	if (is_text(data, size))
	{
		offsets = palloc((size + 1) * sizeof(size_t));
		check_mask(value, size, offsets);
		check_sql_functions(value, size, offsets);
	}
	shim_arena_reset();
	return 0;
}
