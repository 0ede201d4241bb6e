/*-------------------------------------------------------------------------
 *
 * signing_key.h
 *	  The employer's signing key: a PKCS#12 file loaded with OpenSSL and
 *	  checked before it signs anything.
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_SIGNING_KEY_H
#define OTAN_ENBEK_SIGNING_KEY_H

#include "nodes/pg_list.h"
#include "utils/timestamp.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

/*
 * A private key with its certificate.  The OpenSSL objects are allocated
 * outside palloc: release them with signing_key_free, also on error paths.
 */
typedef struct SigningKey
{
	char	   *path;			/* the file, named in error messages */
	EVP_PKEY   *private_key;
	X509	   *certificate;
	STACK_OF(X509) *chain;		/* other certificates in the file, or NULL */
} SigningKey;

/* Facts about a key's certificate, as check_signing_key reports them. */
typedef struct SigningKeyFacts
{
	char	   *subject;		/* without serialNumber, which is the IIN */
	char	   *issuer;
	char	   *bin;			/* from OU=BIN..., or NULL */
	char	   *serial;			/* hexadecimal, upper case */
	TimestampTz not_before;
	TimestampTz not_after;
	const char *key_algorithm;
	int			key_bits;
	List	   *key_usage;		/* names of the key usage bits */
	List	   *extended_key_usage; /* short names or dotted OIDs */
	char	   *fingerprint;	/* SHA-256 of the certificate DER, hex */
} SigningKeyFacts;

extern SigningKey *signing_key_load(const char *path, const char *password);
extern void signing_key_check(const SigningKey *key, const char *employer_bin);
extern void signing_key_check_validity(const SigningKey *key);
extern char *signing_key_fingerprint(const SigningKey *key);
extern void signing_key_describe(const SigningKey *key, SigningKeyFacts *facts);
extern bool signing_key_is_trusted(const SigningKey *key, const char *ca_file);
extern void signing_key_free(SigningKey *key);
extern char *certificate_serial(X509 *certificate);
extern char *certificate_bin(X509 *certificate);

#endif							/* OTAN_ENBEK_SIGNING_KEY_H */
