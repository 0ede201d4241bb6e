/*-------------------------------------------------------------------------
 *
 * external_signer.h
 *	  Client of an external HTTP(S) signing service.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_EXTERNAL_SIGNER_H
#define OTAN_ENBEK_EXTERNAL_SIGNER_H

#include "delivery/signing_key.h"

/* A signing service and the certificate it presented. */
typedef struct ExternalSigner
{
	char	   *url;			/* base URL, ending with '/' */
	char	   *display_url;	/* the URL without user name and password */
	SigningKey *key;			/* certificate and chain, no private key */
	unsigned char *certificate_der;
	size_t		certificate_length;
	char	   *fingerprint;	/* SHA-256 of certificate_der, hex */
	char	   *signature_method;	/* Algorithm URI of ds:SignatureMethod */
} ExternalSigner;

extern ExternalSigner *external_signer_open(const char *url);
extern char *external_signer_sign(void *arg, const unsigned char *signed_info,
								  size_t length);

#endif							/* OTAN_ENBEK_EXTERNAL_SIGNER_H */
