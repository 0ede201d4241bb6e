"""The WS-Security signature of soap:Body: a request without it, or with
one that does not match, gets a soap:Client fault, and nothing is stored."""
import hashlib
import re
import unittest

from enbek_testlib import (
    STATUS_SERVICE,
    ServiceTestCase,
    envelope,
    new_message_id,
    sender_password,
    sign_envelope,
    signed_timesheet,
    status_request,
)

REFERENCE_URI = b'URI="#test-body"'


class BodySignatureTest(ServiceTestCase):

    def assertNotStored(self, message_id):
        self.assertNotIn(message_id, self.service.messages())

    def test_signed_request_received(self):
        message_id, document = signed_timesheet()
        response = self.service.post_soap(envelope(document, message_id))
        self.assertEqual(response.code, "SCSS001", response)
        self.assertIn(message_id, self.service.messages())

    def test_missing_header(self):
        message_id, document = signed_timesheet()
        response = self.service.post_soap(envelope(document, message_id, body_key=None))
        self.assertFault(response, "soap:Header with wsse:Security is missing")
        self.assertNotStored(message_id)

    def test_empty_header(self):
        message_id, document = signed_timesheet()
        body = envelope(document, message_id, body_key=None).replace(b"<soap:Body>", b"<soap:Header/><soap:Body>")
        self.assertFault(self.service.post_soap(body), "exactly one wsse:Security")
        self.assertNotStored(message_id)

    def test_status_query_without_signature(self):
        body = envelope(status_request(new_message_id()), new_message_id(), service_id=STATUS_SERVICE,
                        body_key=None)
        self.assertFault(self.service.post_soap(body), "soap:Header with wsse:Security is missing")

    def test_body_changed_after_signing(self):
        message_id, document = signed_timesheet()
        body = envelope(document, message_id).replace(b"<ns2:SendMessage", b" <ns2:SendMessage", 1)
        self.assertFault(self.service.post_soap(body), "soap:Body was changed after signing")
        self.assertNotStored(message_id)

    def test_password_changed_after_signing(self):
        message_id, document = signed_timesheet()
        password = sender_password().encode()
        body = envelope(document, message_id, password="other").replace(
            b"<password>other</password>", b"<password>" + password + b"</password>")
        self.assertFault(self.service.post_soap(body), "soap:Body was changed after signing")

    def test_reference_to_other_element(self):
        message_id, document = signed_timesheet()
        body = envelope(document, message_id).replace(REFERENCE_URI, b'URI="#other"')
        self.assertFault(self.service.post_soap(body), "not the id of soap:Body")

    def test_body_without_id(self):
        message_id, document = signed_timesheet()
        body, count = re.subn(rb' [\w.-]+:Id="test-body"', b"", envelope(document, message_id))
        self.assertEqual(count, 1)
        self.assertFault(self.service.post_soap(body), "soap:Body has no wsu:Id")

    def test_untrusted_key(self):
        message_id, document = signed_timesheet()
        body = envelope(document, message_id, body_key="untrusted.p12")
        self.assertFault(self.service.post_soap(body), "does not chain to the trusted CA")
        self.assertNotStored(message_id)

    def test_expired_key(self):
        message_id, document = signed_timesheet()
        body = envelope(document, message_id, body_key="expired.p12")
        self.assertFault(self.service.post_soap(body), "expired on")

    def test_two_signatures(self):
        message_id, document = signed_timesheet()
        body = envelope(document, message_id, body_key=None)
        signed = sign_envelope(body)
        start = signed.index(b"<ds:Signature")
        end = signed.index(b"</ds:Signature>") + len(b"</ds:Signature>")
        doubled = signed[:end] + signed[start:end] + signed[end:]
        self.assertFault(self.service.post_soap(doubled), "exactly one ds:Signature")


class RequestDigestTest(ServiceTestCase):
    """/_control/messages lists the distinct SHA-256 digests of the request
    bodies that carried a message, so that a test can check that a re-send
    repeated the request byte for byte."""

    def test_same_request_twice(self):
        message_id, document = signed_timesheet()
        body = envelope(document, message_id)
        self.assertEqual(self.service.post_soap(body).code, "SCSS001")
        self.assertEqual(self.service.post_soap(body).code, "SCSE196")
        record = self.service.messages()[message_id]
        self.assertEqual(record["sendCount"], 2)
        self.assertEqual(record["bodySha256"], [hashlib.sha256(body).hexdigest()])

    def test_different_request_same_message(self):
        message_id, document = signed_timesheet()
        first = envelope(document, message_id)
        second = envelope(document, message_id, padding=" ")
        self.service.post_soap(first)
        self.service.post_soap(second)
        record = self.service.messages()[message_id]
        self.assertEqual(record["bodySha256"],
                         [hashlib.sha256(first).hexdigest(), hashlib.sha256(second).hexdigest()])


if __name__ == "__main__":
    unittest.main()
