"""The timesheet document, version 1: validation against
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
    and parts are None for a document that is the whole timesheet."""

    message_id: str
    bin: str
    period: str  # YYYY-MM
    employees: tuple
    timesheet_id: str = ""
    part: int | None = None
    parts: int | None = None

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


def _check_rules(root, period):
    """Raise a soap:Client fault for a rule of the document that the XSD
    cannot state."""
    year, month = (int(part) for part in period.split("-"))
    days_in_month = calendar.monthrange(year, month)[1]

    identity = root.find(ts("timesheet"))
    part, parts = identity.get("part"), identity.get("parts")
    if (part is None) != (parts is None):
        raise SoapFault.client(
            "ts:timesheet has only one of @part and @parts; a part of a timesheet carries both"
        )
    if part is not None and int(part) > int(parts):
        raise SoapFault.client(f"ts:timesheet/@part is {part}, but @parts is {parts}")

    working_days = int(root.findtext(ts("workingDays")))
    if working_days > days_in_month:
        raise SoapFault.client(
            f"ts:workingDays is {working_days}, but {period} has {days_in_month} days"
        )

    employees = root.find(ts("employees"))
    found = len(employees.findall(ts("employee")))
    declared = int(employees.get("count"))
    if declared != found:
        raise SoapFault.client(f"ts:employees/@count is {declared}, but the document has {found} ts:employee")

    for position, employee in enumerate(employees.findall(ts("employee")), 1):
        where = f"ts:employee[{position}]"
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


def parse_timesheet(root, schema):
    """Validate a standalone timesheetRequest and return its Timesheet.

    Raises a soap:Client fault for a document that fails the XSD or one of
    the rules the XSD cannot state.
    """
    schema.validate(root)
    period = root.findtext(ts("period"))
    _check_rules(root, period)
    employees = tuple(
        Employee(e.findtext(ts("iin")), e.findtext(ts("contractId")))
        for e in root.find(ts("employees")).findall(ts("employee"))
    )
    identity = root.find(ts("timesheet"))
    part, parts = identity.get("part"), identity.get("parts")
    return Timesheet(
        message_id=root.findtext(ts("messageId")),
        bin=root.find(ts("employer")).findtext(ts("bin")),
        period=period,
        employees=employees,
        timesheet_id=identity.get("id"),
        part=None if part is None else int(part),
        parts=None if parts is None else int(parts),
    )


def parse_status_request(root, schema):
    """Validate a standalone statusRequest and return the message id whose
    status it requests."""
    schema.validate(root)
    return root.findtext(ts("messageId"))
