/*
 * xmldsig_check.h
 *	  A second verifier of enveloped XML-DSig signatures, written for the
 *	  fuzzing harness of src/delivery/xmldsig.c with libxml2's C14N and
 *	  OpenSSL but without xmlsec1.
 */
#ifndef FUZZ_XMLDSIG_CHECK_H
#define FUZZ_XMLDSIG_CHECK_H

#include <stddef.h>

#include <openssl/x509.h>

/*
 * Verifies the signature that is the last element child of the root of the
 * document, in the form xmldsig.c signs, with a certificate from its
 * KeyInfo that chains to a CA in trusted.  Returns NULL when the signature
 * is valid, otherwise a static description of the first problem found.
 */
extern const char *xmldsig_check_signature(const char *document, size_t length,
										   X509_STORE *trusted);

#endif							/* FUZZ_XMLDSIG_CHECK_H */
