/*-------------------------------------------------------------------------
 *
 * xmldsig_internal.h
 *	  Helpers of xmldsig.c shared with wssecurity.c, which signs the SOAP
 *	  body with the same libxml2 and xmlsec1 setup.
 *
 * Every call into libxml2 or xmlsec1 runs between begin_scope and
 * end_scope, which save and restore the global handlers of libxml2 (see the
 * header of xmldsig.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef OTAN_ENBEK_XMLDSIG_INTERNAL_H
#define OTAN_ENBEK_XMLDSIG_INTERNAL_H

#include <libxml/parser.h>
#include <libxml/xmlerror.h>
#include <xmlsec/keys.h>

#include "delivery/signing_key.h"

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

extern void initialize_xmlsec(void);
extern void begin_scope(XmlErrorScope *scope);
extern void end_scope(XmlErrorScope *scope);
extern int	errdetail_library(const XmlErrorScope *scope);
extern xmlDocPtr parse_document(const char *document, int length,
								XmlErrorScope *scope);
extern xmlSecKeyPtr make_xmlsec_key(const SigningKey *key);

#endif							/* OTAN_ENBEK_XMLDSIG_INTERNAL_H */
