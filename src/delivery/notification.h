/*-------------------------------------------------------------------------
 *
 * notification.h
 *	  Delivery of notifications to a webhook and by e-mail.
 *
 * The delivery worker sends the rows of otan_enbek.notification_delivery
 * after its submissions (notification.c): a JSON POST to the webhook
 * (webhook.c) or a mail over SMTP with STARTTLS (smtp.c).  Both verify the
 * receiver's TLS certificate and report failures in the result instead of
 * raising them.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_NOTIFICATION_H
#define OTAN_ENBEK_NOTIFICATION_H

#include <curl/curl.h>

#include "datatype/timestamp.h"

/* Largest webhook response body read; a longer one is cut off unread */
#define WEBHOOK_MAX_RESPONSE_BYTES 4096

/* Sets a libcurl option, raising an error when libcurl rejects it. */
#define NOTIFY_SET_OPTION(curl, option, value) \
	do { \
		CURLcode	rc_ = curl_easy_setopt((curl), (option), (value)); \
		if (rc_ != CURLE_OK) \
			ereport(ERROR, \
					(errcode(ERRCODE_SYSTEM_ERROR), \
					 errmsg("could not set libcurl option %s: %s", \
							#option, curl_easy_strerror(rc_)))); \
	} while (0)

/* One notification to send on one channel */
typedef struct NotificationItem
{
	int32		org_id;
	int64		notification_id;
	char	   *channel;		/* "webhook" or "email" */
	int			attempts;		/* this one included */
	int			failures;		/* failed attempts in a row so far */
	TimestampTz created_at;
	char	   *webhook_body;	/* JSON, for the webhook */
	char	   *subject;		/* for an e-mail */
	char	   *body;			/* for an e-mail */
} NotificationItem;

/* notification.c */
extern int	notification_requeue(void);
extern int	notification_run_cycle(int limit, TimestampTz *next_due);
extern bool notification_channels_configured(void);

/* webhook.c: returns NULL on success, else what failed */
extern const char *webhook_problem(const char *url);
extern char *webhook_post(const char *url, const char *json);

/* smtp.c: returns NULL on success, else what failed */
extern const char *smtp_problem(void);
extern char *smtp_build_message(const NotificationItem *item);
extern char *smtp_send(const NotificationItem *item);

#endif							/* OTAN_ENBEK_NOTIFICATION_H */
