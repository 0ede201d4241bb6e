/*-------------------------------------------------------------------------
 *
 * signer.h
 *	  The signer of timesheet documents and of the SOAP body of requests,
 *	  built-in or external, behind one interface.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_SIGNER_H
#define OTAN_ENBEK_SIGNER_H

#include "delivery/signing_key.h"
#include "delivery/xmldsig.h"

typedef struct Signer Signer;

/* Signs a UTF-8 document as xmldsig_sign does, or raises an error. */
typedef void (*SignerSignFunction) (Signer *signer, const char *document,
									int length,
									SignedDocument *signed_document);

/*
 * Signs the soap:Body of a UTF-8 envelope in a WS-Security header as
 * wssecurity_sign_envelope does and returns the signed envelope, palloc'd,
 * or raises an error.
 */
typedef char *(*SignerSignEnvelopeFunction) (Signer *signer,
											 const char *envelope);

/*
 * A signer with the certificate it signs with.  Free it with signer_close
 * on every path, because key contains OpenSSL objects.
 */
struct Signer
{
	const char *kind;			/* "builtin" or "external" */
	SigningKey *key;			/* certificate; private key when built-in */
	SignerSignFunction sign;
	SignerSignEnvelopeFunction sign_envelope;
	void	   *state;			/* the implementation's own data */
};

extern Signer *signer_open(const char *key_file);
extern bool signer_check(const Signer *signer, const char *employer_bin);
extern void signer_sign(Signer *signer, const char *document, int length,
						SignedDocument *signed_document);
extern char *signer_sign_envelope(Signer *signer, const char *envelope);
extern void signer_close(Signer *signer);

#endif							/* OTAN_ENBEK_SIGNER_H */
