/*
 * fuzz_xmldsig.c
 *	  libFuzzer harness of the XML-DSig verifier (xmldsig_verify in
 *	  src/delivery/xmldsig.c, behind otan_enbek.verify_document), linked
 *	  with pg_shim.c, libxml2 and xmlsec1.
 *
 * The input is the document.  The CA file is OTAN_FUZZ_PKI/ca.crt, the
 * root CA of test/harness/make-pki, which also signed the seeds.  Beyond
 * memory errors the harness checks the promises of xmldsig.c:
 *
 * - the only error raised is the documented one for a document that is not
 *   well-formed, has a DOCTYPE or has no root element
 *   (ERRCODE_INVALID_XML_DOCUMENT);
 * - a rejected document gets a reason, from the fixed sentences of
 *   xmldsig.c or xmlsec1's table of error reasons, so it quotes no
 *   document content, and an accepted one leaves the reason unset;
 * - libxml2's error handlers and entity loader are restored and OpenSSL's
 *   error queue is empty after every call, errors included;
 * - every accepted document is verified again by xmldsig_check.c, which
 *   does not use xmlsec1, and must carry a valid RSA-SHA256 signature by a
 *   certificate of its KeyInfo that chains to the CA.
 */
#include "postgres.h"

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/errors.h>

#include "delivery/xmldsig.h"

#include "pg_shim.h"
#include "xmldsig_check.h"

int			LLVMFuzzerInitialize(int *argc, char ***argv);
int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char ca_file[MAXPGPATH];
static X509_STORE *trusted;

static void
fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz: broken verifier promise: %s%s%s\n", what,
			detail ? ": " : "", detail ? detail : "");
	abort();
}

/* The harness's own libxml2 handlers, which xmldsig_verify must restore. */
static void
harness_structured_error(void *data pg_attribute_unused(),
						 xmlErrorPtr error pg_attribute_unused())
{
}

static void
harness_generic_error(void *data pg_attribute_unused(),
					  const char *message pg_attribute_unused(),...)
{
}

static xmlParserInputPtr
harness_entity_loader(const char *url pg_attribute_unused(),
					  const char *id pg_attribute_unused(),
					  xmlParserCtxtPtr context pg_attribute_unused())
{
	return NULL;
}

int
LLVMFuzzerInitialize(int *argc pg_attribute_unused(),
					 char ***argv pg_attribute_unused())
{
	const char *pki = getenv("OTAN_FUZZ_PKI");

	if (pki == NULL || pki[0] == '\0')
	{
		fprintf(stderr, "fuzz_xmldsig: set OTAN_FUZZ_PKI to a directory made by test/harness/make-pki\n");
		exit(2);
	}
	snprintf(ca_file, sizeof(ca_file), "%s/ca.crt", pki);
	trusted = X509_STORE_new();
	if (trusted == NULL || X509_STORE_load_file(trusted, ca_file) != 1)
	{
		fprintf(stderr, "fuzz_xmldsig: could not load \"%s\"\n", ca_file);
		exit(2);
	}
	xmlInitParser();
	xmlSetStructuredErrorFunc(NULL, harness_structured_error);
	xmlSetGenericErrorFunc(NULL, harness_generic_error);
	xmlSetExternalEntityLoader(harness_entity_loader);
	return 0;
}

/*
 * Returns whether reason is one of the sentences xmldsig.c returns or a
 * reason text of xmlsec1.
 */
static bool
is_known_reason(const char *reason)
{
	static const char *const own[] = {
		"the root element has no ds:Signature as its last child",
		"the signature value or a digest does not match the document",
		"the signing certificate does not chain to a trusted CA certificate (otan_enbek.signing_ca_file, or otan_enbek.ca_file when that is empty)",
		"no reason given",
	};

	for (size_t i = 0; i < lengthof(own); i++)
		if (strcmp(reason, own[i]) == 0)
			return true;
	for (xmlSecSize i = 0; xmlSecErrorsGetMsg(i) != NULL; i++)
		if (strcmp(reason, xmlSecErrorsGetMsg(i)) == 0)
			return true;
	return false;
}

static void
check_global_state(void)
{
	if (xmlStructuredError != harness_structured_error)
		fail("libxml2's structured error handler was not restored", NULL);
	if (xmlGenericError != harness_generic_error)
		fail("libxml2's generic error handler was not restored", NULL);
	if (xmlGetExternalEntityLoader() != harness_entity_loader)
		fail("libxml2's external entity loader was not restored", NULL);
	if (ERR_peek_error() != 0)
		fail("OpenSSL's error queue is not empty", NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *reason = NULL;
	volatile bool valid = false;
	volatile bool raised = false;

	if (size > INT_MAX)
		return -1;

	PG_TRY();
	{
		valid = xmldsig_verify((const char *) data, (int) size, ca_file,
							   &reason);
	}
	PG_CATCH();
	{
		if (shim_error_sqlerrcode != ERRCODE_INVALID_XML_DOCUMENT)
			fail("xmldsig_verify raised an undocumented error",
				 shim_error_message);
		raised = true;
	}
	PG_END_TRY();

	check_global_state();
	if (!raised && !valid && (reason == NULL || !is_known_reason(reason)))
		fail("a rejected document has no reason or an unknown one", reason);
	if (valid && reason != NULL)
		fail("an accepted document has a reason", reason);
	if (valid)
	{
		const char *problem = xmldsig_check_signature((const char *) data,
													  size, trusted);

		if (problem != NULL)
			fail("the second verifier rejects an accepted document", problem);
	}

	shim_arena_reset();
	return 0;
}
