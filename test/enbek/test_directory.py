"""The directory services: the employer's contract list and the push of
departments and work schedules, with the checks both run at once."""
import unittest
import xml.etree.ElementTree as ElementTree
from xml.sax.saxutils import escape

from enbek_testlib import (
    BAD_BIN,
    BIN,
    FUTURE_DATE,
    OTHER_BIN,
    SOAP_NS,
    SYNC_NS,
    ServiceTestCase,
    envelope,
    new_message_id,
    sign,
)

DIR_NS = "urn:otan-enbek:directory:v1"
CONTRACT_LIST_SERVICE = "OTAN_CONTRACT_LIST_V1"
DIRECTORY_PUSH_SERVICE = "OTAN_DIRECTORY_PUSH_V1"


def d(name):
    return f"{{{DIR_NS}}}{name}"


def contract_list_request(message_id, bin_=BIN):
    return (f'<dir:contractListRequest xmlns:dir="{DIR_NS}" schemaVersion="1.0">'
            f"<dir:messageId>{escape(message_id)}</dir:messageId>"
            f"<dir:employer><dir:bin>{bin_}</dir:bin></dir:employer>"
            "</dir:contractListRequest>")


def directory_push(message_id, departments=(), schedules=(), bin_=BIN):
    """Return a push document.  departments are (code, name, parent code
    or None), schedules (name, working-hours code, weekly hours)."""
    parts = [f'<dir:directoryPush xmlns:dir="{DIR_NS}" schemaVersion="1.0">',
             f"<dir:messageId>{escape(message_id)}</dir:messageId>",
             f"<dir:employer><dir:bin>{bin_}</dir:bin></dir:employer><dir:departments>"]
    for code, name, parent in departments:
        parts.append(f"<dir:department><dir:code>{escape(code)}</dir:code><dir:name>{escape(name)}</dir:name>")
        if parent is not None:
            parts.append(f"<dir:parentCode>{escape(parent)}</dir:parentCode>")
        parts.append("</dir:department>")
    parts.append("</dir:departments><dir:schedules>")
    for name, code, hours in schedules:
        parts.append(f"<dir:schedule><dir:name>{escape(name)}</dir:name>"
                     f"<dir:workingHours>{code}</dir:workingHours><dir:weekHours>{hours}</dir:weekHours>"
                     "</dir:schedule>")
    parts.append("</dir:schedules></dir:directoryPush>")
    return "".join(parts)


class DirectoryResponse:
    """A parsed response of a directory service: status code and message,
    the data element (or None) and, for a soap:Fault, its string."""

    def __init__(self, status, body):
        self.status = status
        root = ElementTree.fromstring(body)
        fault = root.find(f"{{{SOAP_NS}}}Body/{{{SOAP_NS}}}Fault")
        self.fault_string = fault.findtext("faultstring") if fault is not None else None
        response = root.find(f"{{{SOAP_NS}}}Body/{{{SYNC_NS}}}SendMessageResponse/response")
        self.code = self.message = self.message_id = self.data = None
        if response is not None:
            self.message_id = response.findtext("responseInfo/messageId")
            self.code = response.findtext("responseInfo/status/code")
            self.message = response.findtext("responseInfo/status/message")
            data = response.find("responseData/data")
            self.data = data[0] if data is not None and len(data) else None

    def __repr__(self):
        return f"DirectoryResponse(status={self.status}, code={self.code}, message={self.message}, fault={self.fault_string})"


class DirectoryTestCase(ServiceTestCase):

    def call(self, service_id, document, message_id, **fields):
        status, _, body = self.service.request(
            "POST", "/bip-sync/", envelope(document, message_id, service_id=service_id, **fields),
            {"Content-Type": "text/xml; charset=utf-8"})
        return DirectoryResponse(status, body)

    def list_contracts(self, key="sign.p12", bin_=BIN, **fields):
        message_id = new_message_id()
        return self.call(CONTRACT_LIST_SERVICE, sign(contract_list_request(message_id, bin_), key),
                         message_id, **fields)

    def push(self, departments=(), schedules=(), key="sign.p12"):
        message_id = new_message_id()
        return self.call(DIRECTORY_PUSH_SERVICE, sign(directory_push(message_id, departments, schedules), key),
                         message_id)


class ContractListTest(DirectoryTestCase):

    def test_lists_seeded_contracts(self):
        response = self.list_contracts()
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.code, "SCSS001", response)
        self.assertEqual(response.data.tag, d("contractListResponse"))
        contracts = [
            (c.findtext(d("iin")), c.findtext(d("contractId")), c.findtext(d("position")),
             c.findtext(d("workingHours")), c.findtext(d("start")), c.findtext(d("end")))
            for c in response.data.findall(d("contract"))
        ]
        self.assertEqual(contracts, [
            ("810111300012", "C-2024-0001", "Teacher", "1", "2024-01-01", None),
            ("820212300023", "C-2024-0002", "Teacher", "3", "2024-01-01", None),
            ("830313300034", "C-2024-0003", "Cook", "1", "2024-01-01", None),
            ("840414300045", "C-2024-0004", "Guard", "5", "2024-01-01", None),
            ("850515300056", "C-2024-0005", "Cleaner", "1", "2024-01-01", "2024-12-31"),
        ])

    def test_response_names_request(self):
        message_id = new_message_id()
        response = self.call(CONTRACT_LIST_SERVICE, sign(contract_list_request(message_id)), message_id)
        self.assertEqual(response.message_id, message_id)
        self.assertEqual(response.data.findtext(d("messageId")), message_id)

    def test_added_contract_listed(self):
        added = {"bin": OTHER_BIN, "iin": "870717300078", "contractId": "C-OTHER-1", "start": "2025-01-01",
                 "end": None, "position": "Driver", "workingHours": 2}
        self.assertEqual(self.service.control("POST", "contracts", [added])[0], 200)
        response = self.list_contracts(key="otherbin.p12", bin_=OTHER_BIN)
        self.assertEqual(response.code, "SCSS001", response)
        contract = response.data.find(d("contract"))
        self.assertEqual(contract.findtext(d("position")), "Driver")
        self.assertEqual(contract.findtext(d("workingHours")), "2")
        self.assertEqual(len(response.data.findall(d("contract"))), 1)

    def test_control_lists_contracts(self):
        status, value = self.service.control("GET", "contracts")
        self.assertEqual(status, 200)
        seeded = [c for c in value["contracts"] if c["bin"] == BIN]
        self.assertEqual([c["contractId"] for c in seeded][:5],
                         ["C-2024-0001", "C-2024-0002", "C-2024-0003", "C-2024-0004", "C-2024-0005"])
        self.assertEqual(seeded[1]["workingHours"], 3)

    def test_unsigned_rejected(self):
        message_id = new_message_id()
        response = self.call(CONTRACT_LIST_SERVICE, contract_list_request(message_id), message_id)
        self.assertEqual(response.code, "SCSE001", response)
        self.assertIsNone(response.data)

    def test_untrusted_key_rejected(self):
        self.assertEqual(self.list_contracts(key="untrusted.p12").code, "SCSE001")

    def test_other_employer_rejected(self):
        response = self.list_contracts(key="otherbin.p12")
        self.assertEqual(response.code, "SCSE046", response)
        self.assertIsNone(response.data)

    def test_bad_bin_rejected(self):
        self.assertEqual(self.list_contracts(bin_=BAD_BIN).code, "SCSE043")

    def test_future_date_rejected(self):
        self.assertEqual(self.list_contracts(message_date=FUTURE_DATE).code, "SCSE059")

    def test_message_id_mismatch_rejected(self):
        document = sign(contract_list_request(new_message_id()))
        response = self.call(CONTRACT_LIST_SERVICE, document, new_message_id())
        self.assertEqual(response.code, "SCSE087", response)

    def test_wrong_document_faults(self):
        message_id = new_message_id()
        response = self.call(CONTRACT_LIST_SERVICE, sign(directory_push(message_id)), message_id)
        self.assertEqual(response.status, 500)
        self.assertIn("exactly one dir:contractListRequest", response.fault_string)

    def test_invalid_document_faults(self):
        message_id = new_message_id()
        document = contract_list_request(message_id).replace(' schemaVersion="1.0"', "")
        response = self.call(CONTRACT_LIST_SERVICE, sign(document), message_id)
        self.assertEqual(response.status, 500)
        self.assertIn("schemaVersion", response.fault_string)

    def test_wrong_password_faults(self):
        response = self.list_contracts(password="wrong")
        self.assertEqual(response.status, 500)
        self.assertIn("authentication failed", response.fault_string)


class DirectoryPushTest(DirectoryTestCase):

    DEPARTMENTS = [("D1", "School", None), ("D2", "Teachers", "D1"), ("D3", "Kitchen", "D1")]
    SCHEDULES = [("Five days", 1, "40.0"), ("Part-time", 3, "20.0"), ("Flexible", 5, "40")]

    def errors(self, response):
        return [(e.findtext(d("code")), e.findtext(d("message"))) for e in response.data.findall(d("error"))]

    def test_accepted_and_stored(self):
        response = self.push(self.DEPARTMENTS, self.SCHEDULES)
        self.assertEqual(response.code, "SCSS001", response)
        self.assertEqual(response.data.findtext(d("state")), "ACCEPTED")
        self.assertEqual(response.data.findtext(d("departments")), "3")
        self.assertEqual(response.data.findtext(d("schedules")), "3")
        _, value = self.service.control("GET", "directory")
        stored = value["directories"][BIN]
        self.assertEqual([x["code"] for x in stored["departments"]], ["D1", "D2", "D3"])
        self.assertEqual(stored["departments"][1]["parentCode"], "D1")
        self.assertEqual([(x["name"], x["workingHours"]) for x in stored["schedules"]],
                         [("Five days", 1), ("Part-time", 3), ("Flexible", 5)])

    def test_empty_push_accepted(self):
        self.assertEqual(self.push().code, "SCSS001")

    def test_repeated_department_code(self):
        response = self.push([("D1", "School", None), ("D1", "Other", None)])
        self.assertEqual(response.code, "SCSE401", response)
        self.assertEqual(response.data.findtext(d("state")), "REJECTED")
        _, value = self.service.control("GET", "directory")
        self.assertEqual(value["directories"], {})

    def test_unknown_parent(self):
        response = self.push([("D2", "Teachers", "D9")])
        self.assertEqual(response.code, "SCSE402", response)
        self.assertIn("unknown parent 'D9'", self.errors(response)[0][1])

    def test_parent_cycle(self):
        response = self.push([("D1", "A", "D2"), ("D2", "B", "D1")])
        self.assertEqual(response.code, "SCSE402", response)
        self.assertEqual(len(self.errors(response)), 2)

    def test_repeated_schedule_name(self):
        response = self.push(schedules=[("Five days", 1, "40"), ("Five days", 1, "40")])
        self.assertEqual(response.code, "SCSE403", response)

    def test_normal_code_needs_forty_hours(self):
        response = self.push(schedules=[("Short", 1, "36")])
        self.assertEqual(response.code, "SCSE404", response)
        self.assertIn("code 1 (normal)", self.errors(response)[0][1])

    def test_part_time_needs_fewer_hours(self):
        response = self.push(schedules=[("Part-time", 3, "40")])
        self.assertEqual(response.code, "SCSE404", response)

    def test_every_error_listed(self):
        response = self.push([("D1", "A", "D9")], [("S", 2, "40")])
        self.assertEqual([code for code, _ in self.errors(response)], ["SCSE402", "SCSE404"])

    def test_code_out_of_range_faults(self):
        response = self.push(schedules=[("Odd", 6, "40")])
        self.assertEqual(response.status, 500)
        self.assertIn("directory", response.fault_string)

    def test_other_employer_rejected(self):
        self.assertEqual(self.push(self.DEPARTMENTS, key="otherbin.p12").code, "SCSE046")

    def test_reset_forgets_pushes(self):
        self.push(self.DEPARTMENTS)
        self.service.control("POST", "reset")
        _, value = self.service.control("GET", "directory")
        self.assertEqual(value["directories"], {})


if __name__ == "__main__":
    unittest.main()
