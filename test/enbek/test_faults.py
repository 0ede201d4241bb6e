"""Fault injection: 503, 429 with Retry-After, a delayed response, a dropped
connection and a malformed response."""
import http.client
import time
import unittest
import xml.etree.ElementTree as ElementTree

from enbek_testlib import ServiceTestCase, envelope, new_message_id, signed_timesheet


class FaultTest(ServiceTestCase):

    def send(self, timeout=None):
        message_id, document = signed_timesheet()
        body = envelope(document, message_id)
        if timeout is None:
            return message_id, body, self.service.post_soap(body)
        return message_id, body, self.service.post_soap(body, timeout=timeout)

    def test_http503(self):
        self.service.add_fault(mode="http503")
        message_id, body, response = self.send()
        self.assertEqual(response.status, 503)
        self.assertEqual(response.fault_code, "soap:Server")
        self.assertNotIn(message_id, self.service.messages())
        # The fault is used up: the same request now goes through.
        self.assertEqual(self.service.post_soap(body).code, "SCSS001")

    def test_http429_with_retry_after(self):
        self.service.add_fault(mode="http429", retry_after=7)
        message_id, _, response = self.send()
        self.assertEqual(response.status, 429)
        self.assertEqual(response.headers["Retry-After"], "7")
        self.assertEqual(response.fault_code, "soap:Server")
        self.assertNotIn(message_id, self.service.messages())

    def test_count_applies_to_several_requests(self):
        self.service.add_fault(mode="http503", count=2)
        self.assertEqual(self.send()[2].status, 503)
        self.assertEqual(self.send()[2].status, 503)
        self.assertEqual(self.send()[2].status, 200)

    def test_faults_apply_in_order(self):
        self.service.add_fault(mode="http503")
        self.service.add_fault(mode="http429", retry_after=3)
        self.assertEqual(self.send()[2].status, 503)
        self.assertEqual(self.send()[2].status, 429)
        self.assertEqual(self.send()[2].status, 200)

    def test_fault_for_status_spares_timesheet(self):
        self.service.add_fault(mode="http503", service="status")
        message_id, _, response = self.send()
        self.assertEqual(response.code, "SCSS001")
        self.assertEqual(self.service.query_status(message_id).status, 503)
        self.assertEqual(self.service.query_status(message_id).status, 200)

    def test_fault_for_timesheet_spares_status(self):
        self.service.add_fault(mode="http503")
        self.assertEqual(self.service.query_status(new_message_id()).status, 200)
        self.assertEqual(self.send()[2].status, 503)

    def test_fault_for_any_service(self):
        self.service.add_fault(mode="http503", service="any", count=2)
        self.assertEqual(self.service.query_status(new_message_id()).status, 503)
        self.assertEqual(self.send()[2].status, 503)
        self.assertEqual(self.send()[2].status, 200)

    def test_delay_past_client_timeout(self):
        # The response is held for 30 s; the client gives up after 0.5 s, and
        # the message is processed all the same.
        self.service.add_fault(mode="delay", delay=30)
        message_id, document = signed_timesheet()
        with self.assertRaises(TimeoutError):
            self.service.post_soap(envelope(document, message_id), timeout=0.5)
        response = self.service.wait_for_state(message_id)
        self.assertEqual(response.state, "ACCEPTED")
        self.assertEqual(self.service.messages()[message_id]["sendCount"], 1)
        # The client's retry is recognised as a re-send.
        self.assertEqual(self.service.send_timesheet(document, message_id).code, "SCSE196")

    def test_delay_responds_late(self):
        self.service.add_fault(mode="delay", delay=1.5)
        started = time.monotonic()
        message_id, _, response = self.send()
        self.assertGreaterEqual(time.monotonic() - started, 1.5)
        self.assertEqual(response.code, "SCSS001")
        self.assertEqual(response.state, "RECEIVED")

    def test_drop_without_processing(self):
        self.service.add_fault(mode="drop")
        message_id, document = signed_timesheet()
        with self.assertRaises(http.client.RemoteDisconnected):
            self.service.post_soap(envelope(document, message_id))
        self.assertEqual(self.service.query_status(message_id).state, "UNKNOWN")
        self.assertNotIn(message_id, self.service.messages())
        self.assertEqual(self.service.send_timesheet(document, message_id).code, "SCSS001")

    def test_drop_after_processing(self):
        self.service.add_fault(mode="drop", process=True)
        message_id, document = signed_timesheet()
        with self.assertRaises(http.client.RemoteDisconnected):
            self.service.post_soap(envelope(document, message_id))
        self.assertEqual(self.service.wait_for_state(message_id).state, "ACCEPTED")
        self.assertEqual(self.service.send_timesheet(document, message_id).code, "SCSE196")

    def test_drop_sends_no_bytes(self):
        self.service.add_fault(mode="drop")
        message_id, document = signed_timesheet()
        body = envelope(document, message_id)
        request = (b"POST /bip-sync/ HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                   b"Content-Type: text/xml; charset=utf-8\r\n"
                   + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
        connection = self.service.connection()
        connection.connect()
        try:
            connection.sock.sendall(request)
            self.assertEqual(connection.sock.recv(1), b"")
        finally:
            connection.close()

    def test_malformed_response(self):
        self.service.add_fault(mode="malformed")
        message_id, document = signed_timesheet()
        status, headers, body = self.service.request(
            "POST", "/bip-sync/", envelope(document, message_id), {"Content-Type": "text/xml; charset=utf-8"})
        self.assertEqual(status, 200)
        self.assertTrue(headers["Content-Type"].startswith("text/xml"))
        with self.assertRaises(ElementTree.ParseError):
            ElementTree.fromstring(body)
        self.assertNotIn(message_id, self.service.messages())

    def test_malformed_response_after_processing(self):
        self.service.add_fault(mode="malformed", process=True)
        message_id, document = signed_timesheet()
        status, _, body = self.service.request(
            "POST", "/bip-sync/", envelope(document, message_id), {"Content-Type": "text/xml; charset=utf-8"})
        self.assertEqual(status, 200)
        with self.assertRaises(ElementTree.ParseError):
            ElementTree.fromstring(body)
        self.assertEqual(self.service.wait_for_state(message_id).state, "ACCEPTED")

    def test_unreadable_request_only_any_fault(self):
        self.service.add_fault(mode="http503")
        response = self.service.post_soap(b"not xml")
        self.assertEqual(response.status, 500)
        self.service.add_fault(mode="http503", service="any")
        self.assertEqual(self.service.post_soap(b"not xml").status, 503)

    def test_reset_forgets_faults(self):
        self.service.add_fault(mode="http503", count=5)
        self.service.control("POST", "reset")
        self.assertEqual(self.send()[2].status, 200)


class FaultRequestTest(ServiceTestCase):
    """Invalid fault requests are rejected with HTTP 400 and a reason."""

    def assertBadRequest(self, fault, text):
        status, value = self.service.control("POST", "fault", fault)
        self.assertEqual(status, 400, value)
        self.assertIn(text, value["error"])

    def test_unknown_mode(self):
        self.assertBadRequest({"mode": "explode"}, "mode must be one of")

    def test_count_not_positive(self):
        self.assertBadRequest({"mode": "http503", "count": 0}, "count must be a positive integer")

    def test_unknown_service(self):
        self.assertBadRequest({"mode": "http503", "service": "contract"}, "service must be one of")

    def test_option_of_other_mode(self):
        self.assertBadRequest({"mode": "delay", "retry_after": 3}, "retry_after applies only to mode http429")

    def test_negative_delay(self):
        self.assertBadRequest({"mode": "delay", "delay": -1}, "delay must be a positive number")

    def test_unknown_option(self):
        self.assertBadRequest({"mode": "drop", "after": 1}, "unknown fault options")

    def test_not_json(self):
        status, _, body = self.service.request("POST", "/_control/fault", b"{mode", {})
        self.assertEqual(status, 400)
        self.assertIn(b"not valid JSON", body)

    def test_accepted_fault_listed(self):
        status, value = self.service.control("POST", "fault", {"mode": "http429", "count": 2})
        self.assertEqual(status, 200)
        self.assertEqual(value["fault"], {"mode": "http429", "count": 2, "service": "timesheet", "retry_after": 1})
        self.assertEqual(value["pending"], [value["fault"]])


if __name__ == "__main__":
    unittest.main()
