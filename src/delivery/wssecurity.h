/*-------------------------------------------------------------------------
 *
 * wssecurity.h
 *	  WS-Security signature of the SOAP body of a SendMessage request.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_WSSECURITY_H
#define OTAN_ENBEK_WSSECURITY_H

#include "delivery/signing_key.h"
#include "delivery/xmldsig_external.h"

/* Namespaces of WS-Security 1.0 (OASIS 2004) */
#define WSSE_NS "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
#define WSU_NS "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"

/* wsu:Id of the signed soap:Body */
#define WSSECURITY_BODY_ID "otan-enbek-body"

extern char *wssecurity_sign_envelope(const char *envelope,
									  const SigningKey *key);
extern char *wssecurity_sign_envelope_external(const char *envelope,
											   const char *signature_method,
											   const unsigned char *certificate_der,
											   size_t certificate_length,
											   ExternalSignFunction sign_signed_info,
											   void *arg);
extern char *wssecurity_sign_with_configured_signer(const char *envelope,
													const char *employer_bin);

#endif							/* OTAN_ENBEK_WSSECURITY_H */
