/*-------------------------------------------------------------------------
 *
 * signer.c
 *	  Choosing the signer of timesheet documents and of the SOAP body of
 *	  requests, and checking its certificate before it signs.
 *
 * otan_enbek.signer chooses the signer for the whole server:
 *
 *	builtin		signs with xmlsec1 and the RSA key of the PKCS#12 file in
 *				otan_enbek.signing_key_file (signing_key.c, xmldsig.c).
 *	external	sends the canonical SignedInfo to the signing service at
 *				otan_enbek.external_signer_url (external_signer.c), for keys
 *				that OpenSSL cannot use, such as GOST keys.
 *
 * Each signs documents (signer_sign) and the soap:Body of requests in a
 * WS-Security header (signer_sign_envelope).  Both present a certificate,
 * which signer_check checks the same way before anything is signed: key
 * usage, validity dates, the employer's BIN, and, when
 * otan_enbek.signing_ca_file is set, the chain and the CRL.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "delivery/external_signer.h"
#include "delivery/signer.h"
#include "delivery/wssecurity.h"
#include "delivery/xmldsig_external.h"
#include "otan_enbek.h"

static void
sign_builtin(Signer *signer, const char *document, int length,
			 SignedDocument *signed_document)
{
	xmldsig_sign(document, length, signer->key, signed_document);
}

static char *
sign_envelope_builtin(Signer *signer, const char *envelope)
{
	return wssecurity_sign_envelope(envelope, signer->key);
}

static void
sign_external(Signer *signer, const char *document, int length,
			  SignedDocument *signed_document)
{
	ExternalSigner *external = (ExternalSigner *) signer->state;

	xmldsig_sign_external(document, length, external->signature_method,
						  external->certificate_der,
						  external->certificate_length,
						  external_signer_sign, external, signed_document);
}

static char *
sign_envelope_external(Signer *signer, const char *envelope)
{
	ExternalSigner *external = (ExternalSigner *) signer->state;

	return wssecurity_sign_envelope_external(envelope,
											 external->signature_method,
											 external->certificate_der,
											 external->certificate_length,
											 external_signer_sign, external);
}

/*
 * Opens the signer that otan_enbek.signer chooses, or the built-in signer
 * with key_file when that is not NULL.  The built-in signer loads its key
 * with otan_enbek.signing_key_password, and the external one requests the
 * certificate from its service.  Raises an error when the key or the
 * certificate cannot be had.  The certificate is not checked yet.
 */
Signer *
signer_open(const char *key_file)
{
	Signer	   *signer = palloc0(sizeof(Signer));

	if (key_file != NULL || otan_enbek_signer == OTAN_SIGNER_BUILTIN)
	{
		signer->kind = "builtin";
		signer->key = signing_key_load(key_file ? key_file :
									   otan_enbek_signing_key_file,
									   otan_enbek_signing_key_password);
		signer->sign = sign_builtin;
		signer->sign_envelope = sign_envelope_builtin;
	}
	else
	{
		ExternalSigner *external;

		external = external_signer_open(otan_enbek_external_signer_url);
		signer->kind = "external";
		signer->key = external->key;
		signer->sign = sign_external;
		signer->sign_envelope = sign_envelope_external;
		signer->state = external;
	}
	return signer;
}

/*
 * Raises an error unless the signer's certificate may sign documents of the
 * employer with employer_bin: signing_key_check, then the chain to
 * otan_enbek.signing_ca_file and the CRL of otan_enbek.signing_crl_file
 * when those are set.  Returns whether the chain was checked.
 */
bool
signer_check(const Signer *signer, const char *employer_bin)
{
	const char *ca_file = otan_enbek_signing_ca_file;
	const char *crl_file = otan_enbek_signing_crl_file;

	signing_key_check(signer->key, employer_bin);

	if (ca_file == NULL || ca_file[0] == '\0')
	{
		if (crl_file != NULL && crl_file[0] != '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("otan_enbek.signing_crl_file is set, but otan_enbek.signing_ca_file is empty"),
					 errdetail("A CRL is checked together with the chain of the certificate to a trusted CA."),
					 errhint("Set otan_enbek.signing_ca_file to a PEM file with the certificates of the CAs that issue signing keys.")));
		return false;
	}
	signing_key_check_chain(signer->key, ca_file, crl_file);
	return true;
}

/* Signs a UTF-8 document.  The signer must have passed signer_check. */
void
signer_sign(Signer *signer, const char *document, int length,
			SignedDocument *signed_document)
{
	signer->sign(signer, document, length, signed_document);
}

/*
 * Signs the soap:Body of a UTF-8 envelope in a WS-Security header.  The
 * signer must have passed signer_check.
 */
char *
signer_sign_envelope(Signer *signer, const char *envelope)
{
	return signer->sign_envelope(signer, envelope);
}

/* Frees the OpenSSL objects of the signer, which may be NULL. */
void
signer_close(Signer *signer)
{
	if (signer == NULL)
		return;
	signing_key_free(signer->key);
}
