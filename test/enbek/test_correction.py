"""Corrections of an accepted timesheet (ts:timesheetCorrection, schema
version 1.1): the reference checks (SCSE311, SCSE312), the employee checks
against the stored copy (SCSE313), the rules of the document, and the
merged copy at /_control/timesheet."""
import shutil
import tempfile
import unittest
from xml.sax.saxutils import escape

from enbekd.checks import check_correction
from enbekd.model import ACCEPTED, PROCESSING, RECEIVED, REJECTED
from enbekd.store import MessageRecord, MessageStore

from enbek_testlib import (
    BIN,
    CONTRACTED,
    NO_CONTRACT,
    PERIOD,
    TS_NS,
    ServiceProcess,
    ServiceTestCase,
    employee,
    new_message_id,
    sign,
    signed_timesheet,
)

IINS = list(CONTRACTED)
TOTALS = {"daysWorked": "1", "hoursWorked": "8.00", "overtimeHours": "0.00",
          "nightHours": "0.00", "holidayHours": "0.00", "daysOff": "1"}


def employee_xml(line, change=None):
    attribute = "" if change is None else f' change="{change}"'
    parts = [f"<ts:employee{attribute}><ts:iin>{line['iin']}</ts:iin>"]
    if line["contractId"] is not None:
        parts.append(f"<ts:contractId>{escape(line['contractId'])}</ts:contractId>")
    parts.append("<ts:days>")
    parts += [f'<ts:day n="{n}" code="{code}" hours="{hours}"/>' for n, code, hours in line["days"]]
    parts.append("</ts:days>")
    totals = dict(TOTALS, **line["totals"])
    parts.append("<ts:totals " + " ".join(f'{k}="{v}"' for k, v in totals.items()) + "/>")
    parts.append("</ts:employee>")
    return "".join(parts)


def correction_document(message_id, corrects, *, changed=(), removed=(), count=None,
                        period=PERIOD, identity_extra="", version=2):
    """Return an unsigned timesheetCorrection as text.  changed contains
    (change, employee) pairs, and removed contains IINs."""
    items = [employee_xml(line, change) for change, line in changed]
    items += [f"<ts:removed><ts:iin>{iin}</ts:iin></ts:removed>" for iin in removed]
    count = len(items) if count is None else count
    return (
        f'<ts:timesheetCorrection xmlns:ts="{TS_NS}" schemaVersion="1.1">'
        f"<ts:messageId>{message_id}</ts:messageId>"
        f"<ts:employer><ts:bin>{BIN}</ts:bin><ts:name>School No. 7</ts:name></ts:employer>"
        f"<ts:period>{period}</ts:period>"
        f'<ts:timesheet id="13" version="{version}" builtAt="2026-12-02T09:00:00+05:00"{identity_extra}/>'
        f'<ts:corrects messageId="{corrects}" timesheetId="12" version="{version - 1}"/>'
        "<ts:workingDays>20</ts:workingDays><ts:normHours>160.00</ts:normHours>"
        f'<ts:changes count="{count}">{"".join(items)}</ts:changes>'
        "</ts:timesheetCorrection>\n"
    )


def signed_correction(corrects, **fields):
    message_id = new_message_id()
    return message_id, sign(correction_document(message_id, corrects, **fields))


def stored_line(line):
    """Return an employee as /_control/timesheet lists it."""
    return {"iin": line["iin"], "contractId": line["contractId"],
            "days": [list(day) for day in line["days"]], "totals": dict(TOTALS, **line["totals"])}


class CorrectionTest(ServiceTestCase):

    def send(self, signed):
        message_id, document = signed
        return message_id, self.service.send_timesheet(document, message_id)

    def accepted_timesheet(self, iins=IINS[0:2], **fields):
        """Send a whole timesheet of iins, wait for ACCEPTED and return its
        message id and employees."""
        employees = [employee(iin, CONTRACTED[iin]) for iin in iins]
        message_id, _ = self.send(signed_timesheet(employees=employees, **fields))
        self.assertEqual(self.service.wait_for_state(message_id).state, "ACCEPTED")
        return message_id, employees

    def stored(self, period=PERIOD):
        return self.service.control("GET", f"timesheet?bin={BIN}&period={period}")

    def assertRejectedWith(self, response, errors):
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.state, "REJECTED", response)
        self.assertEqual(response.errors, errors, response)

    def test_correction_applied_to_copy(self):
        base_id, employees = self.accepted_timesheet(IINS[0:3])
        changed = employee(IINS[1], CONTRACTED[IINS[1]], days=((1, "В", "0.00"), (2, "Б", "0.00")),
                           totals={"daysWorked": "0", "hoursWorked": "0.00"})
        added = employee(IINS[3], CONTRACTED[IINS[3]])
        message_id, response = self.send(signed_correction(
            base_id, changed=[("changed", changed), ("added", added)], removed=[IINS[2]]))
        self.assertEqual(response.code, "SCSS001", response)
        self.assertEqual(response.state, "RECEIVED", response)
        self.assertEqual(self.service.wait_for_state(message_id).state, "ACCEPTED")

        status, copy = self.stored()
        self.assertEqual(status, 200, copy)
        self.assertEqual(copy["head"], [message_id])
        self.assertEqual(copy["applied"], [base_id, message_id])
        expected = sorted([stored_line(employees[0]), stored_line(changed), stored_line(added)],
                          key=lambda line: line["iin"])
        self.assertEqual(copy["employees"], expected)

    def test_messages_list_correction(self):
        base_id, _ = self.accepted_timesheet()
        message_id, _ = self.send(signed_correction(base_id, removed=[IINS[0]]))
        listed = self.service.messages()[message_id]
        self.assertEqual(listed["kind"], "correction")
        self.assertEqual(listed["corrects"], base_id)
        self.assertEqual(listed["version"], 2)
        self.assertEqual(listed["removedCount"], 1)
        self.assertEqual(self.service.messages()[base_id]["kind"], "full")

    def test_unknown_reference_rejected(self):
        unknown = new_message_id()
        message_id, response = self.send(signed_correction(unknown, removed=[IINS[0]]))
        self.assertRejectedWith(response, [("SCSE311", None)])
        self.assertIn("never received", response.message)
        self.assertEqual(self.service.messages()[message_id]["state"], "REJECTED")

    def test_reference_of_other_period_rejected(self):
        base_id, _ = self.accepted_timesheet(period="2026-10")
        _, response = self.send(signed_correction(base_id, removed=[IINS[0]]))
        self.assertRejectedWith(response, [("SCSE311", None)])
        self.assertIn("period 2026-10", response.message)

    def test_reference_not_accepted_rejected(self):
        employees = [employee(NO_CONTRACT)]
        base_id, _ = self.send(signed_timesheet(employees=employees))
        self.assertEqual(self.service.wait_for_state(base_id).state, "REJECTED")
        _, response = self.send(signed_correction(base_id, removed=[NO_CONTRACT]))
        self.assertRejectedWith(response, [("SCSE311", None)])
        self.assertIn("REJECTED, not ACCEPTED", response.message)

    def test_superseded_reference_rejected(self):
        base_id, _ = self.accepted_timesheet()
        first_id, _ = self.send(signed_correction(base_id, removed=[IINS[0]]))
        self.assertEqual(self.service.wait_for_state(first_id).state, "ACCEPTED")
        _, response = self.send(signed_correction(base_id, removed=[IINS[1]]))
        self.assertRejectedWith(response, [("SCSE312", None)])
        self.assertIn(f"latest accepted document of employer {BIN} and period {PERIOD} is {first_id}",
                      response.message)

    def test_employee_checks_against_copy(self):
        base_id, employees = self.accepted_timesheet(IINS[0:2])
        outsider = employee(IINS[3], CONTRACTED[IINS[3]])
        _, response = self.send(signed_correction(
            base_id, changed=[("added", employees[0]), ("changed", outsider)], removed=[IINS[2]]))
        self.assertRejectedWith(response, [("SCSE313", IINS[0]), ("SCSE313", IINS[3]),
                                           ("SCSE313", IINS[2])])
        status, copy = self.stored()
        self.assertEqual(copy["head"], [base_id])

    def test_employee_without_contract_rejected_later(self):
        base_id, employees = self.accepted_timesheet()
        message_id, response = self.send(signed_correction(
            base_id, changed=[("added", employee(NO_CONTRACT))]))
        self.assertEqual(response.state, "RECEIVED", response)
        rejected = self.service.wait_for_state(message_id)
        self.assertEqual(rejected.state, "REJECTED")
        self.assertEqual(rejected.errors, [("SCSE012", NO_CONTRACT)])
        _, copy = self.stored()
        self.assertEqual([line["iin"] for line in copy["employees"]], IINS[0:2])

    def test_count_mismatch_is_fault(self):
        base_id, _ = self.accepted_timesheet()
        _, response = self.send(signed_correction(base_id, removed=[IINS[0]], count=2))
        self.assertFault(response, "ts:changes/@count is 2, but the document has 1")

    def test_part_without_parts_is_fault(self):
        base_id, _ = self.accepted_timesheet()
        _, response = self.send(signed_correction(base_id, removed=[IINS[0]],
                                                  identity_extra=' part="1"'))
        self.assertFault(response, "ts:timesheet has only one of @part and @parts")

    def test_correction_parts_applied(self):
        base_id, employees = self.accepted_timesheet(IINS[0:3])
        changed = employee(IINS[0], CONTRACTED[IINS[0]], days=((1, "Б", "0.00"),),
                           totals={"daysWorked": "0", "hoursWorked": "0.00"})
        first_id, response = self.send(signed_correction(
            base_id, changed=[("changed", changed)], identity_extra=' part="1" parts="2"'))
        self.assertEqual(response.state, "RECEIVED", response)
        self.assertEqual(self.service.wait_for_state(first_id).state, "ACCEPTED")

        # Part 1 is applied already, and part 2 still names the base.
        second_id, response = self.send(signed_correction(
            base_id, removed=[IINS[2]], identity_extra=' part="2" parts="2"'))
        self.assertEqual(response.state, "RECEIVED", response)
        self.assertEqual(self.service.wait_for_state(second_id).state, "ACCEPTED")
        listed = self.service.messages()[second_id]
        self.assertEqual((listed["kind"], listed["part"], listed["parts"]), ("correction", 2, 2))

        _, copy = self.stored()
        self.assertEqual(copy["head"], [first_id, second_id])
        self.assertEqual(copy["applied"], [base_id, first_id, second_id])
        self.assertEqual(copy["employees"], [stored_line(changed), stored_line(employees[1])])

        # The next correction may name either part.
        next_id, response = self.send(signed_correction(first_id, removed=[IINS[1]], version=3))
        self.assertEqual(response.state, "RECEIVED", response)
        self.assertEqual(self.service.wait_for_state(next_id).state, "ACCEPTED")

    def test_parts_with_other_reference_rejected(self):
        base_id, _ = self.accepted_timesheet(IINS[0:3])
        first_id, _ = self.send(signed_correction(
            base_id, removed=[IINS[0]], identity_extra=' part="1" parts="2"'))
        self.assertEqual(self.service.wait_for_state(first_id).state, "ACCEPTED")
        _, response = self.send(signed_correction(
            first_id, removed=[IINS[1]], identity_extra=' part="2" parts="2"'))
        self.assertRejectedWith(response, [("SCSE301", None)])
        self.assertIn(f"ts:corrects names message {first_id}, but message {first_id} "
                      f"of correction 13 of {PERIOD} names {base_id}", response.message)

    def test_parts_sharing_employee_rejected(self):
        base_id, employees = self.accepted_timesheet(IINS[0:3])
        first_id, _ = self.send(signed_correction(
            base_id, removed=[IINS[0]], identity_extra=' part="1" parts="2"'))
        _, response = self.send(signed_correction(
            base_id, changed=[("changed", employees[0])], removed=[IINS[1]],
            identity_extra=' part="2" parts="2"'))
        self.assertRejectedWith(response, [("SCSE302", IINS[0])])
        self.assertIn(f"also in part 1 of correction 13 of {PERIOD} (message {first_id})",
                      response.message)

    def test_duplicate_iin_is_fault(self):
        base_id, _ = self.accepted_timesheet()
        line = employee(IINS[0], CONTRACTED[IINS[0]])
        _, response = self.send(signed_correction(base_id, changed=[("changed", line)],
                                                  removed=[IINS[0]]))
        self.assertFault(response, "timesheet-v1.xsd")

    def test_wrong_schema_version_is_fault(self):
        base_id, _ = self.accepted_timesheet()
        message_id = new_message_id()
        document = correction_document(message_id, base_id, removed=[IINS[0]])
        document = document.replace('schemaVersion="1.1"', 'schemaVersion="1.0"')
        response = self.service.send_timesheet(sign(document), message_id)
        self.assertFault(response, "timesheet-v1.xsd")

    def test_stored_timesheet_requires_query(self):
        status, value = self.service.control("GET", "timesheet")
        self.assertEqual(status, 400)
        self.assertIn("bin and period", value["error"])

    def test_stored_timesheet_unknown(self):
        status, value = self.stored("2020-01")
        self.assertEqual(status, 404)
        self.assertIn("no document of employer", value["error"])

    def test_whole_timesheet_replaces_copy(self):
        self.accepted_timesheet(IINS[0:2])
        second_id, employees = self.accepted_timesheet(IINS[2:4], timesheet_id=14)
        _, copy = self.stored()
        self.assertEqual(copy["head"], [second_id])
        self.assertEqual([line["iin"] for line in copy["employees"]], IINS[2:4])


class PendingCorrectionTest(unittest.TestCase):
    """A correction while another correction of the same document is still
    being checked, on the store alone, because through the service it
    would race with the processing delay."""

    def record(self, message_id, state, **fields):
        return MessageRecord(message_id, state, [], BIN, PERIOD, **fields)

    def test_second_correction_rejected(self):
        store = MessageStore()
        store.insert(self.record("base", ACCEPTED, lines=[{"iin": IINS[0]}, {"iin": IINS[1]}]))
        first = self.record("first", RECEIVED, kind="correction", corrects="base", removed=[IINS[0]])
        self.assertIsNotNone(store.insert(first, None, check_correction))
        store.update_state("first", store.get("first").sequence, PROCESSING, [],
                           expected_states=(RECEIVED,))
        second = self.record("second", RECEIVED, kind="correction", corrects="base", removed=[IINS[1]])
        store.insert(second, None, check_correction)
        stored = store.get("second")
        self.assertEqual(stored.state, REJECTED)
        self.assertEqual([e.code for e in stored.errors], ["SCSE312"])
        self.assertIn("correction first of message base is still being checked", stored.errors[0].message)

    def test_correction_after_rejected_correction(self):
        store = MessageStore()
        store.insert(self.record("base", ACCEPTED, lines=[{"iin": IINS[0]}]))
        store.insert(self.record("first", REJECTED, kind="correction", corrects="base",
                                 removed=[IINS[0]]))
        second = self.record("second", RECEIVED, kind="correction", corrects="base", removed=[IINS[0]])
        store.insert(second, None, check_correction)
        self.assertEqual(store.get("second").state, RECEIVED)


class CorrectionRestartTest(unittest.TestCase):
    """The stored copy is rebuilt from the journal after a restart."""

    def test_copy_survives_restart(self):
        state_dir = tempfile.mkdtemp(prefix="enbek-state.")
        self.addCleanup(shutil.rmtree, state_dir, True)
        service = ServiceProcess(state_dir=state_dir).start()
        self.addCleanup(lambda: service.process and service.stop())
        employees = [employee(iin, CONTRACTED[iin]) for iin in IINS[0:2]]
        base_id, document = signed_timesheet(employees=employees)
        service.send_timesheet(document, base_id)
        self.assertEqual(service.wait_for_state(base_id).state, "ACCEPTED")
        message_id, document = signed_correction(base_id, removed=[IINS[0]])
        service.send_timesheet(document, message_id)
        self.assertEqual(service.wait_for_state(message_id).state, "ACCEPTED")
        query = f"timesheet?bin={BIN}&period={PERIOD}"
        _, before = service.control("GET", query)
        self.assertEqual(service.stop(), 0)

        service = ServiceProcess(state_dir=state_dir).start()
        status, after = service.control("GET", query)
        self.assertEqual(status, 200, after)
        self.assertEqual(after, before)
        self.assertEqual([line["iin"] for line in after["employees"]], [IINS[1]])
        stale_id, document = signed_correction(base_id, removed=[IINS[1]])
        response = service.send_timesheet(document, stale_id)
        self.assertEqual(response.code, "SCSE312", response)


if __name__ == "__main__":
    unittest.main()
