/*-------------------------------------------------------------------------
 *
 * signing_key.c
 *	  Loading and checking the employer's PKCS#12 signing key.
 *
 * NCA RK, the national certification authority, issues each employee of a
 * legal entity two RSA keys as PKCS#12 files: RSA256_*.p12 for signing
 * (extended key usage emailProtection, 1.3.6.1.5.5.7.3.4) and
 * AUTH_RSA256_*.p12 for logging in (clientAuth, 1.3.6.1.5.5.7.3.2).  Enbek
 * rejects documents signed with the authentication key, with an expired
 * certificate, or with a certificate whose BIN (subject OU=BIN...) is not
 * the employer's, so such keys are rejected here before anything is signed.
 *
 * The subject also carries the holder's IIN in serialNumber=IIN..., which is
 * personal data, so no message here shows the subject.  The key password is
 * never part of a message either.
 *
 * OpenSSL objects live outside palloc.  Every function here frees what it
 * allocated before it raises an error.  A loaded SigningKey belongs to the
 * caller, who frees it with signing_key_free on every path.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/x509v3.h>

#include "storage/fd.h"

#include "delivery/signing_key.h"

/*
 * A PKCS#12 file with one key and its certificates takes a few kilobytes, so
 * this limit only stops the server from reading a large file set by mistake.
 */
#define MAX_KEY_FILE_SIZE (1024 * 1024)

#define KEY_HINT_USE_SIGNING_KEY \
	"Use the employer's RSA256_*.p12 signing key issued by NCA RK."

static char *read_key_file(const char *path, size_t *length);
static void parse_pkcs12(SigningKey *key, const char *data, size_t length,
						 const char *password);
static void take_openssl_error(char *buffer, size_t size);
static bool password_opens(PKCS12 *p12, const char *password, bool *failed);
static void format_asn1_time(const ASN1_TIME *time, char *buffer, size_t size);

/*
 * Loads the private key and its certificate from a PKCS#12 file.  Raises an
 * error that names the file when the setting is empty, the file cannot be
 * read or parsed, the password is wrong, or the key or its certificate is
 * missing.
 */
SigningKey *
signing_key_load(const char *path, const char *password)
{
	SigningKey *key;
	char	   *data;
	size_t		length;

	if (path == NULL || path[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("no signing key is configured"),
				 errdetail("The setting otan_enbek.signing_key_file is empty."),
				 errhint("Set otan_enbek.signing_key_file in postgresql.conf to the employer's PKCS#12 signing key file and otan_enbek.signing_key_password to its password, then restart the server.")));

	key = palloc0(sizeof(SigningKey));
	key->path = pstrdup(path);
	key->label = psprintf("signing key file \"%s\"", path);
	data = read_key_file(path, &length);
	parse_pkcs12(key, data, length, password);
	pfree(data);

	if (key->private_key == NULL)
	{
		signing_key_free(key);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("signing key file \"%s\" contains no private key", path),
				 errdetail("The file contains certificates only."),
				 errhint(KEY_HINT_USE_SIGNING_KEY)));
	}
	if (key->certificate == NULL)
	{
		signing_key_free(key);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("signing key file \"%s\" contains no certificate for its private key", path),
				 errhint(KEY_HINT_USE_SIGNING_KEY)));
	}
	if (X509_check_private_key(key->certificate, key->private_key) != 1)
	{
		ERR_clear_error();
		signing_key_free(key);
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the certificate in signing key file \"%s\" does not match its private key", path),
				 errhint(KEY_HINT_USE_SIGNING_KEY)));
	}
	return key;
}

/*
 * Decodes the PKCS#12 data into key->private_key, key->certificate and
 * key->chain, any of which may stay NULL.  Raises an error when the data is
 * not PKCS#12, the password is wrong or the contents cannot be decrypted.
 */
static void
parse_pkcs12(SigningKey *key, const char *data, size_t length,
			 const char *password)
{
	const unsigned char *cursor = (const unsigned char *) data;
	PKCS12	   *p12;
	bool		mac_failed;
	char		reason[256];

	ERR_clear_error();
	p12 = d2i_PKCS12(NULL, &cursor, (long) length);
	if (p12 == NULL)
	{
		take_openssl_error(reason, sizeof(reason));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("signing key file \"%s\" is not a PKCS#12 file", key->path),
				 errdetail("OpenSSL reported: %s.", reason),
				 errhint(KEY_HINT_USE_SIGNING_KEY)));
	}

	if (!password_opens(p12, password, &mac_failed))
	{
		take_openssl_error(reason, sizeof(reason));
		PKCS12_free(p12);
		if (!mac_failed)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PASSWORD),
					 errmsg("wrong password for signing key file \"%s\"", key->path),
					 errdetail("The password in otan_enbek.signing_key_password does not open this PKCS#12 file."),
					 errhint("Set otan_enbek.signing_key_password in postgresql.conf to the password of the key file and restart the server.")));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("could not check the password of signing key file \"%s\"", key->path),
				 errdetail("OpenSSL reported: %s.", reason),
				 errhint(KEY_HINT_USE_SIGNING_KEY)));
	}

	if (!PKCS12_parse(p12, password, &key->private_key, &key->certificate,
					  &key->chain))
	{
		take_openssl_error(reason, sizeof(reason));
		PKCS12_free(p12);
		signing_key_free(key);

		/*
		 * OpenSSL cannot decode GOST keys (GOSTKNCA_*.p12) nor, without its
		 * legacy provider, files encrypted with RC2.
		 */
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("could not read the key and certificate in signing key file \"%s\"", key->path),
				 errdetail("OpenSSL reported: %s.", reason),
				 errhint("A GOST key (GOSTKNCA_*.p12) or a file with legacy RC2 encryption cannot be read. "
						 KEY_HINT_USE_SIGNING_KEY)));
	}
	PKCS12_free(p12);
}

/*
 * Reads the whole key file into palloc'd memory.  AllocateFile closes the
 * file at transaction abort if an error interrupts the read.
 */
static char *
read_key_file(const char *path, size_t *length)
{
	FILE	   *file;
	char	   *data;
	size_t		count;

	file = AllocateFile(path, PG_BINARY_R);
	if (file == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open signing key file \"%s\": %m", path),
				 errhint("Check the path and that the operating system user running the server can read the file.")));

	data = palloc(MAX_KEY_FILE_SIZE + 1);
	count = fread(data, 1, MAX_KEY_FILE_SIZE + 1, file);
	if (ferror(file))
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read signing key file \"%s\": %m", path)));
	FreeFile(file);

	if (count > MAX_KEY_FILE_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("signing key file \"%s\" is too large to be a PKCS#12 key file", path),
				 errdetail("The file is over %d bytes.", MAX_KEY_FILE_SIZE),
				 errhint(KEY_HINT_USE_SIGNING_KEY)));
	*length = count;
	return data;
}

/*
 * Copies the reason of the earliest queued OpenSSL error into the buffer and
 * empties the queue, which the server's own TLS code shares.
 */
static void
take_openssl_error(char *buffer, size_t size)
{
	unsigned long code = ERR_peek_error();
	const char *reason = code ? ERR_reason_error_string(code) : NULL;

	if (reason != NULL)
		strlcpy(buffer, reason, size);
	else if (code != 0)
		snprintf(buffer, size, "error code %lu", code);
	else
		strlcpy(buffer, "no reason given", size);
	ERR_clear_error();
}

/*
 * Tells whether the password opens the file, by its MAC.  An empty password
 * may have been stored as no password or as an empty one, as in
 * PKCS12_parse.  *failed is set when OpenSSL could not compute the MAC at
 * all, as opposed to the MAC not matching.
 */
static bool
password_opens(PKCS12 *p12, const char *password, bool *failed)
{
	bool		opens;

	*failed = false;
	if (!PKCS12_mac_present(p12))
		return true;			/* a wrong password fails in PKCS12_parse */

	ERR_clear_error();
	if (password == NULL || password[0] == '\0')
		opens = PKCS12_verify_mac(p12, NULL, 0) == 1 ||
			PKCS12_verify_mac(p12, "", 0) == 1;
	else
		opens = PKCS12_verify_mac(p12, password, -1) == 1;

	/* A MAC that does not match queues no error, but other failures do. */
	if (!opens && ERR_peek_error() != 0)
		*failed = true;
	return opens;
}

/*
 * Raises an error unless the key can sign the employer's documents: a
 * signing (not authentication) certificate that is valid now and was issued
 * for employer_bin, and an RSA private key when the built-in signer has
 * the key.
 */
void
signing_key_check(const SigningKey *key, const char *employer_bin)
{
	X509	   *certificate = key->certificate;
	uint32_t	extended_usage;
	uint32_t	usage;
	char	   *bin;

	/* An external signer chooses its own algorithm, such as GOST. */
	if (key->private_key != NULL &&
		EVP_PKEY_get_base_id(key->private_key) != EVP_PKEY_RSA)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s does not hold an RSA key",
						key->label),
				 errdetail("Its key type is %s, and the built-in signer signs with RSA-SHA256 only.",
						   EVP_PKEY_get0_type_name(key->private_key)),
				 errhint("Use the RSA256_*.p12 signing key. For a GOST key (GOSTKNCA_*.p12), set otan_enbek.signer to 'external' and otan_enbek.external_signer_url to a signing service that holds the key.")));

	extended_usage = X509_get_extended_key_usage(certificate);
	if (extended_usage != UINT32_MAX &&
		(extended_usage & XKU_SSL_CLIENT) && !(extended_usage & XKU_SMIME))
		ereport(ERROR,
				(errcode(ERRCODE_SIGNING_KEY_USAGE),
				 errmsg("%s is an authentication key, not a signing key",
						key->label),
				 errdetail("The certificate with serial number %s has the extended key usage clientAuth (1.3.6.1.5.5.7.3.2) and lacks emailProtection (1.3.6.1.5.5.7.3.4), as NCA RK AUTH_RSA256_*.p12 keys do. Enbek rejects documents signed with it.",
						   certificate_serial(certificate)),
				 errhint("Use the RSA256_*.p12 signing key, not the AUTH_RSA256_*.p12 file.")));
	if (extended_usage == UINT32_MAX || !(extended_usage & XKU_SMIME))
		ereport(ERROR,
				(errcode(ERRCODE_SIGNING_KEY_USAGE),
				 errmsg("certificate of %s is not for signing documents",
						key->label),
				 errdetail("The certificate with serial number %s lacks the extended key usage emailProtection (1.3.6.1.5.5.7.3.4) that NCA RK signing keys have.",
						   certificate_serial(certificate)),
				 errhint(KEY_HINT_USE_SIGNING_KEY)));

	usage = X509_get_key_usage(certificate);
	if (usage != UINT32_MAX &&
		!(usage & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION)))
		ereport(ERROR,
				(errcode(ERRCODE_SIGNING_KEY_USAGE),
				 errmsg("certificate of %s is not for signing documents",
						key->label),
				 errdetail("The key usage of the certificate with serial number %s has neither digitalSignature nor nonRepudiation.",
						   certificate_serial(certificate)),
				 errhint(KEY_HINT_USE_SIGNING_KEY)));

	signing_key_check_validity(key);

	bin = certificate_bin(certificate);
	if (bin == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_SIGNING_CERT_BIN),
				 errmsg("certificate of %s names no BIN", key->label),
				 errdetail("Its subject has no OU=BIN... entry, so it is the key of an individual, not of an employer."),
				 errhint("Use the signing key that NCA RK issued to an employee of the organization, which carries the organization's BIN.")));
	if (strcmp(bin, employer_bin) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_SIGNING_CERT_BIN),
				 errmsg("%s belongs to BIN %s, not to the organization's BIN %s",
						key->label, bin, employer_bin),
				 errdetail("Enbek rejects a document whose employer BIN differs from the BIN in the certificate subject (OU=BIN...)."),
				 errhint("Configure the signing key of the organization with BIN %s.",
						 employer_bin)));
}

/*
 * Raises an error unless the certificate is valid at the current time.  The
 * message names the validity period in UTC.
 */
void
signing_key_check_validity(const SigningKey *key)
{
	const ASN1_TIME *not_before = X509_get0_notBefore(key->certificate);
	const ASN1_TIME *not_after = X509_get0_notAfter(key->certificate);
	char		from[32];
	char		to[32];

	format_asn1_time(not_before, from, sizeof(from));
	format_asn1_time(not_after, to, sizeof(to));

	if (X509_cmp_current_time(not_before) >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_SIGNING_CERT_VALIDITY),
				 errmsg("certificate of %s is not valid yet",
						key->label),
				 errdetail("The certificate with serial number %s is valid from %s to %s.",
						   certificate_serial(key->certificate), from, to),
				 errhint("Check the server's clock, or wait until the certificate becomes valid.")));
	if (X509_cmp_current_time(not_after) <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_SIGNING_CERT_VALIDITY),
				 errmsg("certificate of %s has expired", key->label),
				 errdetail("The certificate with serial number %s was valid from %s to %s.",
						   certificate_serial(key->certificate), from, to),
				 key->private_key != NULL ?
				 errhint("Get a new signing key from NCA RK and set otan_enbek.signing_key_file and otan_enbek.signing_key_password to it.") :
				 errhint("Get a new signing key from NCA RK and install it in the external signing service.")));
}

/*
 * Formats a certificate time as "YYYY-MM-DD HH:MM:SS UTC".  A time that
 * OpenSSL cannot read becomes "(invalid time)".
 */
static void
format_asn1_time(const ASN1_TIME *time, char *buffer, size_t size)
{
	struct tm	tm;

	if (time == NULL || ASN1_TIME_to_tm(time, &tm) != 1)
	{
		ERR_clear_error();
		strlcpy(buffer, "(invalid time)", size);
		return;
	}
	snprintf(buffer, size, "%04d-%02d-%02d %02d:%02d:%02d UTC",
			 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Returns the serial number in upper-case hexadecimal, palloc'd. */
char *
certificate_serial(X509 *certificate)
{
	BIGNUM	   *number;
	char	   *hex;
	char	   *result;

	number = ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), NULL);
	hex = number ? BN_bn2hex(number) : NULL;
	BN_free(number);
	if (hex == NULL)
	{
		ERR_clear_error();
		return pstrdup("(unreadable)");
	}
	result = pstrdup(hex);
	OPENSSL_free(hex);
	return result;
}

/*
 * Returns the BIN of the subject's OU=BIN<12 digits> entry, palloc'd, or
 * NULL when the subject has none.
 */
char *
certificate_bin(X509 *certificate)
{
	const X509_NAME *subject = X509_get_subject_name(certificate);
	int			position = -1;

	while ((position = X509_NAME_get_index_by_NID(subject,
												  NID_organizationalUnitName,
												  position)) >= 0)
	{
		X509_NAME_ENTRY *entry = X509_NAME_get_entry(subject, position);
		unsigned char *value = NULL;
		int			length;
		char	   *bin = NULL;

		length = ASN1_STRING_to_UTF8(&value,
									 X509_NAME_ENTRY_get_data(entry));
		if (length == 15 && strncmp((char *) value, "BIN", 3) == 0 &&
			strspn((char *) value + 3, "0123456789") == 12)
			bin = pnstrdup((char *) value + 3, 12);
		OPENSSL_free(value);
		if (bin != NULL)
			return bin;
	}
	ERR_clear_error();
	return NULL;
}

/*
 * Tells whether the certificate chains to a CA in the PEM file, using the
 * other certificates of the key file as intermediates.  The check includes
 * the validity period.
 */
bool
signing_key_is_trusted(const SigningKey *key, const char *ca_file)
{
	X509_STORE *store;
	X509_STORE_CTX *context;
	bool		trusted;

	store = X509_STORE_new();
	context = X509_STORE_CTX_new();
	if (store == NULL || context == NULL)
	{
		X509_STORE_free(store);
		X509_STORE_CTX_free(context);
		ERR_clear_error();
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	}
	if (X509_STORE_load_file(store, ca_file) != 1)
	{
		char		reason[256];

		take_openssl_error(reason, sizeof(reason));
		X509_STORE_free(store);
		X509_STORE_CTX_free(context);
		ereport(ERROR,
				(errcode(ERRCODE_CONFIG_FILE_ERROR),
				 errmsg("could not load CA certificates from \"%s\"", ca_file),
				 errdetail("OpenSSL reported: %s.", reason),
				 errhint("Set otan_enbek.ca_file to a PEM file of CA certificates.")));
	}

	trusted = X509_STORE_CTX_init(context, store, key->certificate,
								  key->chain) == 1 &&
		X509_verify_cert(context) == 1;

	X509_STORE_CTX_free(context);
	X509_STORE_free(store);
	ERR_clear_error();
	return trusted;
}

/* Frees the OpenSSL objects of a key; accepts NULL. */
void
signing_key_free(SigningKey *key)
{
	if (key == NULL)
		return;
	EVP_PKEY_free(key->private_key);
	X509_free(key->certificate);
	sk_X509_pop_free(key->chain, X509_free);
	key->private_key = NULL;
	key->certificate = NULL;
	key->chain = NULL;
}
