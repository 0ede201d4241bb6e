/*-------------------------------------------------------------------------
 *
 * wssecurity.c
 *	  WS-Security signature of the SOAP body of a SendMessage request.
 *
 * The envelope that envelope.c builds gets a soap:Header with one
 * wsse:Security element (soap:mustUnderstand="1"), which contains a
 * ds:Signature over the soap:Body.  The body carries wsu:Id, and the one
 * Reference points to it: URI="#otan-enbek-body", exclusive
 * canonicalization as its only transform, SHA-256 digest, the signer's
 * signature method (RSA-SHA256 for the built-in signer), and the signing
 * certificate in KeyInfo/X509Data.  This is the WS-Security 1.0 X.509
 * token profile with the certificate in ds:X509Data, one of the two forms
 * the profile allows (the other is a BinarySecurityToken).
 *
 * otan_enbek.signer chooses who signs.  The built-in signer signs with
 * xmlsec1 and the key of otan_enbek.signing_key_file.  The external signer
 * gets the same header built here, and its signing service signs the
 * canonical ds:SignedInfo, as xmldsig_external.c does for documents.
 *
 * The business document inside requestData/data keeps its own enveloped
 * signature, made by the same signer.  The worker builds and signs the
 * request again at every attempt, and the envelope is the same each time
 * (messageDate is the submission's creation time).  RSA PKCS#1 v1.5
 * signatures are deterministic, so with an RSA key a re-send of a
 * timesheet repeats its request byte for byte.  A GOST or ECDSA signing
 * service returns a new SignatureValue in the header at each attempt,
 * while the body, with the stored document and the same messageId, stays
 * identical.  Enbek recognises such a re-send by its messageId (SCSE196),
 * and the worker then sends a status query, so the timesheet is still
 * delivered once.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <libxml/tree.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>

#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "otan_enbek.h"
#include "delivery/delivery.h"
#include "delivery/signer.h"
#include "delivery/wssecurity.h"
#include "delivery/xmldsig_internal.h"

/* Returns the one soap:Body, which must follow any soap:Header. */
static xmlNodePtr
find_body(xmlNodePtr envelope)
{
	xmlNodePtr	body = NULL;

	for (xmlNodePtr node = envelope->children; node != NULL; node = node->next)
	{
		if (node->type != XML_ELEMENT_NODE)
			continue;
		if (body != NULL || node->ns == NULL ||
			strcmp((const char *) node->ns->href, SOAP_ENVELOPE_NS) != 0 ||
			strcmp((const char *) node->name, "Body") != 0)
			return NULL;
		body = node;
	}
	return body;
}

/*
 * Adds soap:Header/wsse:Security before the body and wsu:Id to the body.
 * Returns the Security element and sets *body_out, or returns NULL when the
 * envelope has not the shape envelope_build gives (a header already, or no
 * single body).
 */
static xmlNodePtr
add_security_header(xmlDocPtr doc, xmlNodePtr *body_out)
{
	xmlNodePtr	envelope = xmlDocGetRootElement(doc);
	xmlNodePtr	body;
	xmlNodePtr	header;
	xmlNodePtr	security;
	xmlNsPtr	wsse;
	xmlNsPtr	wsu;
	xmlAttrPtr	id;

	if (envelope->ns == NULL ||
		strcmp((const char *) envelope->ns->href, SOAP_ENVELOPE_NS) != 0)
		return NULL;
	body = find_body(envelope);
	if (body == NULL)
		return NULL;

	header = xmlNewDocNode(doc, envelope->ns, BAD_CAST "Header", NULL);
	if (header == NULL || xmlAddPrevSibling(body, header) == NULL)
		return NULL;
	security = xmlNewChild(header, NULL, BAD_CAST "Security", NULL);
	wsse = security ? xmlNewNs(security, BAD_CAST WSSE_NS, BAD_CAST "wsse") : NULL;
	if (wsse == NULL)
		return NULL;
	xmlSetNs(security, wsse);
	if (xmlSetNsProp(security, envelope->ns, BAD_CAST "mustUnderstand",
					 BAD_CAST "1") == NULL)
		return NULL;

	wsu = xmlNewNs(body, BAD_CAST WSU_NS, BAD_CAST "wsu");
	id = wsu ? xmlSetNsProp(body, wsu, BAD_CAST "Id",
							BAD_CAST WSSECURITY_BODY_ID) : NULL;
	/* xmlsec1 resolves URI="#..." through the IDs the document declares */
	if (id == NULL || xmlAddID(NULL, doc, BAD_CAST WSSECURITY_BODY_ID, id) == NULL)
		return NULL;
	*body_out = body;
	return security;
}

/* Raises the error for an envelope that add_security_header rejects. */
static void
report_envelope_shape(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_XML_DOCUMENT),
			 errmsg("could not add a WS-Security header to the SOAP envelope"),
			 errdetail("The envelope must be a SOAP 1.1 Envelope with one soap:Body and no soap:Header.")));
}

/* Appends the signature template to wsse:Security; NULL on failure. */
static xmlNodePtr
add_body_signature_template(xmlDocPtr doc, xmlNodePtr security)
{
	xmlNodePtr	signature;
	xmlNodePtr	reference;
	xmlNodePtr	key_info;
	xmlNodePtr	x509_data;

	signature = xmlSecTmplSignatureCreateNsPref(doc,
												xmlSecTransformExclC14NId,
												xmlSecOpenSSLTransformRsaSha256Id,
												NULL, BAD_CAST "ds");
	if (signature == NULL)
		return NULL;
	if (xmlAddChild(security, signature) == NULL)
	{
		xmlFreeNode(signature);
		return NULL;
	}
	reference = xmlSecTmplSignatureAddReference(signature,
												xmlSecOpenSSLTransformSha256Id,
												NULL,
												BAD_CAST "#" WSSECURITY_BODY_ID,
												NULL);
	if (reference == NULL ||
		xmlSecTmplReferenceAddTransform(reference,
										xmlSecTransformExclC14NId) == NULL)
		return NULL;
	key_info = xmlSecTmplSignatureEnsureKeyInfo(signature, NULL);
	x509_data = key_info ? xmlSecTmplKeyInfoAddX509Data(key_info) : NULL;
	if (x509_data == NULL ||
		xmlSecTmplX509DataAddCertificate(x509_data) == NULL)
		return NULL;
	return signature;
}

/* Serializes the document as UTF-8 with an XML declaration, palloc'd. */
static char *
serialize_envelope(xmlDocPtr doc)
{
	xmlChar    *text = NULL;
	int			length = 0;
	char	   *result;

	xmlDocDumpMemoryEnc(doc, &text, &length, "UTF-8");
	if (text == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not serialize the signed SOAP envelope")));
	result = pnstrdup((const char *) text, length);
	/* the envelope contains the sender password */
	explicit_bzero(text, length);
	xmlFree(text);
	return result;
}

/*
 * Signs the soap:Body of a UTF-8 SendMessage envelope in a wsse:Security
 * header and returns the signed envelope, UTF-8 and palloc'd.  The key must
 * have passed signing_key_check.  Raises an error for an envelope that is
 * not well-formed or already has a soap:Header.
 *
 * NOTE: libxml2 frees its copy of the envelope without wiping it, so the
 * sender password stays in freed memory of this process until reused.
 */
char *
wssecurity_sign_envelope(const char *envelope, const SigningKey *key)
{
	XmlErrorScope scope;
	xmlDocPtr volatile doc = NULL;
	xmlSecDSigCtxPtr volatile context = NULL;
	char	   *volatile result = NULL;

	if (key->private_key == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("the signing key of %s has no private key to sign the SOAP body",
						key->label),
				 errhint("Set otan_enbek.signing_key_file to a PKCS#12 signing key.")));

	xmldsig_begin_scope(&scope);
	PG_TRY();
	{
		xmlNodePtr	security;
		xmlNodePtr	body;
		xmlNodePtr	signature = NULL;

		doc = xmldsig_parse_document(envelope, strlen(envelope), &scope);
		security = add_security_header(doc, &body);
		if (security == NULL)
			report_envelope_shape();
		signature = add_body_signature_template(doc, security);
		if (signature == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("could not build the signature template of the SOAP body"),
					 xmldsig_errdetail_library(&scope)));

		context = xmlSecDSigCtxCreate(NULL);
		if (context != NULL)
			context->signKey = xmldsig_make_key(key);
		if (context == NULL || context->signKey == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("could not prepare the signing key for xmlsec1"),
					 xmldsig_errdetail_library(&scope)));
		if (xmlSecDSigCtxSign(context, signature) < 0 || scope.failed)
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("could not sign the SOAP body"),
					 xmldsig_errdetail_library(&scope)));
		result = serialize_envelope(doc);
	}
	PG_FINALLY();
	{
		/* The context frees the key it holds. */
		if (context != NULL)
			xmlSecDSigCtxDestroy(context);
		if (doc != NULL)
			xmlFreeDoc(doc);
		xmldsig_end_scope(&scope);
	}
	PG_END_TRY();
	return result;
}

/*
 * Signs the soap:Body of a UTF-8 SendMessage envelope as
 * wssecurity_sign_envelope does, with the signature value that
 * sign_signed_info returns for the canonical ds:SignedInfo, and returns the
 * signed envelope, UTF-8 and palloc'd.  signature_method is the Algorithm
 * URI of ds:SignatureMethod, and certificate_der the DER encoding of the
 * signer's certificate, which the caller has checked.  sign_signed_info may
 * raise an error.
 */
char *
wssecurity_sign_envelope_external(const char *envelope,
								  const char *signature_method,
								  const unsigned char *certificate_der,
								  size_t certificate_length,
								  ExternalSignFunction sign_signed_info,
								  void *arg)
{
	XmlErrorScope scope;
	xmlDocPtr volatile doc = NULL;
	char	   *volatile result = NULL;

	xmldsig_begin_scope(&scope);
	PG_TRY();
	{
		xmlNodePtr	security;
		xmlNodePtr	body = NULL;
		char	   *digest_value;
		xmlNodePtr	signature;

		doc = xmldsig_parse_document(envelope, strlen(envelope), &scope);
		security = add_security_header(doc, &body);
		if (security == NULL)
			report_envelope_shape();

		/* wsu:Id is in place, so the digest covers the body as sent */
		digest_value = xmldsig_digest_canonical(doc, body, &scope);
		signature = xmldsig_add_external_signature(doc, security,
												   "#" WSSECURITY_BODY_ID,
												   false, signature_method,
												   digest_value);
		if (signature == NULL || scope.failed)
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("could not build the signature of the SOAP body for the external signer"),
					 xmldsig_errdetail_library(&scope)));
		xmldsig_complete_external_signature(doc, signature, certificate_der,
											certificate_length,
											sign_signed_info, arg, &scope);
		result = serialize_envelope(doc);
	}
	PG_FINALLY();
	{
		if (doc != NULL)
			xmlFreeDoc(doc);
		xmldsig_end_scope(&scope);
	}
	PG_END_TRY();
	return result;
}

/*
 * Signs the body of a UTF-8 envelope with the key of
 * otan_enbek.signing_key_file, after checking that its certificate is valid
 * now.  The key is loaded at each call, so a key file replaced on the server
 * takes effect at the next request.
 */
static char *
sign_with_key_file(const char *envelope)
{
	SigningKey *volatile key = NULL;
	char	   *volatile signed_envelope = NULL;

	PG_TRY();
	{
		key = signing_key_load(otan_enbek_signing_key_file,
							   otan_enbek_signing_key_password);
		signing_key_check_validity(key);
		signed_envelope = wssecurity_sign_envelope(envelope, key);
	}
	PG_CATCH();
	{
		signing_key_free(key);
		PG_RE_THROW();
	}
	PG_END_TRY();
	signing_key_free(key);
	return signed_envelope;
}

/*
 * Signs the body of a UTF-8 envelope through the external signer, after
 * the checks of signer_check for the employer.  The signer is opened at
 * each call, so its certificate is requested and checked again for every
 * request.
 */
static char *
sign_with_external_signer(const char *envelope, const char *employer_bin)
{
	Signer	   *volatile signer = NULL;
	char	   *volatile signed_envelope = NULL;

	if (employer_bin == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot sign the SOAP body through the external signer without the employer's BIN"),
				 errdetail("The certificate of the external signer is checked against the BIN of the organization that sends the request."),
				 errhint("Update the extension with ALTER EXTENSION otan_enbek UPDATE, so that the delivery worker reads the organization of each submission.")));

	PG_TRY();
	{
		signer = signer_open(NULL);
		signer_check(signer, employer_bin);
		signed_envelope = signer_sign_envelope(signer, envelope);
	}
	PG_FINALLY();
	{
		signer_close(signer);
	}
	PG_END_TRY();
	return signed_envelope;
}

/*
 * Signs the body of a UTF-8 envelope with the signer that otan_enbek.signer
 * chooses and returns the signed envelope, UTF-8 and palloc'd.  The
 * built-in signer uses the key of otan_enbek.signing_key_file, checked only
 * for its validity dates.  The external signer's certificate passes every
 * check of signer_check for employer_bin, which only the built-in signer
 * may omit (NULL).
 */
char *
wssecurity_sign_with_configured_signer(const char *envelope,
									   const char *employer_bin)
{
	if (otan_enbek_signer == OTAN_SIGNER_BUILTIN)
		return sign_with_key_file(envelope);
	return sign_with_external_signer(envelope, employer_bin);
}

PG_FUNCTION_INFO_V1(otan_enbek_sign_envelope);

/*
 * otan_enbek.sign_envelope(envelope text)
 *
 * Signs the body of an envelope of build_envelope with the built-in signer
 * as the delivery worker does, for tests and diagnosis.  Superuser only,
 * like build_envelope, because the envelope contains the sender password.
 * The external signer is rejected, because its certificate is checked
 * against an organization's BIN and the envelope names no organization.
 */
Datum
otan_enbek_sign_envelope(PG_FUNCTION_ARGS)
{
	char	   *envelope = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *utf8;
	char	   *signed_envelope;

	if (otan_enbek_signer != OTAN_SIGNER_BUILTIN)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("otan_enbek.sign_envelope signs with the built-in signer only"),
				 errdetail("otan_enbek.signer is \"external\", whose certificate is checked against the BIN of an organization, and the envelope names none."),
				 errhint("Check the external signer with otan_enbek.check_signing_key(org_id).")));
	utf8 = pg_server_to_any(envelope, strlen(envelope), PG_UTF8);
	signed_envelope = wssecurity_sign_with_configured_signer(utf8, NULL);

	PG_RETURN_TEXT_P(cstring_to_text(pg_any_to_server(signed_envelope,
													  strlen(signed_envelope),
													  PG_UTF8)));
}
