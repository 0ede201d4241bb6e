"""The checks a timesheet gets at once: every row of the synchronous code
table except SCSE001, which test_signature covers."""
import concurrent.futures
import datetime
import unittest

from enbek_testlib import (
    BAD_BIN,
    BIN,
    FUTURE_DATE,
    OTHER_BIN,
    ServiceTestCase,
    envelope,
    many_employees,
    new_message_id,
    signed_timesheet,
    timesheet_document,
    sign,
)


class TimesheetReceiptTest(ServiceTestCase):

    def test_valid_timesheet_received(self):
        message_id, document = signed_timesheet()
        response = self.service.send_timesheet(document, message_id)
        self.assertEqual(response.status, 200)
        self.assertEqual(response.code, "SCSS001")
        self.assertEqual(response.message_id, message_id)
        self.assertEqual(response.data_message_id, message_id)
        self.assertEqual(response.state, "RECEIVED")
        self.assertEqual(response.errors, [])
        self.assertIn(message_id, self.service.messages())

    def test_leaf_certificate_alone_accepted(self):
        message_id = new_message_id()
        document = sign(timesheet_document(message_id), leaf_only=True)
        response = self.service.send_timesheet(document, message_id)
        self.assertEqual(response.code, "SCSS001", response)

    def test_concurrent_sends_of_one_message(self):
        # One of the simultaneous sends is received, the others are
        # re-sends, and every one is counted.
        message_id, document = signed_timesheet()
        body = envelope(document, message_id)
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda _: self.service.post_soap(body).code, range(8)))
        self.assertEqual(sorted(codes), ["SCSE196"] * 7 + ["SCSS001"])
        self.assertEqual(self.service.messages()[message_id]["sendCount"], 8)

    def test_concurrent_sends_of_many_messages(self):
        signed = [signed_timesheet() for _ in range(8)]
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            responses = list(pool.map(lambda pair: self.service.send_timesheet(pair[1], pair[0]), signed))
        self.assertEqual([a.code for a in responses], ["SCSS001"] * 8)
        self.assertEqual([a.message_id for a in responses], [message_id for message_id, _ in signed])
        self.assertEqual(set(self.service.messages()), {message_id for message_id, _ in signed})

    def test_scse087_message_id_too_short(self):
        message_id = "4f1c-too-short"
        _, document = signed_timesheet(message_id="4f1c2d3e-0000-4000-8000-00000000abcd")
        response = self.service.send_timesheet(document, message_id)
        self.assertRejected(response, "SCSE087", message_id)
        self.assertNotIn(message_id, self.service.messages())

    def test_scse087_message_id_with_invalid_character(self):
        message_id = "4f1c2d3e_0000_4000_8000_000000000001"
        response = self.service.send_timesheet("<x/>", message_id)
        self.assertRejected(response, "SCSE087", message_id)

    def test_scse087_message_id_differs_from_document(self):
        _, document = signed_timesheet()
        message_id = new_message_id()
        response = self.service.send_timesheet(document, message_id)
        self.assertRejected(response, "SCSE087", message_id)
        self.assertEqual(self.service.messages()[message_id]["state"], "REJECTED")

    def test_scse196_resend_of_received_message(self):
        message_id, document = signed_timesheet()
        self.assertEqual(self.service.send_timesheet(document, message_id).code, "SCSS001")
        response = self.service.send_timesheet(document, message_id)
        self.assertEqual(response.status, 200)
        self.assertEqual(response.code, "SCSE196")
        self.assertEqual(response.message_id, message_id)
        self.assertFalse(response.has_data)
        self.assertEqual(self.service.messages()[message_id]["sendCount"], 2)

    def test_scse196_resend_of_rejected_message(self):
        message_id, document = signed_timesheet(bin_=OTHER_BIN)
        self.assertEqual(self.service.send_timesheet(document, message_id).code, "SCSE046")
        response = self.service.send_timesheet(document, message_id)
        self.assertEqual(response.code, "SCSE196")

    def test_scse196_id_reused_for_other_document(self):
        message_id, document = signed_timesheet()
        self.service.send_timesheet(document, message_id)
        _, other = signed_timesheet(message_id=message_id, period="2026-10")
        self.assertEqual(self.service.send_timesheet(other, message_id).code, "SCSE196")

    def test_scse999_body_over_limit(self):
        message_id, document = signed_timesheet(employees=many_employees(80))
        body = envelope(document, message_id)
        self.assertGreater(len(body), 102400)
        response = self.service.post_soap(body)
        self.assertRejected(response, "SCSE999", message_id)
        self.assertIn(f"{len(body)} bytes", response.message)
        self.assertEqual(self.service.messages()[message_id]["state"], "REJECTED")

    def test_scse999_limit_is_inclusive(self):
        # The same document padded with blanks outside the signed part to
        # exactly the limit, then to one byte more.
        message_id, document = signed_timesheet(employees=many_employees(20))
        unpadded = len(envelope(document, message_id))
        self.assertLess(unpadded, 102400)
        at_limit = envelope(document, message_id, padding=" " * (102400 - unpadded))
        self.assertEqual(len(at_limit), 102400)
        self.assertEqual(self.service.post_soap(at_limit).code, "SCSS001")

        message_id, document = signed_timesheet(employees=many_employees(20))
        over = envelope(document, message_id, padding=" " * (102401 - len(envelope(document, message_id))))
        self.assertEqual(len(over), 102401)
        self.assertRejected(self.service.post_soap(over), "SCSE999", message_id)

    def test_scse043_bin_check_digit(self):
        message_id, document = signed_timesheet(bin_=BAD_BIN)
        response = self.service.send_timesheet(document, message_id)
        self.assertRejected(response, "SCSE043", message_id)
        self.assertIn(BAD_BIN, response.message)

    def test_scse046_bin_differs_from_certificate(self):
        message_id, document = signed_timesheet(bin_=OTHER_BIN)
        response = self.service.send_timesheet(document, message_id)
        self.assertRejected(response, "SCSE046", message_id)
        self.assertIn(BIN, response.message)
        self.assertIn(OTHER_BIN, response.message)

    def test_scse046_key_of_other_organization(self):
        message_id, document = signed_timesheet(key="otherbin.p12")
        response = self.service.send_timesheet(document, message_id)
        self.assertRejected(response, "SCSE046", message_id)

    def test_scse059_message_date_in_future(self):
        message_id, document = signed_timesheet()
        response = self.service.send_timesheet(document, message_id, message_date=FUTURE_DATE)
        self.assertRejected(response, "SCSE059", message_id)

    def test_message_date_within_clock_tolerance(self):
        # Two minutes ahead is within the five minutes allowed for clocks
        # that differ.
        ahead = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(minutes=2)
        message_id, document = signed_timesheet()
        response = self.service.send_timesheet(document, message_id, message_date=ahead.isoformat())
        self.assertEqual(response.code, "SCSS001", response)

    def test_scse059_period_after_current_month(self):
        message_id, document = signed_timesheet(period="2999-01")
        response = self.service.send_timesheet(document, message_id)
        self.assertRejected(response, "SCSE059", message_id)
        self.assertIn("2999-01", response.message)

    def test_check_order_bin_before_date(self):
        # A document with several problems gets the first code of the table.
        message_id, document = signed_timesheet(bin_=OTHER_BIN, period="2999-01")
        response = self.service.send_timesheet(document, message_id, message_date=FUTURE_DATE)
        self.assertRejected(response, "SCSE046", message_id)

    def test_status_of_rejected_message(self):
        message_id, document = signed_timesheet(bin_=BAD_BIN)
        self.service.send_timesheet(document, message_id)
        response = self.service.query_status(message_id)
        self.assertEqual(response.code, "SCSE043")
        self.assertEqual(response.state, "REJECTED")
        self.assertEqual(response.errors, [("SCSE043", None)])


if __name__ == "__main__":
    unittest.main()
