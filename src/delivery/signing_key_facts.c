/*-------------------------------------------------------------------------
 *
 * signing_key_facts.c
 *	  What otan_enbek.check_signing_key and submissions report about the
 *	  certificate of a signing key.
 *
 * The subject of an NCA RK certificate carries the holder's IIN in
 * serialNumber=IIN..., which is personal data, so the subject reported here
 * leaves serialNumber out.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "delivery/signing_key.h"

/* Converts a certificate time, which is in UTC, to a timestamptz. */
static TimestampTz
asn1_time_to_timestamptz(const ASN1_TIME *time)
{
	struct tm	tm;
	struct pg_tm pgtm;
	Timestamp	result;

	if (time == NULL || ASN1_TIME_to_tm(time, &tm) != 1)
	{
		ERR_clear_error();
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("could not read a validity date of the signing certificate")));
	}
	memset(&pgtm, 0, sizeof(pgtm));
	pgtm.tm_year = tm.tm_year + 1900;
	pgtm.tm_mon = tm.tm_mon + 1;
	pgtm.tm_mday = tm.tm_mday;
	pgtm.tm_hour = tm.tm_hour;
	pgtm.tm_min = tm.tm_min;
	pgtm.tm_sec = tm.tm_sec;
	if (tm2timestamp(&pgtm, 0, NULL, &result) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("a validity date of the signing certificate is out of range")));
	return (TimestampTz) result;
}

/*
 * Renders a distinguished name on one line in the server encoding,
 * optionally without its serialNumber entries.
 */
static char *
name_to_text(const X509_NAME *name, bool without_serial_number)
{
	X509_NAME  *copy;
	BIO		   *bio;
	char	   *data;
	long		length;
	char	   *result;
	int			position;
	unsigned long flags;

	/* "CN=..., O=...", with UTF-8 characters unescaped */
	flags = XN_FLAG_ONELINE & ~ASN1_STRFLGS_ESC_MSB & ~XN_FLAG_SPC_EQ;

	copy = X509_NAME_dup(name);
	bio = BIO_new(BIO_s_mem());
	if (copy == NULL || bio == NULL)
	{
		X509_NAME_free(copy);
		BIO_free(bio);
		ERR_clear_error();
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	}
	while (without_serial_number &&
		   (position = X509_NAME_get_index_by_NID(copy, NID_serialNumber, -1)) >= 0)
		X509_NAME_ENTRY_free(X509_NAME_delete_entry(copy, position));

	X509_NAME_print_ex(bio, copy, 0, flags);
	length = BIO_get_mem_data(bio, &data);
	result = pnstrdup(data, length);
	BIO_free(bio);
	X509_NAME_free(copy);
	ERR_clear_error();

	return pg_any_to_server(result, strlen(result), PG_UTF8);
}

/* Lists the names of the key usage bits that the certificate has. */
static List *
key_usage_names(X509 *certificate)
{
	static const struct
	{
		uint32_t	bit;
		const char *name;
	}			bits[] =
	{
		{KU_DIGITAL_SIGNATURE, "digitalSignature"},
		{KU_NON_REPUDIATION, "nonRepudiation"},
		{KU_KEY_ENCIPHERMENT, "keyEncipherment"},
		{KU_DATA_ENCIPHERMENT, "dataEncipherment"},
		{KU_KEY_AGREEMENT, "keyAgreement"},
		{KU_KEY_CERT_SIGN, "keyCertSign"},
		{KU_CRL_SIGN, "cRLSign"},
		{KU_ENCIPHER_ONLY, "encipherOnly"},
		{KU_DECIPHER_ONLY, "decipherOnly"},
	};
	uint32_t	usage = X509_get_key_usage(certificate);
	List	   *names = NIL;

	if (usage == UINT32_MAX)
		return NIL;
	for (size_t i = 0; i < lengthof(bits); i++)
		if (usage & bits[i].bit)
			names = lappend(names, pstrdup(bits[i].name));
	return names;
}

/* Lists the extended key usages by short name, or dotted OID if unnamed. */
static List *
extended_key_usage_names(X509 *certificate)
{
	EXTENDED_KEY_USAGE *usages;
	List	   *names = NIL;

	usages = X509_get_ext_d2i(certificate, NID_ext_key_usage, NULL, NULL);
	for (int i = 0; usages != NULL && i < sk_ASN1_OBJECT_num(usages); i++)
	{
		ASN1_OBJECT *object = sk_ASN1_OBJECT_value(usages, i);
		int			nid = OBJ_obj2nid(object);
		char		oid[128];

		if (nid != NID_undef)
			names = lappend(names, pstrdup(OBJ_nid2sn(nid)));
		else
		{
			OBJ_obj2txt(oid, sizeof(oid), object, 1);
			names = lappend(names, pstrdup(oid));
		}
	}
	sk_ASN1_OBJECT_pop_free(usages, ASN1_OBJECT_free);
	ERR_clear_error();
	return names;
}

/*
 * Returns the hexadecimal SHA-256 of the certificate's DER encoding, the
 * fingerprint stored with each submission.
 */
char *
signing_key_fingerprint(const SigningKey *key)
{
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned int length = 0;
	char	   *hex;

	if (X509_digest(key->certificate, EVP_sha256(), digest, &length) != 1)
	{
		ERR_clear_error();
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not compute the fingerprint of the signing certificate")));
	}
	hex = palloc(length * 2 + 1);
	hex[hex_encode((char *) digest, length, hex)] = '\0';
	return hex;
}

/*
 * Names the algorithm and size of the certificate's public key, which is
 * also known when an external signer keeps the private key.  OpenSSL
 * without a GOST provider cannot decode a GOST key, so the algorithm is
 * then named by its OID and the size is 0.
 */
static void
describe_public_key(X509 *certificate, SigningKeyFacts *facts)
{
	EVP_PKEY   *public_key = X509_get0_pubkey(certificate);
	const char *name = public_key ? EVP_PKEY_get0_type_name(public_key) : NULL;

	if (name != NULL)
	{
		facts->key_algorithm = pstrdup(name);
		facts->key_bits = EVP_PKEY_get_bits(public_key);
	}
	else
	{
		ASN1_OBJECT *algorithm = NULL;
		char		oid[128] = "unknown";

		X509_PUBKEY_get0_param(&algorithm, NULL, NULL, NULL,
							   X509_get_X509_PUBKEY(certificate));
		if (algorithm != NULL)
			OBJ_obj2txt(oid, sizeof(oid), algorithm, 1);
		facts->key_algorithm = pstrdup(oid);
		facts->key_bits = 0;
	}
	ERR_clear_error();
}

/* Fills in what an administrator needs to know about the key. */
void
signing_key_describe(const SigningKey *key, SigningKeyFacts *facts)
{
	X509	   *certificate = key->certificate;

	facts->subject = name_to_text(X509_get_subject_name(certificate), true);
	facts->issuer = name_to_text(X509_get_issuer_name(certificate), true);
	facts->bin = certificate_bin(certificate);
	facts->serial = certificate_serial(certificate);
	facts->not_before = asn1_time_to_timestamptz(X509_get0_notBefore(certificate));
	facts->not_after = asn1_time_to_timestamptz(X509_get0_notAfter(certificate));
	describe_public_key(certificate, facts);
	facts->key_usage = key_usage_names(certificate);
	facts->extended_key_usage = extended_key_usage_names(certificate);
	facts->fingerprint = signing_key_fingerprint(key);
}
