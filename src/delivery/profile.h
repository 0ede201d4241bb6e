/*-------------------------------------------------------------------------
 *
 * profile.h
 *	  Delivery profiles: how a claimed submission leaves the database.
 *
 * Each organization chooses a profile in otan_enbek.org_delivery, and each
 * submission keeps the profile it was created with.  The worker claims a
 * submission, loads its DeliveryTarget and calls the deliver function of
 * its profile, which returns a verdict like a SOAP exchange does.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_PROFILE_H
#define OTAN_ENBEK_PROFILE_H

#include "delivery/delivery.h"

/* Settings and facts of one claimed submission, from delivery_target() */
typedef struct DeliveryTarget
{
	char	   *profile;		/* name of the submission's profile */
	char	   *sender_id;		/* the organization's or the server's; may
								 * be NULL */
	char	   *file_dir;		/* directory of the profile file, or NULL */
	char	   *bin;			/* the organization's BIN */
	char	   *period;			/* month of the timesheet, YYYY-MM */
	int32		timesheet_id;
	int32		part_no;
	int32		part_count;
	char	   *document_sha256;	/* of the stored document, hexadecimal */
} DeliveryTarget;

/*
 * A delivery profile: its name and the functions that deliver.  A profile
 * sets deliver, or deliver_many when it gains from handling the submissions
 * of a cycle together (soap keeps several requests in flight).
 */
typedef struct DeliveryProfile
{
	const char *name;			/* as in org_delivery.profile */
	bool		uses_endpoint;	/* sends to otan_enbek.enbek_url */

	/*
	 * Delivers one claimed submission with no transaction open and returns
	 * the verdict, palloc'd in the current memory context.  An error must
	 * not escape: the function turns it into a transient verdict for this
	 * submission alone.
	 */
	DeliveryVerdict *(*deliver) (DeliveryItem *item);

	/*
	 * Delivers several claimed submissions under the same rules, and
	 * returns one verdict per item in the order of items.
	 */
	DeliveryVerdict **(*deliver_many) (DeliveryItem **items, int count);
} DeliveryProfile;

/* profile.c */
extern const char *delivery_profiles_without_endpoint(void);
extern DeliveryVerdict **delivery_profile_deliver_many(DeliveryItem **items,
													   int count);
extern void delivery_target_load(DeliveryItem *item, MemoryContext context);

/* file_profile.c */
extern DeliveryVerdict *file_profile_deliver(DeliveryItem *item);

#endif							/* OTAN_ENBEK_PROFILE_H */
