/*-------------------------------------------------------------------------
 *
 * module.c
 *	  Module entry point: configuration parameters, the log hook that masks
 *	  IINs, and worker registration.
 *
 * otan_enbek must be loaded through shared_preload_libraries, because its
 * delivery worker is a background worker started by the postmaster.  When
 * the library is loaded any other way (by CREATE EXTENSION in a server that
 * does not preload it) the SQL functions that do not need the worker still
 * work, and the delivery functions raise an error with a hint.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "otan_enbek.h"
#include "delivery/directory_call.h"
#include "privacy.h"
#include "progress.h"
#include "pull/pull.h"
#include "attendance/refresh_worker.h"
#include "attendance/scan.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

char	   *otan_enbek_enbek_url = NULL;
char	   *otan_enbek_service_id = NULL;
char	   *otan_enbek_status_service_id = NULL;
char	   *otan_enbek_sender_id = NULL;
char	   *otan_enbek_sender_password = NULL;
char	   *otan_enbek_ca_file = NULL;
char	   *otan_enbek_signing_key_file = NULL;
char	   *otan_enbek_signing_key_password = NULL;
bool		otan_enbek_delivery_enabled = true;
int			otan_enbek_connect_timeout_ms = 10000;
int			otan_enbek_request_timeout_ms = 60000;
int			otan_enbek_max_attempts = 10;
int			otan_enbek_max_attempt_age_s = 86400;
int			otan_enbek_retry_delay_s = 30;
int			otan_enbek_retry_max_delay_s = 3600;
int			otan_enbek_status_poll_interval_s = 60;
int			otan_enbek_batch_size = 10;
int			otan_enbek_max_in_flight = 4;
int			otan_enbek_signer = OTAN_SIGNER_BUILTIN;
char	   *otan_enbek_external_signer_url = NULL;
char	   *otan_enbek_external_signer_token = NULL;
char	   *otan_enbek_external_signer_ca_file = NULL;
int			otan_enbek_external_signer_timeout_ms = 10000;
char	   *otan_enbek_signing_ca_file = NULL;
char	   *otan_enbek_signing_crl_file = NULL;

/* Circuit breaker and notification channels */
int			otan_enbek_breaker_failure_threshold = 5;
int			otan_enbek_breaker_cooldown_s = 60;
char	   *otan_enbek_webhook_url = NULL;
char	   *otan_enbek_webhook_ca_file = NULL;
char	   *otan_enbek_smtp_url = NULL;
char	   *otan_enbek_smtp_from = NULL;
char	   *otan_enbek_smtp_to = NULL;
char	   *otan_enbek_smtp_username = NULL;
char	   *otan_enbek_smtp_password = NULL;
char	   *otan_enbek_smtp_ca_file = NULL;
int			otan_enbek_notification_max_attempts = 10;
int			otan_enbek_notification_timeout_ms = 10000;

/*
 * Shows a password setting as asterisks, or as an empty string when unset.
 * SHOW and current_setting() call these hooks, so neither a superuser nor a
 * member of pg_read_all_settings (who may read superuser-only settings)
 * can read the password through them.
 */
static const char *
show_sender_password(void)
{
	return (otan_enbek_sender_password && otan_enbek_sender_password[0]) ?
		"********" : "";
}

static const char *
show_signing_key_password(void)
{
	return (otan_enbek_signing_key_password &&
			otan_enbek_signing_key_password[0]) ? "********" : "";
}

static const char *
show_smtp_password(void)
{
	return (otan_enbek_smtp_password && otan_enbek_smtp_password[0]) ?
		"********" : "";
}

/*
 * Context of the two passwords.  They are PGC_POSTMASTER: a reload logs
 * every changed parameter together with its new value, so a password that
 * could be changed by reload would end up in the server log.  PostgreSQL
 * refuses to define a PGC_POSTMASTER parameter after startup (the session
 * ends with FATAL), so a library loaded without shared_preload_libraries
 * defines them as PGC_SIGHUP; the postmaster then never loaded the library
 * and treats them as placeholders in any case.
 */
static GucContext
password_context(void)
{
	return process_shared_preload_libraries_in_progress ?
		PGC_POSTMASTER : PGC_SIGHUP;
}

/* Defines the string parameters. */
static void
define_string_settings(void)
{
	DefineCustomStringVariable("otan_enbek.enbek_url",
							   "HTTPS address of the Enbek SOAP endpoint that receives timesheets.",
							   "Empty disables delivery: submissions stay queued.",
							   &otan_enbek_enbek_url, "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("otan_enbek.service_id",
							   "Service identifier sent in requestInfo/serviceId with a timesheet.",
							   NULL,
							   &otan_enbek_service_id, "OTAN_TIMESHEET_V1",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("otan_enbek.status_service_id",
							   "Service identifier of the status query for a sent timesheet.",
							   NULL,
							   &otan_enbek_status_service_id,
							   "OTAN_TIMESHEET_STATUS_V1",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("otan_enbek.sender_id",
							   "Sender identifier issued to the employer by the Enbek gateway.",
							   NULL,
							   &otan_enbek_sender_id, "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("otan_enbek.sender_password",
							   "Sender password issued with the sender identifier.",
							   "Read at server start only; SHOW displays asterisks in its place.",
							   &otan_enbek_sender_password, "",
							   password_context(),
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL,
							   NULL, NULL, show_sender_password);
	DefineCustomStringVariable("otan_enbek.ca_file",
							   "File of CA certificates that verify the Enbek server's TLS certificate.",
							   "Empty uses the system's default CA store.",
							   &otan_enbek_ca_file, "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("otan_enbek.signing_key_file",
							   "PKCS#12 file with the employer's signing key and certificate.",
							   NULL,
							   &otan_enbek_signing_key_file, "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
	DefineCustomStringVariable("otan_enbek.signing_key_password",
							   "Password of the PKCS#12 signing key file.",
							   "Read at server start only; SHOW displays asterisks in its place.",
							   &otan_enbek_signing_key_password, "",
							   password_context(),
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL,
							   NULL, NULL, show_signing_key_password);
}

/* Defines the parameters that tune the delivery worker. */
static void
define_worker_settings(void)
{
	DefineCustomBoolVariable("otan_enbek.delivery_enabled",
							 "Starts the delivery worker in each database that has the extension.",
							 NULL,
							 &otan_enbek_delivery_enabled, true,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("otan_enbek.connect_timeout",
							"Time allowed to connect to Enbek, TLS handshake included.",
							NULL,
							&otan_enbek_connect_timeout_ms, 10000, 100, 600000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("otan_enbek.request_timeout",
							"Time allowed for a whole request to Enbek, from connecting to the last byte of the answer.",
							NULL,
							&otan_enbek_request_timeout_ms, 60000, 100, 3600000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomIntVariable("otan_enbek.max_attempts",
							"Number of failed send attempts in a row before a submission is marked failed.",
							"For a submission Enbek has received, this many failed status queries in a row notify the administrator; the queries go on.",
							&otan_enbek_max_attempts, 10, 1, 1000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("otan_enbek.max_attempt_age",
							"Age of a submission after which a failed send marks it failed instead of being retried.",
							"Counted from the submission's creation; 0 sets no age limit, and max_attempts applies as well.",
							&otan_enbek_max_attempt_age_s, 86400, 0, 31536000,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("otan_enbek.retry_delay",
							"Delay before the first retry; each further retry doubles it, with jitter.",
							NULL,
							&otan_enbek_retry_delay_s, 30, 1, 86400,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("otan_enbek.retry_max_delay",
							"Upper bound of the delay between two retries.",
							NULL,
							&otan_enbek_retry_max_delay_s, 3600, 1, 604800,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("otan_enbek.status_poll_interval",
							"Delay between status queries for a timesheet that Enbek is still checking.",
							NULL,
							&otan_enbek_status_poll_interval_s, 60, 1, 86400,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	DefineCustomIntVariable("otan_enbek.batch_size",
							"Number of submissions the delivery worker claims at a time.",
							NULL,
							&otan_enbek_batch_size, 10, 1, 1000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("otan_enbek.max_in_flight",
							"Number of requests the delivery worker has in flight to Enbek at once.",
							"The claimed batch is sent over shared connections, this many requests at a time.",
							&otan_enbek_max_in_flight, 4, 1, 64,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
}

static const struct config_enum_entry signer_options[] = {
	{"builtin", OTAN_SIGNER_BUILTIN, false},
	{"external", OTAN_SIGNER_EXTERNAL, false},
	{NULL, 0, false}
};

static const char *
show_external_signer_token(void)
{
	return (otan_enbek_external_signer_token &&
			otan_enbek_external_signer_token[0]) ? "********" : "";
}

/*
 * Defines the parameters of the signer and of the checks of signing
 * certificates.  The token is a credential, so it is superuser-only and
 * read at server start only, like the passwords above.  The URL is
 * superuser-only because a URL can carry a user name and password.
 */
static void
define_signer_settings(void)
{
	DefineCustomEnumVariable("otan_enbek.signer",
							 "Signer of timesheet documents and of the SOAP body of requests: builtin (the PKCS#12 file of otan_enbek.signing_key_file) or external (the signing service at otan_enbek.external_signer_url).",
							 NULL,
							 &otan_enbek_signer, OTAN_SIGNER_BUILTIN,
							 signer_options,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("otan_enbek.external_signer_url",
							   "Base URL of the external signing service, such as http://127.0.0.1:8790/.",
							   "Empty: no external signer is configured.",
							   &otan_enbek_external_signer_url, "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
	DefineCustomStringVariable("otan_enbek.external_signer_token",
							   "Bearer token sent to the external signing service.",
							   "Read at server start only; SHOW displays asterisks in its place. Empty sends no Authorization header.",
							   &otan_enbek_external_signer_token, "",
							   password_context(),
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL,
							   NULL, NULL, show_external_signer_token);
	DefineCustomStringVariable("otan_enbek.external_signer_ca_file",
							   "File of CA certificates that verify the TLS certificate of an https:// external signer.",
							   "Empty uses the system's default CA store.",
							   &otan_enbek_external_signer_ca_file, "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("otan_enbek.external_signer_timeout",
							"Time allowed for one request to the external signing service.",
							NULL,
							&otan_enbek_external_signer_timeout_ms, 10000, 100, 600000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomStringVariable("otan_enbek.signing_ca_file",
							   "File of CA certificates that signing certificates must chain to.",
							   "Empty skips the chain check before signing.",
							   &otan_enbek_signing_ca_file, "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("otan_enbek.signing_crl_file",
							   "PEM file with the CRLs that signing certificates are checked against.",
							   "Empty skips the revocation check. Needs otan_enbek.signing_ca_file.",
							   &otan_enbek_signing_crl_file, "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
}

/* Defines the parameters of the circuit breaker and the notifications. */
static void
define_notification_settings(void)
{
	DefineCustomIntVariable("otan_enbek.breaker_failure_threshold",
							"Number of transient failures in a row that opens the circuit breaker of the Enbek endpoint.",
							"While the breaker is open no submission is sent and none is charged an attempt; 0 disables the breaker.",
							&otan_enbek_breaker_failure_threshold, 5, 0, 1000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("otan_enbek.breaker_cooldown",
							"Time an open circuit breaker waits before one probe request to the Enbek endpoint.",
							NULL,
							&otan_enbek_breaker_cooldown_s, 60, 1, 86400,
							PGC_SIGHUP, GUC_UNIT_S, NULL, NULL, NULL);
	/*
	 * A webhook URL may carry the token that lets its receiver trust the
	 * notification, so it is for superusers only, like the SMTP server.
	 */
	DefineCustomStringVariable("otan_enbek.webhook_url",
							   "HTTPS address that receives each notification as a JSON POST.",
							   "Empty sends no notification to a webhook.",
							   &otan_enbek_webhook_url, "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
	DefineCustomStringVariable("otan_enbek.webhook_ca_file",
							   "File of CA certificates that verify the webhook's TLS certificate.",
							   "Empty uses the system's default CA store.",
							   &otan_enbek_webhook_ca_file, "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("otan_enbek.smtp_url",
							   "SMTP server that sends notifications by e-mail, as smtp://host:port (with STARTTLS) or smtps://host:port.",
							   "Empty sends no e-mail.  The connection is always encrypted.",
							   &otan_enbek_smtp_url, "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
	DefineCustomStringVariable("otan_enbek.smtp_from",
							   "Sender address of notification e-mails.",
							   NULL,
							   &otan_enbek_smtp_from, "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("otan_enbek.smtp_to",
							   "Recipient addresses of notification e-mails, separated by commas.",
							   "Empty sends no e-mail.",
							   &otan_enbek_smtp_to, "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomStringVariable("otan_enbek.smtp_username",
							   "User name for SMTP authentication; empty sends none.",
							   NULL,
							   &otan_enbek_smtp_username, "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY, NULL, NULL, NULL);
	DefineCustomStringVariable("otan_enbek.smtp_password",
							   "Password for SMTP authentication.",
							   "Read at server start only; SHOW displays asterisks in its place.",
							   &otan_enbek_smtp_password, "",
							   password_context(),
							   GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL,
							   NULL, NULL, show_smtp_password);
	DefineCustomStringVariable("otan_enbek.smtp_ca_file",
							   "File of CA certificates that verify the SMTP server's TLS certificate.",
							   "Empty uses the system's default CA store.",
							   &otan_enbek_smtp_ca_file, "",
							   PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("otan_enbek.notification_max_attempts",
							"Number of attempts to deliver a notification to the webhook or by e-mail before it is marked failed.",
							NULL,
							&otan_enbek_notification_max_attempts, 10, 1, 1000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("otan_enbek.notification_timeout",
							"Time allowed for one delivery of a notification to the webhook or the SMTP server.",
							NULL,
							&otan_enbek_notification_timeout_ms, 10000, 100, 600000,
							PGC_SIGHUP, GUC_UNIT_MS, NULL, NULL, NULL);
}

/*
 * Defines the settings, installs the log hook that masks IINs and, when
 * loaded from shared_preload_libraries, requests the progress slots and
 * registers the launcher of the delivery workers.  The log hook is
 * installed however the library is loaded: from the postmaster every
 * process inherits it, and a backend that loads the library later has it
 * from then on.
 */
void
_PG_init(void)
{
	define_string_settings();
	define_worker_settings();
	define_signer_settings();
	pull_define_settings();
	refresh_worker_define_settings();
	define_notification_settings();
	directory_define_settings();
	att_parallel_define_settings();
	MarkGUCPrefixReserved("otan_enbek");
	privacy_install_log_hook();

	if (!process_shared_preload_libraries_in_progress)
		return;

	/* pg_upgrade starts the server in binary upgrade mode: no workers then */
	if (IsBinaryUpgrade)
		return;

	progress_install_hooks();
	otan_enbek_register_launcher();
}
