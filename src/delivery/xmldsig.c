/*-------------------------------------------------------------------------
 *
 * xmldsig.c
 *	  Enveloped XML-DSig signatures made and checked with xmlsec1.
 *
 * A signed document carries one ds:Signature as the last child of its root
 * element: Reference URI="" with the transforms enveloped-signature and
 * exclusive canonicalization, SHA-256 digests, RSA-SHA256, and the signing
 * certificate in KeyInfo/X509Data/X509Certificate.  This is the form that
 * Enbek checks.
 *
 * PostgreSQL's xml type uses the same libxml2 in the same process, and
 * libxml2 keeps its error handlers and its external entity loader in global
 * variables.  Like pg_xml_init and pg_xml_done in PostgreSQL's xml.c, every
 * entry point here saves those globals, installs its own handlers for the
 * duration of the call and restores the saved ones on every exit, errors
 * included.  Our handlers only record the first error.  The caller raises
 * it after libxml2 has returned, because a longjmp out of libxml2 could
 * leave libxml2 in an inconsistent state.  xmlsec1 reports errors through
 * its own callback, which only this module uses.
 *
 * Library messages can quote certificate subjects, which hold an IIN, so
 * error details name only libxml2's message or xmlsec1's reason text.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/errors.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/openssl/x509.h>
#include <xmlsec/templates.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmltree.h>

#include "delivery/xmldsig.h"
#include "delivery/xmldsig_internal.h"

static bool xmlsec_initialized = false;

/* Reason code of the first error xmlsec1 reported in the current call. */
static int	xmlsec_first_reason = 0;

static void initialize_xmlsec(void);
static void begin_scope(XmlErrorScope *scope);
static void end_scope(XmlErrorScope *scope);
static int	errdetail_library(const XmlErrorScope *scope);
static xmlDocPtr parse_document(const char *document, int length,
								XmlErrorScope *scope);
static xmlNodePtr add_signature_template(xmlDocPtr doc);
static xmlSecKeyPtr make_xmlsec_key(const SigningKey *key);
static void copy_signed_document(xmlDocPtr doc, xmlNodePtr signature,
								 SignedDocument *signed_document);
static const char *xmlsec_reason_text(int reason);

/* Records the first libxml2 error of the scope and ignores warnings. */
static void
record_libxml_error(void *data, xmlErrorPtr error)
{
	XmlErrorScope *scope = (XmlErrorScope *) data;
	size_t		length;

	if (error == NULL || error->level < XML_ERR_ERROR || scope->failed)
		return;
	scope->failed = true;
	snprintf(scope->message, sizeof(scope->message), "line %d: %s",
			 error->line, error->message ? error->message : "no message");
	length = strlen(scope->message);
	while (length > 0 && scope->message[length - 1] == '\n')
		scope->message[--length] = '\0';
}

/* Drops libxml2 messages that bypass the structured handler. */
static void
ignore_generic_error(void *context pg_attribute_unused(),
					 const char *message pg_attribute_unused(),...)
{
}

/* Rejects every request to load an external entity or DTD. */
static xmlParserInputPtr
reject_external_entity(const char *url pg_attribute_unused(),
					   const char *id pg_attribute_unused(),
					   xmlParserCtxtPtr context pg_attribute_unused())
{
	return NULL;
}

/*
 * Records the first error xmlsec1 reports.  The message itself is not kept,
 * because it can quote a certificate subject.
 */
static void
record_xmlsec_error(const char *file pg_attribute_unused(),
					int line pg_attribute_unused(),
					const char *function pg_attribute_unused(),
					const char *error_object pg_attribute_unused(),
					const char *error_subject pg_attribute_unused(),
					int reason,
					const char *message pg_attribute_unused())
{
	if (xmlsec_first_reason == 0)
		xmlsec_first_reason = reason;
}

/*
 * Initializes xmlsec1 and its OpenSSL backend once per process.  xmlSecInit
 * of xmlsec1 1.2.37 installs its own external entity loader for the whole
 * process, so the loader in place before is put back.
 */
static void
initialize_xmlsec(void)
{
	xmlExternalEntityLoader loader;
	bool		ok;

	if (xmlsec_initialized)
		return;

	xmlInitParser();
	loader = xmlGetExternalEntityLoader();
	ok = xmlSecInit() >= 0 &&
		xmlSecCheckVersion() == 1 &&
		xmlSecOpenSSLAppInit(NULL) >= 0 &&
		xmlSecOpenSSLInit() >= 0;
	/* The calls above reset the error callback, so it is set after them. */
	xmlSecErrorsSetCallback(record_xmlsec_error);
	xmlSetExternalEntityLoader(loader);
	ERR_clear_error();

	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not initialize the xmlsec1 library"),
				 errhint("Check that the installed libxmlsec1 and libxmlsec1-openssl match the version the extension was built with.")));
	xmlsec_initialized = true;
}

/* Saves libxml2's global handlers and installs ours (see the file header). */
static void
begin_scope(XmlErrorScope *scope)
{
	memset(scope, 0, sizeof(XmlErrorScope));
	xmlsec_first_reason = 0;

	scope->saved_structured = xmlStructuredError;
	scope->saved_structured_context = xmlStructuredErrorContext;
	scope->saved_generic = xmlGenericError;
	scope->saved_generic_context = xmlGenericErrorContext;
	scope->saved_loader = xmlGetExternalEntityLoader();

	xmlSetStructuredErrorFunc(scope, record_libxml_error);
	xmlSetGenericErrorFunc(NULL, ignore_generic_error);
	xmlSetExternalEntityLoader(reject_external_entity);
}

/* Restores what begin_scope saved and empties OpenSSL's error queue. */
static void
end_scope(XmlErrorScope *scope)
{
	xmlSetStructuredErrorFunc(scope->saved_structured_context,
							  scope->saved_structured);
	xmlSetGenericErrorFunc(scope->saved_generic_context,
						   scope->saved_generic);
	xmlSetExternalEntityLoader(scope->saved_loader);
	ERR_clear_error();
}

/* Adds an errdetail with what the libraries reported, if anything. */
static int
errdetail_library(const XmlErrorScope *scope)
{
	if (xmlsec_first_reason != 0)
		return errdetail("xmlsec1 reported: %s.",
						 xmlsec_reason_text(xmlsec_first_reason));
	if (scope->failed)
		return errdetail("libxml2 reported: %s", scope->message);
	return 0;
}

/* Returns xmlsec1's description of a reason code. */
static const char *
xmlsec_reason_text(int reason)
{
	for (xmlSecSize i = 0; xmlSecErrorsGetMsg(i) != NULL; i++)
		if (xmlSecErrorsGetCode(i) == reason)
			return xmlSecErrorsGetMsg(i);
	return "no reason given";
}

/*
 * Parses a UTF-8 document without network access or external entities.  A
 * document with a DOCTYPE raises an error, because a DTD could add
 * attributes or IDs that change what is signed.
 */
static xmlDocPtr
parse_document(const char *document, int length, XmlErrorScope *scope)
{
	xmlDocPtr	doc;

	doc = xmlReadMemory(document, length, NULL, "UTF-8", XML_PARSE_NONET);
	if (doc == NULL || scope->failed)
	{
		if (doc != NULL)
			xmlFreeDoc(doc);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_XML_DOCUMENT),
				 errmsg("the document is not well-formed XML"),
				 errdetail_library(scope)));
	}
	if (doc->intSubset != NULL || xmlDocGetRootElement(doc) == NULL)
	{
		xmlFreeDoc(doc);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_XML_DOCUMENT),
				 errmsg("the document must have a root element and no DOCTYPE")));
	}
	return doc;
}

/*
 * Appends the signature template as the last child of the root element.
 * xmlsec1 fills in the digest, the signature value and the certificate.
 */
static xmlNodePtr
add_signature_template(xmlDocPtr doc)
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
	if (xmlAddChild(xmlDocGetRootElement(doc), signature) == NULL)
	{
		xmlFreeNode(signature);
		return NULL;
	}

	reference = xmlSecTmplSignatureAddReference(signature,
												xmlSecOpenSSLTransformSha256Id,
												NULL, BAD_CAST "", NULL);
	if (reference == NULL ||
		xmlSecTmplReferenceAddTransform(reference,
										xmlSecTransformEnvelopedId) == NULL ||
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

/*
 * Wraps the key and its certificate for xmlsec1.  The certificate goes in
 * twice, as xmlsec1's own PKCS#12 loader does: as the key's certificate,
 * and in the certificate list that KeyInfo/X509Data is written from.
 * Returns NULL on failure, with nothing left allocated.
 */
static xmlSecKeyPtr
make_xmlsec_key(const SigningKey *key)
{
	xmlSecKeyPtr result;
	xmlSecKeyDataPtr value;
	xmlSecKeyDataPtr x509_data;
	X509	   *certificate;

	result = xmlSecKeyCreate();
	if (result == NULL)
		return NULL;

	EVP_PKEY_up_ref(key->private_key);
	value = xmlSecOpenSSLEvpKeyAdopt(key->private_key);
	if (value == NULL)
		EVP_PKEY_free(key->private_key);
	if (value == NULL || xmlSecKeySetValue(result, value) < 0)
	{
		if (value != NULL)
			xmlSecKeyDataDestroy(value);
		goto fail;
	}

	x509_data = xmlSecKeyDataCreate(xmlSecOpenSSLKeyDataX509Id);
	if (x509_data == NULL)
		goto fail;
	if (xmlSecKeyAdoptData(result, x509_data) < 0)
	{
		xmlSecKeyDataDestroy(x509_data);
		goto fail;
	}

	certificate = X509_dup(key->certificate);
	if (certificate == NULL ||
		xmlSecOpenSSLKeyDataX509AdoptKeyCert(x509_data, certificate) < 0)
	{
		X509_free(certificate);
		goto fail;
	}
	certificate = X509_dup(key->certificate);
	if (certificate == NULL ||
		xmlSecOpenSSLKeyDataX509AdoptCert(x509_data, certificate) < 0)
	{
		X509_free(certificate);
		goto fail;
	}
	return result;

fail:
	xmlSecKeyDestroy(result);
	return NULL;
}

/*
 * Appends an enveloped signature to the document's root element and returns
 * the root element serialized as UTF-8 without an XML declaration, ready to
 * be embedded in requestData/data.  The key must have passed
 * signing_key_check.
 */
void
xmldsig_sign(const char *document, int length, const SigningKey *key,
			 SignedDocument *signed_document)
{
	XmlErrorScope scope;
	xmlDocPtr volatile doc = NULL;
	xmlSecDSigCtxPtr volatile context = NULL;

	begin_scope(&scope);
	PG_TRY();
	{
		xmlNodePtr	signature;

		initialize_xmlsec();
		doc = parse_document(document, length, &scope);
		signature = add_signature_template(doc);
		if (signature == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("could not build the signature template"),
					 errdetail_library(&scope)));

		context = xmlSecDSigCtxCreate(NULL);
		if (context != NULL)
			context->signKey = make_xmlsec_key(key);
		if (context == NULL || context->signKey == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("could not prepare the signing key for xmlsec1"),
					 errdetail_library(&scope)));

		if (xmlSecDSigCtxSign(context, signature) < 0 || scope.failed)
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("could not sign the document"),
					 errdetail_library(&scope)));

		copy_signed_document(doc, signature, signed_document);
	}
	PG_FINALLY();
	{
		/* The context frees the key it holds. */
		if (context != NULL)
			xmlSecDSigCtxDestroy(context);
		if (doc != NULL)
			xmlFreeDoc(doc);
		end_scope(&scope);
	}
	PG_END_TRY();
}

/*
 * Copies the serialized root element and the signature value into palloc'd
 * memory.  The text is UTF-8 with characters written as they are, not as
 * character references.
 */
static void
copy_signed_document(xmlDocPtr doc, xmlNodePtr signature,
					 SignedDocument *signed_document)
{
	xmlBufferPtr volatile buffer = NULL;
	xmlChar    *volatile value = NULL;

	PG_TRY();
	{
		xmlSaveCtxtPtr save;
		xmlNodePtr	value_node;
		const char *from;
		char	   *to;

		buffer = xmlBufferCreate();
		save = buffer ? xmlSaveToBuffer(buffer, "UTF-8", XML_SAVE_NO_DECL) : NULL;
		if (save == NULL ||
			xmlSaveTree(save, xmlDocGetRootElement(doc)) < 0 ||
			xmlSaveClose(save) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not serialize the signed document")));
		signed_document->length = xmlBufferLength(buffer);
		signed_document->text = pnstrdup((const char *) xmlBufferContent(buffer),
										 signed_document->length);

		value_node = xmlSecFindChild(signature, xmlSecNodeSignatureValue,
									 xmlSecDSigNs);
		value = value_node ? xmlNodeGetContent(value_node) : NULL;
		if (value == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("the signed document has no signature value")));

		/* Keep the base64 text without the line breaks xmlsec1 inserts. */
		signed_document->signature_value = palloc(strlen((char *) value) + 1);
		to = signed_document->signature_value;
		for (from = (const char *) value; *from; from++)
			if (!isspace((unsigned char) *from))
				*to++ = *from;
		*to = '\0';
	}
	PG_CATCH();
	{
		if (value != NULL)
			xmlFree(value);
		if (buffer != NULL)
			xmlBufferFree(buffer);
		PG_RE_THROW();
	}
	PG_END_TRY();
	xmlFree(value);
	xmlBufferFree(buffer);
}

/*
 * Restricts verification to the form this module signs, so that a document
 * cannot make xmlsec1 fetch other data, run other transforms or trust a key
 * that does not come with a certificate chaining to a trusted CA.
 */
static bool
restrict_verification(xmlSecDSigCtxPtr context)
{
	xmlSecTransformId reference_transforms[] = {
		xmlSecTransformEnvelopedId,
		xmlSecTransformExclC14NId,
		xmlSecOpenSSLTransformSha256Id,
	};
	xmlSecTransformId signature_transforms[] = {
		xmlSecTransformExclC14NId,
		xmlSecOpenSSLTransformRsaSha256Id,
	};

	context->enabledReferenceUris = xmlSecTransformUriTypeEmpty;
	for (size_t i = 0; i < lengthof(reference_transforms); i++)
		if (xmlSecDSigCtxEnableReferenceTransform(context,
												  reference_transforms[i]) < 0)
			return false;
	for (size_t i = 0; i < lengthof(signature_transforms); i++)
		if (xmlSecDSigCtxEnableSignatureTransform(context,
												  signature_transforms[i]) < 0)
			return false;

	/* Only a key from an X509 certificate, which must chain to a CA. */
	return xmlSecPtrListAdd(&context->keyInfoReadCtx.enabledKeyData,
							(xmlSecPtr) xmlSecOpenSSLKeyDataX509Id) >= 0;
}

/* Returns the ds:Signature that is the last element child of the root. */
static xmlNodePtr
find_enveloped_signature(xmlDocPtr doc)
{
	xmlNodePtr	last = NULL;

	for (xmlNodePtr node = xmlDocGetRootElement(doc)->children;
		 node != NULL; node = node->next)
		if (node->type == XML_ELEMENT_NODE)
			last = node;
	if (last != NULL && xmlSecCheckNodeName(last, xmlSecNodeSignature,
											xmlSecDSigNs))
		return last;
	return NULL;
}

/*
 * Returns whether the certificate that xmlsec1 took the verification key
 * from chains to a CA certificate of ca_file and is valid now.  The default
 * keys manager of xmlsec1 1.2.37 also trusts OpenSSL's default CA file and
 * directory: the system's CA bundle, or SSL_CERT_FILE and SSL_CERT_DIR when
 * set.  This check limits trust to ca_file.
 */
static bool
signer_chains_to_ca_file(xmlSecKeyPtr key, const char *ca_file)
{
	xmlSecKeyDataPtr x509_data;
	X509	   *certificate;
	STACK_OF(X509) *untrusted;
	X509_STORE *store;
	X509_STORE_CTX *store_context;
	bool		trusted = false;

	x509_data = key ? xmlSecKeyGetData(key, xmlSecOpenSSLKeyDataX509Id) : NULL;
	certificate = x509_data ? xmlSecOpenSSLKeyDataX509GetKeyCert(x509_data) : NULL;
	if (certificate == NULL)
		return false;

	/* The other certificates of KeyInfo may be intermediate CAs. */
	untrusted = sk_X509_new_null();
	for (xmlSecSize i = 0;
		 untrusted != NULL && i < xmlSecOpenSSLKeyDataX509GetCertsSize(x509_data);
		 i++)
		sk_X509_push(untrusted, xmlSecOpenSSLKeyDataX509GetCert(x509_data, i));

	store = X509_STORE_new();
	store_context = X509_STORE_CTX_new();
	if (untrusted != NULL && store != NULL && store_context != NULL &&
		X509_STORE_load_file(store, ca_file) == 1 &&
		X509_STORE_CTX_init(store_context, store, certificate, untrusted) == 1)
		trusted = X509_verify_cert(store_context) == 1;

	/* xmlsec1 owns the certificates, so only the stack is freed. */
	X509_STORE_CTX_free(store_context);
	X509_STORE_free(store);
	sk_X509_free(untrusted);
	return trusted;
}

/*
 * Verifies the enveloped signature of a document with the CA certificates
 * in ca_file as the only trusted roots.  Returns false when the signature is
 * missing, does not match the document or uses other algorithms than the
 * ones this module signs with.  It also returns false when the certificate
 * does not chain to a trusted CA or is not valid now.  The reason quotes no
 * document or certificate content.  Raises an error for a document that is
 * not well-formed XML and when the CA file cannot be loaded.
 */
bool
xmldsig_verify(const char *document, int length, const char *ca_file,
			   const char **reason)
{
	XmlErrorScope scope;
	xmlDocPtr volatile doc = NULL;
	xmlSecKeysMngrPtr volatile manager = NULL;
	xmlSecDSigCtxPtr volatile context = NULL;
	volatile bool valid = false;

	begin_scope(&scope);
	PG_TRY();
	{
		xmlNodePtr	signature;

		initialize_xmlsec();
		doc = parse_document(document, length, &scope);
		signature = find_enveloped_signature(doc);

		manager = xmlSecKeysMngrCreate();
		if (manager == NULL ||
			xmlSecOpenSSLAppDefaultKeysMngrInit(manager) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("could not create an xmlsec1 keys manager"),
					 errdetail_library(&scope)));
		if (xmlSecOpenSSLAppKeysMngrAddCertsFile(manager, ca_file) < 0)
			ereport(ERROR,
					(errcode(ERRCODE_CONFIG_FILE_ERROR),
					 errmsg("could not load CA certificates from \"%s\"", ca_file),
					 errdetail_library(&scope),
					 errhint("Set otan_enbek.signing_ca_file (or otan_enbek.ca_file) to a PEM file with the certificate of the CA that issues signing keys.")));

		context = xmlSecDSigCtxCreate(manager);
		if (context == NULL || !restrict_verification(context))
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("could not create an xmlsec1 signature context"),
					 errdetail_library(&scope)));

		if (signature == NULL)
			*reason = "the root element has no ds:Signature as its last child";
		else if (xmlSecDSigCtxVerify(context, signature) < 0)
			*reason = xmlsec_reason_text(xmlsec_first_reason);
		else if (context->status != xmlSecDSigStatusSucceeded)
			*reason = "the signature value or a digest does not match the document";
		else if (!signer_chains_to_ca_file(context->signKey, ca_file))
			*reason = "the signing certificate does not chain to a trusted CA certificate (otan_enbek.signing_ca_file, or otan_enbek.ca_file when that is empty)";
		else
			valid = true;
	}
	PG_FINALLY();
	{
		if (context != NULL)
			xmlSecDSigCtxDestroy(context);
		if (manager != NULL)
			xmlSecKeysMngrDestroy(manager);
		if (doc != NULL)
			xmlFreeDoc(doc);
		end_scope(&scope);
	}
	PG_END_TRY();

	return valid;
}

/*
 * Entry points for the other signers of this module (xmldsig_internal.h):
 * the external signer and the WS-Security signature of the SOAP body, so
 * that they parse, report errors, load keys and serialize exactly as
 * xmldsig_sign.
 */
void
xmldsig_begin_scope(XmlErrorScope *scope)
{
	initialize_xmlsec();
	begin_scope(scope);
}

void
xmldsig_end_scope(XmlErrorScope *scope)
{
	end_scope(scope);
}

int
xmldsig_errdetail_library(const XmlErrorScope *scope)
{
	return errdetail_library(scope);
}

xmlDocPtr
xmldsig_parse_document(const char *document, int length, XmlErrorScope *scope)
{
	return parse_document(document, length, scope);
}

void
xmldsig_copy_signed_document(xmlDocPtr doc, xmlNodePtr signature,
							 SignedDocument *signed_document)
{
	copy_signed_document(doc, signature, signed_document);
}

xmlSecKeyPtr
xmldsig_make_key(const SigningKey *key)
{
	return make_xmlsec_key(key);
}
