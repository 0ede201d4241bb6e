-- The signer and the checks of signing certificates (src/delivery/signer.c).
-- otan_enbek.signer chooses the built-in signer (the PKCS#12 file of
-- otan_enbek.signing_key_file) or an external signing service.  Either
-- signs only after its certificate passes the checks that check_signing_key
-- runs, and each failed check raises its own SQLSTATE of class OE (see
-- README.md, "Signing and submitting").

COMMENT ON FUNCTION otan_enbek.check_signing_key(integer, text) IS
    'Checks a PKCS#12 key, or with a null key_file the configured signer (key file or external signing service), as signing would: key usage, validity, BIN, and chain and CRL when otan_enbek.signing_ca_file is set; describes the certificate without the IIN; trusted is null when neither signing_ca_file nor ca_file is set; superuser only';
COMMENT ON FUNCTION otan_enbek.verify_document(text) IS
    'Verifies the enveloped XML-DSig signature of a document against the CA certificates in otan_enbek.signing_ca_file, or otan_enbek.ca_file when that is empty; reason says why a signature is not valid';
