/*-------------------------------------------------------------------------
 *
 * otan_enbek.h
 *	  Settings and entry points shared by the parts of otan_enbek.
 *
 * Each part of the extension keeps its own header next to its sources.  This
 * one contains what the module as a whole defines: the configuration
 * parameters (GUCs) registered in _PG_init and the hooks that _PG_init calls.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_H
#define OTAN_ENBEK_H

#include <stdbool.h>

/* Delivery to Enbek: endpoint and identity (see module.c for descriptions) */
extern char *otan_enbek_enbek_url;
extern char *otan_enbek_service_id;
extern char *otan_enbek_status_service_id;
extern char *otan_enbek_sender_id;
extern char *otan_enbek_sender_password;
extern char *otan_enbek_ca_file;

/* Signing key (PKCS#12) */
extern char *otan_enbek_signing_key_file;
extern char *otan_enbek_signing_key_password;

/* Signer and checks of signing certificates */
typedef enum OtanSigner
{
	OTAN_SIGNER_BUILTIN,
	OTAN_SIGNER_EXTERNAL
} OtanSigner;

extern int	otan_enbek_signer;
extern char *otan_enbek_external_signer_url;
extern char *otan_enbek_external_signer_token;
extern char *otan_enbek_external_signer_ca_file;
extern int	otan_enbek_external_signer_timeout_ms;
extern char *otan_enbek_signing_ca_file;
extern char *otan_enbek_signing_crl_file;

/* Delivery worker behaviour */
extern bool otan_enbek_delivery_enabled;
extern int	otan_enbek_connect_timeout_ms;
extern int	otan_enbek_request_timeout_ms;
extern int	otan_enbek_max_attempts;
extern int	otan_enbek_max_attempt_age_s;
extern int	otan_enbek_retry_delay_s;
extern int	otan_enbek_retry_max_delay_s;
extern int	otan_enbek_status_poll_interval_s;
extern int	otan_enbek_batch_size;
extern int	otan_enbek_max_in_flight;

/* Circuit breaker of the Enbek endpoint and notification channels */
extern int	otan_enbek_breaker_failure_threshold;
extern int	otan_enbek_breaker_cooldown_s;
extern char *otan_enbek_webhook_url;
extern char *otan_enbek_webhook_ca_file;
extern char *otan_enbek_smtp_url;
extern char *otan_enbek_smtp_from;
extern char *otan_enbek_smtp_to;
extern char *otan_enbek_smtp_username;
extern char *otan_enbek_smtp_password;
extern char *otan_enbek_smtp_ca_file;
extern int	otan_enbek_notification_max_attempts;
extern int	otan_enbek_notification_timeout_ms;

/* Registers the launcher background worker; called from _PG_init. */
extern void otan_enbek_register_launcher(void);

#endif							/* OTAN_ENBEK_H */
