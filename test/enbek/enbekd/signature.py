"""Verification of the enveloped XML signature of a timesheet document and
of the signing certificate.

A document passes when all of these hold, checked in this order:
1. It has exactly one ds:Signature, its last child, with exactly the
   algorithms of the contract and one Reference with URI="" (the whole
   document), so that a signature over something else cannot pass.
2. KeyInfo holds only X509Data with one end-entity certificate, optionally
   with CA certificates.
3. That certificate is within its validity dates, chains to the test CA
   (the only trusted root), and is a signing key: extended key usage
   emailProtection.  An authentication key (clientAuth) is rejected.
4. xmlsec verifies the digest and the signature value with that key.

NOTE: revocation is not checked here (no CRL or OCSP).  otan_enbek checks
the CRL that test/harness/make-pki writes before it signs.
"""
import base64
import binascii
import datetime

import xmlsec
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from lxml import etree
from OpenSSL import crypto

DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


class SignatureRejected(Exception):
    """The signature or the signing certificate is not acceptable: SCSE001."""


def _ds(name):
    return f"{{{DSIG_NS}}}{name}"


def _element_children(element):
    return [child for child in element if isinstance(child.tag, str)]


def _expect_algorithm(element, tag, algorithm, where):
    if element is None or element.tag != _ds(tag):
        raise SignatureRejected(f"{where} must contain ds:{tag}")
    if element.get("Algorithm") != algorithm:
        raise SignatureRejected(
            f"ds:{tag} Algorithm is {element.get('Algorithm')!r}, but the contract requires {algorithm}"
        )


def _check_c14n_children(element, where):
    # Exclusive canonicalization may name an InclusiveNamespaces prefix list;
    # nothing else belongs inside the algorithm element.
    for child in _element_children(element):
        if child.tag != f"{{{EXC_C14N}}}InclusiveNamespaces":
            raise SignatureRejected(f"{where} contains the unexpected element {etree.QName(child).text}")


def find_signature(root):
    """Return the one ds:Signature of the document, which must be the last
    child element of its root."""
    signatures = list(root.iter(_ds("Signature")))
    if not signatures:
        raise SignatureRejected("the document is not signed: ds:Signature is missing")
    if len(signatures) > 1:
        raise SignatureRejected(f"the document has {len(signatures)} ds:Signature elements; exactly one is allowed")
    signature = signatures[0]
    if signature.getparent() is not root or _element_children(root)[-1] is not signature:
        raise SignatureRejected("ds:Signature must be the last child of ts:timesheetRequest")
    return signature


def check_signature_shape(signature):
    """Raise SignatureRejected unless the signature uses exactly the
    algorithms of the contract and references the whole document."""
    parts = _element_children(signature)
    if [p.tag for p in parts] != [_ds("SignedInfo"), _ds("SignatureValue"), _ds("KeyInfo")]:
        names = ", ".join(etree.QName(p).localname for p in parts)
        raise SignatureRejected(
            f"ds:Signature must contain SignedInfo, SignatureValue and KeyInfo, in this order, not {names}"
        )
    signed_info = _element_children(parts[0])
    if len(signed_info) != 3:
        raise SignatureRejected(
            "ds:SignedInfo must contain CanonicalizationMethod, SignatureMethod and exactly one Reference"
        )
    _expect_algorithm(signed_info[0], "CanonicalizationMethod", EXC_C14N, "ds:SignedInfo")
    _check_c14n_children(signed_info[0], "ds:CanonicalizationMethod")
    _expect_algorithm(signed_info[1], "SignatureMethod", RSA_SHA256, "ds:SignedInfo")

    reference = signed_info[2]
    if reference.tag != _ds("Reference"):
        raise SignatureRejected("ds:SignedInfo must contain exactly one ds:Reference")
    if reference.get("URI") != "":
        raise SignatureRejected(
            f"ds:Reference URI is {reference.get('URI')!r}; it must be \"\" so that the whole document is signed"
        )
    reference_parts = _element_children(reference)
    if [p.tag for p in reference_parts] != [_ds("Transforms"), _ds("DigestMethod"), _ds("DigestValue")]:
        raise SignatureRejected("ds:Reference must contain Transforms, DigestMethod and DigestValue")
    transforms = _element_children(reference_parts[0])
    if [t.get("Algorithm") for t in transforms] != [ENVELOPED, EXC_C14N] or any(
        t.tag != _ds("Transform") for t in transforms
    ):
        raise SignatureRejected(
            "ds:Transforms must be the enveloped-signature transform followed by exclusive canonicalization"
        )
    _check_c14n_children(transforms[1], "the exclusive canonicalization ds:Transform")
    _expect_algorithm(reference_parts[1], "DigestMethod", SHA256, "ds:Reference")


def read_certificates(signature):
    """Return the certificates of KeyInfo/X509Data, the end-entity one
    first.  Raise SignatureRejected unless KeyInfo holds only X509Data with
    X509Certificate elements, exactly one of which is not a CA."""
    key_info = _element_children(signature)[2]
    key_info_parts = _element_children(key_info)
    if [p.tag for p in key_info_parts] != [_ds("X509Data")]:
        raise SignatureRejected("ds:KeyInfo must contain only ds:X509Data with the signing certificate")
    elements = _element_children(key_info_parts[0])
    if not elements or any(e.tag != _ds("X509Certificate") for e in elements):
        raise SignatureRejected("ds:X509Data must contain only ds:X509Certificate elements")

    certificates = []
    for element in elements:
        try:
            der = base64.b64decode("".join((element.text or "").split()), validate=True)
            certificates.append(x509.load_der_x509_certificate(der))
        except (binascii.Error, ValueError) as e:
            raise SignatureRejected(f"ds:X509Certificate is not a base64 DER certificate: {e}") from None

    def is_ca(certificate):
        try:
            return certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
        except x509.ExtensionNotFound:
            return False

    leaves = [c for c in certificates if not is_ca(c)]
    if len(leaves) != 1:
        raise SignatureRejected(
            f"ds:X509Data must contain exactly one end-entity certificate, not {len(leaves)}"
        )
    return leaves + [c for c in certificates if is_ca(c)]


def certificate_bin(certificate):
    """Return the BIN of the certificate subject (OU=BIN...), or None."""
    for attribute in certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME):
        if attribute.value.startswith("BIN"):
            return attribute.value[3:]
    return None


def describe(certificate):
    """Return the serial number and issuer of a certificate, for messages.
    The subject is left out because it contains the signer's IIN."""
    return f"(serial {certificate.serial_number:x}, issuer {certificate.issuer.rfc4514_string()})"


class SignatureVerifier:
    """Verifies timesheet signatures with the CA certificate of the PKI
    directory as the only trusted root."""

    def __init__(self, ca_path, clock):
        with open(ca_path, "rb") as f:
            self._ca_pem = f.read()
        self._ca = x509.load_pem_x509_certificate(self._ca_pem)
        self._clock = clock

    @property
    def ca_pem(self):
        """The trusted CA certificate, PEM."""
        return self._ca_pem

    def check_certificate(self, leaf, others):
        """Raise SignatureRejected unless the certificate is within its
        validity dates and chains to the trusted CA through others."""
        self._check_validity(leaf)
        self._check_chain(leaf, others)

    def verify(self, root):
        """Verify the signature of a standalone timesheetRequest and return
        the signing certificate.  Raise SignatureRejected with the reason."""
        signature = find_signature(root)
        check_signature_shape(signature)
        certificates = read_certificates(signature)
        leaf = certificates[0]
        self._check_validity(leaf)
        self._check_chain(leaf, certificates[1:])
        self._check_key_usage(leaf)
        self._verify_with_xmlsec(signature)
        return leaf

    def _check_validity(self, certificate):
        # cryptography 38 returns naive datetimes in UTC.
        now = self._clock().astimezone(datetime.timezone.utc).replace(tzinfo=None)
        if now > certificate.not_valid_after:
            raise SignatureRejected(
                f"the signing certificate {describe(certificate)} expired on {certificate.not_valid_after:%Y-%m-%d}"
            )
        if now < certificate.not_valid_before:
            raise SignatureRejected(
                f"the signing certificate {describe(certificate)} is not valid before "
                f"{certificate.not_valid_before:%Y-%m-%d}"
            )

    def _check_chain(self, leaf, others):
        # A store that contains the test CA alone.  xmlsec checks the chain as
        # well, but its OpenSSL store also trusts the system's CA
        # certificates, so this check is the one that limits trust to the CA.
        store = crypto.X509Store()
        store.add_cert(crypto.X509.from_cryptography(self._ca))
        chain = [crypto.X509.from_cryptography(c) for c in others]
        context = crypto.X509StoreContext(store, crypto.X509.from_cryptography(leaf), chain)
        try:
            context.verify_certificate()
        except crypto.X509StoreContextError as e:
            raise SignatureRejected(
                f"the signing certificate {describe(leaf)} does not chain to the trusted CA: {e}"
            ) from None

    def _check_key_usage(self, certificate):
        try:
            usages = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            usages = []
        if ExtendedKeyUsageOID.EMAIL_PROTECTION in usages:
            return
        if ExtendedKeyUsageOID.CLIENT_AUTH in usages:
            raise SignatureRejected(
                "the document is signed with an authentication key (extended key usage clientAuth); "
                "sign it with the organization's signing key (extended key usage emailProtection)"
            )
        raise SignatureRejected(
            "the signing certificate lacks the extended key usage emailProtection of a signing key"
        )

    def _verify_with_xmlsec(self, signature):
        # A new manager and context per call: xmlsec objects are not shared
        # between threads.  Only the X509 key data and the contract's
        # transforms are enabled, so a key given as KeyValue cannot be used.
        manager = xmlsec.KeysManager()
        manager.load_cert_from_memory(
            self._ca_pem, xmlsec.constants.KeyDataFormatPem, xmlsec.constants.KeyDataTypeTrusted
        )
        context = xmlsec.SignatureContext(manager)
        context.set_enabled_key_data([xmlsec.constants.KeyDataX509])
        for transform in (
            xmlsec.constants.TransformEnveloped,
            xmlsec.constants.TransformExclC14N,
            xmlsec.constants.TransformSha256,
        ):
            context.enable_reference_transform(transform)
        for transform in (xmlsec.constants.TransformExclC14N, xmlsec.constants.TransformRsaSha256):
            context.enable_signature_transform(transform)
        try:
            context.verify(signature)
        except xmlsec.VerificationError:
            raise SignatureRejected(
                "the signature does not match the document: it was changed after signing"
            ) from None
        except xmlsec.Error as e:
            raise SignatureRejected(f"the signature cannot be verified: {e}") from None
