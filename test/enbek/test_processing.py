"""Asynchronous processing: the per-employee checks, status queries and
persistence across a restart."""
import os
import shutil
import tempfile
import unittest

from enbek_testlib import (
    BAD_IIN,
    CONTRACT_ENDED,
    CONTRACTED,
    FUTURE_DATE,
    NO_CONTRACT,
    STATUS_SERVICE,
    ServiceProcess,
    ServiceTestCase,
    contracted_employees,
    employee,
    envelope,
    new_message_id,
    signed_timesheet,
    status_request,
    unused_iin,
)


class EmployeeChecksTest(ServiceTestCase):

    def deliver(self, **fields):
        message_id, document = signed_timesheet(**fields)
        response = self.service.send_timesheet(document, message_id)
        self.assertEqual(response.code, "SCSS001", response)
        return message_id, self.service.wait_for_state(message_id)

    def test_accepted(self):
        message_id, response = self.deliver()
        self.assertEqual(response.code, "SCSS001")
        self.assertEqual(response.state, "ACCEPTED")
        self.assertEqual(response.errors, [])
        self.assertEqual(response.data_message_id, message_id)
        self.assertNotEqual(response.message_id, message_id)  # the query has its own id

    def test_scse045_iin_check_digit(self):
        _, response = self.deliver(employees=[employee(BAD_IIN)])
        self.assertEqual(response.state, "REJECTED")
        self.assertEqual(response.code, "SCSE045")
        self.assertEqual(response.errors, [("SCSE045", BAD_IIN)])

    def test_scse012_no_contract(self):
        _, response = self.deliver(employees=[employee(NO_CONTRACT)])
        self.assertEqual(response.state, "REJECTED")
        self.assertEqual(response.code, "SCSE012")
        self.assertEqual(response.errors, [("SCSE012", NO_CONTRACT)])

    def test_scse012_contract_id_unknown(self):
        iin = next(iter(CONTRACTED))
        _, response = self.deliver(employees=[employee(iin, "C-1999-0042")])
        self.assertEqual(response.errors, [("SCSE012", iin)])
        self.assertIn("C-1999-0042", response.message)

    def test_scse211_contract_ended_before_period(self):
        _, response = self.deliver(employees=[employee(CONTRACT_ENDED)])
        self.assertEqual(response.state, "REJECTED")
        self.assertEqual(response.code, "SCSE211")
        self.assertEqual(response.errors, [("SCSE211", CONTRACT_ENDED)])

    def test_contract_covering_period_accepted(self):
        # The contract that ended 2024-12-31 covers December 2024.
        _, response = self.deliver(employees=[employee(CONTRACT_ENDED, "C-2024-0005")], period="2024-12")
        self.assertEqual(response.state, "ACCEPTED", response)

    def test_contract_starting_after_period(self):
        _, response = self.deliver(employees=[employee(next(iter(CONTRACTED)))], period="2023-12")
        self.assertEqual(response.code, "SCSE211")

    def test_one_error_per_problem(self):
        employees = contracted_employees() + [employee(NO_CONTRACT), employee(BAD_IIN), employee(CONTRACT_ENDED)]
        _, response = self.deliver(employees=employees)
        self.assertEqual(response.state, "REJECTED")
        self.assertEqual(response.code, "SCSE012")  # the first error's code
        self.assertEqual(response.errors, [
            ("SCSE012", NO_CONTRACT),
            ("SCSE045", BAD_IIN),
            ("SCSE211", CONTRACT_ENDED),
        ])

    def test_added_contract_used(self):
        # Added contracts stay after a reset, so this test uses an IIN of
        # its own.
        iin = unused_iin()
        status, value = self.service.control("POST", "contracts", [
            {"bin": "050440000012", "iin": iin, "contractId": "C-2026-0100",
             "start": "2026-11-15", "end": None},
        ])
        self.assertEqual((status, value), (200, {"ok": True, "added": 1}))
        _, response = self.deliver(employees=[employee(iin, "C-2026-0100")])
        self.assertEqual(response.state, "ACCEPTED", response)

    def test_unknown_message_id(self):
        message_id = new_message_id()
        response = self.service.query_status(message_id)
        self.assertEqual(response.status, 200)
        self.assertEqual(response.code, "SCSS001")
        self.assertEqual(response.state, "UNKNOWN")
        self.assertEqual(response.data_message_id, message_id)

    def test_status_query_with_malformed_id(self):
        body = envelope(status_request(new_message_id()), "short", service_id=STATUS_SERVICE)
        response = self.service.post_soap(body)
        self.assertEqual(response.code, "SCSE087")
        self.assertFalse(response.has_data)

    def test_status_query_dated_in_future(self):
        response = self.service.query_status(new_message_id(), message_date=FUTURE_DATE)
        self.assertEqual(response.code, "SCSE059")
        self.assertFalse(response.has_data)

    def test_status_query_names_malformed_id(self):
        response = self.service.query_status("not-a-message-id")
        self.assertFault(response, "ts:messageId")

    def test_status_query_with_timesheet_data(self):
        message_id, document = signed_timesheet()
        response = self.service.post_soap(envelope(document, new_message_id(), service_id=STATUS_SERVICE))
        self.assertFault(response, "exactly one ts:statusRequest")

    def test_status_query_not_recorded(self):
        self.service.query_status(new_message_id())
        self.assertEqual(self.service.messages(), {})


class PendingStateTest(ServiceTestCase):
    """A processing delay longer than any test, so the state stays
    PROCESSING."""

    processing_delay = 3600

    def test_processing_until_delay_passes(self):
        message_id, document = signed_timesheet()
        self.assertEqual(self.service.send_timesheet(document, message_id).state, "RECEIVED")
        response = self.service.query_status(message_id)
        self.assertEqual(response.code, "SCSS001")
        self.assertEqual(response.state, "PROCESSING")
        self.assertEqual(self.service.messages()[message_id]["state"], "PROCESSING")


class RestartTest(unittest.TestCase):
    """Messages and added contracts survive a restart with the same state
    directory, and unfinished checks resume."""

    def setUp(self):
        self.state_dir = tempfile.mkdtemp(prefix="enbek-state.")
        self.addCleanup(shutil.rmtree, self.state_dir, True)
        self.service = None
        self.addCleanup(lambda: self.service and self.service.stop())

    def start(self, processing_delay):
        self.service = ServiceProcess(processing_delay=processing_delay, state_dir=self.state_dir).start()
        return self.service

    def test_messages_survive_restart(self):
        service = self.start(processing_delay=3600)
        pending_id, pending = signed_timesheet()
        rejected_id, rejected = signed_timesheet(bin_="110340000072")
        self.assertEqual(service.send_timesheet(pending, pending_id).code, "SCSS001")
        self.assertEqual(service.send_timesheet(rejected, rejected_id).code, "SCSE046")
        added_iin = unused_iin()
        service.control("POST", "contracts", [
            {"bin": "050440000012", "iin": added_iin, "contractId": "C-2026-0200",
             "start": "2026-01-01", "end": None},
        ])
        self.assertEqual(service.stop(), 0)

        service = self.start(processing_delay=0.1)
        self.assertEqual(service.wait_for_state(pending_id).state, "ACCEPTED")
        self.assertEqual(service.send_timesheet(pending, pending_id).code, "SCSE196")
        self.assertEqual(service.send_timesheet(rejected, rejected_id).code, "SCSE196")
        status = service.query_status(rejected_id)
        self.assertEqual((status.state, status.code), ("REJECTED", "SCSE046"))

        messages = service.messages()
        self.assertEqual(messages[pending_id]["sendCount"], 2)
        self.assertEqual(messages[rejected_id]["sendCount"], 2)

        added_id, added = signed_timesheet(employees=[employee(added_iin)])
        service.send_timesheet(added, added_id)
        self.assertEqual(service.wait_for_state(added_id).state, "ACCEPTED")

    def test_reset_survives_restart(self):
        service = self.start(processing_delay=0.1)
        message_id, document = signed_timesheet()
        service.send_timesheet(document, message_id)
        service.control("POST", "reset")
        service.stop()
        service = self.start(processing_delay=0.1)
        self.assertEqual(service.messages(), {})
        self.assertEqual(service.send_timesheet(document, message_id).code, "SCSS001")

    def test_journal_line_cut_short_is_skipped(self):
        service = self.start(processing_delay=0.1)
        message_id, document = signed_timesheet()
        service.send_timesheet(document, message_id)
        service.wait_for_state(message_id)
        service.stop()
        with open(os.path.join(self.state_dir, "messages.jsonl"), "a") as f:
            f.write('{"messageId": "cut')
        service = self.start(processing_delay=0.1)
        self.assertEqual(service.send_timesheet(document, message_id).code, "SCSE196")
        self.assertIn("is not a message record and is skipped", service.log())


if __name__ == "__main__":
    unittest.main()
