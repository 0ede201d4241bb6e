"""The timesheet documents of namespace urn:otan-enbek:timesheet:v1: the
timesheet (schema version 1.0) and its correction (1.1), validated against
src/delivery/timesheet-v1.xsd and the rules that XSD 1.0 cannot state."""
import calendar
import os
import re
import threading
from dataclasses import dataclass

from lxml import etree

from .model import SoapFault
from .soap import TS_NS, parse_xml

_CLARK_TS = re.compile(r"\{" + re.escape(TS_NS) + r"\}")


def ts(name):
    """Return the qualified tag of an element of the timesheet namespace."""
    return f"{{{TS_NS}}}{name}"


@dataclass(frozen=True)
class Employee:
    iin: str
    contract_id: str | None


@dataclass(frozen=True)
class Timesheet:
    """The fields of a valid timesheet document that the checks use.  part
    and parts are None for a document that is the whole timesheet.  lines
    contains the employees' lines as line_json returns them, in document
    order.

    A correction (kind "correction") names the corrected document in
    corrects, carries the added and changed employees in employees and
    lines, with "change" in each line, and the IINs of the removed ones in
    removed.
    """

    message_id: str
    bin: str
    period: str  # YYYY-MM
    employees: tuple
    timesheet_id: str = ""
    part: int | None = None
    parts: int | None = None
    kind: str = "full"
    version: int | None = None
    lines: tuple = ()
    corrects: str | None = None
    removed: tuple = ()

    @property
    def year_month(self):
        year, month = self.period.split("-")
        return int(year), int(month)


def standalone_copy(element):
    """Copy an element into a document of its own.

    The signature's Reference URI="" means the whole document that was
    signed, which is the timesheetRequest alone, before it was placed in the
    SOAP envelope.  The copy is serialized and parsed again, because a deep
    copy keeps the element's tail text as a node beside the root, which
    would change what URI="" covers.  Exclusive canonicalization makes the
    copy canonicalize exactly as the signed document did.
    """
    return parse_xml(etree.tostring(element, with_tail=False))


class DocumentSchema:
    """The compiled XSD of the timesheet namespace.  lxml schemas are not
    documented as thread-safe, so validation is serialized."""

    def __init__(self, path):
        self.path = path
        self._schema = etree.XMLSchema(etree.parse(path))
        self._lock = threading.Lock()

    def validate(self, document):
        """Raise a soap:Client fault that names the first invalid element,
        unless document is valid."""
        with self._lock:
            valid = self._schema.validate(document)
            errors = list(self._schema.error_log)
        if valid:
            return
        first = errors[0]
        message = _CLARK_TS.sub("ts:", first.message)
        name = os.path.basename(self.path)
        raise SoapFault.client(f"the document does not match {name} (line {first.line}): {message}")


def _check_days(employee, where, period, days_in_month):
    """Raise a soap:Client fault unless the days of an employee ascend, exist
    in the month, and the day totals fit in it."""
    previous = 0
    for day in employee.find(ts("days")).findall(ts("day")):
        n = int(day.get("n"))
        if n > days_in_month:
            raise SoapFault.client(f"{where}: ts:day n={n} does not exist in {period}")
        if n <= previous:
            raise SoapFault.client(f"{where}: ts:day n={n} follows n={previous}; days must ascend")
        previous = n
    totals = employee.find(ts("totals"))
    for attribute in ("daysWorked", "daysOff"):
        value = int(totals.get(attribute))
        if value > days_in_month:
            raise SoapFault.client(
                f"{where}: ts:totals/@{attribute} is {value}, but {period} has {days_in_month} days"
            )


def _check_rules(root, period):
    """Raise a soap:Client fault for a rule of the document that the XSD
    cannot state."""
    year, month = (int(part) for part in period.split("-"))
    days_in_month = calendar.monthrange(year, month)[1]
    correction = root.tag == ts("timesheetCorrection")

    identity = root.find(ts("timesheet"))
    part, parts = identity.get("part"), identity.get("parts")
    if (part is None) != (parts is None):
        raise SoapFault.client(
            "ts:timesheet has only one of @part and @parts; a part of a timesheet or correction "
            "carries both"
        )
    if part is not None and int(part) > int(parts):
        raise SoapFault.client(f"ts:timesheet/@part is {part}, but @parts is {parts}")

    working_days = int(root.findtext(ts("workingDays")))
    if working_days > days_in_month:
        raise SoapFault.client(
            f"ts:workingDays is {working_days}, but {period} has {days_in_month} days"
        )

    if correction:
        changes = root.find(ts("changes"))
        found = len(changes.findall(ts("employee"))) + len(changes.findall(ts("removed")))
        declared = int(changes.get("count"))
        if declared != found:
            raise SoapFault.client(
                f"ts:changes/@count is {declared}, but the document has {found} ts:employee and ts:removed"
            )
        employees = changes.findall(ts("employee"))
    else:
        container = root.find(ts("employees"))
        employees = container.findall(ts("employee"))
        declared = int(container.get("count"))
        if declared != len(employees):
            raise SoapFault.client(
                f"ts:employees/@count is {declared}, but the document has {len(employees)} ts:employee"
            )

    for position, employee in enumerate(employees, 1):
        _check_days(employee, f"ts:employee[{position}]", period, days_in_month)


def line_json(employee):
    """Return an employee's line as the service stores it: iin, contractId
    (or None), days as [n, code, hours] and the totals, with hours as the
    document writes them."""
    return {
        "iin": employee.findtext(ts("iin")),
        "contractId": employee.findtext(ts("contractId")),
        "days": [[int(d.get("n")), d.get("code"), d.get("hours")]
                 for d in employee.find(ts("days")).findall(ts("day"))],
        "totals": dict(employee.find(ts("totals")).attrib),
    }


def parse_timesheet(root, schema):
    """Validate a standalone timesheetRequest or timesheetCorrection and
    return its Timesheet.

    Raises a soap:Client fault for a document that fails the XSD or one of
    the rules the XSD cannot state.
    """
    schema.validate(root)
    period = root.findtext(ts("period"))
    _check_rules(root, period)
    identity = root.find(ts("timesheet"))
    part, parts = identity.get("part"), identity.get("parts")
    fields = {
        "message_id": root.findtext(ts("messageId")),
        "bin": root.find(ts("employer")).findtext(ts("bin")),
        "period": period,
        "timesheet_id": identity.get("id"),
        "version": int(identity.get("version")),
        "part": None if part is None else int(part),
        "parts": None if parts is None else int(parts),
    }
    if root.tag == ts("timesheetCorrection"):
        changes = root.find(ts("changes"))
        changed = changes.findall(ts("employee"))
        return Timesheet(
            employees=tuple(Employee(e.findtext(ts("iin")), e.findtext(ts("contractId"))) for e in changed),
            kind="correction",
            lines=tuple(dict(line_json(e), change=e.get("change")) for e in changed),
            corrects=root.find(ts("corrects")).get("messageId"),
            removed=tuple(r.findtext(ts("iin")) for r in changes.findall(ts("removed"))),
            **fields,
        )
    employees = root.find(ts("employees")).findall(ts("employee"))
    return Timesheet(
        employees=tuple(Employee(e.findtext(ts("iin")), e.findtext(ts("contractId"))) for e in employees),
        lines=tuple(line_json(e) for e in employees),
        **fields,
    )


def parse_status_request(root, schema):
    """Validate a standalone statusRequest and return the message id whose
    status it requests."""
    schema.validate(root)
    return root.findtext(ts("messageId"))
