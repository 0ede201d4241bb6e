"""A timesheet sent in parts: ts:timesheet/@part and @parts, the rules of
the document (soap:Client faults), and the checks of a part against the
other parts of the same timesheet (SCSE301, SCSE302)."""
import shutil
import tempfile
import unittest

from enbek_testlib import (
    CONTRACTED,
    FUTURE_DATE,
    NO_CONTRACT,
    ServiceProcess,
    ServiceTestCase,
    employee,
    new_message_id,
    sign,
    signed_timesheet,
    timesheet_document,
)

IINS = list(CONTRACTED)


def part(number, count, iins, timesheet_id=41, **fields):
    """Return (message id, signed document) of one part of a timesheet."""
    employees = [employee(iin, CONTRACTED.get(iin)) for iin in iins]
    return signed_timesheet(employees=employees, timesheet_id=timesheet_id, part=number,
                            parts=count, **fields)


class PartsTest(ServiceTestCase):

    def send(self, signed, **fields):
        message_id, document = signed
        return message_id, self.service.send_timesheet(document, message_id, **fields)

    def assertReceived(self, response):
        self.assertEqual(response.code, "SCSS001", response)
        self.assertEqual(response.state, "RECEIVED", response)

    def test_parts_accepted_each(self):
        sent = [self.send(part(1, 3, IINS[0:2])), self.send(part(2, 3, IINS[2:3])),
                self.send(part(3, 3, IINS[3:4]))]
        for _, response in sent:
            self.assertReceived(response)
        for message_id, _ in sent:
            self.assertEqual(self.service.wait_for_state(message_id).state, "ACCEPTED")

    def test_messages_list_parts(self):
        first_id, _ = self.send(part(1, 2, IINS[0:2]))
        whole_id, _ = self.send(signed_timesheet(timesheet_id=7))
        listed = self.service.messages()
        self.assertEqual(listed[first_id]["timesheetId"], "41")
        self.assertEqual(listed[first_id]["part"], 1)
        self.assertEqual(listed[first_id]["parts"], 2)
        self.assertEqual(listed[first_id]["employeeCount"], 2)
        self.assertEqual(listed[whole_id]["timesheetId"], "7")
        self.assertIsNone(listed[whole_id]["part"])
        self.assertIsNone(listed[whole_id]["parts"])

    def test_part_returned_alone(self):
        # A part is accepted or rejected on its own: an employee without a
        # contract rejects only the part that has the employee.
        first_id, first = self.send(part(1, 2, IINS[0:2]))
        second_id, second = self.send(part(2, 2, [IINS[2], NO_CONTRACT]))
        self.assertReceived(first)
        self.assertReceived(second)
        self.assertEqual(self.service.wait_for_state(first_id).state, "ACCEPTED")
        rejected = self.service.wait_for_state(second_id)
        self.assertEqual(rejected.state, "REJECTED")
        self.assertEqual(rejected.errors, [("SCSE012", NO_CONTRACT)])

    def test_part_above_parts_is_fault(self):
        message_id, response = self.send(part(3, 2, IINS[0:1]))
        self.assertFault(response, "ts:timesheet/@part is 3, but @parts is 2")
        self.assertNotIn(message_id, self.service.messages())

    def test_part_without_parts_is_fault(self):
        message_id = new_message_id()
        document = sign(timesheet_document(message_id, part=1))
        response = self.service.send_timesheet(document, message_id)
        self.assertFault(response, "only one of @part and @parts")
        self.assertNotIn(message_id, self.service.messages())

    def test_parts_without_part_is_fault(self):
        message_id = new_message_id()
        document = sign(timesheet_document(message_id, parts=2))
        self.assertFault(self.service.send_timesheet(document, message_id),
                         "only one of @part and @parts")

    def test_part_zero_fails_schema(self):
        message_id, response = self.send(part(0, 2, IINS[0:1]))
        self.assertFault(response, "'part'")
        self.assertNotIn(message_id, self.service.messages())

    def test_scse301_parts_differ(self):
        first_id, first = self.send(part(1, 2, IINS[0:1]))
        self.assertReceived(first)
        message_id, response = self.send(part(2, 3, IINS[1:2]))
        self.assertRejected(response, "SCSE301", message_id)
        self.assertIn("ts:timesheet/@parts is 3", response.message)
        self.assertIn(f"message {first_id}", response.message)
        self.assertIn("parts=2", response.message)
        self.assertEqual(self.service.messages()[message_id]["state"], "REJECTED")

    def test_scse301_part_number_repeated(self):
        first_id, first = self.send(part(2, 2, IINS[0:1]))
        self.assertReceived(first)
        message_id, response = self.send(part(2, 2, IINS[1:2]))
        self.assertRejected(response, "SCSE301", message_id)
        self.assertIn(f"part 2 of timesheet 41 of 2026-11 was received before in message {first_id}",
                      response.message)

    def test_scse302_employee_in_two_parts(self):
        first_id, first = self.send(part(1, 2, IINS[0:2]))
        self.assertReceived(first)
        message_id, response = self.send(part(2, 2, [IINS[1], IINS[2], IINS[0]]))
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.code, "SCSE302", response)
        self.assertEqual(response.state, "REJECTED")
        self.assertEqual(response.errors, [("SCSE302", IINS[1]), ("SCSE302", IINS[0])])
        self.assertIn(f"also in part 1 of timesheet 41 of 2026-11 (message {first_id})",
                      response.message)
        self.assertNotIn(IINS[1], response.message)

    def test_scse302_status_query_repeats_errors(self):
        self.send(part(1, 2, IINS[0:1]))
        message_id, _ = self.send(part(2, 2, IINS[0:1]))
        status = self.service.query_status(message_id)
        self.assertEqual((status.state, status.code), ("REJECTED", "SCSE302"))
        self.assertEqual(status.errors, [("SCSE302", IINS[0])])

    def test_rejected_part_does_not_count(self):
        # A part rejected by a check that runs at once, then sent again
        # corrected with a new message id, is not a repeat.
        rejected_id, rejected = self.send(part(1, 2, IINS[0:2]), message_date=FUTURE_DATE)
        self.assertRejected(rejected, "SCSE059", rejected_id)
        _, again = self.send(part(1, 2, IINS[0:2]))
        self.assertReceived(again)

    def test_part_rejected_for_repeat_does_not_count(self):
        self.send(part(1, 2, IINS[0:2]))
        _, repeat = self.send(part(2, 2, IINS[1:3]))
        self.assertEqual(repeat.code, "SCSE302")
        _, corrected = self.send(part(2, 2, IINS[2:4]))
        self.assertReceived(corrected)

    def test_part_rejected_later_still_counts(self):
        # Rejection by the employee checks comes after the part was taken,
        # so its employees still belong to it.
        first_id, _ = self.send(part(1, 2, [NO_CONTRACT]))
        self.assertEqual(self.service.wait_for_state(first_id).state, "REJECTED")
        _, response = self.send(part(2, 2, [NO_CONTRACT]))
        self.assertEqual(response.code, "SCSE302")

    def test_other_timesheet_id_not_compared(self):
        _, first = self.send(part(1, 2, IINS[0:2], timesheet_id=41))
        _, second = self.send(part(1, 3, IINS[0:2], timesheet_id=42))
        self.assertReceived(first)
        self.assertReceived(second)

    def test_other_period_not_compared(self):
        _, first = self.send(part(1, 2, IINS[0:2], period="2026-10"))
        _, second = self.send(part(1, 3, IINS[0:2], period="2026-11"))
        self.assertReceived(first)
        self.assertReceived(second)

    def test_whole_documents_not_compared(self):
        # A document without part attributes is a whole timesheet; sending
        # it again under a new message id is not a repeated part.
        _, first = self.send(signed_timesheet(timesheet_id=41))
        _, second = self.send(signed_timesheet(timesheet_id=41))
        _, third = self.send(part(1, 2, IINS[0:2], timesheet_id=41))
        self.assertReceived(first)
        self.assertReceived(second)
        self.assertReceived(third)


class PartsRestartTest(unittest.TestCase):
    """The parts taken before a restart still count after it."""

    def test_parts_survive_restart(self):
        state_dir = tempfile.mkdtemp(prefix="enbek-state.")
        self.addCleanup(shutil.rmtree, state_dir, True)
        service = ServiceProcess(state_dir=state_dir).start()
        self.addCleanup(lambda: service.process and service.stop())
        message_id, document = part(1, 2, IINS[0:2])
        self.assertEqual(service.send_timesheet(document, message_id).code, "SCSS001")
        self.assertEqual(service.stop(), 0)

        service = ServiceProcess(state_dir=state_dir).start()
        message_id, document = part(2, 2, IINS[1:2])
        response = service.send_timesheet(document, message_id)
        self.assertEqual(response.code, "SCSE302", response)
        self.assertEqual(response.errors, [("SCSE302", IINS[1])])


if __name__ == "__main__":
    unittest.main()
