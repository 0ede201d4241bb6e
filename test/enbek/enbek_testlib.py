"""Helpers for the tests of the local Enbek service: a test PKI, service
processes, signed timesheet documents, SOAP requests and their responses.

Only the standard library is used here, so the tests run under any
python3; the service itself runs under /usr/bin/python3.  Documents are
signed with the xmlsec1 command through ./sign-document, independently of
the extension's signer.
"""
import atexit
import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import uuid
import xml.etree.ElementTree as ElementTree
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
SERVICE = os.path.join(HERE, "enbek-service")
SIGN_DOCUMENT = os.path.join(HERE, "sign-document")
SIGN_ENVELOPE = os.path.join(HERE, "sign-envelope")
MAKE_PKI = os.path.join(TOP, "test", "harness", "make-pki")
SCHEMA = os.path.join(TOP, "src", "delivery", "timesheet-v1.xsd")

sys.path.insert(0, os.path.join(TOP, "test", "harness"))
import kzid  # noqa: E402

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SYNC_NS = "http://bip.bee.kz/SyncChannel/v10/Types"
TS_NS = "urn:otan-enbek:timesheet:v1"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"

SENDER_ID = "OTAN-TEST-SENDER"
TIMESHEET_SERVICE = "OTAN_TIMESHEET_V1"
STATUS_SERVICE = "OTAN_TIMESHEET_STATUS_V1"
MESSAGE_DATE = "2026-12-04T16:00:00.000+05:00"
FUTURE_DATE = "2999-01-01T00:00:00.000+05:00"
PERIOD = "2026-11"

BIN = "050440000012"
OTHER_BIN = "110340000072"
BAD_BIN = "050440000013"  # 050440000012 with a wrong check digit

# The seeded contracts of contracts.json: all four from 2024-01-01, open-ended.
CONTRACTED = {
    "810111300012": "C-2024-0001",
    "820212300023": "C-2024-0002",
    "830313300034": "C-2024-0003",
    "840414300045": "C-2024-0004",
}
CONTRACT_ENDED = "850515300056"  # contract C-2024-0005 ended 2024-12-31
NO_CONTRACT = "860616300067"
BAD_IIN = "810111300013"  # 810111300012 with a wrong check digit

# Upper bound of any wait for the service; reaching it fails the test.
WAIT_LIMIT = 30.0


# The PKI, made once per test run.

_pki_dir = None


def pki():
    """Return a directory with a fresh test PKI (test/harness/make-pki)
    and a sender password file, made on first use."""
    global _pki_dir
    if _pki_dir is None:
        work = tempfile.mkdtemp(prefix="enbek-service-tests.")
        atexit.register(shutil.rmtree, work, True)
        directory = os.path.join(work, "pki")
        subprocess.run([MAKE_PKI, directory], check=True, stdout=subprocess.DEVNULL)
        with open(os.path.join(directory, "sender.pass"), "w") as f:
            f.write(uuid.uuid4().hex + "\n")
        _pki_dir = directory
    return _pki_dir


def pki_file(name):
    return os.path.join(pki(), name)


def sender_password():
    with open(pki_file("sender.pass")) as f:
        return f.read().strip()


def client_tls_context():
    """Return a client TLS context that trusts only the test CA."""
    return ssl.create_default_context(cafile=pki_file("ca.crt"))


# Documents

def new_message_id():
    return str(uuid.uuid4())


def employee(iin, contract_id=None, days=((1, "В", "0.00"), (2, "Я", "8.00")), totals=None):
    """Return an employee of a timesheet document as a dict."""
    return {"iin": iin, "contractId": contract_id, "days": list(days), "totals": totals or {}}


def contracted_employees():
    return [employee(iin, contract_id) for iin, contract_id in CONTRACTED.items()]


def timesheet_document(message_id, *, bin_=BIN, period=PERIOD, employees=None, count=None,
                       working_days="20", name="School No. 7", timesheet_id=12, part=None,
                       parts=None):
    """Return an unsigned timesheetRequest as text, in the shape of the
    contract.  count overrides employees/@count.  part and parts, when
    given, become ts:timesheet/@part and @parts."""
    employees = contracted_employees() if employees is None else employees
    part_attributes = "" if part is None else f' part="{part}"'
    part_attributes += "" if parts is None else f' parts="{parts}"'
    lines = [
        f'<ts:timesheetRequest xmlns:ts="{TS_NS}" schemaVersion="1.0">',
        f"  <ts:messageId>{escape(message_id)}</ts:messageId>",
        f"  <ts:employer><ts:bin>{bin_}</ts:bin><ts:name>{escape(name)}</ts:name></ts:employer>",
        f"  <ts:period>{period}</ts:period>",
        f'  <ts:timesheet id="{timesheet_id}" version="1" builtAt="2026-12-01T09:00:00+05:00"{part_attributes}/>',
        f"  <ts:workingDays>{working_days}</ts:workingDays>",
        "  <ts:normHours>160.00</ts:normHours>",
        f'  <ts:employees count="{len(employees) if count is None else count}">',
    ]
    for e in employees:
        lines.append(f"    <ts:employee><ts:iin>{e['iin']}</ts:iin>")
        if e["contractId"] is not None:
            lines.append(f"      <ts:contractId>{escape(e['contractId'])}</ts:contractId>")
        lines.append("      <ts:days>")
        for n, code, hours in e["days"]:
            lines.append(f'        <ts:day n="{n}" code="{code}" hours="{hours}"/>')
        lines.append("      </ts:days>")
        totals = {"daysWorked": "1", "hoursWorked": "8.00", "overtimeHours": "0.00",
                  "nightHours": "0.00", "holidayHours": "0.00", "daysOff": "1"}
        totals.update(e["totals"])
        attributes = " ".join(f'{k}="{v}"' for k, v in totals.items())
        lines.append(f"      <ts:totals {attributes}/>")
        lines.append("    </ts:employee>")
    lines.append("  </ts:employees>")
    lines.append("</ts:timesheetRequest>")
    return "\n".join(lines) + "\n"


def many_employees(count):
    """Return count employees with valid IINs and 30 days each, for size
    tests."""
    days = [(n, "Я", "8.00") for n in range(1, 31)]
    return [employee(kzid.iin("1990-01-01", "m", serial), None, days) for serial in range(1, count + 1)]


def unused_iin():
    """Return a valid IIN that no seeded contract and no earlier call of
    this function in the test run uses."""
    serial = len(_issued_iins) + 1
    while kzid.iin("1995-05-05", "f", serial) in _issued_iins:
        serial += 1
    iin = kzid.iin("1995-05-05", "f", serial)
    _issued_iins.add(iin)
    return iin


_issued_iins = set()


def sign(document, key="sign.p12", leaf_only=False):
    """Sign a document with one of the PKI's keys through ./sign-document
    and return the signed text without its XML declaration."""
    with tempfile.NamedTemporaryFile("w", suffix=".xml", encoding="utf-8", delete=False) as f:
        f.write(document)
        path = f.name
    try:
        command = [SIGN_DOCUMENT, pki_file(key), pki_file("p12.pass"), path]
        if leaf_only:
            command.append("--leaf-only")
        signed = subprocess.run(command, check=True, capture_output=True).stdout.decode("utf-8")
    finally:
        os.unlink(path)
    return strip_declaration(signed)


def strip_declaration(document):
    if document.startswith("<?xml"):
        document = document[document.index("?>") + 2:]
    return document.lstrip()


def signed_timesheet(message_id=None, key="sign.p12", **fields):
    """Return (message id, signed timesheet document)."""
    message_id = message_id or new_message_id()
    return message_id, sign(timesheet_document(message_id, **fields), key)


def sign_envelope(body, key="sign.p12"):
    """Sign the soap:Body of an envelope (bytes) in a WS-Security header with
    one of the PKI's keys through ./sign-envelope and return the signed
    envelope as bytes."""
    command = [SIGN_ENVELOPE, pki_file(key), pki_file("p12.pass")]
    return subprocess.run(command, input=body, check=True, capture_output=True).stdout


def envelope(data, message_id, *, service_id=TIMESHEET_SERVICE, message_date=MESSAGE_DATE,
             sender_id=SENDER_ID, password=None, padding="", body_key="sign.p12"):
    """Return a SendMessage request with data inside requestData/data, as
    bytes.  padding is whitespace put before SendMessage, outside the
    signed document, to reach an exact body size.  The body is signed in a
    WS-Security header with body_key; None leaves the request without a
    header."""
    password = sender_password() if password is None else password
    text = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body>{padding}'
        f'<ns2:SendMessage xmlns:ns2="{SYNC_NS}"><request><requestInfo>'
        f"<messageId>{escape(message_id)}</messageId>"
        f"<serviceId>{escape(service_id)}</serviceId>"
        f"<messageDate>{message_date}</messageDate>"
        f"<sender><senderId>{escape(sender_id)}</senderId><password>{escape(password)}</password></sender>"
        "</requestInfo><requestData><data>"
        f"{data}"
        "</data></requestData></request></ns2:SendMessage></soap:Body></soap:Envelope>"
    )
    if body_key is None:
        return text.encode("utf-8")
    return sign_envelope(text.encode("utf-8"), body_key)


def status_request(queried_message_id):
    return f'<ts:statusRequest xmlns:ts="{TS_NS}"><ts:messageId>{escape(queried_message_id)}</ts:messageId></ts:statusRequest>'


# Responses

class SoapResponse:
    """A parsed HTTP response of the SOAP endpoint.

    For a SendMessageResponse: code, message, message_id (responseInfo),
    has_data, state, data_message_id and errors as (code, iin) pairs.  For a
    soap:Fault: fault_code and fault_string.
    """

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        self.code = self.message = self.message_id = None
        self.state = self.data_message_id = None
        self.fault_code = self.fault_string = None
        self.errors = []
        self.has_data = False
        root = ElementTree.fromstring(body)
        fault = root.find(f"{{{SOAP_NS}}}Body/{{{SOAP_NS}}}Fault")
        if fault is not None:
            self.fault_code = fault.findtext("faultcode")
            self.fault_string = fault.findtext("faultstring")
            return
        response = root.find(f"{{{SOAP_NS}}}Body/{{{SYNC_NS}}}SendMessageResponse/response")
        self.message_id = response.findtext("responseInfo/messageId")
        self.code = response.findtext("responseInfo/status/code")
        self.message = response.findtext("responseInfo/status/message")
        data = response.find(f"responseData/data/{{{TS_NS}}}timesheetResponse")
        if data is not None:
            self.has_data = True
            self.data_message_id = data.findtext(f"{{{TS_NS}}}messageId")
            self.state = data.findtext(f"{{{TS_NS}}}state")
            self.errors = [
                (e.findtext(f"{{{TS_NS}}}code"), e.findtext(f"{{{TS_NS}}}iin"))
                for e in data.findall(f"{{{TS_NS}}}error")
            ]

    def __repr__(self):
        return (f"SoapResponse(status={self.status}, code={self.code}, state={self.state}, errors={self.errors}, "
                f"fault={self.fault_code}: {self.fault_string}, message={self.message})")


# The service

class ServiceProcess:
    """An enbek-service process on a free port of 127.0.0.1 (or ::1), with
    the test PKI."""

    def __init__(self, *, processing_delay=0.1, state_dir=None, max_size=None, host="127.0.0.1",
                 contracts=None):
        self.options = ["--host", host, "--port", "0", "--pki", pki(), "--sender-id", SENDER_ID,
                        "--sender-password-file", pki_file("sender.pass"),
                        "--processing-delay", str(processing_delay)]
        if state_dir:
            self.options += ["--state-dir", state_dir]
        if max_size:
            self.options += ["--max-size", str(max_size)]
        if contracts:
            self.options += ["--contracts", contracts]
        self.host = host
        self.process = None
        self.log_path = None

    def start(self):
        log = tempfile.NamedTemporaryFile("w+", prefix="enbek-service.", suffix=".log", delete=False)
        self.log_path = log.name
        atexit.register(_remove, self.log_path)
        self.process = subprocess.Popen([SERVICE] + self.options, stdout=subprocess.PIPE, stderr=log, text=True)
        log.close()
        line = self.process.stdout.readline()
        if "listening on https://" not in line:
            self.process.wait(WAIT_LIMIT)
            raise RuntimeError(f"enbek-service did not start: {line!r}\n{self.log()}")
        self.base_url = line.split("listening on ")[1].strip()
        self.port = int(self.base_url.rsplit(":", 1)[1])
        return self

    def stop(self):
        """Stop the service with SIGTERM and return its exit code."""
        if self.process is None:
            return None
        self.process.terminate()
        code = self.process.wait(WAIT_LIMIT)
        self.process.stdout.close()
        self.process = None
        return code

    def log(self):
        with open(self.log_path, encoding="utf-8") as f:
            return f.read()

    def wait_for_log(self, pattern):
        """Return the log once a line matches the regular expression
        pattern, or after WAIT_LIMIT seconds.  The service writes a request's
        log line after sending the response, so a client can be faster."""
        deadline = time.monotonic() + WAIT_LIMIT
        while True:
            log = self.log()
            if re.search(pattern, log, re.M) or time.monotonic() > deadline:
                return log
            time.sleep(0.05)

    def connection(self, timeout=WAIT_LIMIT, context=None):
        return http.client.HTTPSConnection(self.host, self.port, timeout=timeout,
                                           context=context or client_tls_context())

    def request(self, method, path, body=None, headers=None, timeout=WAIT_LIMIT):
        """Send one HTTPS request and return (status, headers, body)."""
        connection = self.connection(timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.headers, response.read()
        finally:
            connection.close()

    def post_soap(self, body, content_type="text/xml; charset=utf-8", timeout=WAIT_LIMIT):
        status, headers, data = self.request("POST", "/bip-sync/", body, {"Content-Type": content_type}, timeout)
        return SoapResponse(status, headers, data)

    def send_timesheet(self, document, message_id, **fields):
        return self.post_soap(envelope(document, message_id, **fields))

    def query_status(self, queried_message_id, **fields):
        return self.post_soap(envelope(status_request(queried_message_id), new_message_id(),
                                       service_id=STATUS_SERVICE, **fields))

    def wait_for_state(self, queried_message_id, states=("ACCEPTED", "REJECTED")):
        """Query the status until the state is one of states, and return
        that response; fail after WAIT_LIMIT seconds."""
        deadline = time.monotonic() + WAIT_LIMIT
        while True:
            response = self.query_status(queried_message_id)
            if response.state in states or time.monotonic() > deadline:
                return response
            time.sleep(0.05)

    def control(self, method, name, value=None):
        """Call a /_control endpoint and return (status, parsed JSON)."""
        body = None if value is None else json.dumps(value).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        status, _, data = self.request(method, f"/_control/{name}", body, headers)
        return status, json.loads(data)

    def add_fault(self, **fault):
        status, value = self.control("POST", "fault", fault)
        if status != 200:
            raise AssertionError(f"fault {fault} rejected: {value}")

    def messages(self):
        """Return the records of /_control/messages by message id."""
        _, value = self.control("GET", "messages")
        return {m["messageId"]: m for m in value["messages"]}


def _remove(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class ServiceTestCase(unittest.TestCase):
    """Tests against one service per test class, reset before each test."""

    processing_delay = 0.1

    @classmethod
    def setUpClass(cls):
        cls.service = ServiceProcess(processing_delay=cls.processing_delay).start()

    @classmethod
    def tearDownClass(cls):
        cls.service.stop()

    def setUp(self):
        status, _ = self.service.control("POST", "reset")
        self.assertEqual(status, 200)

    def assertFault(self, response, text):
        """Assert that response is an HTTP 500 soap:Client fault whose
        faultstring contains text."""
        self.assertEqual(response.status, 500, response)
        self.assertEqual(response.fault_code, "soap:Client", response)
        self.assertIn(text, response.fault_string)

    def assertRejected(self, response, code, message_id):
        """Assert that a timesheet got an immediate REJECTED with code."""
        self.assertEqual(response.status, 200, response)
        self.assertEqual(response.code, code, response)
        self.assertEqual(response.message_id, message_id)
        self.assertEqual(response.state, "REJECTED", response)
        self.assertEqual(response.errors, [(code, None)], response)
