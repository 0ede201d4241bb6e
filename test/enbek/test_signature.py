"""SCSE001: the signature and the signing certificate, and where the
signature may stand."""
import re
import unittest

from enbek_testlib import (
    ServiceTestCase,
    new_message_id,
    sign,
    signed_timesheet,
    timesheet_document,
)

EXC_C14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
INCLUSIVE_C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
RSA_SHA1 = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"
SHA1 = "http://www.w3.org/2000/09/xmldsig#sha1"
X509_KEY_INFO = "<ds:X509Data><ds:X509Certificate/></ds:X509Data>"

CLOSING_TAG = "</ts:timesheetRequest>"
SIGNATURE = re.compile(r"<ds:Signature .*</ds:Signature>", re.S)
CERTIFICATE = re.compile(r"<ds:X509Certificate>(.*?)</ds:X509Certificate>", re.S)


def template(canonicalization=EXC_C14N, signature_method=RSA_SHA256, uri="",
             transforms=(ENVELOPED, EXC_C14N), digest=SHA256, key_info=X509_KEY_INFO):
    """Return a signature template for xmlsec1 that differs from the
    contract's in the given part."""
    transform_elements = "".join(f'<ds:Transform Algorithm="{t}"/>' for t in transforms)
    return (
        '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>'
        f'<ds:CanonicalizationMethod Algorithm="{canonicalization}"/>'
        f'<ds:SignatureMethod Algorithm="{signature_method}"/>'
        f'<ds:Reference URI="{uri}"><ds:Transforms>{transform_elements}</ds:Transforms>'
        f'<ds:DigestMethod Algorithm="{digest}"/><ds:DigestValue/></ds:Reference>'
        f"</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo>{key_info}</ds:KeyInfo></ds:Signature>"
    )


def signed_with_template(key="sign.p12", **parts):
    message_id = new_message_id()
    document = timesheet_document(message_id).replace(CLOSING_TAG, template(**parts) + CLOSING_TAG)
    return message_id, sign(document, key)


class SignatureTest(ServiceTestCase):

    def assertScse001(self, message_id, document, text):
        response = self.service.send_timesheet(document, message_id)
        self.assertRejected(response, "SCSE001", message_id)
        self.assertIn(text, response.message)
        return response

    def test_unsigned_document(self):
        message_id = new_message_id()
        self.assertScse001(message_id, timesheet_document(message_id), "ds:Signature is missing")

    def test_document_changed_after_signing(self):
        message_id, document = signed_timesheet()
        tampered = document.replace('hours="8.00"', 'hours="9.00"', 1)
        self.assertNotEqual(tampered, document)
        self.assertScse001(message_id, tampered, "changed after signing")

    def test_signature_of_other_document(self):
        message_id, document = signed_timesheet()
        _, other = signed_timesheet(message_id=message_id, period="2026-10")
        swapped = SIGNATURE.sub(lambda _: SIGNATURE.search(other).group(0), document)
        self.assertNotEqual(swapped, document)
        self.assertScse001(message_id, swapped, "changed after signing")

    def test_untrusted_ca(self):
        message_id, document = signed_timesheet(key="untrusted.p12")
        self.assertScse001(message_id, document, "does not chain to the trusted CA")

    def test_expired_certificate(self):
        message_id, document = signed_timesheet(key="expired.p12")
        self.assertScse001(message_id, document, "expired on 2021-01-01")

    def test_authentication_key(self):
        message_id, document = signed_timesheet(key="auth.p12")
        self.assertScse001(message_id, document, "authentication key")

    def test_authentication_key_with_signing_certificate(self):
        # Signed with the authentication key, but presenting the signing
        # certificate: the certificate checks pass, the signature does not.
        message_id = new_message_id()
        document = sign(timesheet_document(message_id), "auth.p12", leaf_only=True)
        signing_certificate = CERTIFICATE.search(sign(timesheet_document(message_id), leaf_only=True)).group(1)
        swapped = CERTIFICATE.sub(lambda _: f"<ds:X509Certificate>{signing_certificate}</ds:X509Certificate>",
                                  document)
        self.assertScse001(message_id, swapped, "changed after signing")

    def test_two_end_entity_certificates(self):
        message_id = new_message_id()
        document = sign(timesheet_document(message_id), leaf_only=True)
        other = CERTIFICATE.search(sign(timesheet_document(message_id), "auth.p12", leaf_only=True)).group(0)
        doubled = document.replace("</ds:X509Data>", other + "</ds:X509Data>")
        self.assertScse001(message_id, doubled, "exactly one end-entity certificate, not 2")

    def test_reference_not_whole_document(self):
        message_id, document = signed_with_template(uri="#xpointer(/)")
        self.assertScse001(message_id, document, "it must be \"\"")

    def test_inclusive_canonicalization(self):
        message_id, document = signed_with_template(canonicalization=INCLUSIVE_C14N)
        self.assertScse001(message_id, document, INCLUSIVE_C14N)

    def test_rsa_sha1(self):
        message_id, document = signed_with_template(signature_method=RSA_SHA1, digest=SHA1)
        self.assertScse001(message_id, document, RSA_SHA1)

    def test_transforms_other_than_contract(self):
        message_id, document = signed_with_template(transforms=(ENVELOPED,))
        self.assertScse001(message_id, document, "enveloped-signature transform followed by exclusive")

    def test_key_value_instead_of_certificate(self):
        # A bare public key would let any key sign.
        message_id, document = signed_with_template(key="untrusted.p12", key_info="<ds:KeyValue/>")
        self.assertIn("<ds:KeyValue>", document)
        self.assertScse001(message_id, document, "only ds:X509Data")

    def test_two_signatures(self):
        message_id, document = signed_timesheet()
        signature = SIGNATURE.search(document).group(0)
        nested = document.replace("</ds:KeyInfo>", signature + "</ds:KeyInfo>", 1)
        self.assertScse001(message_id, nested, "2 ds:Signature elements")

    def test_signature_wrapped_in_object(self):
        message_id, document = signed_timesheet()
        wrapped = SIGNATURE.sub(
            lambda m: f'<ds:Object xmlns:ds="http://www.w3.org/2000/09/xmldsig#">{m.group(0)}</ds:Object>',
            document,
        )
        self.assertScse001(message_id, wrapped, "must be the last child")

    def test_signature_before_employees_fails_schema(self):
        message_id, document = signed_timesheet()
        signature = SIGNATURE.search(document).group(0)
        moved = SIGNATURE.sub("", document).replace("<ts:employees ", signature + "<ts:employees ", 1)
        response = self.service.send_timesheet(moved, message_id)
        self.assertFault(response, "timesheet-v1.xsd")
        self.assertNotIn(message_id, self.service.messages())


if __name__ == "__main__":
    unittest.main()
