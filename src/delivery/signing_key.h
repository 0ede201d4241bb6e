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
 * SQLSTATEs of the implementation-defined class OE: one per check of a
 * signing certificate and per kind of external signer failure, so that a
 * caller can tell them apart without reading the message.
 */
#define ERRCODE_SIGNING_KEY_USAGE			MAKE_SQLSTATE('O','E','0','0','1')
#define ERRCODE_SIGNING_CERT_VALIDITY		MAKE_SQLSTATE('O','E','0','0','2')
#define ERRCODE_SIGNING_CERT_BIN			MAKE_SQLSTATE('O','E','0','0','3')
#define ERRCODE_SIGNING_CERT_UNTRUSTED		MAKE_SQLSTATE('O','E','0','0','4')
#define ERRCODE_SIGNING_CERT_REVOKED		MAKE_SQLSTATE('O','E','0','0','5')
#define ERRCODE_SIGNING_CRL_UNUSABLE		MAKE_SQLSTATE('O','E','0','0','6')
#define ERRCODE_SIGNER_UNAVAILABLE			MAKE_SQLSTATE('O','E','0','1','0')
#define ERRCODE_SIGNER_INVALID_RESPONSE		MAKE_SQLSTATE('O','E','0','1','1')
#define ERRCODE_SIGNER_WRONG_CERTIFICATE	MAKE_SQLSTATE('O','E','0','1','2')

/*
 * A certificate, with its private key when the built-in signer has the
 * key.  The OpenSSL objects are allocated outside palloc: release them with
 * signing_key_free, also on error paths.
 */
typedef struct SigningKey
{
	char	   *path;			/* the key file or the external signer URL */
	char	   *label;			/* names the source in error messages */
	EVP_PKEY   *private_key;	/* NULL for an external signer */
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
extern void signing_key_check_chain(const SigningKey *key, const char *ca_file,
									const char *crl_file);
extern void signing_key_free(SigningKey *key);
extern char *certificate_serial(X509 *certificate);
extern char *certificate_bin(X509 *certificate);

#endif							/* OTAN_ENBEK_SIGNING_KEY_H */
