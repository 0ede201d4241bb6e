/*-------------------------------------------------------------------------
 *
 * xmldsig_external.c
 *	  Enveloped XML-DSig signatures whose signature value comes from a
 *	  signer outside this process.
 *
 * The signature has the form that xmldsig_sign writes (xmldsig.c): one
 * ds:Signature as the last child of the root element, Reference URI="" with
 * the transforms enveloped-signature and exclusive canonicalization, a
 * SHA-256 digest, and the signing certificate in KeyInfo.  Only the
 * SignatureMethod comes from the signer.  The steps are those of XML-DSig
 * core generation (W3C XML Signature Syntax and Processing, section 3.1):
 *
 * 1. The digest is computed over the exclusive canonical form of the
 *	  document before the signature is added.  That is the octet stream the
 *	  Reference yields, because the enveloped-signature transform removes
 *	  the signature again and URI="" leaves comments out.
 * 2. The ds:Signature element is appended with that digest.
 * 3. ds:SignedInfo is canonicalized with exclusive canonicalization.  Those
 *	  octets are what the signer signs.
 * 4. The signer's signature value and certificate fill in the remaining
 *	  elements.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <libxml/c14n.h>
#include <libxml/tree.h>
#include <openssl/evp.h>

#include "common/base64.h"

#include "delivery/xmldsig_external.h"
#include "delivery/xmldsig_internal.h"

#define DSIG_NAMESPACE "http://www.w3.org/2000/09/xmldsig#"
#define EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"
#define ENVELOPED "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"

/* Returns the base64 encoding of the bytes, without line breaks, palloc'd. */
char *
xmldsig_base64(const unsigned char *data, size_t length)
{
	int			size = pg_b64_enc_len((int) length);
	char	   *text = palloc(size + 1);
	int			written;

	written = pg_b64_encode((const char *) data, (int) length, text, size);
	if (written < 0)
		elog(ERROR, "could not encode %zu bytes as base64", length);
	text[written] = '\0';
	return text;
}

/*
 * Returns the exclusive canonical form of the whole document, without
 * comments, in *bytes (allocated by libxml2, freed with xmlFree).
 */
static int
canonicalize_document(xmlDocPtr doc, xmlChar **bytes)
{
	return xmlC14NDocDumpMemory(doc, NULL, XML_C14N_EXCLUSIVE_1_0, NULL, 0,
								bytes);
}

/*
 * Tells libxml2's canonicalization which nodes belong to the subtree of the
 * element in user_data.  A namespace node is tested by the element it is on.
 */
static int
is_in_subtree(void *user_data, xmlNodePtr node, xmlNodePtr parent)
{
	xmlNodePtr	top = (xmlNodePtr) user_data;
	xmlNodePtr	cursor;

	cursor = node->type == XML_NAMESPACE_DECL ? parent : node;
	while (cursor != NULL && cursor != top)
		cursor = cursor->parent;
	return cursor != NULL;
}

/*
 * Returns the exclusive canonical form, without comments, of the subtree of
 * an element in a buffer, or NULL when libxml2 fails.
 */
xmlBufferPtr
xmldsig_canonicalize_subtree(xmlDocPtr doc, xmlNodePtr element)
{
	xmlBufferPtr buffer = xmlBufferCreate();
	xmlOutputBufferPtr output;

	if (buffer == NULL)
		return NULL;
	output = xmlOutputBufferCreateBuffer(buffer, NULL);
	if (output == NULL)
	{
		xmlBufferFree(buffer);
		return NULL;
	}
	if (xmlC14NExecute(doc, is_in_subtree, element,
					   XML_C14N_EXCLUSIVE_1_0, NULL, 0, output) < 0)
	{
		xmlOutputBufferClose(output);
		xmlBufferFree(buffer);
		return NULL;
	}
	if (xmlOutputBufferClose(output) < 0)
	{
		xmlBufferFree(buffer);
		return NULL;
	}
	return buffer;
}

/* Returns the first child element with the local name in the ds namespace. */
static xmlNodePtr
find_ds_child(xmlNodePtr parent, const char *name)
{
	for (xmlNodePtr child = parent->children; child; child = child->next)
		if (child->type == XML_ELEMENT_NODE &&
			xmlStrcmp(child->name, BAD_CAST name) == 0 &&
			child->ns != NULL &&
			xmlStrcmp(child->ns->href, BAD_CAST DSIG_NAMESPACE) == 0)
			return child;
	return NULL;
}

/*
 * Builds a ds:Signature element with the digest filled in and empty
 * SignatureValue and X509Certificate, and appends it to parent.  Its one
 * Reference has the URI reference_uri and the transforms
 * enveloped-signature (when enveloped) and exclusive canonicalization.
 * Returns NULL when libxml2 runs out of memory.
 */
xmlNodePtr
xmldsig_add_external_signature(xmlDocPtr doc, xmlNodePtr parent,
							   const char *reference_uri, bool enveloped,
							   const char *signature_method,
							   const char *digest_value)
{
	xmlNodePtr	signature;
	xmlNsPtr	ds;
	xmlNodePtr	signed_info;
	xmlNodePtr	node;
	xmlNodePtr	reference;
	xmlNodePtr	transforms;
	xmlNodePtr	x509_data;

	signature = xmlNewDocNode(doc, NULL, BAD_CAST "Signature", NULL);
	if (signature == NULL)
		return NULL;
	if (xmlAddChild(parent, signature) == NULL)
	{
		xmlFreeNode(signature);
		return NULL;
	}
	ds = xmlNewNs(signature, BAD_CAST DSIG_NAMESPACE, BAD_CAST "ds");
	if (ds == NULL)
		return NULL;
	xmlSetNs(signature, ds);

	/*
	 * xmlNewChild returns NULL only when out of memory, which the checks at
	 * the end catch.
	 */
	signed_info = xmlNewChild(signature, ds, BAD_CAST "SignedInfo", NULL);
	node = xmlNewChild(signed_info, ds, BAD_CAST "CanonicalizationMethod", NULL);
	xmlNewProp(node, BAD_CAST "Algorithm", BAD_CAST EXC_C14N);
	node = xmlNewChild(signed_info, ds, BAD_CAST "SignatureMethod", NULL);
	xmlNewProp(node, BAD_CAST "Algorithm", BAD_CAST signature_method);
	reference = xmlNewChild(signed_info, ds, BAD_CAST "Reference", NULL);
	xmlNewProp(reference, BAD_CAST "URI", BAD_CAST reference_uri);
	transforms = xmlNewChild(reference, ds, BAD_CAST "Transforms", NULL);
	if (enveloped)
	{
		node = xmlNewChild(transforms, ds, BAD_CAST "Transform", NULL);
		xmlNewProp(node, BAD_CAST "Algorithm", BAD_CAST ENVELOPED);
	}
	node = xmlNewChild(transforms, ds, BAD_CAST "Transform", NULL);
	xmlNewProp(node, BAD_CAST "Algorithm", BAD_CAST EXC_C14N);
	/*
	 * TODO: a GOST signer may need a GOST R 34.11 digest here, which OpenSSL
	 * computes only with a GOST provider.  The digest is SHA-256 for every
	 * signature method, and whether Enbek accepts that with a GOST
	 * signature is not known.
	 */
	node = xmlNewChild(reference, ds, BAD_CAST "DigestMethod", NULL);
	xmlNewProp(node, BAD_CAST "Algorithm", BAD_CAST SHA256);
	xmlNewTextChild(reference, ds, BAD_CAST "DigestValue", BAD_CAST digest_value);
	xmlNewChild(signature, ds, BAD_CAST "SignatureValue", NULL);
	node = xmlNewChild(signature, ds, BAD_CAST "KeyInfo", NULL);
	x509_data = xmlNewChild(node, ds, BAD_CAST "X509Data", NULL);
	xmlNewChild(x509_data, ds, BAD_CAST "X509Certificate", NULL);

	if (find_ds_child(signature, "SignatureValue") == NULL ||
		x509_data == NULL || find_ds_child(x509_data, "X509Certificate") == NULL ||
		find_ds_child(reference, "DigestValue") == NULL)
		return NULL;
	return signature;
}

/*
 * Returns the base64 SHA-256 digest of the exclusive canonical form of an
 * element's subtree, or of the whole document when element is NULL.
 */
char *
xmldsig_digest_canonical(xmlDocPtr doc, xmlNodePtr element,
						 XmlErrorScope *scope)
{
	xmlChar    *canonical = NULL;
	xmlBufferPtr subtree = NULL;
	int			length = -1;
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int digest_length = 0;
	bool		ok;

	if (element == NULL)
		length = canonicalize_document(doc, &canonical);
	else
	{
		subtree = xmldsig_canonicalize_subtree(doc, element);
		if (subtree != NULL)
		{
			canonical = (xmlChar *) xmlBufferContent(subtree);
			length = xmlBufferLength(subtree);
		}
	}
	ok = length >= 0 &&
		EVP_Digest(canonical, length, digest, &digest_length, EVP_sha256(),
				   NULL) == 1;
	if (subtree != NULL)
		xmlBufferFree(subtree);
	else if (canonical != NULL)
		xmlFree(canonical);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not compute the digest of the document"),
				 xmldsig_errdetail_library(scope)));
	return xmldsig_base64(digest, digest_length);
}

/*
 * Completes a signature of xmldsig_add_external_signature: canonicalizes its
 * ds:SignedInfo, lets sign_signed_info sign those octets, and fills in the
 * signature value and the certificate.  sign_signed_info may raise an
 * error.
 */
void
xmldsig_complete_external_signature(xmlDocPtr doc, xmlNodePtr signature,
									const unsigned char *certificate_der,
									size_t certificate_length,
									ExternalSignFunction sign_signed_info,
									void *arg, XmlErrorScope *scope)
{
	xmlNodePtr	signed_info;
	xmlBufferPtr canonical = NULL;
	unsigned char *octets = NULL;
	size_t		length = 0;
	char	   *signature_value;
	xmlNodePtr	node;

	/* The octets are copied to palloc'd memory, which an error frees. */
	signed_info = find_ds_child(signature, "SignedInfo");
	if (signed_info != NULL)
		canonical = xmldsig_canonicalize_subtree(doc, signed_info);
	if (canonical != NULL)
	{
		length = xmlBufferLength(canonical);
		octets = palloc(length + 1);
		memcpy(octets, xmlBufferContent(canonical), length);
		xmlBufferFree(canonical);
	}
	if (octets == NULL || scope->failed)
		ereport(ERROR,
				(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
				 errmsg("could not build the signature for the external signer"),
				 xmldsig_errdetail_library(scope)));

	signature_value = sign_signed_info(arg, octets, length);

	node = find_ds_child(signature, "SignatureValue");
	xmlNodeSetContent(node, BAD_CAST signature_value);
	node = find_ds_child(find_ds_child(find_ds_child(signature, "KeyInfo"),
									   "X509Data"),
						 "X509Certificate");
	xmlNodeSetContent(node,
					  BAD_CAST xmldsig_base64(certificate_der,
											  certificate_length));
}

/*
 * Appends an enveloped signature to the document's root element, with the
 * signature value that sign_signed_info returns for the canonical
 * ds:SignedInfo, and returns the signed document as xmldsig_sign does.
 * signature_method is the Algorithm URI of ds:SignatureMethod, and
 * certificate_der the DER encoding of the signing certificate, which the
 * caller has checked.  sign_signed_info may raise an error.
 */
void
xmldsig_sign_external(const char *document, int length,
					  const char *signature_method,
					  const unsigned char *certificate_der,
					  size_t certificate_length,
					  ExternalSignFunction sign_signed_info, void *arg,
					  SignedDocument *signed_document)
{
	XmlErrorScope scope;
	xmlDocPtr volatile doc = NULL;

	xmldsig_begin_scope(&scope);
	PG_TRY();
	{
		char	   *digest_value;
		xmlNodePtr	signature;

		doc = xmldsig_parse_document(document, length, &scope);
		digest_value = xmldsig_digest_canonical(doc, NULL, &scope);

		signature = xmldsig_add_external_signature(doc,
												   xmlDocGetRootElement(doc),
												   "", true,
												   signature_method,
												   digest_value);
		if (signature == NULL || scope.failed)
			ereport(ERROR,
					(errcode(ERRCODE_EXTERNAL_ROUTINE_EXCEPTION),
					 errmsg("could not build the signature for the external signer"),
					 xmldsig_errdetail_library(&scope)));
		xmldsig_complete_external_signature(doc, signature, certificate_der,
											certificate_length,
											sign_signed_info, arg, &scope);
		xmldsig_copy_signed_document(doc, signature, signed_document);
	}
	PG_FINALLY();
	{
		if (doc != NULL)
			xmlFreeDoc(doc);
		xmldsig_end_scope(&scope);
	}
	PG_END_TRY();
}
