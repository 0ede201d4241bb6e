/*-------------------------------------------------------------------------
 *
 * xmldsig.h
 *	  Enveloped XML-DSig signatures made and checked with xmlsec1.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_XMLDSIG_H
#define OTAN_ENBEK_XMLDSIG_H

#include "delivery/signing_key.h"

/* A signed document: UTF-8 text of the root element, palloc'd. */
typedef struct SignedDocument
{
	char	   *text;
	int			length;			/* in bytes, without the final NUL */
	char	   *signature_value;	/* base64 without line breaks */
} SignedDocument;

extern void xmldsig_sign(const char *document, int length,
						 const SigningKey *key, SignedDocument *signed_document);
extern bool xmldsig_verify(const char *document, int length,
						   const char *ca_file, const char **reason);

#endif							/* OTAN_ENBEK_XMLDSIG_H */
