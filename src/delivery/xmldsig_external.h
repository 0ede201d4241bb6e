/*-------------------------------------------------------------------------
 *
 * xmldsig_external.h
 *	  Enveloped XML-DSig signatures whose signature value comes from a
 *	  signer outside this process.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_XMLDSIG_EXTERNAL_H
#define OTAN_ENBEK_XMLDSIG_EXTERNAL_H

#include "delivery/xmldsig.h"

/*
 * Signs the canonical ds:SignedInfo and returns the signature value in
 * base64 without line breaks, palloc'd, or raises an error.
 */
typedef char *(*ExternalSignFunction) (void *arg,
									   const unsigned char *signed_info,
									   size_t length);

extern void xmldsig_sign_external(const char *document, int length,
								  const char *signature_method,
								  const unsigned char *certificate_der,
								  size_t certificate_length,
								  ExternalSignFunction sign_signed_info,
								  void *arg,
								  SignedDocument *signed_document);
extern char *xmldsig_base64(const unsigned char *data, size_t length);

#endif							/* OTAN_ENBEK_XMLDSIG_EXTERNAL_H */
