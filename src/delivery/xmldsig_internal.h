/*-------------------------------------------------------------------------
 *
 * xmldsig_internal.h
 *	  Parts of xmldsig.c shared with the signers that build a signature
 *	  outside xmldsig_sign: the external signer (xmldsig_external.c) and the
 *	  WS-Security signature of the SOAP body (wssecurity.c).
 *
 * Every call into libxml2 or xmlsec1 runs between xmldsig_begin_scope and
 * xmldsig_end_scope, which save and restore the global handlers of libxml2
 * (see the header of xmldsig.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_XMLDSIG_INTERNAL_H
#define OTAN_ENBEK_XMLDSIG_INTERNAL_H

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <xmlsec/keys.h>

#include "delivery/signing_key.h"
#include "delivery/xmldsig.h"
#include "delivery/xmldsig_external.h"

/* libxml2 state saved while one of our calls runs. */
typedef struct XmlErrorScope
{
	xmlStructuredErrorFunc saved_structured;
	void	   *saved_structured_context;
	xmlGenericErrorFunc saved_generic;
	void	   *saved_generic_context;
	xmlExternalEntityLoader saved_loader;
	bool		failed;			/* libxml2 reported an error */
	char		message[256];	/* the first such error */
} XmlErrorScope;

/*
 * xmldsig_begin_scope initializes xmlsec1 and installs the handlers of the
 * scope.  It may raise an error before the handlers are installed, so call
 * it before the PG_TRY whose cleanup calls xmldsig_end_scope.
 */
extern void xmldsig_begin_scope(XmlErrorScope *scope);
extern void xmldsig_end_scope(XmlErrorScope *scope);
extern int	xmldsig_errdetail_library(const XmlErrorScope *scope);
extern xmlDocPtr xmldsig_parse_document(const char *document, int length,
										XmlErrorScope *scope);
extern void xmldsig_copy_signed_document(xmlDocPtr doc, xmlNodePtr signature,
										 SignedDocument *signed_document);
extern xmlSecKeyPtr xmldsig_make_key(const SigningKey *key);

/* xmldsig_external.c: a signature whose value a function returns */
extern xmlBufferPtr xmldsig_canonicalize_subtree(xmlDocPtr doc,
												 xmlNodePtr element);
extern char *xmldsig_digest_canonical(xmlDocPtr doc, xmlNodePtr element,
									  XmlErrorScope *scope);
extern xmlNodePtr xmldsig_add_external_signature(xmlDocPtr doc,
												 xmlNodePtr parent,
												 const char *reference_uri,
												 bool enveloped,
												 const char *signature_method,
												 const char *digest_value);
extern void xmldsig_complete_external_signature(xmlDocPtr doc,
												xmlNodePtr signature,
												const unsigned char *certificate_der,
												size_t certificate_length,
												ExternalSignFunction sign_signed_info,
												void *arg,
												XmlErrorScope *scope);

#endif							/* OTAN_ENBEK_XMLDSIG_INTERNAL_H */
