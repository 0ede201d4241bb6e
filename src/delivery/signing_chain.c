/*-------------------------------------------------------------------------
 *
 * signing_chain.c
 *	  Checking that a signing certificate chains to a trusted CA and, when a
 *	  CRL file is configured, that the CA has not revoked it.
 *
 * The trusted CAs of signing certificates (otan_enbek.signing_ca_file) are
 * kept apart from the CAs that verify Enbek's TLS certificate
 * (otan_enbek.ca_file), so that trusting a CA for TLS does not make the
 * certificates it issues acceptable as signing keys.  The CRL file (otan_enbek.signing_crl_file)
 * is read at each check, so that a CRL replaced by a cron job applies to
 * the next signature without a reload.
 *
 * Each way the check can fail raises its own SQLSTATE (signing_key.h):
 * untrusted chain, revoked certificate, and a CRL that cannot be used.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "delivery/signing_key.h"

/* OpenSSL objects of one check, freed together. */
typedef struct ChainCheck
{
	X509_STORE *store;
	X509_STORE_CTX *context;
} ChainCheck;

static void
free_chain_check(ChainCheck *check)
{
	X509_STORE_CTX_free(check->context);
	X509_STORE_free(check->store);
	check->context = NULL;
	check->store = NULL;
	ERR_clear_error();
}

/* Returns the reason of the earliest queued OpenSSL error. */
static const char *
openssl_reason(void)
{
	unsigned long code = ERR_peek_error();
	const char *reason = code ? ERR_reason_error_string(code) : NULL;

	return reason ? reason : "no reason given";
}

/*
 * Adds the CRLs of a PEM file to the store.  Raises an error, after freeing
 * the check, when the file cannot be read or contains no CRL.
 */
static void
load_crl_file(ChainCheck *check, const char *crl_file)
{
	X509_LOOKUP *lookup;
	int			count;

	lookup = X509_STORE_add_lookup(check->store, X509_LOOKUP_file());
	count = 0;
	if (lookup != NULL)
		count = X509_load_crl_file(lookup, crl_file, X509_FILETYPE_PEM);
	if (count <= 0)
	{
		char		reason[256];

		strlcpy(reason, openssl_reason(), sizeof(reason));
		free_chain_check(check);
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("could not load a CRL from \"%s\"", crl_file),
				 errdetail("OpenSSL reported: %s.", reason),
				 errhint("Set otan_enbek.signing_crl_file to a PEM file with the current CRL of the CA that issues signing keys, or to an empty string to skip the revocation check.")));
	}
}

/*
 * Raises the error that matches the reason X509_verify_cert gave for
 * rejecting the certificate.  The check is freed first.
 */
static void
report_chain_failure(ChainCheck *check, const SigningKey *key,
					 const char *ca_file, const char *crl_file)
{
	int			error = X509_STORE_CTX_get_error(check->context);
	int			depth = X509_STORE_CTX_get_error_depth(check->context);
	const char *reason = X509_verify_cert_error_string(error);
	char	   *serial = certificate_serial(key->certificate);

	free_chain_check(check);
	switch (error)
	{
		case X509_V_ERR_CERT_REVOKED:
			ereport(ERROR,
					(errcode(ERRCODE_SIGNING_CERT_REVOKED),
					 errmsg("certificate of %s has been revoked", key->label),
					 errdetail("The CRL in \"%s\" lists the certificate with serial number %s%s.",
							   crl_file, serial,
							   depth > 0 ? " or a CA certificate of its chain" : ""),
					 errhint("Get a new signing key from NCA RK. Enbek rejects documents signed with a revoked certificate.")));
			break;
		case X509_V_ERR_UNABLE_TO_GET_CRL:
		case X509_V_ERR_CRL_HAS_EXPIRED:
		case X509_V_ERR_CRL_NOT_YET_VALID:
		case X509_V_ERR_CRL_SIGNATURE_FAILURE:
		case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
		case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
		case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
		case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
			ereport(ERROR,
					(errcode(ERRCODE_SIGNING_CRL_UNUSABLE),
					 errmsg("could not check whether the certificate of %s has been revoked",
							key->label),
					 errdetail("The CRL file \"%s\" has no usable CRL of the issuer of the certificate with serial number %s: %s.",
							   crl_file, serial, reason),
					 errhint("Download the current CRL of the CA that issued the key into otan_enbek.signing_crl_file.")));
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_SIGNING_CERT_UNTRUSTED),
					 errmsg("certificate of %s is not issued by a trusted CA",
							key->label),
					 errdetail("The certificate with serial number %s does not chain to a CA certificate in \"%s\": %s.",
							   serial, ca_file, reason),
					 errhint("Use a signing key issued by NCA RK, or add the certificates of its CA to otan_enbek.signing_ca_file.")));
			break;
	}
}

/*
 * Raises an error unless the certificate chains to a CA of ca_file, with
 * the other certificates that came with the key as intermediates.  With a
 * crl_file that is not empty, it also raises an error when the certificate
 * is revoked or when the file has no current CRL of its issuer.  Only the
 * signing certificate itself is checked against a CRL (X509_V_FLAG_CRL_CHECK
 * without X509_V_FLAG_CRL_CHECK_ALL), so the file needs the CRL of its
 * issuer alone.  Validity dates are checked as well, but signing_key_check
 * has rejected expired keys before.
 */
void
signing_key_check_chain(const SigningKey *key, const char *ca_file,
						const char *crl_file)
{
	ChainCheck	check;
	bool		with_crl = crl_file != NULL && crl_file[0] != '\0';

	check.store = X509_STORE_new();
	check.context = X509_STORE_CTX_new();
	if (check.store == NULL || check.context == NULL)
	{
		free_chain_check(&check);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	}
	if (X509_STORE_load_file(check.store, ca_file) != 1)
	{
		char		reason[256];

		strlcpy(reason, openssl_reason(), sizeof(reason));
		free_chain_check(&check);
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("could not load CA certificates from \"%s\"", ca_file),
				 errdetail("OpenSSL reported: %s.", reason),
				 errhint("Set otan_enbek.signing_ca_file to a PEM file with the certificates of the CAs that issue signing keys.")));
	}
	if (with_crl)
	{
		load_crl_file(&check, crl_file);
		X509_STORE_set_flags(check.store, X509_V_FLAG_CRL_CHECK);
	}

	if (X509_STORE_CTX_init(check.context, check.store, key->certificate,
							key->chain) != 1)
	{
		free_chain_check(&check);
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not prepare the certificate chain check")));
	}
	if (X509_verify_cert(check.context) != 1)
		report_chain_failure(&check, key, ca_file, crl_file);
	free_chain_check(&check);
}
