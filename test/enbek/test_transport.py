"""TLS, HTTP, the SOAP envelope, sender authentication and the request
log."""
import http.client
import re
import ssl
import unittest
import warnings

from enbek_testlib import (
    SENDER_ID,
    ServiceTestCase,
    employee,
    envelope,
    new_message_id,
    pki_file,
    sender_password,
    sign,
    sign_envelope,
    signed_timesheet,
    status_request,
    timesheet_document,
)


class TlsTest(ServiceTestCase):

    def test_client_without_test_ca_fails(self):
        connection = self.service.connection(context=ssl.create_default_context())
        with self.assertRaises(ssl.SSLCertVerificationError):
            connection.request("GET", "/_control/health")
        connection.close()

    def test_plain_http_gets_no_response(self):
        connection = http.client.HTTPConnection("127.0.0.1", self.service.port, timeout=10)
        with self.assertRaises((http.client.HTTPException, ConnectionError)):
            connection.request("GET", "/_control/health")
            connection.getresponse()
        connection.close()

    def test_tls_1_1_rejected(self):
        # Security level 0 lets this client offer TLS 1.1, so the rejection
        # comes from the server's minimum version.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            context.load_verify_locations(pki_file("ca.crt"))
            context.set_ciphers("DEFAULT:@SECLEVEL=0")
            context.minimum_version = ssl.TLSVersion.TLSv1_1
            context.maximum_version = ssl.TLSVersion.TLSv1_1
        connection = self.service.connection(context=context)
        with self.assertRaisesRegex(ssl.SSLError, "PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL"):
            connection.request("GET", "/_control/health")
        connection.close()

    def test_tls_1_2_accepted(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(pki_file("ca.crt"))
        context.maximum_version = ssl.TLSVersion.TLSv1_2
        connection = self.service.connection(context=context)
        connection.request("GET", "/_control/health")
        self.assertEqual(connection.getresponse().status, 200)
        self.assertEqual(connection.sock.version(), "TLSv1.2")
        connection.close()

    def test_certificate_names_loopback(self):
        connection = self.service.connection()
        connection.request("GET", "/_control/health")
        self.assertEqual(connection.getresponse().status, 200)
        self.assertGreaterEqual(connection.sock.version(), "TLSv1.2")
        connection.close()


class HttpTest(ServiceTestCase):

    def test_health(self):
        self.assertEqual(self.service.control("GET", "health"), (200, {"ok": True}))

    def test_unknown_path(self):
        status, _, _ = self.service.request("POST", "/bip-async/", b"<x/>")
        self.assertEqual(status, 404)

    def test_get_on_endpoint(self):
        status, headers, _ = self.service.request("GET", "/bip-sync/")
        self.assertEqual(status, 405)
        self.assertEqual(headers["Allow"], "POST")

    def test_content_length_required(self):
        connection = self.service.connection()
        connection.putrequest("POST", "/bip-sync/")
        connection.putheader("Content-Type", "text/xml; charset=utf-8")
        connection.endheaders()
        self.assertEqual(connection.getresponse().status, 411)
        connection.close()

    def test_huge_body_rejected_unread(self):
        connection = self.service.connection()
        connection.putrequest("POST", "/bip-sync/")
        connection.putheader("Content-Type", "text/xml; charset=utf-8")
        connection.putheader("Content-Length", str(64 * 1024 * 1024))
        connection.endheaders()
        response = connection.getresponse()
        self.assertEqual(response.status, 413)
        self.assertEqual(response.headers["Connection"], "close")
        connection.close()

    def test_chunked_request(self):
        message_id, document = signed_timesheet()
        body = envelope(document, message_id)
        connection = self.service.connection()
        chunks = [body[i:i + 4096] for i in range(0, len(body), 4096)]
        connection.request("POST", "/bip-sync/", body=iter(chunks),
                           headers={"Content-Type": "text/xml; charset=utf-8"}, encode_chunked=True)
        response = connection.getresponse()
        self.assertEqual(response.status, 200)
        self.assertIn(b"SCSS001", response.read())
        connection.close()

    def test_connection_kept_alive(self):
        connection = self.service.connection()
        for _ in range(3):
            connection.request("GET", "/_control/health")
            response = connection.getresponse()
            self.assertEqual(response.read(), b'{"ok": true}')
        connection.close()


class EnvelopeTest(ServiceTestCase):

    def test_wrong_content_type(self):
        message_id, document = signed_timesheet()
        response = self.service.post_soap(envelope(document, message_id), content_type="application/json")
        self.assertFault(response, "text/xml; charset=utf-8")

    def test_not_xml(self):
        self.assertFault(self.service.post_soap(b"<soap:Envelope"), "not well-formed XML")

    def test_not_an_envelope(self):
        self.assertFault(self.service.post_soap(b"<Envelope/>"), "SOAP 1.1 Envelope")

    def test_document_type_declaration(self):
        body = (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
                b'<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"/>')
        self.assertFault(self.service.post_soap(body), "document type declaration")

    def test_missing_message_date(self):
        body = envelope("<x/>", new_message_id()).replace(
            b"<messageDate>2026-12-04T16:00:00.000+05:00</messageDate>", b"")
        self.assertFault(self.service.post_soap(body), "requestInfo is missing messageDate")

    def test_message_date_without_offset(self):
        body = envelope("<x/>", new_message_id(), message_date="2026-12-04T16:00:00")
        self.assertFault(self.service.post_soap(body), "with an offset")

    def test_unexpected_request_info_element(self):
        body = envelope("<x/>", new_message_id()).replace(b"<requestInfo>", b"<requestInfo><priority>1</priority>")
        self.assertFault(self.service.post_soap(body), "unexpected element priority")

    def test_correlation_and_session_ids_accepted(self):
        message_id, document = signed_timesheet()
        body = envelope(document, message_id, body_key=None).replace(
            b"<requestInfo>", b"<requestInfo><correlationId>c-1</correlationId><sessionId>s-1</sessionId>")
        self.assertEqual(self.service.post_soap(sign_envelope(body)).code, "SCSS001")

    def test_empty_data(self):
        response = self.service.post_soap(envelope("", new_message_id()))
        self.assertFault(response, "exactly one ts:timesheetRequest")

    def test_unknown_service_id(self):
        response = self.service.post_soap(envelope("<x/>", new_message_id(), service_id="contract"))
        self.assertFault(response, "unknown serviceId 'contract'")

    def test_wrong_sender_password(self):
        response = self.service.post_soap(envelope("<x/>", new_message_id(), password="guess"))
        self.assertFault(response, "authentication failed")

    def test_wrong_sender_id(self):
        response = self.service.post_soap(envelope("<x/>", new_message_id(), sender_id="SOMEONE-ELSE"))
        self.assertFault(response, "authentication failed for senderId 'SOMEONE-ELSE'")

    def test_status_query_needs_sender_password(self):
        body = envelope(status_request(new_message_id()), new_message_id(),
                        service_id="OTAN_TIMESHEET_STATUS_V1", password="guess")
        self.assertFault(self.service.post_soap(body), "authentication failed")

    def test_fault_not_recorded(self):
        message_id, document = signed_timesheet()
        self.service.post_soap(envelope(document, message_id, password="guess"))
        self.assertNotIn(message_id, self.service.messages())
        self.assertEqual(self.service.send_timesheet(document, message_id).code, "SCSS001")


class RequestLogTest(ServiceTestCase):

    def access_line(self, message_id):
        return rf"enbekd\.access INFO: POST /bip-sync/ service=\S+ message={message_id} "

    def test_one_line_per_request(self):
        message_id, document = signed_timesheet()
        self.service.send_timesheet(document, message_id)
        pattern = (r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z enbekd\.access INFO: POST /bip-sync/ "
                   rf"service=OTAN_TIMESHEET_V1 message={message_id} status=200 code=SCSS001 \d+\.\dms$")
        self.assertRegex(self.service.wait_for_log(pattern), re.compile(pattern, re.M))

    def test_rejection_reason_logged_masked(self):
        iin = "810111300012"
        message_id = new_message_id()
        document = sign(timesheet_document(message_id, employees=[employee(iin), employee(iin)]))
        self.assertEqual(self.service.send_timesheet(document, message_id).fault_code, "soap:Client")
        log = self.service.wait_for_log(self.access_line(message_id))
        self.assertIn(f"message={message_id} status=500 code=soap:Client", log)
        self.assertIn("reason=", log)
        self.assertIn("******300012", log)
        self.assertNotIn(iin, log)

    def test_signer_iin_not_in_messages(self):
        message_id, document = signed_timesheet(key="expired.p12")
        response = self.service.send_timesheet(document, message_id)
        self.assertEqual(response.code, "SCSE001")
        self.assertNotIn("751201400423", response.message)
        log = self.service.wait_for_log(self.access_line(message_id))
        self.assertIn(f"message={message_id} status=200 code=SCSE001", log)
        self.assertNotIn("751201400423", log)

    def test_passwords_never_logged(self):
        wrong = "wrong-" + new_message_id()
        self.service.post_soap(envelope("<x/>", new_message_id(), password=wrong))
        message_id, document = signed_timesheet()
        self.service.send_timesheet(document, message_id)
        log = self.service.wait_for_log(self.access_line(message_id))
        self.assertIn(f"authentication failed for senderId '{SENDER_ID}'", log)
        self.assertIn(f"message={message_id} status=200", log)
        self.assertNotIn(wrong, log)
        self.assertNotIn(sender_password(), log)


if __name__ == "__main__":
    unittest.main()
