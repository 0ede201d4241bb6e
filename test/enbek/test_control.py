"""The /_control endpoints: the message list and its counts, reset,
contracts and errors."""
import threading
import unittest

from enbek_testlib import (
    BIN,
    NO_CONTRACT,
    PERIOD,
    ServiceTestCase,
    contracted_employees,
    employee,
    signed_timesheet,
)


class MessagesTest(ServiceTestCase):

    def test_counts_and_fields(self):
        first_id, first = signed_timesheet()
        second_id, second = signed_timesheet(employees=[employee(NO_CONTRACT)])
        self.service.send_timesheet(first, first_id)
        self.service.send_timesheet(first, first_id)
        self.service.send_timesheet(first, first_id)
        self.service.send_timesheet(second, second_id)
        self.service.wait_for_state(first_id)
        self.service.wait_for_state(second_id)

        _, value = self.service.control("GET", "messages")
        self.assertEqual([m["messageId"] for m in value["messages"]], [first_id, second_id])
        listed = self.service.messages()
        self.assertEqual(listed[first_id]["sendCount"], 3)
        self.assertEqual(listed[first_id]["state"], "ACCEPTED")
        self.assertEqual(listed[first_id]["errors"], [])
        self.assertEqual(listed[first_id]["bin"], BIN)
        self.assertEqual(listed[first_id]["period"], PERIOD)
        self.assertEqual(listed[first_id]["employeeCount"], len(contracted_employees()))
        self.assertEqual(listed[second_id]["sendCount"], 1)
        self.assertEqual(listed[second_id]["state"], "REJECTED")
        self.assertEqual(listed[second_id]["employeeCount"], 1)
        self.assertEqual([e["code"] for e in listed[second_id]["errors"]], ["SCSE012"])
        self.assertEqual(listed[second_id]["errors"][0]["iin"], NO_CONTRACT)

    def test_reset_forgets_messages(self):
        message_id, document = signed_timesheet()
        self.service.send_timesheet(document, message_id)
        self.assertEqual(self.service.control("POST", "reset"), (200, {"ok": True}))
        self.assertEqual(self.service.messages(), {})
        self.assertEqual(self.service.query_status(message_id).state, "UNKNOWN")
        self.assertEqual(self.service.send_timesheet(document, message_id).code, "SCSS001")

    def test_reset_with_options_rejected(self):
        status, value = self.service.control("POST", "reset", {"contracts": True})
        self.assertEqual(status, 400)
        self.assertIn("reset takes no options", value["error"])


class FaultListTest(ServiceTestCase):

    def test_pending_faults_listed(self):
        self.service.control("POST", "fault", {"mode": "http503", "count": 3, "service": "any"})
        message_id, document = signed_timesheet()
        self.assertEqual(self.service.send_timesheet(document, message_id).status, 503)
        status, value = self.service.control("GET", "faults")
        self.assertEqual(status, 200)
        self.assertEqual(value["faults"], [{"mode": "http503", "count": 2, "service": "any"}])

    def test_clear_faults_keeps_messages(self):
        message_id, document = signed_timesheet()
        self.service.send_timesheet(document, message_id)
        self.service.control("POST", "fault", {"mode": "http503", "count": 5})
        self.assertEqual(self.service.control("POST", "clear-faults"),
                         (200, {"ok": True, "cleared": [{"mode": "http503", "count": 5, "service": "timesheet"}]}))
        self.assertEqual(self.service.control("GET", "faults"), (200, {"faults": []}))
        self.assertEqual(self.service.messages()[message_id]["sendCount"], 1)
        self.assertEqual(self.service.send_timesheet(document, message_id).code, "SCSE196")

    def test_clear_faults_with_options_rejected(self):
        status, value = self.service.control("POST", "clear-faults", {"all": True})
        self.assertEqual(status, 400)
        self.assertIn("clear-faults takes no options", value["error"])


class ContractsTest(ServiceTestCase):

    def assertBadRequest(self, contracts, text):
        status, value = self.service.control("POST", "contracts", contracts)
        self.assertEqual(status, 400, value)
        self.assertIn(text, value["error"])

    def test_not_a_list(self):
        self.assertBadRequest({"bin": BIN}, "JSON list")

    def test_missing_field(self):
        self.assertBadRequest([{"bin": BIN, "iin": NO_CONTRACT, "contractId": "C-1", "start": "2026-01-01"}],
                           "missing fields ['end']")

    def test_invalid_iin(self):
        self.assertBadRequest([{"bin": BIN, "iin": "123", "contractId": "C-1", "start": "2026-01-01", "end": None}],
                           "contract 1: iin must be 12 digits")

    def test_invalid_date(self):
        self.assertBadRequest([{"bin": BIN, "iin": NO_CONTRACT, "contractId": "C-1", "start": "2026-02-30",
                             "end": None}], "start '2026-02-30' is not a date")

    def test_end_before_start(self):
        self.assertBadRequest([{"bin": BIN, "iin": NO_CONTRACT, "contractId": "C-1", "start": "2026-02-01",
                             "end": "2026-01-31"}], "end 2026-01-31 is before start 2026-02-01")


class RoutingTest(ServiceTestCase):

    def test_health(self):
        self.assertEqual(self.service.control("GET", "health"), (200, {"ok": True}))

    def test_unknown_endpoint(self):
        status, value = self.service.control("GET", "breakers")
        self.assertEqual(status, 404)
        self.assertIn("no control endpoint /_control/breakers", value["error"])

    def test_wrong_method(self):
        status, value = self.service.control("GET", "fault")
        self.assertEqual(status, 405)
        self.assertIn("accepts only POST", value["error"])


if __name__ == "__main__":
    unittest.main()


class InFlightTest(ServiceTestCase):

    def test_counts_concurrent_requests(self):
        # Each response waits a second, so the three requests overlap.
        self.service.add_fault(mode="delay", delay=1, count=3)
        documents = [signed_timesheet() for _ in range(3)]
        threads = [threading.Thread(target=self.service.send_timesheet, args=(document, message_id))
                   for message_id, document in documents]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        _, value = self.service.control("GET", "in-flight")
        self.assertEqual(value, {"current": 0, "maximum": 3})

    def test_reset_forgets_maximum(self):
        message_id, document = signed_timesheet()
        self.service.send_timesheet(document, message_id)
        _, before = self.service.control("GET", "in-flight")
        self.assertEqual(before["maximum"], 1)

        self.service.control("POST", "reset")
        _, after = self.service.control("GET", "in-flight")
        self.assertEqual(after, {"current": 0, "maximum": 0})
