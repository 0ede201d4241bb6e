/*-------------------------------------------------------------------------
 *
 * directory_call.h
 *	  Signed requests to Enbek's directory services, made in a session.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_DIRECTORY_CALL_H
#define OTAN_ENBEK_DIRECTORY_CALL_H

/* Service ids of the contract list and of the directory push */
extern char *otan_enbek_contract_list_service_id;
extern char *otan_enbek_directory_push_service_id;

extern void directory_define_settings(void);

#endif							/* OTAN_ENBEK_DIRECTORY_CALL_H */
