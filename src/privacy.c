/*-------------------------------------------------------------------------
 *
 * privacy.c
 *	  A server log hook that masks IINs in the errors about the extension's
 *	  tables, keeps statements that contain an IIN out of the log, and keeps
 *	  the values of the settings that may carry a token out of it.
 *
 * PostgreSQL's own constraint errors repeat the failing key or row in their
 * DETAIL ("Key (org_id, iin)=(1, 820212300023) already exists", "Failing
 * row contains (...)"), and with log_min_error_statement at its default
 * (error) the server log repeats the failing statement, IIN literals
 * included.  The extension cannot change these messages where PostgreSQL
 * raises them, so it changes them in emit_log_hook.  PostgreSQL 15 calls
 * that hook in EmitErrorReport before it writes the server log line and
 * before it sends the error to the client, and only for messages that go
 * to the server log.  The hook does three things:
 *
 * - An error (ERROR or above) whose schema name is otan_enbek gets every
 *   run of exactly 12 ASCII digits that is a valid IIN masked in its
 *   message, detail, server-only detail, hint, context and internal query,
 *   and its statement hidden.  PostgreSQL sets the schema name for the
 *   constraint violations of the extension's tables (errtablecol,
 *   errtableconstraint), and iin_check sets it for its own errors.
 *   The client receives the masked text too, which is intended.  The author
 *   of the statement has the IIN already, and a client that logs errors
 *   (an application server, a BI tool) must not keep it either.
 * - An error of iin_check also gets the rejected value masked where the
 *   context quotes it, as COPY does ('COPY employee, line 2, column iin:
 *   "870717300079"'), because an IIN with a typo is still personal data.
 * - Any other message that would be logged with its statement has the
 *   statement hidden when the statement contains a valid IIN, as an INSERT
 *   into employee that fails on a date does.
 * - Some messages quote the value of a setting, such as 'parameter "..."
 *   changed to "..."' at a configuration reload.  They lose the value when
 *   the setting is a URL that may carry a user name, password or token
 *   (webhook_url, smtp_url and external_signer_url).
 *   Those settings are superuser-only, and a reload logs every changed
 *   value at LOG level in the postmaster.
 *
 * A valid IIN is masked in place, because its masked form has the same
 * length, so that reporting an error such as "out of memory" needs no more
 * memory.  Only the value that iin_check rejected, whose masked form may be
 * shorter, is replaced by a new string.
 *
 * NOTE: the hook does not see everything.  When log_min_messages keeps
 * errors out of the server log (log, fatal or panic), it is not called and
 * the client receives the full text.  An error caught in a PL/pgSQL
 * EXCEPTION block never reaches it.  log_statement and
 * log_min_duration_statement write statements as LOG lines of their own,
 * which it leaves alone.  A backend that loads the library late (the
 * server does not preload it) has the hook only from that moment on.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "tcop/tcopprot.h"
#include "utils/elog.h"
#include "utils/memutils.h"

#include "identity.h"
#include "privacy.h"

/* Number of leading digits of an IIN that are masked: the birth date */
#define IIN_MASKED_DIGITS 6

/*
 * Longest rejected value that is remembered for masking.  COPY quotes at
 * most 100 bytes of a value in its context line.
 */
#define MAX_REJECTED_LENGTH 1024

static emit_log_hook_type prev_emit_log_hook = NULL;

/* The last value that iin_check rejected, in TopMemoryContext, or NULL */
static char *rejected_iin = NULL;

static void privacy_emit_log_hook(ErrorData *edata);

/*
 * Installs the log hook in front of any hook installed before, once per
 * process.  Called from _PG_init, which may run in the postmaster
 * (shared_preload_libraries) or in a backend that loads the library later.
 */
void
privacy_install_log_hook(void)
{
	static bool installed = false;

	if (installed)
		return;
	prev_emit_log_hook = emit_log_hook;
	emit_log_hook = privacy_emit_log_hook;
	installed = true;
}

/*
 * Remembers a value that iin_check is about to reject, so that the hook can
 * mask it in the context of that error.  Empty and very long values are not
 * remembered.
 */
void
privacy_note_rejected_iin(const char *value, size_t len)
{
	if (rejected_iin != NULL)
	{
		pfree(rejected_iin);
		rejected_iin = NULL;
	}
	if (len == 0 || len > MAX_REJECTED_LENGTH)
		return;
	rejected_iin = MemoryContextAlloc(TopMemoryContext, len + 1);
	memcpy(rejected_iin, value, len);
	rejected_iin[len] = '\0';
}

/*
 * Returns the start of the first run of exactly 12 ASCII digits in text
 * that is a valid IIN, or NULL.  Longer runs of digits are other numbers.
 */
static const char *
find_iin(const char *text)
{
	const char *next = text;

	while (*next != '\0')
	{
		const char *start = next;

		if (*next < '0' || *next > '9')
		{
			next++;
			continue;
		}
		while (*next >= '0' && *next <= '9')
			next++;
		if (next - start == KZ_ID_LENGTH &&
			kz_iin_problem(start, KZ_ID_LENGTH) == NULL)
			return start;
	}
	return NULL;
}

/* Replaces the birth date of every valid IIN in text with asterisks. */
static void
mask_iins(char *text)
{
	const char *iin;

	if (text == NULL)
		return;
	while ((iin = find_iin(text)) != NULL)
	{
		char	   *digits = text + (iin - text);	/* iin, writable */

		memset(digits, '*', IIN_MASKED_DIGITS);
		text = digits + KZ_ID_LENGTH;
	}
}

/*
 * Replaces each occurrence of value in *text that is enclosed in two equal
 * quotes (" or ') with masked.  The new text is allocated in the current
 * memory context, which EmitErrorReport sets to the error's own context.
 */
static void
mask_quoted_value(char **text, const char *value, const char *masked)
{
	size_t		value_len = strlen(value);
	StringInfoData buf;
	const char *copied;
	const char *found;

	if (*text == NULL)
		return;
	initStringInfo(&buf);
	copied = *text;
	found = *text;
	while ((found = strstr(found, value)) != NULL)
	{
		const char *after = found + value_len;

		if (found > *text && (found[-1] == '"' || found[-1] == '\'') &&
			*after == found[-1])
		{
			appendBinaryStringInfo(&buf, copied, found - copied);
			appendStringInfoString(&buf, masked);
			copied = after;
		}
		found = after;
	}
	if (copied == *text)
	{
		pfree(buf.data);
		return;
	}
	appendStringInfoString(&buf, copied);
	*text = buf.data;
}

/* Masks the value that iin_check rejected in the fields of its error. */
static void
mask_rejected_iin(ErrorData *edata)
{
	char	   *masked = kz_mask_iin(rejected_iin, strlen(rejected_iin));

	mask_quoted_value(&edata->detail, rejected_iin, masked);
	mask_quoted_value(&edata->detail_log, rejected_iin, masked);
	mask_quoted_value(&edata->hint, rejected_iin, masked);
	mask_quoted_value(&edata->context, rejected_iin, masked);
	mask_quoted_value(&edata->internalquery, rejected_iin, masked);
	pfree(masked);
	pfree(rejected_iin);
	rejected_iin = NULL;
}

/* Settings whose values may carry a credential and are never logged */
static const char *const secret_url_settings[] = {
	"otan_enbek.webhook_url",
	"otan_enbek.smtp_url",
	"otan_enbek.external_signer_url",
};

/*
 * Message formats of PostgreSQL 15 that quote a setting's new value after
 * its name, and the formats that replace them, which name the setting
 * alone.
 */
static const char *const setting_value_formats[][2] = {
	{"parameter \"%s\" changed to \"%s\"",
	 "parameter \"%s\" changed; its value is not logged because it may contain a credential"},
	{"invalid value for parameter \"%s\": \"%s\"",
	 "invalid value for parameter \"%s\"; the value is not logged because it may contain a credential"},
};

/*
 * Replaces a message that quotes the value of a secret URL setting with one
 * that names the setting alone.
 */
static void
hide_secret_setting_value(ErrorData *edata)
{
	const char *replacement = NULL;

	if (edata->message_id == NULL || edata->message == NULL)
		return;
	for (size_t i = 0; i < lengthof(setting_value_formats); i++)
		if (strcmp(edata->message_id, setting_value_formats[i][0]) == 0)
			replacement = setting_value_formats[i][1];
	if (replacement == NULL)
		return;
	for (size_t i = 0; i < lengthof(secret_url_settings); i++)
	{
		char	   *quoted = psprintf("\"%s\"", secret_url_settings[i]);
		bool		found = strstr(edata->message, quoted) != NULL;

		pfree(quoted);
		if (found)
		{
			edata->message = psprintf(replacement, secret_url_settings[i]);
			return;
		}
	}
}

/*
 * The emit_log_hook: masks IINs and hides secret setting values as the file
 * header describes, then calls the hook installed before, so that it
 * receives the masked text.
 */
static void
privacy_emit_log_hook(ErrorData *edata)
{
	if (edata->elevel >= ERROR && edata->schema_name != NULL &&
		strcmp(edata->schema_name, PRIVACY_SCHEMA) == 0)
	{
		/* first, because the rejected value may contain a valid IIN */
		if (rejected_iin != NULL && edata->datatype_name != NULL &&
			strcmp(edata->datatype_name, "iin") == 0)
			mask_rejected_iin(edata);
		mask_iins(edata->message);
		mask_iins(edata->detail);
		mask_iins(edata->detail_log);
		mask_iins(edata->hint);
		mask_iins(edata->context);
		mask_iins(edata->internalquery);
		edata->hide_stmt = true;
	}
	else if (!edata->hide_stmt && check_log_of_query(edata) &&
			 find_iin(debug_query_string) != NULL)
		edata->hide_stmt = true;

	hide_secret_setting_value(edata);

	if (prev_emit_log_hook)
		prev_emit_log_hook(edata);
}
