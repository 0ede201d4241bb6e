"""The directory services: the list of an employer's labour contracts, and
the push of an employer's departments and work schedules.

Both take a signed document of the namespace urn:otan-enbek:directory:v1
(src/delivery/directory-v1.xsd), and the response comes at once.  They run the checks a
timesheet gets at once, in the same order: message id, message date,
signature and certificate, employer BIN and the BIN of the certificate.
"""
import logging
import threading

from lxml import etree

from . import soap
from .checks import check_message_date
from .document import DocumentSchema, standalone_copy
from .identifiers import has_valid_check_digit, is_valid_message_id
from .model import ACCEPTED, REJECTED, SCSE001, SCSE043, SCSE046, SCSE087, SCSS001, Error, SoapFault
from .signature import SignatureRejected, certificate_bin

log = logging.getLogger("enbekd.directory")

DIRECTORY_NS = "urn:otan-enbek:directory:v1"
CONTRACT_LIST_SERVICE = "OTAN_CONTRACT_LIST_V1"
DIRECTORY_PUSH_SERVICE = "OTAN_DIRECTORY_PUSH_V1"
SERVICES = (CONTRACT_LIST_SERVICE, DIRECTORY_PUSH_SERVICE)

# Status codes of a push whose document is valid but whose content is not.
SCSE401 = "SCSE401"  # a department code is repeated
SCSE402 = "SCSE402"  # a parent department code is unknown, or the parents form a cycle
SCSE403 = "SCSE403"  # a schedule name is repeated
SCSE404 = "SCSE404"  # a schedule's weekly hours disagree with its working-hours code

# The Labour Code of Kazakhstan sets normal working time at no more than
# 40 hours a week.  Codes 2 to 4 (reduced,
# part-time, shorter) are below it; code 5 (flexible) may be either.
NORMAL_WEEK_HOURS = 40


def directory(name):
    """Return the qualified tag of an element of the directory namespace."""
    return f"{{{DIRECTORY_NS}}}{name}"


class DirectoryPushStore:
    """The newest accepted push of each employer, kept in memory."""

    def __init__(self):
        self._lock = threading.Lock()
        self._pushes = {}

    def put(self, bin_, push):
        with self._lock:
            self._pushes[bin_] = push

    def summaries(self):
        with self._lock:
            return dict(self._pushes)

    def reset(self):
        with self._lock:
            self._pushes.clear()


class DirectoryService:
    """Responds to SendMessage requests of the two directory service ids."""

    def __init__(self, *, schema_path, verifier, contracts, pushes, clock):
        self._schema = DocumentSchema(schema_path)
        self._verifier = verifier
        self._contracts = contracts
        self._pushes = pushes
        self._clock = clock

    def handle(self, request):
        """Return (status code, status message, response document or None)
        for an authenticated SendMessage of a directory service."""
        info = request.info
        if not is_valid_message_id(info.message_id):
            return SCSE087, f"requestInfo/messageId {info.message_id!r} is not 32 to 45 Latin letters, digits or '-'", None
        error = check_message_date(info.message_date, self._clock())
        if error:
            return error.code, error.message, None

        tag = "contractListRequest" if info.service_id == CONTRACT_LIST_SERVICE else "directoryPush"
        document = self._business_document(request.data, tag, info.service_id)
        self._schema.validate(document)
        document_message_id = document.findtext(directory("messageId"))
        if document_message_id != info.message_id:
            return (SCSE087, f"requestInfo/messageId {info.message_id} differs from the document's "
                             f"dir:messageId {document_message_id!r}", None)
        bin_ = document.find(directory("employer")).findtext(directory("bin"))
        error = self._check_signer(document, bin_)
        if error:
            return error.code, error.message, None

        if info.service_id == CONTRACT_LIST_SERVICE:
            return self._list_contracts(info.message_id, bin_)
        return self._accept_push(info.message_id, bin_, document)

    @staticmethod
    def _business_document(data, tag, service_id):
        children = [c for c in data if isinstance(c.tag, str)]
        if len(children) != 1 or children[0].tag != directory(tag):
            raise SoapFault.client(
                f"requestData/data of service {service_id} must contain exactly one dir:{tag} "
                f"in namespace {DIRECTORY_NS}"
            )
        return standalone_copy(children[0])

    def _check_signer(self, document, bin_):
        """Return the first error of the signature, the BIN's check digit
        and the BIN of the certificate, or None."""
        try:
            certificate = self._verifier.verify(document)
        except SignatureRejected as e:
            return Error(SCSE001, str(e))
        if not has_valid_check_digit(bin_):
            return Error(SCSE043, f"the employer BIN {bin_} fails its check digit")
        signer_bin = certificate_bin(certificate)
        if signer_bin != bin_:
            return Error(SCSE046, f"the employer BIN {bin_} differs from the BIN {signer_bin} "
                                  "of the signing certificate")
        return None

    def _list_contracts(self, message_id, bin_):
        contracts = self._contracts.of_employer(bin_)
        response = etree.Element(directory("contractListResponse"), nsmap={"dir": DIRECTORY_NS})
        etree.SubElement(response, directory("messageId")).text = message_id
        etree.SubElement(response, directory("bin")).text = bin_
        for contract in contracts:
            item = etree.SubElement(response, directory("contract"))
            etree.SubElement(item, directory("iin")).text = contract.iin
            etree.SubElement(item, directory("contractId")).text = contract.contract_id
            if contract.position is not None:
                etree.SubElement(item, directory("position")).text = contract.position
            etree.SubElement(item, directory("workingHours")).text = str(contract.working_hours)
            etree.SubElement(item, directory("start")).text = contract.start.isoformat()
            if contract.end is not None:
                etree.SubElement(item, directory("end")).text = contract.end.isoformat()
        log.info("contract list of %s: %d contracts", bin_, len(contracts))
        return SCSS001, f"{len(contracts)} contracts of employer {bin_}", response

    def _accept_push(self, message_id, bin_, document):
        departments = [
            (d.findtext(directory("code")), d.findtext(directory("name")), d.findtext(directory("parentCode")))
            for d in document.find(directory("departments")).findall(directory("department"))
        ]
        schedules = [
            (s.findtext(directory("name")), int(s.findtext(directory("workingHours"))),
             float(s.findtext(directory("weekHours"))))
            for s in document.find(directory("schedules")).findall(directory("schedule"))
        ]
        errors = check_departments(departments) + check_schedules(schedules)
        state = REJECTED if errors else ACCEPTED

        if not errors:
            self._pushes.put(bin_, {
                "messageId": message_id,
                "departments": [{"code": c, "name": n, "parentCode": p} for c, n, p in departments],
                "schedules": [{"name": n, "workingHours": w, "weekHours": h} for n, w, h in schedules],
            })

        response = etree.Element(directory("directoryPushResponse"), nsmap={"dir": DIRECTORY_NS})
        etree.SubElement(response, directory("messageId")).text = message_id
        etree.SubElement(response, directory("state")).text = state
        etree.SubElement(response, directory("departments")).text = str(len(departments))
        etree.SubElement(response, directory("schedules")).text = str(len(schedules))
        for error in errors:
            item = etree.SubElement(response, directory("error"))
            etree.SubElement(item, directory("code")).text = error.code
            etree.SubElement(item, directory("message")).text = error.message
        log.info("directory push %s of %s %s: %d departments, %d schedules, %d errors",
                 message_id, bin_, state, len(departments), len(schedules), len(errors))
        if errors:
            return errors[0].code, errors[0].message, response
        return SCSS001, f"the directory of employer {bin_} was accepted", response


def check_departments(departments):
    """Return the errors of a list of (code, name, parent code): SCSE401 for
    a repeated code, SCSE402 for an unknown parent or a cycle of parents."""
    errors = []
    parent_of = {}
    for code, _name, parent in departments:
        if code in parent_of:
            errors.append(Error(SCSE401, f"department code {code!r} is repeated"))
        parent_of[code] = parent
    for code, parent in parent_of.items():
        if parent is not None and parent not in parent_of:
            errors.append(Error(SCSE402, f"department {code!r} names the unknown parent {parent!r}"))
    for start in parent_of:
        seen = set()
        code = start
        while code is not None and code in parent_of and code not in seen:
            seen.add(code)
            code = parent_of[code]
        if code == start:
            errors.append(Error(SCSE402, f"the parents of department {start!r} form a cycle"))
    return errors


def check_schedules(schedules):
    """Return the errors of a list of (name, working-hours code, weekly
    hours): SCSE403 for a repeated name, SCSE404 for hours that disagree
    with the code."""
    errors = []
    seen = set()
    for name, code, hours in schedules:
        if name in seen:
            errors.append(Error(SCSE403, f"schedule name {name!r} is repeated"))
        seen.add(name)
        if code == 1 and hours != NORMAL_WEEK_HOURS:
            errors.append(Error(SCSE404, f"schedule {name!r} has working-hours code 1 (normal) "
                                         f"but {hours:g} hours a week instead of {NORMAL_WEEK_HOURS}"))
        elif code in (2, 3, 4) and hours >= NORMAL_WEEK_HOURS:
            errors.append(Error(SCSE404, f"schedule {name!r} has working-hours code {code} "
                                         f"but {hours:g} hours a week, not fewer than {NORMAL_WEEK_HOURS}"))
    return errors
