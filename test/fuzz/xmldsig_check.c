/*
 * xmldsig_check.c
 *	  A second verifier of enveloped XML-DSig signatures, written for the
 *	  fuzzing harness of src/delivery/xmldsig.c.
 *
 * It checks each Reference's digest and then the signature over the
 * canonical SignedInfo with libxml2's C14N and OpenSSL, and shares no code
 * with xmlsec1 beyond those two libraries.  It only models the form that
 * xmldsig.c signs and restricts verification to, and it is strict where
 * xmlsec1 may be lenient: a signature with another structure or algorithm
 * counts as not verified.  The harness runs it on every document that
 * xmldsig_verify accepts, so a difference is either a verifier bug or a
 * case this model lacks, and both need a look.
 */
#include <string.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "xmldsig_check.h"

#define DSIG_NS "http://www.w3.org/2000/09/xmldsig#"
#define EXC_C14N "http://www.w3.org/2001/10/xml-exc-c14n#"
#define ENVELOPED DSIG_NS "enveloped-signature"
#define RSA_SHA256 "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define SHA256 "http://www.w3.org/2001/04/xmlenc#sha256"
#define MAX_PREFIXES 16

/* The verification of one document; every pointer is freed at the end. */
typedef struct Check
{
	xmlDocPtr	doc;
	xmlNodePtr	signature;
	X509_STORE *trusted;
	STACK_OF(X509) *certificates;	/* from KeyInfo/X509Data */
	xmlChar    *attribute;		/* the last attribute value read */
	xmlChar    *prefixes[MAX_PREFIXES + 1];	/* InclusiveNamespaces */
	char	   *prefix_list;	/* storage of prefixes */
} Check;

/* Returns whether node is an element named name in the XML-DSig namespace. */
static int
is_dsig(xmlNodePtr node, const char *name)
{
	return node != NULL && node->type == XML_ELEMENT_NODE &&
		node->ns != NULL &&
		strcmp((const char *) node->ns->href, DSIG_NS) == 0 &&
		strcmp((const char *) node->name, name) == 0;
}

/* Returns the next element sibling of node, or NULL. */
static xmlNodePtr
next_element(xmlNodePtr node)
{
	for (node = node ? node->next : NULL; node != NULL; node = node->next)
		if (node->type == XML_ELEMENT_NODE)
			return node;
	return NULL;
}

static xmlNodePtr
first_element(xmlNodePtr parent)
{
	for (xmlNodePtr node = parent->children; node != NULL; node = node->next)
		if (node->type == XML_ELEMENT_NODE)
			return node;
	return NULL;
}

/* Returns whether the attribute name of node has exactly the value. */
static int
attribute_is(Check *check, xmlNodePtr node, const char *name,
			 const char *value)
{
	xmlFree(check->attribute);
	check->attribute = xmlGetNoNsProp(node, BAD_CAST name);
	return check->attribute != NULL &&
		strcmp((const char *) check->attribute, value) == 0;
}

/*
 * Decodes base64 text (RFC 4648 alphabet) into out, ignoring XML
 * whitespace.  Padding is optional, but nothing other than padding and
 * whitespace may follow it.  Returns the length, or -1 for text that is not
 * base64 or does not fit.
 */
static long
decode_base64(const xmlChar *text, unsigned char *out, size_t size)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	unsigned long bits = 0;
	int			nbits = 0;
	int			padding = 0;
	size_t		digits = 0;
	size_t		length = 0;

	for (; *text != '\0'; text++)
	{
		const char *digit;

		if (*text == ' ' || *text == '\t' || *text == '\r' || *text == '\n')
			continue;
		if (*text == '=')
		{
			padding++;
			continue;
		}
		digit = strchr(alphabet, *text);
		if (digit == NULL || padding > 0)
			return -1;
		digits++;
		bits = (bits << 6) | (unsigned long) (digit - alphabet);
		nbits += 6;
		if (nbits >= 8)
		{
			nbits -= 8;
			if (length == size)
				return -1;
			out[length++] = (unsigned char) (bits >> nbits);
			bits &= (1UL << nbits) - 1;
		}
	}
	/* One digit alone cannot encode a byte. */
	if (digits % 4 == 1 || padding > 2)
		return -1;
	return (long) length;
}

/* Decodes the base64 content of an element; see decode_base64. */
static long
decode_element(xmlNodePtr node, unsigned char *out, size_t size)
{
	xmlChar    *text = xmlNodeGetContent(node);
	long		length = text ? decode_base64(text, out, size) : -1;

	xmlFree(text);
	return length;
}

/* C14N visibility: the nodes outside the subtree of data. */
static int
outside_subtree(void *data, xmlNodePtr node, xmlNodePtr parent)
{
	xmlNodePtr	start = node->type == XML_NAMESPACE_DECL ? parent : node;

	for (xmlNodePtr n = start; n != NULL; n = n->parent)
		if (n == (xmlNodePtr) data)
			return 0;
	return 1;
}

/* C14N visibility: the nodes inside the subtree of data. */
static int
inside_subtree(void *data, xmlNodePtr node, xmlNodePtr parent)
{
	return !outside_subtree(data, node, parent);
}

/*
 * Reads the PrefixList of an ec:InclusiveNamespaces child of a
 * canonicalization method into check->prefixes.  "#default" is the default
 * namespace, as libxml2 expects it.  Returns 0, or -1 for other children.
 */
static int
read_inclusive_namespaces(Check *check, xmlNodePtr method)
{
	xmlNodePtr	child = first_element(method);
	int			count = 0;

	check->prefixes[0] = NULL;
	if (child == NULL)
		return 0;
	if (next_element(child) != NULL || child->ns == NULL ||
		strcmp((const char *) child->ns->href, EXC_C14N) != 0 ||
		strcmp((const char *) child->name, "InclusiveNamespaces") != 0)
		return -1;

	xmlFree(check->prefix_list);
	check->prefix_list = (char *) xmlGetNoNsProp(child, BAD_CAST "PrefixList");
	if (check->prefix_list == NULL)
		return -1;
	for (char *token = strtok(check->prefix_list, " \t\r\n"); token != NULL;
		 token = strtok(NULL, " \t\r\n"))
	{
		if (count == MAX_PREFIXES)
			return -1;
		check->prefixes[count++] = BAD_CAST token;
	}
	check->prefixes[count] = NULL;
	return 0;
}

/*
 * Canonicalizes the nodes that visible selects into a SHA-256 digest or a
 * verification of signature_value by key.  Returns 0 on success.
 */
static int
canonicalize(Check *check, xmlC14NIsVisibleCallback visible, void *data,
			 int mode, unsigned char digest[32],
			 const unsigned char *signature_value, size_t signature_length,
			 EVP_PKEY *key)
{
	xmlOutputBufferPtr output = xmlAllocOutputBuffer(NULL);
	int			result = -1;

	if (output == NULL)
		return -1;
	if (xmlC14NExecute(check->doc, visible, data, mode,
					   mode == XML_C14N_EXCLUSIVE_1_0 ? check->prefixes : NULL,
					   0, output) >= 0)
	{
		const unsigned char *text = xmlOutputBufferGetContent(output);
		size_t		length = xmlOutputBufferGetSize(output);
		EVP_MD_CTX *md = EVP_MD_CTX_new();

		if (md == NULL)
			result = -1;
		else if (key == NULL)
			result = EVP_Digest(text, length, digest, NULL, EVP_sha256(),
								NULL) == 1 ? 0 : -1;
		else if (EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
				 EVP_DigestVerify(md, signature_value, signature_length,
								  text, length) == 1)
			result = 0;
		EVP_MD_CTX_free(md);
	}
	xmlOutputBufferClose(output);
	return result;
}

/*
 * Checks one Reference: URI="", the transforms enveloped-signature and
 * exclusive C14N (or none, which means inclusive C14N 1.0), SHA-256, and a
 * digest of the document without the signature and without comments.
 */
static const char *
check_reference(Check *check, xmlNodePtr reference)
{
	xmlNodePtr	node = first_element(reference);
	int			enveloped = 0;
	int			mode = XML_C14N_1_0;
	unsigned char expected[64];
	unsigned char actual[32];

	if (!attribute_is(check, reference, "URI", ""))
		return "a Reference has another URI than \"\"";
	check->prefixes[0] = NULL;
	if (is_dsig(node, "Transforms"))
	{
		xmlNodePtr	transform = first_element(node);

		if (transform == NULL)
			return "a Transforms element is empty";
		for (; transform != NULL; transform = next_element(transform))
		{
			if (!is_dsig(transform, "Transform"))
				return "Transforms has another child than Transform";
			if (mode == XML_C14N_EXCLUSIVE_1_0)
				return "a transform follows the canonicalization";
			if (attribute_is(check, transform, "Algorithm", ENVELOPED))
			{
				if (first_element(transform) != NULL)
					return "the enveloped-signature transform has content";
				enveloped = 1;
			}
			else if (attribute_is(check, transform, "Algorithm", EXC_C14N))
			{
				if (read_inclusive_namespaces(check, transform) < 0)
					return "a C14N transform has content other than InclusiveNamespaces";
				mode = XML_C14N_EXCLUSIVE_1_0;
			}
			else
				return "a Reference has another transform";
		}
		node = next_element(node);
	}
	if (!enveloped)
		return "a Reference lacks the enveloped-signature transform";
	if (!is_dsig(node, "DigestMethod") ||
		!attribute_is(check, node, "Algorithm", SHA256) ||
		first_element(node) != NULL)
		return "a Reference has another digest method than SHA-256";
	node = next_element(node);
	if (!is_dsig(node, "DigestValue") || next_element(node) != NULL)
		return "a Reference has no DigestValue as its last child";
	if (decode_element(node, expected, sizeof(expected)) != 32)
		return "a DigestValue is not 32 bytes of base64";
	if (canonicalize(check, outside_subtree, check->signature, mode, actual,
					 NULL, 0, NULL) < 0)
		return "the document could not be canonicalized";
	if (memcmp(expected, actual, 32) != 0)
		return "a DigestValue does not match the document";
	return NULL;
}

/*
 * Reads KeyInfo/X509Data/X509Certificate into check->certificates.  Returns
 * NULL, or what is wrong.
 */
static const char *
read_certificates(Check *check, xmlNodePtr key_info)
{
	static unsigned char der[16384];

	if (!is_dsig(key_info, "KeyInfo"))
		return "the signature has no KeyInfo";
	for (xmlNodePtr data = first_element(key_info); data != NULL;
		 data = next_element(data))
	{
		if (!is_dsig(data, "X509Data"))
			continue;
		for (xmlNodePtr node = first_element(data); node != NULL;
			 node = next_element(node))
		{
			const unsigned char *p = der;
			long		length;
			X509	   *certificate;

			if (!is_dsig(node, "X509Certificate"))
				continue;
			length = decode_element(node, der, sizeof(der));
			if (length <= 0)
				continue;
			certificate = d2i_X509(NULL, &p, length);
			if (certificate != NULL &&
				!sk_X509_push(check->certificates, certificate))
				X509_free(certificate);
		}
	}
	if (sk_X509_num(check->certificates) == 0)
		return "KeyInfo has no X509Certificate";
	return NULL;
}

/* Returns whether the certificate chains to a trusted CA and is valid now. */
static int
is_trusted(Check *check, X509 *certificate)
{
	X509_STORE_CTX *context = X509_STORE_CTX_new();
	int			trusted = 0;

	if (context != NULL &&
		X509_STORE_CTX_init(context, check->trusted, certificate,
							check->certificates) == 1)
		trusted = X509_verify_cert(context) == 1;
	X509_STORE_CTX_free(context);
	return trusted;
}

/*
 * Verifies SignatureValue over the canonical SignedInfo with each trusted
 * RSA certificate of KeyInfo.
 */
static const char *
check_signature_value(Check *check, xmlNodePtr signed_info,
					  xmlNodePtr signature_value)
{
	static unsigned char value[2048];
	long		length;
	const char *problem;
	int			trusted = 0;

	length = decode_element(signature_value, value, sizeof(value));
	if (length <= 0)
		return "SignatureValue is not base64";
	problem = read_certificates(check, next_element(signature_value));
	if (problem != NULL)
		return problem;

	for (int i = 0; i < sk_X509_num(check->certificates); i++)
	{
		X509	   *certificate = sk_X509_value(check->certificates, i);
		EVP_PKEY   *key = X509_get0_pubkey(certificate);

		if (key == NULL || EVP_PKEY_base_id(key) != EVP_PKEY_RSA ||
			!is_trusted(check, certificate))
			continue;
		trusted = 1;
		if (canonicalize(check, inside_subtree, signed_info,
						 XML_C14N_EXCLUSIVE_1_0, NULL, value, length,
						 key) == 0)
			return NULL;
	}
	if (!trusted)
		return "no RSA certificate of KeyInfo chains to a trusted CA";
	return "SignatureValue does not verify with a trusted certificate of KeyInfo";
}

/*
 * Checks the structure of the signature element by element, each
 * Reference, and then the signature value.
 */
static const char *
check_signature(Check *check)
{
	xmlNodePtr	signed_info = first_element(check->signature);
	xmlNodePtr	node;
	xmlNodePtr	signature_value;
	const char *problem;
	int			references = 0;

	if (!is_dsig(signed_info, "SignedInfo"))
		return "the signature does not start with SignedInfo";
	signature_value = next_element(signed_info);
	if (!is_dsig(signature_value, "SignatureValue"))
		return "SignatureValue does not follow SignedInfo";
	for (node = next_element(next_element(signature_value)); node != NULL;
		 node = next_element(node))
		if (!is_dsig(node, "Object"))
			return "the signature has other elements after KeyInfo than Object";

	node = first_element(signed_info);
	if (!is_dsig(node, "CanonicalizationMethod") ||
		!attribute_is(check, node, "Algorithm", EXC_C14N))
		return "SignedInfo has another canonicalization than exclusive C14N";
	if (read_inclusive_namespaces(check, node) < 0)
		return "CanonicalizationMethod has content other than InclusiveNamespaces";
	node = next_element(node);
	if (!is_dsig(node, "SignatureMethod") ||
		!attribute_is(check, node, "Algorithm", RSA_SHA256) ||
		first_element(node) != NULL)
		return "SignedInfo has another signature method than RSA-SHA256";
	for (node = next_element(node); node != NULL; node = next_element(node))
	{
		if (!is_dsig(node, "Reference"))
			return "SignedInfo has another element than Reference";
		problem = check_reference(check, node);
		if (problem != NULL)
			return problem;
		references++;
	}
	if (references == 0)
		return "SignedInfo has no Reference";

	/* The canonicalization of SignedInfo uses its own prefix list. */
	read_inclusive_namespaces(check, first_element(signed_info));
	return check_signature_value(check, signed_info, signature_value);
}

const char *
xmldsig_check_signature(const char *document, size_t length,
						X509_STORE *trusted)
{
	Check		check;
	const char *problem;
	xmlNodePtr	root;

	memset(&check, 0, sizeof(check));
	check.trusted = trusted;
	check.certificates = sk_X509_new_null();
	check.doc = xmlReadMemory(document, (int) length, NULL, "UTF-8",
							  XML_PARSE_NONET);
	root = check.doc ? xmlDocGetRootElement(check.doc) : NULL;
	if (root == NULL)
		problem = "the document does not parse";
	else if (check.doc->intSubset != NULL)
		problem = "the document has a DOCTYPE";
	else
	{
		for (xmlNodePtr node = first_element(root); node != NULL;
			 node = next_element(node))
			check.signature = node;
		if (!is_dsig(check.signature, "Signature"))
			problem = "the last child of the root is not a Signature";
		else
			problem = check_signature(&check);
	}

	sk_X509_pop_free(check.certificates, X509_free);
	xmlFree(check.attribute);
	xmlFree(check.prefix_list);
	xmlFreeDoc(check.doc);
	return problem;
}
